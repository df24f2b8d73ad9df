import { InputError } from "../../src/errors.js";
import { formatTime, formatToken } from "../../src/format.js";
import { mined } from "../../src/receipts.js";
import { contextAction, providerNode } from "../context.js";

const SOURCE = "node:withdraw-stake";

export default contextAction(SOURCE, async (args: { registry: string; account: string; node: string }, ctx) => {
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
  const { hash } = await mined(registry.withdrawStake(n.id));
  console.log(`node ${n.id}: ${formatToken(n.stake, "GUT")} withdrawn to ${ctx.account} (${hash})`);
});
