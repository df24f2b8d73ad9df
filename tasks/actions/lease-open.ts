import { ZeroAddress } from "ethers";

import { tokenInfo } from "../../src/erc20.js";
import { escrowDomainOf, openLease } from "../../src/escrow.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { checkDomain, isReservationQuote } from "../../src/market/quote.js";
import { parseAddress, parseAmount } from "../../src/parse.js";
import { contextAction, readQuoteFile, required } from "../context.js";

const SOURCE = "lease:open";

interface Args {
  escrow: string;
  account: string;
  quote: string;
  deposit: string;
  sessionKey: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const signed = await readQuoteFile(SOURCE, args.quote);
  if (isReservationQuote(signed.quote)) {
    throw new InputError(args.quote, undefined, "quote.windowDuration", "is a reservation quote: use the reserve task");
  }
  required(SOURCE, "deposit", args.deposit);
  const sessionKey = args.sessionKey === "" ? ZeroAddress : parseAddress(SOURCE, "session-key", args.sessionKey);
  const h = await ctx.escrow(args.escrow);
  checkDomain(signed, await escrowDomainOf(h), args.quote);
  const token = await tokenInfo(signed.quote.token, ctx.signer);
  ctx.amountsIn({ ...token, address: signed.quote.token });
  const deposit = parseAmount(SOURCE, "deposit", args.deposit, token.decimals);
  const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
  const leaseId = await openLease(h, ctx.signer, signed, deposit, sessionKey, { source: SOURCE });
  const key = sessionKey === ZeroAddress ? "no session key" : `session key ${sessionKey}`;
  console.log(
    `opened lease ${leaseId} on node ${signed.quote.nodeId} with ${fmt(deposit)} at ${fmt(signed.quote.pricePerTuHour)} per TU-hour (${key})`,
  );
});
