import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { claimRewards, connectEmission } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { accountOption } from "../signer.js";

export default async function claim(
  args: { emission: string; account: string; from: bigint },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const provider = await accountOption(await ethers.getSigners(), args.account, "rewards:claim");
    const emission = await connectEmission(
      "rewards:claim",
      await addressOption(args.emission, "emission", connection, "rewards:claim", "emission"),
      provider,
    );
    const { epochs, amount, hash } = await claimRewards(emission, args.from);
    if (amount === 0n) throw new InputError("rewards:claim", undefined, "from", "nothing to claim from that epoch on");
    console.log(`claimed ${formatToken(amount, "TFT")} for epochs [${epochs.join(", ")}] in ${hash}`);
  });
}
