import { mined } from "../../src/receipts.js";
import { contextAction, providerNode } from "../context.js";

const SOURCE = "node:offline";

export default contextAction(SOURCE, async (args: { registry: string; account: string; node: string }, ctx) => {
  const { registry, node: n } = await providerNode(ctx, args, "going offline", ["Idle", "Reserved"]);
  const { hash } = await mined(registry.goOffline(n.id));
  console.log(`node ${n.id}: ${n.status} → Disconnect (${hash})`);
});
