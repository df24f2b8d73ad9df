import { cancelReservation } from "../../src/escrow.js";
import { contextAction, escrowRecord } from "../context.js";

const SOURCE = "reservation:cancel";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "reservation", args.reservation);
  const { feePaid, refund } = await cancelReservation(h, ctx.signer, id);
  console.log(`cancelled reservation ${id}: refunded ${fmt(refund)}, provider earned ${fmt(feePaid)}`);
});
