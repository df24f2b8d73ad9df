import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { nodeQuote, openLease, tokenInfo } from "../../src/escrow.js";
import { parseAmount, parseId } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { cli } from "../cli.js";
import { escrowContext, required } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
  node: string;
  deposit: string;
  maxPrice: string;
}

export default async function leaseOpen(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const source = "lease:open";
    const nodeId = parseId(source, "node", required(source, "node", args.node));
    const ctx = await escrowContext(source, args, hre);
    const quote = await nodeQuote(ctx, nodeId);
    const token = await tokenInfo(quote.paymentToken, ctx.signer);
    const deposit = parseAmount(source, "deposit", required(source, "deposit", args.deposit), token.decimals, true);
    const maxPrice = args.maxPrice
      ? parseAmount(source, "max-price", args.maxPrice, token.decimals)
      : quote.pricePerTuHour;
    const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
    const leaseId = await openLease(ctx, ctx.signer, nodeId, deposit, maxPrice);
    console.log(`opened lease ${leaseId} on node ${nodeId} with ${fmt(deposit)}, at most ${fmt(maxPrice)} per TU-hour`);
  });
}
