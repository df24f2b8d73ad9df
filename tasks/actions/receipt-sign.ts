import { makeReceipt, receiptKeyUntil } from "../../src/escrow.js";
import { InputError } from "../../src/errors.js";
import { formatTime } from "../../src/format.js";
import { writeJsonAtomic } from "../../src/io.js";
import { receiptToJson } from "../../src/market/quote.js";
import { parseStart } from "../../src/parse.js";
import { contextAction, escrowRecord, required } from "../context.js";

const SOURCE = "receipt:sign";

interface Args {
  escrow: string;
  account: string;
  lease: string;
  paidThrough: string;
  out: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  required(SOURCE, "paid-through", args.paidThrough);
  const out = required(SOURCE, "out", args.out);
  const { h, id } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const now = await ctx.now();
  const paidThrough =
    args.paidThrough.trim() === "now" ? now : parseStart(SOURCE, "paid-through", args.paidThrough, now);
  const until = await receiptKeyUntil(h, id, ctx.account);
  if (until === undefined) {
    throw new InputError(
      SOURCE,
      undefined,
      "account",
      `${ctx.account} is neither lease ${id}'s customer nor one of its session keys`,
    );
  }
  const signed = await makeReceipt(h, ctx.signer, id, paidThrough);
  writeJsonAtomic(out, receiptToJson(signed));
  const capped = until < paidThrough ? ` (this key's receipts count only up to ${formatTime(until, now)})` : "";
  console.log(`wrote ${out}: lease ${id} paid through ${formatTime(paidThrough, now)}${capped}`);
});
