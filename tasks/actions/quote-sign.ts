import { tokenInfo } from "../../src/erc20.js";
import { makeQuote, nodeListing } from "../../src/escrow.js";
import { InputError } from "../../src/errors.js";
import { formatTime, formatToken } from "../../src/format.js";
import { writeJsonAtomic } from "../../src/io.js";
import { quoteToJson } from "../../src/market/quote.js";
import { parseAddress, parseAmount, parseDuration, parseId, parseStart } from "../../src/parse.js";
import { contextAction, required } from "../context.js";

const SOURCE = "quote:sign";

interface Args {
  escrow: string;
  account: string;
  node: string;
  customer: string;
  price: string;
  token: string;
  start: string;
  duration: string;
  ttl: string;
  out: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const nodeId = parseId(SOURCE, "node", required(SOURCE, "node", args.node));
  const customer = parseAddress(SOURCE, "customer", required(SOURCE, "customer", args.customer));
  const out = required(SOURCE, "out", args.out);
  if ((args.start === "") !== (args.duration === "")) {
    throw new InputError(
      SOURCE,
      undefined,
      args.start === "" ? "start" : "duration",
      "a reservation quote needs both --start and --duration",
    );
  }
  const ttl = args.ttl === "" ? undefined : parseDuration(SOURCE, "ttl", args.ttl);
  const h = await ctx.escrow(args.escrow);
  const listing = await nodeListing(h, nodeId).catch(() => {
    throw new InputError(SOURCE, undefined, "node", `node ${nodeId} does not exist`);
  });
  const token = args.token === "" ? listing.paymentToken : parseAddress(SOURCE, "token", args.token);
  const info = await tokenInfo(token, ctx.signer);
  ctx.amountsIn({ ...info, address: token });
  const fmt = (x: bigint) => formatToken(x, info.symbol, info.decimals);
  const pricePerTuHour =
    args.price === "" ? listing.pricePerTuHour : parseAmount(SOURCE, "price", args.price, info.decimals);
  const now = await ctx.now();
  const window =
    args.start === ""
      ? {}
      : {
          windowStart: parseStart(SOURCE, "start", args.start, now),
          windowDuration: parseDuration(SOURCE, "duration", args.duration),
        };
  const signed = await makeQuote(
    h,
    ctx.signer,
    { nodeId, customer, token, pricePerTuHour, ...window },
    { ttl, source: SOURCE },
  );
  writeJsonAtomic(out, quoteToJson(signed));
  const q = signed.quote;
  const kind =
    q.windowDuration === 0n
      ? "a lease"
      : `a reservation from ${formatTime(q.windowStart, now)} for ${q.windowDuration} s`;
  console.log(
    `wrote ${out}: ${kind} of node ${nodeId} for ${customer} at ${fmt(pricePerTuHour)} per TU-hour, valid until ${formatTime(q.expiry, now)}`,
  );
});
