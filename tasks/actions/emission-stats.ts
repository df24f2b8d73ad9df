import { phaseName } from "../../src/emission/model.js";
import { readEmissionStats } from "../../src/emission/client.js";
import { tokenInfo } from "../../src/erc20.js";
import { formatToken } from "../../src/format.js";
import { formatTable } from "../../src/registry.js";
import { contextAction } from "../context.js";

const SOURCE = "emission:stats";

export default contextAction(SOURCE, async (args: { emission: string }, ctx) => {
  const s = await readEmissionStats(await ctx.emission(args.emission));
  const t = (x: bigint) => formatToken(x, "TFT");
  const rows: [string, string][] = [
    ["phase", phaseName(s.phase)],
    ["reserve left", t(s.reserveLeft)],
    ["burned (by this contract)", t(s.totalBurned)],
    ["released from the reserve", t(s.totalReleased)],
    ["released from buybacks", t(s.totalDistributed)],
    ["bought back", t(s.totalBoughtBack)],
    ["total supply", t(s.totalSupply)],
    ["distance to the floor", t(s.floorDistance)],
    ["largest circulating supply reachable", t(s.maxCirculatingSupply)],
    ["miner rewards unclaimed", t(s.minerRewardsUnclaimed)],
    ["current epoch", String(s.currentEpoch)],
    ["buyback volume to end phase one", t(s.toPhaseOneEnd)],
    ["buyback volume to the floor", t(s.toFloor)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  if (s.buckets.length === 0) {
    console.log("\n  no fees recorded yet");
    return;
  }
  const symbols = new Map<string, { symbol: string; decimals: number }>();
  const table: string[][] = [];
  for (const b of s.buckets) {
    if (!symbols.has(b.token)) symbols.set(b.token, await tokenInfo(b.token, ctx.signer));
    const { symbol, decimals } = symbols.get(b.token)!;
    table.push([
      String(b.epoch),
      symbol,
      formatToken(b.fees, symbol, decimals),
      formatToken(b.unsold, symbol, decimals),
      b.ended ? (b.unsold > 0n ? "for sale" : "sold") : "open",
      t(b.bought),
      t(b.rewards),
    ]);
  }
  console.log(
    `\n${formatTable(["epoch", "token", "fees", "pending (unsold)", "state", "bought", "rewards"], table).replace(/^/gm, "  ")}`,
  );
});
