import { closeLease } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { contextAction, escrowRecord } from "../context.js";

const SOURCE = "lease:close";

interface Args {
  escrow: string;
  account: string;
  lease: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const { paid, refund, slashed } = await closeLease(h, ctx.signer, id);
  console.log(`closed lease ${id}: provider earned ${fmt(paid)}, customer refunded ${fmt(refund)}`);
  if (slashed > 0n)
    console.log(`the node was Disconnect: ${formatToken(slashed, "GUT")} of stake slashed to the customer`);
});
