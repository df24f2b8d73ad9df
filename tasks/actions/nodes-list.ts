import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import {
  NODE_TABLE_HEADER,
  formatTable,
  listNodes,
  nodeRows,
  parseStatus,
  tokenLabel,
  type TokenLabel,
} from "../../src/registry.js";
import { parseAddress } from "../../src/parse.js";
import { cli } from "../cli.js";
import { registryContext } from "../registry-context.js";

const SOURCE = "nodes:list";

export default async function nodesList(
  args: { registry: string; status: string; provider: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const status = args.status === "" ? undefined : parseStatus(args.status, SOURCE);
    const provider = args.provider === "" ? undefined : parseAddress(SOURCE, "provider", args.provider);
    const { registry, signer, now } = await registryContext(hre, args, SOURCE);
    const nodes = await listNodes(registry, { status, provider });
    const tokens = new Map<string, TokenLabel>();
    for (const address of new Set(nodes.map((n) => n.paymentToken))) {
      tokens.set(address, await tokenLabel(address, signer.provider!));
    }
    console.log(formatTable(NODE_TABLE_HEADER, nodeRows(nodes, await now(), tokens)));
    console.log(`\n${nodes.length} node${nodes.length === 1 ? "" : "s"}`);
  });
}
