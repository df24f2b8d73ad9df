import { acceptStart } from "../../src/escrow.js";
import { contextAction, escrowRecord } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

const SOURCE = "reservation:accept";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id } = await escrowRecord(ctx, args.escrow, "reservation", args.reservation);
  const leaseId = await acceptStart(h, ctx.signer, id);
  console.log(`accepted reservation ${id}: lease ${leaseId} is open`);
});
