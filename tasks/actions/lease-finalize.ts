import { finalize } from "../../src/escrow.js";
import { contextAction, escrowRecord } from "../context.js";

const SOURCE = "lease:finalize";

interface Args {
  escrow: string;
  account: string;
  lease: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const r = await finalize(h, ctx.signer, id);
  const window = r.windowFee > 0n ? ` and ${fmt(r.windowFee)} of the reservation window's fee` : "";
  console.log(`finalized lease ${id}: provider earned ${fmt(r.paid)}${window}, customer refunded ${fmt(r.refund)}`);
});
