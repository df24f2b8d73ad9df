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
    ["node", `${r.nodeId} (${r.nodeStatus})`],
    ["customer", r.customer],
    ["provider", r.provider],
    ["session key", r.sessionKey === "0x0000000000000000000000000000000000000000" ? "none" : r.sessionKey],
    ["price", `${fmt(r.rate / 1000n)} per hour`],
    ["started", when(r.start)],
  ];
  if (r.reservationId !== 0n) rows.push(["reservation", r.reservationId.toString()]);
  if (r.closedAt !== 0n) rows.push(["closed", when(r.closedAt)]);
  rows.push(
    ["deposit", fmt(r.deposit)],
    ["paid", `${fmt(r.paid)} (protocol fee ${fmt(r.fee)})`],
    ["collectable", `${fmt(r.collectable)} served and not yet collected, with a receipt up to now`],
    ["remaining", fmt(r.remaining)],
  );
  if (r.status === "Closing") {
    rows.push([
      "collect window",
      now > r.collectDeadline
        ? `ended ${when(r.collectDeadline)}: lease:finalize refunds the rest`
        : `until ${when(r.collectDeadline)}`,
    ]);
  }
  if (r.status === "Open") rows.push(["runs out", r.runsOutAt === undefined ? "never" : when(r.runsOutAt)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
});
