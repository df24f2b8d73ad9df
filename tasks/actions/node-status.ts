import { tokenLabel } from "../../src/erc20.js";
import { formatTime, formatToken } from "../../src/format.js";
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
    ["price", `${formatToken(n.pricePerTuHour, token.symbol, token.decimals)} per TU-hour`],
    [
      "stake",
      `${formatToken(n.stake, "GUT")} of ${formatToken(n.requiredStake, "GUT")} required${n.stake < n.requiredStake && n.status !== "None" ? ": takes no new lease until node:stake adds the rest" : ""}`,
    ],
    [
      "last check-in",
      n.status === "Sharing"
        ? `${formatTime(n.lastCheckIn, t)} (a leased node needs none)`
        : `${formatTime(n.lastCheckIn, t)}, due by ${formatTime(n.lastCheckIn + (await registry.checkInPeriod()), t)}`,
    ],
    ["stale", (await registry.isStale(n.id)) ? "yes: anyone may mark it Disconnect" : "no"],
    ["uri", n.uri],
  ];
  if (n.status === "None") {
    rows.push(["unbonding ends", `${formatTime(n.unbondingEnds, t)}${n.unbondingEnds > t ? "" : ", withdrawable"}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
});
