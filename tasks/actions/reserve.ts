import { tokenInfo } from "../../src/erc20.js";
import { nodeQuote, reserve } from "../../src/escrow.js";
import { parseAmount, parseDuration, parseId, parseStart } from "../../src/parse.js";
import { formatTime, formatToken } from "../../src/format.js";
import { contextAction, required } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  node: string;
  start: string;
  duration: string;
  deposit: string;
  maxPrice: string;
}

const SOURCE = "reserve";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const nodeId = parseId(SOURCE, "node", required(SOURCE, "node", args.node));
  const duration = parseDuration(SOURCE, "duration", required(SOURCE, "duration", args.duration));
  required(SOURCE, "start", args.start);
  required(SOURCE, "deposit", args.deposit);
  const h = await ctx.escrow(args.escrow);
  const now = await ctx.now();
  const start = parseStart(SOURCE, "start", args.start, now);
  const quote = await nodeQuote(h, nodeId);
  const token = await tokenInfo(quote.paymentToken, ctx.signer);
  ctx.amountsIn(token);
  const deposit = parseAmount(SOURCE, "deposit", args.deposit, token.decimals);
  const maxPrice = args.maxPrice
    ? parseAmount(SOURCE, "max-price", args.maxPrice, token.decimals)
    : quote.pricePerTuHour;
  const reservationId = await reserve(h, ctx.signer, nodeId, start, duration, deposit, maxPrice, SOURCE);
  const r = await h.escrow.reservation(reservationId);
  const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
  console.log(
    `reserved node ${nodeId}: reservation ${reservationId}, start it between ${formatTime(r.start, now)} and ${formatTime(r.deadline, now)}`,
  );
  console.log(`deposit ${fmt(r.deposit)}, of which the provider earns ${fmt(r.fee)} for holding the node`);
});
