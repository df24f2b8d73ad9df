import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { nodeToken, openLease, tokenInfo } from "../../src/escrow.js";
import { parseAmount, parseId } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { cli } from "../cli.js";
import { escrowContext, required } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
  node: string;
  deposit: string;
}

export default async function leaseOpen(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const source = "lease:open";
    const nodeId = parseId(source, "node", required(source, "node", args.node));
    const ctx = await escrowContext(source, args, hre);
    const token = await tokenInfo(await nodeToken(ctx, nodeId), ctx.signer);
    const deposit = parseAmount(source, "deposit", required(source, "deposit", args.deposit), token.decimals, true);
    const leaseId = await openLease(ctx, ctx.signer, nodeId, deposit);
    console.log(`opened lease ${leaseId} on node ${nodeId} with ${formatToken(deposit, token.symbol, token.decimals)}`);
  });
}
