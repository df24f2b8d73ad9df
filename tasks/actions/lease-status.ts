import { leaseReport } from "../../src/escrow.js";
import { formatTime } from "../../src/format.js";
import { contextAction, escrowRecord } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  lease: string;
}

const SOURCE = "lease:status";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const r = await leaseReport(h, id);
  const now = await ctx.now();
  const when = (t: bigint) => formatTime(t, now);
  const rows: [string, string][] = [
    ["lease", `${r.leaseId} (${r.status})`],
    ["node", `${r.nodeId} (${r.nodeStatus}, last heartbeat ${when(r.lastHeartbeat)})`],
    ["customer", r.customer],
    ["provider", r.provider],
    ["price", `${fmt(r.rate / 1000n)} per hour`],
    ["started", when(r.start)],
    ["deposit", fmt(r.deposit)],
    ["accrued", fmt(r.accrued)],
    ["remaining", fmt(r.remaining)],
    ["withdrawn", fmt(r.withdrawn)],
    ["unwithdrawn", fmt(r.unwithdrawn)],
    ["fee to forward", fmt(r.unforwardedFee)],
  ];
  if (r.status === "Open") {
    rows.push(["runs out", r.runsOutAt === undefined ? "never (free)" : when(r.runsOutAt)]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
});
