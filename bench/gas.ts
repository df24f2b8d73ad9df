import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { DEFAULT_OP_FEES, printTable, recordCosts, writeResult, type BenchChain, type TxCost } from "./lib.js";

/**
 * One measured call. `target` is its gas budget, if it has one. `was` names the call in earlier
 * results when it was renamed. `before` is the last different figure of the call, filled in from
 * bench/results/gas.json, so that a change shows beside the figure it replaced.
 */
export interface GasRow {
  contract: string;
  call: string;
  gas: bigint;
  target?: bigint;
  was?: string;
  before?: bigint;
  /** A per-node figure of a batch: the batch's total gas and its size (the OP fee is divided too). */
  batch?: { total: bigint; size: number };
  /** The same call on the OP Stack simulation: L2 execution gas and the L1 data fee (wei) and gas. */
  op?: { gas: bigint; l1Fee: bigint; l1DataGas: bigint };
}

/** The rows of the previous bench/results/gas.json, by `contract.call`. */
function previousRows(file: string): Map<string, { gas: bigint; before?: bigint }> {
  const rows = new Map<string, { gas: bigint; before?: bigint }>();
  if (!existsSync(file)) return rows;
  const data = JSON.parse(readFileSync(file, "utf8")) as {
    rows?: { contract: string; call: string; gas: string; before?: string }[];
  };
  for (const r of data.rows ?? []) {
    rows.set(`${r.contract}.${r.call}`, {
      gas: BigInt(r.gas),
      before: r.before === undefined ? undefined : BigInt(r.before),
    });
  }
  return rows;
}

/** `bench/gas/<area>.ts` default-exports one; each runs on its own fresh in-process chain. */
export type GasModule = (hre: HardhatRuntimeEnvironment, chain?: BenchChain) => Promise<GasRow[]>;

/**
 * Gas of the calls users make most, from every module in bench/gas/, in one table and in
 * bench/results/gas.json. A call over its target fails the run.
 */
export default async function gas(hre: HardhatRuntimeEnvironment): Promise<void> {
  const dir = path.join(hre.config.paths.root, "bench", "gas");
  const rows: GasRow[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as { default: GasModule };
    const l1 = await module.default(hre, "l1");
    // The same calls again on the OP Stack simulation, each receipt's L1 data fee kept by its gas.
    const costs = new Map<bigint, TxCost>();
    recordCosts((cost) => costs.set(cost.gas, cost));
    const op = await module.default(hre, "op");
    recordCosts(undefined);
    for (const row of l1) {
      const twin = op.find((r) => r.contract === row.contract && r.call === row.call);
      const cost = twin === undefined ? undefined : costs.get(twin.batch?.total ?? twin.gas);
      if (twin !== undefined && cost !== undefined) {
        const n = BigInt(twin.batch?.size ?? 1);
        row.op = { gas: twin.gas, l1Fee: cost.l1Fee / n, l1DataGas: cost.l1DataGas / n };
      }
      rows.push(row);
    }
  }
  const previous = previousRows(path.join(hre.config.paths.root, "bench", "results", "gas.json"));
  for (const r of rows) {
    const p = previous.get(`${r.contract}.${r.call}`) ?? previous.get(`${r.contract}.${r.was ?? r.call}`);
    if (p === undefined) continue;
    // The figure this one replaced; an unchanged figure keeps the comparison it already had.
    r.before = p.gas !== r.gas ? p.gas : p.before;
  }
  printTable(
    ["contract", "call", "L1 gas", "before", "target", "ok", "OP L2 gas", "OP L1 data gas", "OP L1 fee (gwei)"],
    rows.map((r) => [
      r.contract,
      r.call,
      r.gas,
      r.before ?? "",
      r.target ?? "",
      r.target === undefined || r.gas <= r.target ? "yes" : "NO",
      r.op?.gas ?? "",
      r.op?.l1DataGas ?? "",
      r.op === undefined ? "" : formatGwei(r.op.l1Fee),
    ]),
  );
  const opFees = DEFAULT_OP_FEES;
  console.log(
    `\nOP columns: the OP Stack simulation (network opSimulated, chainType "op"), L1 data fee from each receipt with ` +
      `L1 base fee ${formatGwei(opFees.l1BaseFee)} gwei, blob base fee ${formatGwei(opFees.blobBaseFee)} gwei and OP Mainnet's ` +
      `scalars (${opFees.baseFeeScalar}, ${opFees.blobBaseFeeScalar}); per-node rows are a batch's share`,
  );
  const file = writeResult(hre.config.paths.root, "gas", {
    measuredAt: new Date().toISOString(),
    op: { network: "opSimulated", ...opFees },
    rows,
  });
  console.log(`\nwrote ${path.relative(hre.config.paths.root, file)}`);
  const over = rows.filter((r) => r.target !== undefined && r.gas > r.target);
  if (over.length > 0) throw new Error(`gas over target: ${over.map((r) => `${r.contract}.${r.call}`).join(", ")}`);
}

/** wei as gwei with up to 4 decimals. */
function formatGwei(wei: bigint): string {
  const tenThousandths = (wei + 50_000n) / 100_000n;
  const whole = tenThousandths / 10_000n;
  const frac = (tenThousandths % 10_000n).toString().padStart(4, "0").replace(/0+$/, "");
  return frac === "" ? whole.toString() : `${whole}.${frac}`;
}
