import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { printTable, writeResult } from "./lib.js";

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
export type GasModule = (hre: HardhatRuntimeEnvironment) => Promise<GasRow[]>;

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
    rows.push(...(await module.default(hre)));
  }
  const previous = previousRows(path.join(hre.config.paths.root, "bench", "results", "gas.json"));
  for (const r of rows) {
    const p = previous.get(`${r.contract}.${r.call}`) ?? previous.get(`${r.contract}.${r.was ?? r.call}`);
    if (p === undefined) continue;
    // The figure this one replaced; an unchanged figure keeps the comparison it already had.
    r.before = p.gas !== r.gas ? p.gas : p.before;
  }
  printTable(
    ["contract", "call", "gas", "before", "target", "ok"],
    rows.map((r) => [
      r.contract,
      r.call,
      r.gas,
      r.before ?? "",
      r.target ?? "",
      r.target === undefined || r.gas <= r.target ? "yes" : "NO",
    ]),
  );
  const file = writeResult(hre.config.paths.root, "gas", { measuredAt: new Date().toISOString(), rows });
  console.log(`\nwrote ${path.relative(hre.config.paths.root, file)}`);
  const over = rows.filter((r) => r.target !== undefined && r.gas > r.target);
  if (over.length > 0) throw new Error(`gas over target: ${over.map((r) => `${r.contract}.${r.call}`).join(", ")}`);
}
