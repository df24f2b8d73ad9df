import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { formatUnits } from "ethers";

import { InputError } from "../../src/errors.js";
import { mined } from "../../src/receipts.js";
import { cli } from "../cli.js";
import { expectNode, readNode, taskContext } from "../context.js";

const SOURCE = "node:deregister";

export default async function nodeDeregister(
  args: { registry: string; account: string; node: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(
    async () => {
      const ctx = await taskContext(hre, SOURCE, args.account);
      const registry = await ctx.registry(args.registry);
      const n = await readNode(registry, args.node, SOURCE);
      expectNode(n, SOURCE, "deregistering (run node:offline first)", ["Disconnect"], ctx.account);
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
        `node ${n.id} deregistered; ${formatUnits(n.stake)} GUT unbonding until ${new Date(Number(ends) * 1000).toISOString()} (${hash})`,
      );
    },
    { source: SOURCE, hre },
  );
}
