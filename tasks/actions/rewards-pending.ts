import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { claimableEpochs, connectEmission } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";

export default async function pending(
  args: { emission: string; provider: string; from: bigint },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const [signer] = await ethers.getSigners();
    const emission = await connectEmission(
      "rewards:pending",
      await addressOption(args.emission, "emission", connection, "rewards:pending", "emission"),
      signer!,
    );
    const provider = args.provider === "" ? signer!.address : args.provider;
    if (!ethers.isAddress(provider)) throw new InputError("rewards:pending", undefined, "provider", "not an address");
    const { epochs, amount } = await claimableEpochs(emission, provider, args.from);
    console.log(`${provider}: ${formatToken(amount, "TFT")} claimable over epochs [${epochs.join(", ")}]`);
    const [rewardEpoch, pool] = await emission.pendingPool();
    const points = await emission.pointsOf(rewardEpoch, provider);
    const total = await emission.totalPoints(rewardEpoch);
    if (points > 0n) {
      console.log(
        `epoch ${rewardEpoch} (still growing): ${points} of ${total} points, ${formatToken((pool * points) / total, "TFT")} so far`,
      );
    }
  });
}
