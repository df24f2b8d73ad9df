import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { cli } from "../cli.js";
import { expectNode, mined, readNode, registryContext } from "../registry-context.js";

const SOURCE = "node:offline";

export default async function nodeOffline(
  args: { registry: string; from: string; node: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const { registry, address } = await registryContext(hre, args, SOURCE);
    const n = await readNode(registry, args.node, SOURCE);
    expectNode(n, SOURCE, "going offline", ["Idle", "Reserved"], address);
    const hash = await mined(registry.goOffline(n.id));
    console.log(`node ${n.id}: ${n.status} → Disconnect (${hash})`);
  });
}
