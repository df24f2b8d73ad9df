import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { connectEmission, providerBuckets } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { tokenInfo } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { formatTable } from "../../src/registry.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { epochRange } from "./rewards-claim.js";

export default async function pending(
  args: { emission: string; provider: string; fromEpoch: string; toEpoch: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const [signer] = await ethers.getSigners();
    const range = epochRange("rewards:pending", args);
    const emission = await connectEmission(
      "rewards:pending",
      await addressOption(args.emission, "emission", connection, "rewards:pending", "emission"),
      signer!,
    );
    const provider = args.provider === "" ? signer!.address : args.provider;
    if (!ethers.isAddress(provider)) throw new InputError("rewards:pending", undefined, "provider", "not an address");
    const buckets = await providerBuckets(emission, provider, range);
    const t = (x: bigint) => formatToken(x, "TFT");
    const claimable = buckets.reduce((a, b) => a + b.claimable, 0n);
    console.log(
      `${provider}: ${t(claimable)} claimable over ${buckets.filter((b) => b.claimable > 0n).length} bucket(s)`,
    );
    if (buckets.length === 0) return;
    const rows: string[][] = [];
    for (const b of buckets) {
      const { symbol, decimals } = await tokenInfo(b.token, signer!);
      rows.push([
        String(b.epoch),
        symbol,
        `${formatToken(b.fee, symbol, decimals)} of ${formatToken(b.fees, symbol, decimals)}`,
        formatToken(b.unsold, symbol, decimals),
        t(b.boughtByFee),
        t(b.claimed),
        t(b.claimable),
      ]);
    }
    console.log(
      formatTable(["epoch", "token", "your fee", "pending (unsold)", "your fee bought", "claimed", "claimable"], rows),
    );
  });
}
