import { startReservation } from "../../src/escrow.js";
import { parseId } from "../../src/parse.js";
import { contextAction, required } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

const SOURCE = "reservation:start";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const reservationId = parseId(SOURCE, "reservation", required(SOURCE, "reservation", args.reservation));
  const leaseId = await startReservation(await ctx.escrow(args.escrow), ctx.signer, reservationId);
  console.log(`started reservation ${reservationId}: lease ${leaseId} is open`);
});
