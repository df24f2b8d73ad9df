// Writes the ABIs of the project's own contracts for the package's `gpufog/abi` export: one JSON
// per contract and an ESM index with all of them. Mocks are left out, and so are the abstract
// bases in contracts/base/, whose functions are all in the ABI of the contract built on them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { writeFileAtomic, writeJsonAtomic } from "../src/io.js";

const artifactsDir = path.join("artifacts", "contracts");
const outDir = path.join("dist", "abi");

function artifactFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === "mocks" || entry === "base" ? [] : artifactFiles(full);
    return entry.endsWith(".json") && !entry.endsWith(".dbg.json") ? [full] : [];
  });
}

const abis = new Map<string, unknown>();
for (const file of artifactFiles(artifactsDir)) {
  const artifact = JSON.parse(readFileSync(file, "utf8")) as { contractName: string; abi: unknown[] };
  if (artifact.abi.length > 0) abis.set(artifact.contractName, artifact.abi);
}
const names = [...abis.keys()].sort();
for (const name of names) writeJsonAtomic(path.join(outDir, `${name}.json`), abis.get(name));
writeFileAtomic(
  path.join(outDir, "index.js"),
  names.map((name) => `export const ${name} = ${JSON.stringify(abis.get(name))};\n`).join(""),
);
writeFileAtomic(
  path.join(outDir, "index.d.ts"),
  names.map((name) => `export declare const ${name}: readonly unknown[];\n`).join(""),
);
console.log(`wrote ${names.length} ABIs to ${outDir}: ${names.join(", ")}`);
