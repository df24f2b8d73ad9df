import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { mined } from "../../src/receipts.js";
import { cli } from "../cli.js";
import { expectNode, readNode, taskContext } from "../context.js";

const SOURCE = "node:offline";

export default async function nodeOffline(
  args: { registry: string; account: string; node: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(
    async () => {
      const ctx = await taskContext(hre, SOURCE, args.account);
      const registry = await ctx.registry(args.registry);
      const n = await readNode(registry, args.node, SOURCE);
      expectNode(n, SOURCE, "going offline", ["Idle", "Reserved"], ctx.account);
      const { hash } = await mined(registry.goOffline(n.id));
      console.log(`node ${n.id}: ${n.status} → Disconnect (${hash})`);
    },
    { source: SOURCE, hre },
  );
}
