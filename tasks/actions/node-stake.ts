import { tokenInfo } from "../../src/erc20.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { parseAmount } from "../../src/parse.js";
import { addStake, toNodeView } from "../../src/registry.js";
import { contextAction, readNode } from "../context.js";

const SOURCE = "node:stake";

export default contextAction(
  SOURCE,
  async (args: { registry: string; account: string; node: string; amount: string }, ctx) => {
    const registry = await ctx.registry(args.registry);
    const n = await readNode(registry, args.node, SOURCE);
    if (n.status === "None") throw new InputError(SOURCE, undefined, "node", `node ${n.id} is deregistered`);
    const gut = await tokenInfo(await registry.gut(), ctx.signer);
    ctx.amountsIn({ ...gut, address: await registry.gut() });
    const fmt = (x: bigint) => formatToken(x, gut.symbol, gut.decimals);
    const missing = n.requiredStake > n.stake ? n.requiredStake - n.stake : 0n;
    if (args.amount === "" && missing === 0n) {
      throw new InputError(
        SOURCE,
        undefined,
        "amount",
        `node ${n.id} already holds its required ${fmt(n.requiredStake)}; name an --amount to add more`,
      );
    }
    const amount = args.amount === "" ? missing : parseAmount(SOURCE, "amount", args.amount, gut.decimals);
    const hash = await addStake(registry, ctx.signer, n.id, amount, SOURCE);
    const after = toNodeView(await registry.node(n.id));
    console.log(
      `node ${n.id}: staked ${fmt(amount)}, now ${fmt(after.stake)} of ${fmt(after.requiredStake)} required (${hash})`,
    );
  },
);
