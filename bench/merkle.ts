import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { findClaims, readManifest } from "../src/airdrop/directory.js";
import { processProof, type LeafKind } from "../src/merkle/proof.js";
import { writeJsonAtomic } from "../src/io.js";
import { printTable, writeResult } from "./lib.js";
import { writeSnapshot } from "./merkle/csv.js";

/** The tools, as `bench/merkle/child.ts` names them, and what each one is. */
const TOOLS = {
  ours: "this project (buildAirdrop: compact shards)",
  merkletreejs: "merkletreejs 0.6 + keccak256, getProofs()",
  ozCore: "OpenZeppelin merkle-tree 1.0.8 of + core getProof",
  ozGetProof: "OpenZeppelin merkle-tree 1.0.8 of + getProof(i)",
} as const;
type Tool = keyof typeof TOOLS;
const PEERS: Tool[] = ["merkletreejs", "ozCore", "ozGetProof"];

/**
 * The sizes and who runs them. Peers are not run at a million: OpenZeppelin's `of` alone takes
 * minutes there and merkletreejs needs several GB; `MERKLE_PEERS_1M=1` runs merkletreejs and
 * OpenZeppelin core there too. `MERKLE_RUNS` sets the runs per tool (default 3);
 * `MERKLE_SIZES=1000,10000` runs those sizes instead (a check of the bench, not a result to
 * publish: its JSON goes to the temporary directory, not bench/results/).
 */
function plan(): { holders: number; runs: number; tools: Tool[] }[] {
  const runs = Number(process.env.MERKLE_RUNS ?? 3);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new RangeError(`MERKLE_RUNS=${process.env.MERKLE_RUNS} is not a whole number of runs`);
  const big: Tool[] = process.env.MERKLE_PEERS_1M === "1" ? ["ours", "merkletreejs", "ozCore"] : ["ours"];
  const sizes = process.env.MERKLE_SIZES?.split(",").map(Number) ?? [10_000, 100_000, 1_000_000];
  for (const holders of sizes) {
    if (!Number.isSafeInteger(holders) || holders < 1) {
      throw new RangeError(`MERKLE_SIZES=${process.env.MERKLE_SIZES}: each size is a whole number of holders`);
    }
  }
  return sizes.map((holders) => ({ holders, runs, tools: holders >= 1_000_000 ? big : ["ours", ...PEERS] }));
}

const GOALS = { merkletreejs100k: 10, ozCore100k: 50, seconds1M: 5, rssMb1M: 600, writtenMb1M: 160 };

interface Run {
  wallMs: number;
  stagesMs: Record<string, number>;
  peakRssMb: number;
  bytesWritten: number;
  files: number;
  root: string;
  /** The 1-minute load average just before and just after the run. */
  loadBefore: number;
  loadAfter: number;
}

const load1 = () => Number(loadavg()[0]!.toFixed(2));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function dirStats(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(path.join(dir, name));
    if (s.isFile()) {
      bytes += s.size;
      files++;
    }
  }
  return { bytes, files };
}

