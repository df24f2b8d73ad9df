import { tokenInfo } from "../../src/erc20.js";
import { escrowDomainOf, reserve } from "../../src/escrow.js";
import { InputError } from "../../src/errors.js";
import { formatTime, formatToken } from "../../src/format.js";
import { checkDomain, isReservationQuote } from "../../src/market/quote.js";
import { parseAmount } from "../../src/parse.js";
import { contextAction, readQuoteFile, required } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  quote: string;
  deposit: string;
}

const SOURCE = "reserve";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const signed = await readQuoteFile(SOURCE, args.quote);
  if (!isReservationQuote(signed.quote)) {
    throw new InputError(args.quote, undefined, "quote.windowDuration", "is 0: a lease quote, use the lease:open task");
  }
  required(SOURCE, "deposit", args.deposit);
  const h = await ctx.escrow(args.escrow);
  checkDomain(signed, await escrowDomainOf(h), args.quote);
  const token = await tokenInfo(signed.quote.token, ctx.signer);
  ctx.amountsIn({ ...token, address: signed.quote.token });
  const deposit = parseAmount(SOURCE, "deposit", args.deposit, token.decimals);
  const reservationId = await reserve(h, ctx.signer, signed, deposit, { source: SOURCE });
  const r = await h.escrow.reservation(reservationId);
  const now = await ctx.now();
  const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
  console.log(
    `reserved node ${r.nodeId}: reservation ${reservationId}, start it between ${formatTime(r.start, now)} and ${formatTime(r.deadline, now)}`,
  );
  console.log(
    `deposit ${fmt(r.deposit)}, of which ${fmt(r.fee)} is the fee for holding the node until ${formatTime(r.heldUntil, now)}`,
  );
});
