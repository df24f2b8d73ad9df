import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { printTable, writeResult } from "./lib.js";

/** One measured call. `target` is its gas budget, if it has one. */
export interface GasRow {
  contract: string;
  call: string;
  gas: bigint;
  target?: bigint;
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
  printTable(
    ["contract", "call", "gas", "target", "ok"],
    rows.map((r) => [
      r.contract,
      r.call,
      r.gas,
      r.target ?? "",
      r.target === undefined || r.gas <= r.target ? "yes" : "NO",
    ]),
  );
  const file = writeResult(hre.config.paths.root, "gas", { measuredAt: new Date().toISOString(), rows });
  console.log(`\nwrote ${path.relative(hre.config.paths.root, file)}`);
  const over = rows.filter((r) => r.target !== undefined && r.gas > r.target);
  if (over.length > 0) throw new Error(`gas over target: ${over.map((r) => `${r.contract}.${r.call}`).join(", ")}`);
}
