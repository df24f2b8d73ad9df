import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo } from "../../src/erc20.js";
import { InputError } from "../../src/errors.js";
import { closeLease } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { parseId } from "../../src/parse.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

const SOURCE = "lease:close";

interface Args {
  escrow: string;
  account: string;
  lease: string;
}

export default async function leaseClose(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const leaseId = parseId(SOURCE, "lease", required(SOURCE, "lease", args.lease));
      const ctx = await taskContext(hre, SOURCE, args.account);
      const h = await ctx.escrow(args.escrow);
      const record = await h.escrow.lease(leaseId);
      if (record.status === 0n) throw new InputError(SOURCE, undefined, "lease", `lease ${leaseId} does not exist`);
      const token = await tokenInfo(record.token, ctx.signer);
      const { paid, refund, slashed } = await closeLease(h, ctx.signer, leaseId);
      const fmt = (amount: bigint) => formatToken(amount, token.symbol, token.decimals);
      console.log(`closed lease ${leaseId}: provider earned ${fmt(paid)}, customer refunded ${fmt(refund)}`);
      if (slashed > 0n)
        console.log(`the node was Disconnect: ${formatToken(slashed, "GUT")} of stake slashed to the customer`);
    },
    { source: SOURCE, hre },
  );
}
