import { InputError } from "../../src/errors.js";
import { formatTime, formatToken } from "../../src/format.js";
import { mined } from "../../src/receipts.js";
import { contextAction, providerNode } from "../context.js";

const SOURCE = "node:deregister";

export default contextAction(SOURCE, async (args: { registry: string; account: string; node: string }, ctx) => {
  const { registry, node: n } = await providerNode(ctx, args, "deregistering (run node:offline first)", ["Disconnect"]);
  if (n.engaged)
    throw new InputError(
      SOURCE,
      undefined,
      "node",
      `node ${n.id} is still held by the escrow; it can deregister once the lease is settled`,
    );
  const { hash } = await mined(registry.deregister(n.id));
  const ends = (await registry.node(n.id)).unbondingEnds;
  console.log(
    `node ${n.id} deregistered; ${formatToken(n.stake, "GUT")} unbonding until ${formatTime(ends, await ctx.now())} (${hash})`,
  );
});