/** One whole process: `node child.js <tool> <csv> <out>`, timed from spawn to exit. */
function runOnce(child: string, tool: Tool, csv: string, out: string): Run {
  rmSync(out, { recursive: true, force: true });
  const loadBefore = load1();
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [child, tool, csv, out], { encoding: "utf8", maxBuffer: 1 << 26 });
  const wallMs = performance.now() - t0;
  const loadAfter = load1();
  const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (result.status !== 0 || line === undefined) {
    throw new Error(`${tool} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  const r = JSON.parse(line.slice("RESULT ".length)) as {
    root: string;
    stages: Record<string, number>;
    peakRssMb: number;
  };
  const { bytes, files } = dirStats(out);
  return {
    wallMs,
    stagesMs: r.stages,
    peakRssMb: r.peakRssMb,
    bytesWritten: bytes,
    files,
    root: r.root,
    loadBefore,
    loadAfter,
  };
}

/** Three holders' claims read back from our output as a claim page reads them, and verified. */
async function checkOurs(out: string, csv: string, holders: number): Promise<void> {
  const manifest = await readManifest(out);
  const { readFileSync } = await import("node:fs");
  const lines = readFileSync(csv, "latin1").split("\n");
  for (const i of [0, holders >> 1, holders - 1]) {
    const [holder, amount] = lines[i + 1]!.split(",");
    const [claim] = await findClaims(out, holder!);
    if (claim?.index !== i || claim.amount !== amount) throw new Error(`holder ${i} is not where it should be`);
    const reached = processProof(i, { kind: 0 as LeafKind, holder: holder!, amount: BigInt(amount!) }, claim.proof);
    if (!manifest.topNodes.includes(reached)) throw new Error(`the derived proof of index ${i} does not verify`);
  }
}

/**
 * `npm run bench -- merkle`: CSV in → the directory a claim page serves, whole processes. Each
 * run spawns `node bench/merkle/child.js <tool>` (compiled once beforehand with tsc, untimed, so
 * no tool pays a TypeScript loader), and the time is from spawn to exit: module loading, reading
 * the CSV, building, every proof, writing. The runs of one size alternate between the tools
 * (the order reversed every other round), each tool's median counts, and every run's load
 * average before and after is recorded next to it. Same CSV for every tool; our output is the
 * compact layout, the peers' the same logical content as tree.json plus JSON proof shards.
 */
export default async function merkle(hre: HardhatRuntimeEnvironment): Promise<void> {
  const root = hre.config.paths.root;
  const loadStart = loadavg();
  console.log(`${availableParallelism()} cores; load average at start ${loadStart.map((l) => l.toFixed(2)).join(" ")}`);
  const build = path.join(root, "node_modules", ".cache", "gpufog-bench");
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(root, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      "bench/merkle/tsconfig.json",
      "--outDir",
      build,
    ],
    { cwd: root, encoding: "utf8" },
  );
  const child = path.join(build, "bench", "merkle", "child.js");
  if (tsc.status !== 0 && !statSync(child, { throwIfNoEntry: false })) throw new Error(`tsc failed:\n${tsc.stdout}`);

  const work = mkdtempSync(path.join(tmpdir(), "gpufog-bench-merkle-"));
  const sizes: unknown[] = [];
  const goals: Record<string, { value: number; target: string; met: boolean }> = {};
  try {
    for (const { holders, runs, tools } of plan()) {
      console.log(`\n${holders.toLocaleString("en-US")} holders, ${runs} runs each, alternated (${tools.join(", ")})`);
      const csv = path.join(work, `snapshot-${holders}.csv`);
      writeSnapshot(csv, holders, holders);
      const all = new Map<Tool, Run[]>(tools.map((t) => [t, []]));
      for (let round = 0; round < runs; round++) {
        const order = round % 2 === 0 ? tools : [...tools].reverse();
        for (const tool of order) {
          const out = path.join(work, `out-${tool}`);
          const run = runOnce(child, tool, csv, out);
          if (tool === "ours" && round === 0) await checkOurs(out, csv, holders);
          rmSync(out, { recursive: true, force: true });
          all.get(tool)!.push(run);
          console.log(
            `   ${tool.padEnd(12)} ${(run.wallMs / 1000).toFixed(2).padStart(7)} s  ${String(run.peakRssMb).padStart(5)} MB peak  ` +
              `${(run.bytesWritten / 2 ** 20).toFixed(1).padStart(7)} MB written  load ${run.loadBefore} → ${run.loadAfter}`,
          );
        }
      }
      const ours = all.get("ours")!;
      const oz = all.get("ozCore")?.[0];
      if (oz !== undefined && oz.root !== ours[0]!.root)
        throw new Error(`roots differ from OpenZeppelin's at ${holders}`);
      const summary = Object.fromEntries(
        [...all].map(([tool, rs]) => {
          const mid = [...rs].sort((a, b) => a.wallMs - b.wallMs)[rs.length >> 1]!;
          return [
            tool,
            {
              tool: TOOLS[tool],
              medianMs: Math.round(median(rs.map((r) => r.wallMs))),
              minMs: Math.round(Math.min(...rs.map((r) => r.wallMs))),
              maxMs: Math.round(Math.max(...rs.map((r) => r.wallMs))),
              runsMs: rs.map((r) => Math.round(r.wallMs)),
              stagesOfMedianRunMs: mid.stagesMs,
              peakRssMb: Math.round(median(rs.map((r) => r.peakRssMb))),
              bytesWritten: mid.bytesWritten,
              files: mid.files,
              loadBefore: rs.map((r) => r.loadBefore),
              loadAfter: rs.map((r) => r.loadAfter),
            },
          ];
        }),
      ) as unknown as Record<Tool, { medianMs: number; peakRssMb: number; bytesWritten: number }>;
      const ratios = Object.fromEntries(
        tools
          .filter((t) => t !== "ours")
          .map((t) => [t, Number((summary[t].medianMs / summary.ours.medianMs).toFixed(2))]),
      );
      printTable(
        ["tool", "median (s)", "× ours", "peak RSS (MB)", "written (MB)"],
        tools.map((t) => [
          TOOLS[t],
          (summary[t].medianMs / 1000).toFixed(2),
          t === "ours" ? "1" : ratios[t]!.toFixed(1),
          summary[t].peakRssMb,
          (summary[t].bytesWritten / 2 ** 20).toFixed(1),
        ]),
      );
      if (holders === 100_000) {
        goals.merkletreejs100k = {
          value: ratios.merkletreejs!,
          target: `≥ ${GOALS.merkletreejs100k}×`,
          met: ratios.merkletreejs! >= GOALS.merkletreejs100k,
        };
        goals.ozCore100k = {
          value: ratios.ozCore!,
          target: `≥ ${GOALS.ozCore100k}×`,
          met: ratios.ozCore! >= GOALS.ozCore100k,
        };
      }
      if (holders === 1_000_000) {
        const s = summary.ours.medianMs / 1000;
        const mb = summary.ours.bytesWritten / 1e6;
        goals.seconds1M = {
          value: Number(s.toFixed(2)),
          target: `≤ ${GOALS.seconds1M} s at low load`,
          met: s <= GOALS.seconds1M,
        };
        goals.rssMb1M = {
          value: summary.ours.peakRssMb,
          target: `≤ ${GOALS.rssMb1M} MB`,
          met: summary.ours.peakRssMb <= GOALS.rssMb1M,
        };
        goals.writtenMb1M = {
          value: Number(mb.toFixed(1)),
          target: `≤ ${GOALS.writtenMb1M} MB`,
          met: mb <= GOALS.writtenMb1M,
        };
      }
      sizes.push({ holders, runs, tools: summary, ratios });
      rmSync(csv, { force: true });
    }
    console.log("");
    for (const [name, g] of Object.entries(goals))
      console.log(`${name}: ${g.value} (target ${g.target}): ${g.met ? "met" : "MISSED"}`);
    const loadEnd = loadavg();
    const result = {
      measuredAt: new Date().toISOString(),
      cores: availableParallelism(),
      node: process.version,
      method:
        "Whole processes, CSV in → the directory a claim page serves, spawned once per run (plain node on tsc output; " +
        "module loading included). Runs alternate between tools, order reversed every other round; medians of every run, " +
        "no best-of; the 1-minute load average is recorded before and after each run. This project writes its compact " +
        "layout (manifest with shard roots, binary data shards by tree position, binary index shards by address); the " +
        "peers write the same logical content as tree.json (OpenZeppelin's dump; merkletreejs's layers) plus every " +
        "holder's proof in JSON shards by address prefix. merkletreejs uses getProofs() (getHexProofs() is broken in " +
        "0.6) and its own tree shape (unsorted leaves), so its root differs; OpenZeppelin's root is checked equal to ours.",
      loadAverageStart: loadStart,
      loadAverageEnd: loadEnd,
      sizes,
      goals,
    };
    // A check of the bench (its own sizes) leaves the published results alone.
    const check = process.env.MERKLE_SIZES !== undefined;
    let file = path.join(tmpdir(), "gpufog-bench-merkle-check.json");
    if (check) writeJsonAtomic(file, result);
    else file = path.relative(root, writeResult(root, "merkle", result));
    console.log(`load average at end ${loadEnd.map((l) => l.toFixed(2)).join(" ")}; wrote ${file}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
