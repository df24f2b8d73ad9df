import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo } from "../../src/erc20.js";
import { nodeQuote, reserve } from "../../src/escrow.js";
import { parseAmount, parseDuration, parseId, parseStart } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  node: string;
  start: string;
  duration: string;
  deposit: string;
  maxPrice: string;
}

export default async function reserveAction(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const source = "reserve";
      const nodeId = parseId(source, "node", required(source, "node", args.node));
      const duration = parseDuration(source, "duration", required(source, "duration", args.duration));
      required(source, "start", args.start);
      required(source, "deposit", args.deposit);
      const ctx = await taskContext(hre, source, args.account);
      const h = await ctx.escrow(args.escrow);
      const start = parseStart(source, "start", args.start, await ctx.now());
      const quote = await nodeQuote(h, nodeId);
      const token = await tokenInfo(quote.paymentToken, ctx.signer);
      const deposit = parseAmount(source, "deposit", args.deposit, token.decimals);
      const maxPrice = args.maxPrice
        ? parseAmount(source, "max-price", args.maxPrice, token.decimals)
        : quote.pricePerTuHour;
      const reservationId = await reserve(h, ctx.signer, nodeId, start, duration, deposit, maxPrice, source);
      const r = await h.escrow.reservation(reservationId);
      const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
      console.log(
        `reserved node ${nodeId}: reservation ${reservationId}, start it between ${r.start} and ${r.deadline}`,
      );
      console.log(`deposit ${fmt(r.deposit)}, of which the provider earns ${fmt(r.fee)} for holding the node`);
    },
    { source: "reserve", hre },
  );
}
