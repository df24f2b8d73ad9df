import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo } from "../../src/erc20.js";
import { withdrawAll } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { cli } from "../cli.js";
import { taskContext } from "../context.js";

interface Args {
  escrow: string;
  account: string;
}

export default async function leaseWithdraw(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const ctx = await taskContext(hre, "lease:withdraw", args.account);
      const paid = await withdrawAll(await ctx.escrow(args.escrow), ctx.signer);
      if (paid.length === 0) console.log("nothing to withdraw");
      for (const { token, amount, fee } of paid) {
        const info = await tokenInfo(token, ctx.signer);
        const fmt = (x: bigint) => formatToken(x, info.symbol, info.decimals);
        console.log(`withdrew ${fmt(amount)} (protocol fee ${fmt(fee)}, forwarded by keeper:sweep)`);
      }
    },
    { source: "lease:withdraw", hre },
  );
}
