import { spawn, spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { writeJsonAtomic } from "../src/io.js";
import { printTable, writeResult } from "./lib.js";
import { writeSnapshot } from "./merkle/csv.js";

/**
 * The sides, each a whole process: this project's library (`bench/merkle/child.ts` calling
 * `buildAirdrop`), the same tree with every proof in JSON (the bench-only json layout,
 * `bench/merkle/json-layout.ts`, for the like-for-like base), the CLI a user runs, and each peer
 * both with every holder's proof written and with its tree only.
 */
const SIDES = {
  ours: "gpufog library (buildAirdrop): compact layout, no proof stored",
  oursJson: "gpufog library (buildAirdrop's tree, bench json layout): tree.json and every proof in JSON",
  cli: "gpufog CLI (hardhat airdrop:build): compact layout",
  cliStart: "starting Hardhat for the task (hardhat airdrop:build --help)",
  merkletreejs: "merkletreejs 0.6 + keccak256: its tree and every proof in JSON (getProofs())",
  merkletreejsTree: "merkletreejs 0.6 + keccak256: its tree only",
  ozCore: "OpenZeppelin merkle-tree 1.0.8: tree.json and every proof in JSON (of, core getProof)",
  ozTree: "OpenZeppelin merkle-tree 1.0.8: tree.json only (of, dump)",
} as const;
type Side = keyof typeof SIDES;
const PEERS = ["merkletreejs", "ozCore"] as const;
type Peer = (typeof PEERS)[number];

/**
 * How each ratio is taken: a peer's median over one of ours, the output named in each. `layout`
 * is what a deployer chooses between (our compact layout, which stores no proof, against the
 * peers writing every proof); the two others are like for like.
 */
const BASES = {
  layout: { peer: { merkletreejs: "merkletreejs", ozCore: "ozCore" }, ours: "ours" },
  everyProofInJson: { peer: { merkletreejs: "merkletreejs", ozCore: "ozCore" }, ours: "oursJson" },
  noProofStored: { peer: { merkletreejs: "merkletreejsTree", ozCore: "ozTree" }, ours: "ours" },
} as const satisfies Record<string, { peer: Record<Peer, Side>; ours: Side }>;

/**
 * The sizes and who runs them. At a million holders only this project's sides run: one run of
 * OpenZeppelin's `of` takes minutes there and merkletreejs needs several GB; `MERKLE_PEERS_1M=1`
 * runs every side there too. `MERKLE_RUNS` sets the runs per side (default 3), `MERKLE_LOOKUPS`
 * the claim page's lookups per layout (default 9); `MERKLE_SIZES=1000,10000` runs those sizes
 * instead (a check of the bench, not a result to publish: its JSON goes to the temporary
 * directory, not bench/results/).
 */
function plan(): { holders: number; sides: Side[] }[] {
  const every = Object.keys(SIDES) as Side[];
  const big: Side[] = process.env.MERKLE_PEERS_1M === "1" ? every : ["ours", "cli"];
  const sizes = process.env.MERKLE_SIZES?.split(",").map(Number) ?? [100_000, 1_000_000];
  for (const holders of sizes) {
    if (!Number.isSafeInteger(holders) || holders < 2) {
      throw new RangeError(`MERKLE_SIZES=${process.env.MERKLE_SIZES}: each size is a whole number of holders above 1`);
    }
  }
  return sizes.map((holders) => ({ holders, sides: holders >= 1_000_000 ? big : every }));
}

function countOf(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name}=${process.env[name]} is not a count`);
  return value;
}

const GOALS = { merkletreejs100k: 10, ozCore100k: 50, seconds1M: 5, rssMb1M: 600, writtenMb1M: 160 };

interface Run {
  wallMs: number;
  stagesMs: Record<string, number>;
  peakRssBytes: number;
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
/** Megabytes of 10^6 bytes, everywhere in this bench. */
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

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

interface Programs {
  child: string;
  rss: string;
  hardhat: string;
}

/** The command line of one run of `side`: the child for the library and the peers, else Hardhat's CLI. */
function commandOf(programs: Programs, side: Side, csv: string, out: string): string[] {
  if (side === "cli") return [programs.hardhat, "airdrop:build", "--csv", csv, "--out", out];
  if (side === "cliStart") return [programs.hardhat, "airdrop:build", "--help"];
  return [programs.child, side, csv, out];
}

/** One whole process, timed from spawn to exit, its peak RSS read by the preloaded rss.js. */
function runOnce(programs: Programs, root: string, side: Side, csv: string, out: string): Run {
  rmSync(out, { recursive: true, force: true });
  const rssFile = `${out}.rss`;
  const loadBefore = load1();
  const t0 = performance.now();
  const result = spawnSync(
    process.execPath,
    ["--import", pathToFileURL(programs.rss).href, ...commandOf(programs, side, csv, out)],
    { cwd: root, encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, GPUFOG_BENCH_RSS: rssFile } },
  );
  const wallMs = performance.now() - t0;
  const loadAfter = load1();
  if (result.status !== 0)
    throw new Error(`${side} failed (status ${result.status}):\n${result.stdout}\n${result.stderr}`);
  const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  const r =
    line === undefined
      ? undefined
      : (JSON.parse(line.slice("RESULT ".length)) as { root: string; stages: Record<string, number> });
  // Hardhat's CLI prints the root on a line of its own (`root    0x…`).
  const treeRoot = r?.root ?? /^root\s+(0x[0-9a-f]{64})$/m.exec(result.stdout)?.[1] ?? "";
  const peakRssBytes = Number(readFileSync(rssFile, "utf8"));
  rmSync(rssFile);
  const { bytes, files } = side === "cliStart" ? { bytes: 0, files: 0 } : dirStats(out);
  return {
    wallMs,
    stagesMs: r?.stages ?? {},
    peakRssBytes,
    bytesWritten: bytes,
    files,
    root: treeRoot,
    loadBefore,
    loadAfter,
  };
}

/** Serves `dir` over HTTP on a free local port, as a claim page's host would (GET only, 404 outside). */
async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const file = path.join(dir, decodeURIComponent(new URL(request.url!, "http://x").pathname));
    const inside = file.startsWith(dir + path.sep);
    if (!inside || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/octet-stream" });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface LookupSummary {
  layout: string;
  lookups: number;
  medianMs: number;
  maxMs: number;
  runsMs: number[];
  medianBytes: number;
  files: number;
  load: number[];
  checkedAgainstOpenZeppelin: boolean;
}

/**
 * The claim page's cost per lookup: `lookups` holders' claims read from `dir` over HTTP by the
 * child's `lookup` side (a process of its own, this one serving), each checked against the CSV
 * and, with `ozDir`, against OpenZeppelin's proof of the same leaf.
 */
async function lookupCost(
  programs: Programs,
  csv: string,
  dir: string,
  layout: string,
  lookups: number,
  ozDir: string | undefined,
): Promise<LookupSummary> {
  const server = await serve(dir);
  const loadBefore = load1();
  try {
    const { stdout, stderr, status } = await new Promise<{ stdout: string; stderr: string; status: number | null }>(
      (resolve, reject) => {
        const args = [
          programs.child,
          "lookup",
          csv,
          server.url,
          String(lookups),
          ...(ozDir === undefined ? [] : [ozDir]),
        ];
        const child = spawn(process.execPath, args);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ stdout, stderr, status }));
      },
    );
    const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (status !== 0 || line === undefined) throw new Error(`lookup (${layout}) failed:\n${stdout}\n${stderr}`);
    const samples = (
      JSON.parse(line.slice("RESULT ".length)) as { result: { ms: number; bytes: number; files: number }[] }
    ).result;
    return {
      layout,
      lookups: samples.length,
      medianMs: Math.round(median(samples.map((s) => s.ms))),
      maxMs: Math.round(Math.max(...samples.map((s) => s.ms))),
      runsMs: samples.map((s) => Math.round(s.ms)),
      medianBytes: median(samples.map((s) => s.bytes)),
      files: median(samples.map((s) => s.files)),
      load: [loadBefore, load1()],
      checkedAgainstOpenZeppelin: ozDir !== undefined,
    };
  } finally {
    await server.close();
  }
}

/** The tsc output of bench/merkle/ (compiled once, untimed, so no side pays a TypeScript loader). */
function compile(root: string): Programs {
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
  const programs = {
    child: path.join(build, "bench", "merkle", "child.js"),
    rss: path.join(build, "bench", "merkle", "rss.js"),
    hardhat: path.join(root, "node_modules", "hardhat", "dist", "src", "cli.js"),
  };
  if (tsc.status !== 0 && !statSync(programs.child, { throwIfNoEntry: false }))
    throw new Error(`tsc failed:\n${tsc.stdout}`);
  return programs;
}

/**
 * `npm run bench -- merkle`: CSV in → the directory a claim page serves, whole processes, and the
 * claim page's cost of reading one holder's claim from it. Each run spawns one process (the
 * bench's child on tsc output, or Hardhat's CLI) timed from spawn to exit: module loading,
 * reading the CSV, building, every proof a side writes, writing. The runs of one size alternate
 * between the sides (the order reversed every other round), each side's median counts, and every
 * run's load average before and after is recorded next to it. Same CSV for every side. Every
 * ratio is named by its base (`BASES`): our compact layout against the peers' every proof, and
 * like for like.
 */
export default async function merkle(hre: HardhatRuntimeEnvironment): Promise<void> {
  const root = hre.config.paths.root;
  const runs = countOf("MERKLE_RUNS", 3);
  const lookups = countOf("MERKLE_LOOKUPS", 9);
  const loadStart = loadavg();
  console.log(`${availableParallelism()} cores; load average at start ${loadStart.map((l) => l.toFixed(2)).join(" ")}`);
  const programs = compile(root);

  const work = mkdtempSync(path.join(tmpdir(), "gpufog-bench-merkle-"));
  const sizes: unknown[] = [];
  // Each goal with the lowest and highest 1-minute load of the runs its figure comes from.
  const goals: Record<string, { value: number; target: string; met: boolean; load: number[] }> = {};
  try {
    for (const { holders, sides } of plan()) {
      console.log(`\n${holders.toLocaleString("en-US")} holders, ${runs} runs each, alternated (${sides.join(", ")})`);
      const csv = path.join(work, `snapshot-${holders}.csv`);
      writeSnapshot(csv, holders, holders);
      const all = new Map<Side, Run[]>(sides.map((s) => [s, []]));
      // The first round's outputs the claim page reads and OpenZeppelin's proofs are checked against.
      const kept = new Map<Side, string>();
      for (let round = 0; round < runs; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          const out = path.join(work, `out-${side}`);
          const run = runOnce(programs, root, side, csv, out);
          if (round === 0 && (side === "ours" || side === "oursJson" || side === "ozCore")) {
            renameSync(out, `${out}-kept`);
            kept.set(side, `${out}-kept`);
          }
          rmSync(out, { recursive: true, force: true });
          all.get(side)!.push(run);
          console.log(
            `   ${side.padEnd(16)} ${(run.wallMs / 1000).toFixed(2).padStart(7)} s  ${mb(run.peakRssBytes).padStart(7)} MB peak  ` +
              `${mb(run.bytesWritten).padStart(7)} MB written  load ${run.loadBefore} → ${run.loadAfter}`,
          );
        }
      }
      const ours = all.get("ours")![0]!.root;
      for (const side of ["oursJson", "cli", "ozCore", "ozTree"] as const) {
        for (const run of all.get(side) ?? []) {
          if (run.root !== ours)
            throw new Error(`${side}'s root ${run.root} is not the library's ${ours} at ${holders}`);
        }
      }
      const layouts: LookupSummary[] = [];
      for (const [side, layout] of [
        ["ours", "compact"],
        ["oursJson", "json"],
      ] as const) {
        if (!kept.has(side)) continue;
        const cost = await lookupCost(programs, csv, kept.get(side)!, layout, lookups, kept.get("ozCore"));
        layouts.push(cost);
        console.log(
          `   claim page, ${layout} layout: ${cost.medianMs} ms and ${(cost.medianBytes / 1000).toFixed(1)} kB (${cost.files} files) a lookup, median of ${cost.lookups}`,
        );
      }
      for (const dir of kept.values()) rmSync(dir, { recursive: true, force: true });

      const summary = Object.fromEntries(
        [...all].map(([side, rs]) => {
          const mid = [...rs].sort((a, b) => a.wallMs - b.wallMs)[rs.length >> 1]!;
          return [
            side,
            {
              side: SIDES[side],
              medianMs: Math.round(median(rs.map((r) => r.wallMs))),
              minMs: Math.round(Math.min(...rs.map((r) => r.wallMs))),
              maxMs: Math.round(Math.max(...rs.map((r) => r.wallMs))),
              runsMs: rs.map((r) => Math.round(r.wallMs)),
              stagesOfMedianRunMs: mid.stagesMs,
              peakRssBytes: median(rs.map((r) => r.peakRssBytes)),
              bytesWritten: mid.bytesWritten,
              files: mid.files,
              loadBefore: rs.map((r) => r.loadBefore),
              loadAfter: rs.map((r) => r.loadAfter),
            },
          ];
        }),
      ) as Partial<Record<Side, { medianMs: number; peakRssBytes: number; bytesWritten: number }>>;
      const ratios = Object.fromEntries(
        Object.entries(BASES).flatMap(([base, { peer, ours }]) => {
          const by = PEERS.filter((p) => summary[peer[p]] !== undefined && summary[ours] !== undefined).map((p) => [
            p,
            Number((summary[peer[p]]!.medianMs / summary[ours]!.medianMs).toFixed(2)),
          ]);
          return by.length === 0 ? [] : [[base, Object.fromEntries(by)]];
        }),
      ) as Partial<Record<keyof typeof BASES, Record<Peer, number>>>;
      printTable(
        ["side", "median (s)", "peak RSS (MB)", "written (MB)"],
        sides.map((s) => [
          SIDES[s],
          (summary[s]!.medianMs / 1000).toFixed(2),
          mb(summary[s]!.peakRssBytes),
          mb(summary[s]!.bytesWritten),
        ]),
      );
      for (const [base, by] of Object.entries(ratios)) {
        console.log(
          `   ${base}: ${Object.entries(by)
            .map(([p, r]) => `${p} ${r}×`)
            .join(", ")}`,
        );
      }
      const loadOf = (...of: Side[]) => {
        const loads = of.flatMap((side) => all.get(side)!.flatMap((r) => [r.loadBefore, r.loadAfter]));
        return [Math.min(...loads), Math.max(...loads)];
      };
      if (holders === 100_000 && ratios.layout !== undefined) {
        for (const p of PEERS) {
          goals[`${p}100k`] = {
            value: ratios.layout[p],
            target: `≥ ${GOALS[`${p}100k`]}× (layout base)`,
            met: ratios.layout[p] >= GOALS[`${p}100k`],
            load: loadOf("ours", p),
          };
        }
      }
      if (holders === 1_000_000) {
        const s = summary.ours!.medianMs / 1000;
        const rss = summary.ours!.peakRssBytes / 1e6;
        const written = summary.ours!.bytesWritten / 1e6;
        goals.seconds1M = {
          value: Number(s.toFixed(2)),
          target: `≤ ${GOALS.seconds1M} s at low load`,
          met: s <= GOALS.seconds1M,
          load: loadOf("ours"),
        };
        goals.rssMb1M = {
          value: Math.round(rss),
          target: `≤ ${GOALS.rssMb1M} MB`,
          met: rss <= GOALS.rssMb1M,
          load: loadOf("ours"),
        };
        goals.writtenMb1M = {
          value: Number(written.toFixed(1)),
          target: `≤ ${GOALS.writtenMb1M} MB`,
          met: written <= GOALS.writtenMb1M,
          load: loadOf("ours"),
        };
      }
      sizes.push({ holders, runs, sides: summary, ratios, lookups: layouts });
      rmSync(csv, { force: true });
    }
    console.log("");
    for (const [name, g] of Object.entries(goals))
      console.log(`${name}: ${g.value} (target ${g.target}, load ${g.load.join("–")}): ${g.met ? "met" : "MISSED"}`);
    const loadEnd = loadavg();
    const result = {
      measuredAt: new Date().toISOString(),
      cores: availableParallelism(),
      node: process.version,
      units: "MB are 10^6 bytes; peak RSS is each process's own maximum resident set, read at its exit",
      method:
        "Whole processes, CSV in → the directory a claim page serves, spawned once per run (plain node on tsc output, " +
        "or Hardhat's CLI; module loading included). Runs alternate between the sides, order reversed every other " +
        "round; medians of every run, no best-of; the 1-minute load average is recorded before and after each run. " +
        "The compact layout (manifest with shard roots, binary data shards by tree position, binary index shards by " +
        "address) stores no proof: the claim page fetches the holder's shards and hashes one of them. The json layout (bench-only) " +
        "and the peers with proofs write the tree as JSON (OpenZeppelin's dump; merkletreejs's layers) plus every " +
        "holder's proof in JSON shards by address prefix; the peers' tree-only sides write the tree alone. Ratios are " +
        "a peer's median over ours on a named base: layout (our compact layout against every proof), every proof in " +
        "JSON (our json layout against the peers with proofs) and no proof stored (our compact layout against the " +
        "peers' tree alone). Roots of the library, its json layout, the CLI and OpenZeppelin are checked equal; the " +
        "claim page's lookups (HTTP from this process to a child, manifest fetched each time, as a page load does) " +
        "check each claim against the CSV and each proof against the start of OpenZeppelin's. merkletreejs uses " +
        "getProofs() (getHexProofs() is broken in 0.6) and its own tree shape (unsorted leaves), so its root differs; " +
        "OpenZeppelin's proofs come from core getProof over the dump (the documented getProof(i) re-verifies each and " +
        "is about 2.5× slower).",
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
