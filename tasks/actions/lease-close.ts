import { closeLease } from "../../src/escrow.js";
import { InputError } from "../../src/errors.js";
import { formatTime } from "../../src/format.js";
import { contextAction, escrowRecord, readReceiptFile } from "../context.js";

const SOURCE = "lease:close";

interface Args {
  escrow: string;
  account: string;
  lease: string;
  receipt: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, fmt } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const receipt = args.receipt === "" ? undefined : await readReceiptFile(SOURCE, args.receipt);
  if (receipt !== undefined && receipt.receipt.leaseId !== id) {
    throw new InputError(args.receipt, undefined, "receipt.leaseId", `is ${receipt.receipt.leaseId}, not lease ${id}`);
  }
  const r = await closeLease(h, ctx.signer, id, receipt);
  if (r.final === undefined) {
    console.log(
      `closed lease ${id}: the node is free; the provider may collect until ${formatTime(r.collectDeadline, await ctx.now())}, then lease:finalize refunds the rest`,
    );
    return;
  }
  const window = r.final.windowFee > 0n ? ` and ${fmt(r.final.windowFee)} of the reservation window's fee` : "";
  console.log(
    `closed lease ${id}: provider earned ${fmt(r.final.paid)}${window}, customer refunded ${fmt(r.final.refund)}`,
  );
});
