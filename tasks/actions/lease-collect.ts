import { collect } from "../../src/escrow.js";
import { formatTime } from "../../src/format.js";
import { contextAction, escrowRecord, readReceiptFile } from "../context.js";

const SOURCE = "lease:collect";

interface Args {
  escrow: string;
  account: string;
  receipt: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const signed = await readReceiptFile(SOURCE, args.receipt);
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "lease", signed.receipt.leaseId.toString());
  const r = await collect(h, ctx.signer, signed, args.receipt);
  console.log(
    `collected lease ${id} through ${formatTime(r.paidThrough, await ctx.now())}: ${fmt(r.collected)} more paid to the provider (protocol fee ${fmt(r.fee)}), ${fmt(r.paid)} in all`,
  );
});
