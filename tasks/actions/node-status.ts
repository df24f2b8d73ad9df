import { formatUnits } from "ethers";

import { tokenLabel } from "../../src/erc20.js";
import { formatTu } from "../../src/registry.js";
import { contextAction, readNode } from "../context.js";

const SOURCE = "node:status";

export default contextAction(SOURCE, async (args: { registry: string; node: string }, ctx) => {
  const registry = await ctx.registry(args.registry);
  const n = await readNode(registry, args.node, SOURCE);
  const token = await tokenLabel(n.paymentToken, ctx.signer);
  const t = await ctx.now();
  const rows: [string, string][] = [
    ["node", n.id.toString()],
    ["status", n.status + (n.engaged ? " (held by the escrow)" : "")],
    ["provider", n.provider],
    ["hardware", `${n.gpuCount} × ${n.model}, ${formatTu(n.milliTu)} TU${n.verified ? ", verified" : ""}`],
    ["price", `${formatUnits(n.pricePerTuHour, token.decimals)} ${token.symbol} per TU-hour`],
    ["stake", `${formatUnits(n.stake)} GUT`],
    ["last heartbeat", `${n.lastHeartbeat} (${t - n.lastHeartbeat}s ago)`],
    ["stale", (await registry.isStale(n.id)) ? "yes: anyone may mark it Disconnect" : "no"],
    ["uri", n.uri],
  ];
  if (n.status === "None") {
    rows.push([
      "unbonding ends",
      `${n.unbondingEnds} (${n.unbondingEnds > t ? `in ${n.unbondingEnds - t}s` : "withdrawable"})`,
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
});
