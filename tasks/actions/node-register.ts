import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { tokenInfo, tokenLabel } from "../../src/erc20.js";
import { registerNode } from "../../src/registry.js";
import { parseAddress, parseAmount, parseInteger } from "../../src/parse.js";
import { contextAction } from "../context.js";

const SOURCE = "node:register";

export default contextAction(
  SOURCE,
  async (
    args: { registry: string; account: string; model: string; gpus: string; price: string; token: string; uri: string },
    ctx,
  ) => {
    for (const field of ["model", "gpus", "price"] as const) {
      if (args[field] === "") throw new InputError(SOURCE, undefined, field, `--${field} is required`);
    }
    const gpuCount = parseInteger(SOURCE, "gpus", args.gpus, 1n, 1024n);
    // GUT of the deployment in the address book when --token is not given.
    const paymentToken = parseAddress(SOURCE, "token", await ctx.address(args.token, "gut", "token"));
    const registry = await ctx.registry(args.registry);
    const gut = await registry.gut();
    const stakeToken = await tokenInfo(gut, ctx.signer);
    ctx.amountsIn({ ...stakeToken, address: gut });
    const label = await tokenLabel(paymentToken, ctx.signer);
    const pricePerTuHour = parseAmount(SOURCE, "price", args.price, label.decimals);
    if (pricePerTuHour === 0n) throw new InputError(SOURCE, undefined, "price", "the price must be above 0");
    const { nodeId, stake, hash } = await registerNode(
      registry,
      ctx.signer,
      { model: args.model, gpuCount, pricePerTuHour, paymentToken, uri: args.uri },
      SOURCE,
    );
    console.log(
      `node ${nodeId} registered, ${formatToken(stake, stakeToken.symbol, stakeToken.decimals)} staked (${hash})`,
    );
  },
);
