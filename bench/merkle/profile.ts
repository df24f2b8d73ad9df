// CPU time per stage of this project's airdrop build, in one process: the whole process's CPU
// (every thread: process.cpuUsage) and the main thread's (process.threadCpuUsage), so a stage can
// be judged on a machine others load, where wall time is not. Each stage runs alone (the CSV scan
// apart from the hashing it overlaps in buildAirdrop), then buildAirdrop end to end.
// Compiled with the bench's child (bench/merkle/tsconfig.json), so after `npm run bench -- merkle`:
//   node node_modules/.cache/gpufog-bench/bench/merkle/profile.js [holders=1000000] [csv]
// (add --cpu-prof for a V8 profile of each thread).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { buildAirdrop } from "../../src/airdrop/build.js";
import { writeAirdrop } from "../../src/airdrop/directory.js";
import { readSnapshotBytes, SnapshotScanner } from "../../src/airdrop/snapshot-csv.js";
import { LEAF_RECORD } from "../../src/airdrop/merkle/keccak.js";
import { HashPool } from "../../src/airdrop/merkle/pool.js";
import { buildTreeFromRecords } from "../../src/airdrop/merkle/tree.js";
import { writeSnapshot } from "./csv.js";

const holders = Number(process.argv[2] ?? 1_000_000);
const work = mkdtempSync(path.join(tmpdir(), "gpufog-profile-"));
const csv = process.argv[3] ?? path.join(work, "snapshot.csv");
if (process.argv[3] === undefined) writeSnapshot(csv, holders, holders);

const rows: (string | number)[][] = [];
let cpu = process.cpuUsage();
let thread = process.threadCpuUsage();
let wall = performance.now();
/** Ends the stage `name`: its CPU seconds (all threads, main thread) and wall seconds. */
function stage(name: string): void {
  const c = process.cpuUsage(cpu);
  const t = process.threadCpuUsage(thread);
  const now = performance.now();
  rows.push([name, (c.user + c.system) / 1e6, (t.user + t.system) / 1e6, (now - wall) / 1000]);
  cpu = process.cpuUsage();
  thread = process.threadCpuUsage();
  wall = now;
}

try {
  await HashPool.shared();
  stage("start the hashing workers");
  const bytes = await readSnapshotBytes(csv);
  stage("read the file");
  const scanner = SnapshotScanner.start(bytes)!;
  const records = Buffer.alloc(scanner.count * LEAF_RECORD.size);
  if (!scanner.rows(records, 0, scanner.count)) throw new Error("the scan declined the bench's CSV");
  const total = scanner.total()!;
  stage("scan the CSV (EIP-55 checks included)");
  let last = "";
  const tree = await buildTreeFromRecords(records, scanner.count, total, {
    onProgress: (name, done, all) => {
      if (done === all && name !== last) {
        stage(`build: ${name}`);
        last = name;
      }
      if (name === "nodes" && done === 0) stage("build: place the leaves");
    },
  });
  const out = path.join(work, "out");
  writeAirdrop(tree, out);
  stage("write the compact layout");
  rmSync(out, { recursive: true, force: true });
  await buildAirdrop(csv, out);
  stage("buildAirdrop end to end (scan overlapping the leaves)");
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`${holders.toLocaleString("en-US")} holders; CPU seconds (all threads / main thread) and wall seconds`);
for (const [name, all, main, w] of rows) {
  console.log(
    `${String(name).padEnd(56)} ${(all as number).toFixed(3).padStart(7)} ${(main as number).toFixed(3).padStart(7)} ${(w as number).toFixed(3).padStart(7)}`,
  );
}
