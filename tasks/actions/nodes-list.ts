import { tokenLabel, type TokenInfo } from "../../src/erc20.js";
import { NODE_TABLE_HEADER, formatTable, listNodes, nodeRows, parseStatus } from "../../src/registry.js";
import { parseAddress } from "../../src/parse.js";
import { contextAction } from "../context.js";

const SOURCE = "nodes:list";

export default contextAction(SOURCE, async (args: { registry: string; status: string; provider: string }, ctx) => {
  const status = args.status === "" ? undefined : parseStatus(args.status, SOURCE);
  const provider = args.provider === "" ? undefined : parseAddress(SOURCE, "provider", args.provider);
  const nodes = await listNodes(await ctx.registry(args.registry), { status, provider });
  const tokens = new Map<string, TokenInfo>();
  for (const address of new Set(nodes.map((n) => n.paymentToken))) {
    tokens.set(address, await tokenLabel(address, ctx.signer));
  }
  console.log(formatTable(NODE_TABLE_HEADER, nodeRows(nodes, await ctx.now(), tokens)));
  console.log(`\n${nodes.length} node${nodes.length === 1 ? "" : "s"}`);
});
