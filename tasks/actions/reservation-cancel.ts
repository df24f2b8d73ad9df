import { cancelReservation } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { contextAction, escrowRecord } from "../context.js";

const SOURCE = "reservation:cancel";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "reservation", args.reservation);
  const r = await cancelReservation(h, ctx.signer, id);
  if (r.status === "Failed") {
    console.log(
      `cancelled reservation ${id} as its provider (failed): customer refunded ${fmt(r.refund)}; ${formatToken(r.penalty, "GUT")} of the stake to the treasury`,
    );
    return;
  }
  console.log(`cancelled reservation ${id}: refunded ${fmt(r.refund)}, provider earned ${fmt(r.feeEarned)}`);
});
