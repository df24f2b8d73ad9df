import { InputError } from "../../src/errors.js";
import { parseIds } from "../../src/parse.js";
import { checkIn, toNodeView } from "../../src/registry.js";
import { contextAction, required } from "../context.js";

const SOURCE = "node:checkin";

export default contextAction(SOURCE, async (args: { registry: string; account: string; nodes: string }, ctx) => {
  const ids = [...new Set(parseIds(SOURCE, "nodes", required(SOURCE, "nodes", args.nodes)))];
  const registry = await ctx.registry(args.registry);
  const count = await registry.nodeCount();
  for (const id of ids) {
    if (id > count) throw new InputError(SOURCE, undefined, "nodes", `node ${id} does not exist (${count} nodes)`);
    const n = toNodeView(await registry.node(id));
    const operator = await registry.operatorOf(n.provider);
    if (ctx.account !== n.provider && ctx.account !== operator) {
      throw new InputError(
        SOURCE,
        undefined,
        "account",
        `node ${id} belongs to ${n.provider}; ${ctx.account} is not its provider or operator`,
      );
    }
    if (n.status === "None") throw new InputError(SOURCE, undefined, "nodes", `node ${id} is deregistered`);
  }
  const before = await Promise.all(ids.map(async (id) => toNodeView(await registry.node(id)).status));
  const { hashes, skipped } = await checkIn(registry, ctx.signer, ids);
  const back = ids.filter((id, i) => before[i] === "Disconnect" && !skipped.includes(id));
  const parts = [`checked in ${ids.length === 1 ? "node" : "nodes"} ${ids.join(", ")} (${hashes.join(", ")})`];
  if (back.length > 0) parts.push(`back to Idle: ${back.join(", ")}`);
  if (skipped.length > 0) parts.push(`still Disconnect, held by the escrow: ${skipped.join(", ")}`);
  console.log(parts.join("; "));
});
