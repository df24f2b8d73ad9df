import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo, topUp } from "../../src/escrow.js";
import { parseAmount, parseId } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { InputError } from "../../src/errors.js";
import { cli } from "../cli.js";
import { escrowContext, required } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
  lease: string;
  amount: string;
}

export default async function leaseTopup(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const source = "lease:topup";
    const leaseId = parseId(source, "lease", required(source, "lease", args.lease));
    const ctx = await escrowContext(source, args, hre);
    const record = await ctx.escrow.lease(leaseId);
    if (record.status === 0n) throw new InputError(source, undefined, "lease", `lease ${leaseId} does not exist`);
    const token = await tokenInfo(record.token, ctx.signer);
    const amount = parseAmount(source, "amount", required(source, "amount", args.amount), token.decimals);
    await topUp(ctx, ctx.signer, leaseId, amount);
    console.log(`topped up lease ${leaseId} with ${formatToken(amount, token.symbol, token.decimals)}`);
  });
}
