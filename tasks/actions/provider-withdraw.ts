import { tokenInfo } from "../../src/erc20.js";
import { withdrawAll } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { parseAddress } from "../../src/parse.js";
import { contextAction } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  token: string;
  to: string;
  provider: string;
}

const SOURCE = "provider:withdraw";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const provider = args.provider === "" ? ctx.account : parseAddress(SOURCE, "provider", args.provider);
  const to = args.to === "" ? provider : parseAddress(SOURCE, "to", args.to);
  const tokens = args.token === "" ? undefined : [parseAddress(SOURCE, "token", args.token)];
  const paid = await withdrawAll(await ctx.escrow(args.escrow), ctx.signer, { provider, to, tokens, source: SOURCE });
  if (paid.length === 0) console.log(`nothing to withdraw for ${provider}`);
  for (const { token, amount } of paid) {
    const info = await tokenInfo(token, ctx.signer);
    console.log(`withdrew ${formatToken(amount, info.symbol, info.decimals)} to ${to}`);
  }
});
