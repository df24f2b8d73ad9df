import { InputError } from "../../src/errors.js";
import { formatTime, formatToken } from "../../src/format.js";
import { parseAddress } from "../../src/parse.js";
import { withdrawStake } from "../../src/registry.js";
import { contextAction, providerNode } from "../context.js";

const SOURCE = "node:withdraw-stake";

export default contextAction(
  SOURCE,
  async (args: { registry: string; account: string; node: string; to: string }, ctx) => {
    const to = args.to === "" ? ctx.account : parseAddress(SOURCE, "to", args.to);
    const { registry, node: n } = await providerNode(ctx, args, "withdrawing the stake (deregister first)", ["None"]);
    if (n.stake === 0n) throw new InputError(SOURCE, undefined, "node", `node ${n.id}'s stake was already withdrawn`);
    const t = await ctx.now();
    if (t < n.unbondingEnds) {
      throw new InputError(
        SOURCE,
        undefined,
        "node",
        `node ${n.id}'s stake unbonds at ${formatTime(n.unbondingEnds, t)}`,
      );
    }
    const { amount, hash } = await withdrawStake(registry, ctx.signer, n.id, to);
    console.log(`node ${n.id}: ${formatToken(amount, "GUT")} withdrawn to ${to} (${hash})`);
  },
);
