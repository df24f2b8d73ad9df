import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo } from "../../src/erc20.js";
import { leaseReport } from "../../src/escrow.js";
import { parseId } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { InputError } from "../../src/errors.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  lease: string;
}

export default async function leaseStatus(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const source = "lease:status";
      const leaseId = parseId(source, "lease", required(source, "lease", args.lease));
      const ctx = await taskContext(hre, source, args.account);
      const h = await ctx.escrow(args.escrow);
      if ((await h.escrow.lease(leaseId)).status === 0n) {
        throw new InputError(source, undefined, "lease", `lease ${leaseId} does not exist`);
      }
      const r = await leaseReport(h, leaseId);
      const token = await tokenInfo(r.token, ctx.signer);
      const fmt = (amount: bigint) => formatToken(amount, token.symbol, token.decimals);
      const now = await ctx.now();
      const when = (t: bigint) => `${new Date(Number(t) * 1000).toISOString()} (${t})`;
      const rows: [string, string][] = [
        ["lease", `${r.leaseId} (${r.status})`],
        ["node", `${r.nodeId} (${r.nodeStatus}, last heartbeat ${when(r.lastHeartbeat)})`],
        ["customer", r.customer],
        ["provider", r.provider],
        ["price", `${fmt(r.rate / 1000n)} per hour`],
        ["started", when(r.start)],
        ["deposit", fmt(r.deposit)],
        ["accrued", fmt(r.accrued)],
        ["remaining", fmt(r.remaining)],
        ["withdrawn", fmt(r.withdrawn)],
        ["unwithdrawn", fmt(r.unwithdrawn)],
        ["fee to forward", fmt(r.unforwardedFee)],
      ];
      if (r.status === "Open") {
        rows.push([
          "runs out",
          r.runsOutAt === undefined ? "never (free)" : `${when(r.runsOutAt)}${r.runsOutAt <= now ? ", already" : ""}`,
        ]);
      }
      const width = Math.max(...rows.map(([label]) => label.length));
      for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
    },
    { source: "lease:status", hre },
  );
}
