import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo } from "../../src/erc20.js";
import { InputError } from "../../src/errors.js";
import { topUp } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { parseAmount, parseId } from "../../src/parse.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

const SOURCE = "lease:topup";

interface Args {
  escrow: string;
  account: string;
  lease: string;
  amount: string;
}

export default async function leaseTopup(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const leaseId = parseId(SOURCE, "lease", required(SOURCE, "lease", args.lease));
      const ctx = await taskContext(hre, SOURCE, args.account);
      const h = await ctx.escrow(args.escrow);
      const record = await h.escrow.lease(leaseId);
      if (record.status === 0n) throw new InputError(SOURCE, undefined, "lease", `lease ${leaseId} does not exist`);
      const token = await tokenInfo(record.token, ctx.signer);
      const amount = parseAmount(SOURCE, "amount", required(SOURCE, "amount", args.amount), token.decimals);
      await topUp(h, ctx.signer, leaseId, amount, SOURCE);
      console.log(`topped up lease ${leaseId} with ${formatToken(amount, token.symbol, token.decimals)}`);
    },
    { source: SOURCE, hre },
  );
}
