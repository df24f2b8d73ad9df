import { providerBuckets } from "../../src/emission/client.js";
import { tokenInfo } from "../../src/erc20.js";
import { formatToken } from "../../src/format.js";
import { parseAddress } from "../../src/parse.js";
import { formatTable } from "../../src/registry.js";
import { contextAction } from "../context.js";
import { epochRange } from "./rewards-claim.js";

const SOURCE = "rewards:pending";

export default contextAction(
  SOURCE,
  async (args: { emission: string; provider: string; fromEpoch: string; toEpoch: string }, ctx) => {
    const range = epochRange(SOURCE, args);
    const emission = await ctx.emission(args.emission);
    const provider = args.provider === "" ? ctx.account : parseAddress(SOURCE, "provider", args.provider);
    const buckets = await providerBuckets(emission, provider, range);
    const t = (x: bigint) => formatToken(x, "TFT");
    const claimable = buckets.reduce((a, b) => a + b.claimable, 0n);
    console.log(
      `${provider}: ${t(claimable)} claimable over ${buckets.filter((b) => b.claimable > 0n).length} bucket(s)`,
    );
    if (buckets.length === 0) return;
    const rows: string[][] = [];
    for (const b of buckets) {
      const { symbol, decimals } = await tokenInfo(b.token, ctx.signer);
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
  },
);
