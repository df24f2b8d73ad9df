import path from "node:path";

import type { ContractTransactionResponse } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { writeJsonAtomic } from "../src/io.js";

/** A benchmark suite: `bench/<name>.ts` default-exports one. */
export type BenchSuite = (hre: HardhatRuntimeEnvironment) => Promise<void>;

/** Writes `bench/results/<name>.json` atomically, so a killed run never leaves half a file. */
export function writeResult(root: string, name: string, data: unknown): string {
  const file = path.join(root, "bench", "results", `${name}.json`);
  writeJsonAtomic(file, data);
  return file;
}

/** The gas a mined transaction used. */
export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("the transaction was not mined");
  return receipt.gasUsed;
}

/** Prints rows as an aligned text table with a header. */
export function printTable(header: string[], rows: (string | number | bigint)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of cells.slice(1)) console.log(line(r));
}
