import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { claimRewards, connectEmission } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { parseInteger } from "../../src/parse.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { accountOption } from "../signer.js";

/** `--from-epoch` and `--to-epoch`, each optional, checked to be whole numbers in order. */
export function epochRange(
  source: string,
  args: { fromEpoch: string; toEpoch: string },
): { fromEpoch?: bigint; toEpoch?: bigint } {
  const fromEpoch = args.fromEpoch === "" ? undefined : parseInteger(source, "from-epoch", args.fromEpoch);
  const toEpoch = args.toEpoch === "" ? undefined : parseInteger(source, "to-epoch", args.toEpoch);
  if (fromEpoch !== undefined && toEpoch !== undefined && toEpoch < fromEpoch) {
    throw new InputError(source, undefined, "to-epoch", `${toEpoch} is before --from-epoch ${fromEpoch}`);
  }
  return { fromEpoch, toEpoch };
}

export default async function claim(
  args: { emission: string; account: string; fromEpoch: string; toEpoch: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const range = epochRange("rewards:claim", args);
    const provider = await accountOption(await ethers.getSigners(), args.account, "rewards:claim");
    const emission = await connectEmission(
      "rewards:claim",
      await addressOption(args.emission, "emission", connection, "rewards:claim", "emission"),
      provider,
    );
    const { buckets, amount, hash } = await claimRewards(emission, range);
    if (amount === 0n) throw new InputError("rewards:claim", undefined, "from-epoch", "nothing to claim in that range");
    const names = buckets.map((b) => `${b.epoch}/${b.token.slice(0, 8)}`).join(", ");
    console.log(`claimed ${formatToken(amount, "TFT")} from buckets [${names}] in ${hash}`);
  });
}
