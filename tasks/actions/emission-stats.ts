import { phaseName } from "../../src/emission/model.js";
import { buybackTiming, readEmissionStats, type BuybackTiming } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { parseAddress } from "../../src/parse.js";
import { tokenInfo } from "../../src/erc20.js";
import { formatSpan, formatTime, formatToken } from "../../src/format.js";
import { formatTable } from "../../src/registry.js";
import { contextAction } from "../context.js";

const SOURCE = "emission:stats";

export default contextAction(SOURCE, async (args: { emission: string; token: string }, ctx) => {
  const emission = await ctx.emission(args.emission);
  const s = await readEmissionStats(emission);
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
  // The keeper's clock: fees of an epoch are sold once it ends, through a TWAP observation one to
  // two windows old.
  let token: string | undefined;
  try {
    token = parseAddress(SOURCE, "token", await ctx.address(args.token, "gut", "token"));
  } catch (error) {
    if (!(error instanceof InputError) || args.token !== "") throw error;
  }
  if (token !== undefined) rows.push(...timingRows(await buybackTiming(emission, token)));
  else rows.push(["buyback timing", "give --token (no address book on this network)"]);
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

function timingRows(t: BuybackTiming): [string, string][] {
  const rows: [string, string][] = [
    [`epoch ${t.epoch} ends`, `${formatTime(t.epochEndsAt, t.now)}: its fees can be bought back from then`],
    [
      "TWAP window",
      `${formatSpan(t.window)}: a buyback quotes from an observation ${formatSpan(t.window)} to ${formatSpan(2n * t.window)} old`,
    ],
  ];
  for (const p of t.pairs) {
    const label = `pair ${p.pair.slice(0, 10)}…`;
    if (p.newestAge === undefined) rows.push([label, "no observation yet: run emission:observe"]);
    else if (p.usableFrom === undefined)
      rows.push([
        label,
        `newest observation ${formatSpan(p.newestAge)} old, too old: run emission:observe, then wait ${formatSpan(t.window)}`,
      ]);
    else if (p.usableFrom <= t.now)
      rows.push([
        label,
        `newest observation ${formatSpan(p.newestAge)} old: a buyback can run now, until ${formatTime(p.usableUntil!, t.now)}`,
      ]);
    else
      rows.push([
        label,
        `newest observation ${formatSpan(p.newestAge)} old: a buyback can run from ${formatTime(p.usableFrom, t.now)}`,
      ]);
  }
  return rows;
}
