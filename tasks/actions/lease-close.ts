import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { closeLease, tokenInfo } from "../../src/escrow.js";
import { parseId } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { InputError } from "../../src/errors.js";
import { cli } from "../cli.js";
import { escrowContext, required } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
  lease: string;
}

export default async function leaseClose(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const source = "lease:close";
    const leaseId = parseId(source, "lease", required(source, "lease", args.lease));
    const ctx = await escrowContext(source, args, hre);
    const record = await ctx.escrow.lease(leaseId);
    if (record.status === 0n) throw new InputError(source, undefined, "lease", `lease ${leaseId} does not exist`);
    const token = await tokenInfo(record.token, ctx.signer);
    const { paid, refund, slashed } = await closeLease(ctx, ctx.signer, leaseId);
    const fmt = (amount: bigint) => formatToken(amount, token.symbol, token.decimals);
    console.log(`closed lease ${leaseId}: provider earned ${fmt(paid)}, customer refunded ${fmt(refund)}`);
    if (slashed > 0n)
      console.log(`the node was Disconnect: ${formatToken(slashed, "GUT")} of stake slashed to the customer`);
  });
}
