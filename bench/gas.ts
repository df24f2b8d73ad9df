import { existsSync, readFileSync, readdirSync } from "node:fs";
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
  const before = baseline(hre.config.paths.root);
  const rowsWithBefore = rows.map((r) => ({ ...r, before: before.get(`${r.contract}.${r.call}`) }));
  printTable(
    ["contract", "call", "gas", "before (wave 1)", "target", "ok"],
    rowsWithBefore.map((r) => [
      r.contract,
      r.call,
      r.gas,
      r.before ?? "new",
      r.target ?? "",
      r.target === undefined || r.gas <= r.target ? "yes" : "NO",
    ]),
  );
  const file = writeResult(hre.config.paths.root, "gas", {
    measuredAt: new Date().toISOString(),
    baseline: BASELINE,
    rows: rowsWithBefore,
  });
  console.log(`\nwrote ${path.relative(hre.config.paths.root, file)}`);
  const over = rows.filter((r) => r.target !== undefined && r.gas > r.target);
  if (over.length > 0) throw new Error(`gas over target: ${over.map((r) => `${r.contract}.${r.call}`).join(", ")}`);
}

/** The figures of the first wave (before the hardening), kept so every run shows the change. */
const BASELINE = "bench/results/gas-wave1.json";

function baseline(root: string): Map<string, string> {
  const file = path.join(root, BASELINE);
  if (!existsSync(file)) return new Map();
  const { rows } = JSON.parse(readFileSync(file, "utf8")) as {
    rows: { contract: string; call: string; gas: string }[];
  };
  return new Map(rows.map((r) => [`${r.contract}.${r.call}`, r.gas]));
}
