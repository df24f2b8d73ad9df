import { renewLease } from "../../src/escrow.js";
import { InputError } from "../../src/errors.js";
import { isReservationQuote } from "../../src/market/quote.js";
import { parseAmount } from "../../src/parse.js";
import { contextAction, escrowRecord, readQuoteFile } from "../context.js";

const SOURCE = "lease:renew";

interface Args {
  escrow: string;
  account: string;
  lease: string;
  quote: string;
  add: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const signed = await readQuoteFile(SOURCE, args.quote);
  if (isReservationQuote(signed.quote)) {
    throw new InputError(
      args.quote,
      undefined,
      "quote.windowDuration",
      "is a reservation quote: a renewal takes a lease quote",
    );
  }
  const { h, id, token, fmt } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const added = args.add === "" ? 0n : parseAmount(SOURCE, "add", args.add, token.decimals);
  const next = await renewLease(h, ctx.signer, id, signed, added, { source: SOURCE });
  const l = await h.escrow.lease(next);
  console.log(
    `renewed lease ${id} as lease ${next} on node ${l.nodeId} at ${fmt(signed.quote.pricePerTuHour)} per TU-hour, deposit ${fmt(l.deposit)}`,
  );
});
