import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { formatUnits } from "ethers";

import { InputError } from "../../src/errors.js";
import { mined } from "../../src/receipts.js";
import { cli } from "../cli.js";
import { expectNode, readNode, taskContext } from "../context.js";

const SOURCE = "node:withdraw-stake";

export default async function nodeWithdrawStake(
  args: { registry: string; account: string; node: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(
    async () => {
      const ctx = await taskContext(hre, SOURCE, args.account);
      const registry = await ctx.registry(args.registry);
      const n = await readNode(registry, args.node, SOURCE);
      expectNode(n, SOURCE, "withdrawing the stake (deregister first)", ["None"], ctx.account);
      if (n.stake === 0n) throw new InputError(SOURCE, undefined, "node", `node ${n.id}'s stake was already withdrawn`);
      const t = await ctx.now();
      if (t < n.unbondingEnds) {
        throw new InputError(
          SOURCE,
          undefined,
          "node",
          `node ${n.id}'s stake unbonds in ${n.unbondingEnds - t}s (at ${new Date(Number(n.unbondingEnds) * 1000).toISOString()})`,
        );
      }
      const { hash } = await mined(registry.withdrawStake(n.id));
      console.log(`node ${n.id}: ${formatUnits(n.stake)} GUT withdrawn to ${ctx.account} (${hash})`);
    },
    { source: SOURCE, hre },
  );
}
