import { tokenInfo } from "../../src/erc20.js";
import { withdrawAll } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { contextAction } from "../context.js";

interface Args {
  escrow: string;
  account: string;
}

const SOURCE = "lease:withdraw";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const paid = await withdrawAll(await ctx.escrow(args.escrow), ctx.signer);
  if (paid.length === 0) console.log("nothing to withdraw");
  for (const { token, amount, fee } of paid) {
    const info = await tokenInfo(token, ctx.signer);
    const fmt = (x: bigint) => formatToken(x, info.symbol, info.decimals);
    console.log(`withdrew ${fmt(amount)} (protocol fee ${fmt(fee)}, forwarded by keeper:sweep)`);
  }
});
