import { tokenInfo } from "../../src/erc20.js";
import { checkLease, nodeQuote, openLease } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { parseAmount, parseId } from "../../src/parse.js";
import { contextAction, required } from "../context.js";

const SOURCE = "lease:open";

interface Args {
  escrow: string;
  account: string;
  node: string;
  deposit: string;
  maxPrice: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const nodeId = parseId(SOURCE, "node", required(SOURCE, "node", args.node));
  const h = await ctx.escrow(args.escrow);
  // A node the escrow would refuse (missing, leased, offline, reserved by another) fails as the
  // escrow's own error before its token and price are read.
  await checkLease(h, ctx.signer, nodeId);
  const quote = await nodeQuote(h, nodeId);
  const token = await tokenInfo(quote.paymentToken, ctx.signer);
  ctx.amountsIn(token);
  const deposit = parseAmount(SOURCE, "deposit", required(SOURCE, "deposit", args.deposit), token.decimals, true);
  const maxPrice = args.maxPrice
    ? parseAmount(SOURCE, "max-price", args.maxPrice, token.decimals)
    : quote.pricePerTuHour;
  const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
  const leaseId = await openLease(h, ctx.signer, nodeId, deposit, maxPrice, SOURCE);
  console.log(`opened lease ${leaseId} on node ${nodeId} with ${fmt(deposit)}, at most ${fmt(maxPrice)} per TU-hour`);
});
