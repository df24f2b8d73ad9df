import { failReservation } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { contextAction, escrowRecord } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

const SOURCE = "reservation:fail";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "reservation", args.reservation);
  const r = await failReservation(h, ctx.signer, id);
  console.log(
    `failed reservation ${id}: customer refunded ${fmt(r.refund)}; ${formatToken(r.penalty, "GUT")} of the provider's stake to the treasury`,
  );
});
