// Writes docs/benchmarks.md, and the README's performance table between its `bench:start` and
// `bench:end` markers, from the recorded results in bench/results/ (gas, the Merkle builder against
// its peers, the distributor's claims, a node's overhead), so no figure is typed by hand.
//   node scripts/bench-tables.ts            (writes both)
//   node scripts/bench-tables.ts --check    (fails when either is not what the results give)
import { readFileSync, writeFileSync } from "node:fs";

const read = <T>(name: string): T => JSON.parse(readFileSync(`bench/results/${name}.json`, "utf8")) as T;
const n = (v: number | string) => Number(v).toLocaleString("en-US");

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const width = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length), 3));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i]!)).join(" | ")} |`;
  return [line(cells[0]!), `| ${width.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.slice(1).map(line)].join(
    "\n",
  );
}

const gas = read<{
  measuredAt: string;
  op?: { l1BaseFee: string; blobBaseFee: string; baseFeeScalar: number; blobBaseFeeScalar: number };
  rows: {
    contract: string;
    call: string;
    gas: string;
    was?: string;
    before?: string;
    op?: { gas: string; l1Fee: string; l1DataGas: string };
  }[];
}>("gas");
interface Cost {
  gas: string;
  l1Fee: string;
  l1DataGas: string;
}
interface OverheadTotal {
  chain: string;
  setup: string;
  leaseHours: number;
  revenue: number;
  usd: number;
  percent: number;
  gasPerGpuHour: number;
  top: string;
  l1DataShare: number;
}
const overhead = read<{
  measuredAt: string;
  model: string;
  parameters: Record<string, number>;
  opScalars: { baseFeeScalar: number; blobBaseFeeScalar: number };
  measured: { chain: string; setup: string; checkInPeriod: string; costs: Record<string, Cost> }[];
  totals: OverheadTotal[];
  lines: {
    chain: string;
    setup: string;
    leaseHours: number;
    item: string;
    perHour: number;
    gasPerGpuHour: number;
    usdPerGpuHour: number;
  }[];
  goals: { chain: string; setup: string; leaseHours: number; goalPercent: number; percent: number; met: boolean }[];
  transactionsWhileSharing: number;
  l1: { supportedForLeases: boolean; worstPercent: number; rule: string };
  idleCheckIns: { chain: string; setup: string; checkInsPerDay: number; usdPerNodeDay: number }[];
  before?: {
    model: string;
    measuredAt: string;
    totals: { chain: string; setup: string; percent: number; gasPerGpuHour: number; top: string }[];
  };
}>("overhead");
const beforeOf = (t: OverheadTotal) => overhead.before?.totals.find((b) => b.chain === t.chain && b.setup === t.setup);
const gwei = (wei: string | number) => `${Number((Number(wei) / 1e9).toPrecision(3))}`;
const usd = (v: number) => (v >= 0.01 ? `$${v.toFixed(4)}` : `$${v.toPrecision(3)}`);
const pct = (v: number) => `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2)} %`;
const chain = (c: string) => (c === "l1" ? "L1" : "OP");
const p = overhead.parameters;
interface ToolResult {
  tool: string;
  medianMs: number;
  runsMs: number[];
  peakRssMb: number;
  bytesWritten: number;
  files: number;
  loadBefore: number[];
  loadAfter: number[];
}
const merkle = read<{
  measuredAt: string;
  cores: number;
  method: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  sizes: { holders: number; runs: number; tools: Record<string, ToolResult>; ratios: Record<string, number> }[];
  goals: Record<string, { value: number; target: string; met: boolean }>;
}>("merkle");
const s2 = (ms: number) => (ms / 1000).toFixed(2);
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const merkleTables = merkle.sizes
  .map(
    (size) => `### ${n(size.holders)} holders, ${size.runs} runs each

${table(
  [
    "tool",
    "median (s)",
    "every run (s)",
    "× this project",
    "peak RSS (MB)",
    "written (MB)",
    "files",
    "load (1 min) during runs",
  ],
  Object.entries(size.tools).map(([key, r]) => [
    r.tool,
    s2(r.medianMs),
    r.runsMs.map(s2).join(", "),
    key === "ours" ? "1" : `${size.ratios[key]!.toFixed(1)}× slower`,
    n(r.peakRssMb),
    mb(r.bytesWritten),
    n(r.files),
    range([...r.loadBefore, ...r.loadAfter]),
  ]),
)}`,
  )
  .join("\n\n");
type Spread = { average: number; max: number; min: number };
const claim = read<{
  measuredAt: string;
  holders: number;
  claims: number;
  tokenSwapDistributor: { claim: Spread; claimWithFullProof: Spread; activate: number };
  claimLegacy: { compressed: Spread; uncompressed: Spread };
  minimalDistributor: { claim: Spread };
  uniswapMerkleDistributor: { claim: Spread };
  ratioAverage: number;
  goalRatio: number;
  floor: { claim: number };
}>("claim");

const text = `# Benchmarks

Generated by \`node scripts/bench-tables.ts\` from \`bench/results/\` (written by \`npm run bench -- <suite>\`);
do not edit by hand. Back to [testing](testing.md).

## Gas per call (\`bench -- gas\`, measured ${gas.measuredAt.slice(0, 10)})

${table(
  ["contract", "call", "L1 gas", "before", "OP L2 gas", "OP L1 data gas", "OP L1 fee (gwei)"],
  gas.rows.map((r) => [
    r.contract,
    r.call,
    n(r.gas),
    r.before === undefined ? "" : `${n(r.before)}${r.was === undefined ? "" : ` (${r.was})`}`,
    r.op ? n(r.op.gas) : "",
    r.op ? n(r.op.l1DataGas) : "",
    r.op ? gwei(r.op.l1Fee) : "",
  ]),
)}

"before" is the call's previous figure, from the results it replaced; in brackets the call it was
then (\`heartbeat\` became \`checkIn\`, whose figure is now paid once a day by an Idle node instead of
every 200 s by every node). The OP columns are the same calls on Hardhat's OP Stack simulation
(\`opSimulated\`), the L1 data fee from each receipt${
  gas.op
    ? ` with an L1 base fee of ${gwei(gas.op.l1BaseFee)} gwei, a blob base fee of ${gwei(gas.op.blobBaseFee)} gwei and OP Mainnet's scalars (${n(gas.op.baseFeeScalar)}, ${n(gas.op.blobBaseFeeScalar)})`
    : ""
}; per-node rows are a batch's share.

## What running a node costs on-chain (\`bench -- overhead\`, measured ${overhead.measuredAt.slice(0, 10)})

The model: ${overhead.model}. Per GPU-hour of a leased node: one lease per node every
${[...new Set(overhead.totals.map((t) => t.leaseHours))].join(" or ")} h, a withdrawal every ${p.withdrawHours} h, the keeper's fee forwarding every
${p.forwardHours} h; ${overhead.transactionsWhileSharing} transactions while the node is Sharing (no check-in, no receipt on-chain). L1 gas at
${p.l1Gwei} gwei; OP L2 gas at ${p.l2Gwei} gwei with an L1 base fee of ${p.l1Gwei} gwei and a blob base fee of ${p.blobGwei} gwei; ETH at
$${p.ethUsd}, GUT at $${p.gutUsd}, ${p.price} GUT per TU-hour. "before" is the same setup under the heartbeat model
(${overhead.before?.measuredAt.slice(0, 10) ?? "–"}), which did not depend on the lease's length.

${table(
  [
    "chain",
    "setup",
    "lease",
    "revenue/GPU-h",
    "cost/GPU-h",
    "gas/GPU-h",
    "% of revenue",
    "before",
    "dominated by",
    "L1 data fee",
  ],
  overhead.totals.map((t) => [
    chain(t.chain),
    t.setup,
    `${t.leaseHours} h`,
    usd(t.revenue),
    usd(t.usd),
    n(Math.round(t.gasPerGpuHour)),
    pct(t.percent),
    beforeOf(t) === undefined ? "" : `${pct(beforeOf(t)!.percent)}, ${n(Math.round(beforeOf(t)!.gasPerGpuHour))} gas`,
    t.top,
    t.chain === "op" ? `${(100 * t.l1DataShare).toFixed(0)} % of the cost` : "",
  ]),
)}

${table(
  ["goal (issue 23)", "measured", ""],
  [
    ...overhead.goals.map((g) => [
      `1-TU node on the OP Stack, ${g.leaseHours}-h leases: ≤ ${g.goalPercent} % of revenue`,
      pct(g.percent),
      g.met ? "met" : "**not met**",
    ]),
    [
      "transactions while Sharing: 0",
      String(overhead.transactionsWhileSharing),
      overhead.transactionsWhileSharing === 0 ? "met" : "**not met**",
    ],
    [
      "L1: declared unsupported for leases above 10 % of revenue",
      `up to ${pct(overhead.l1.worstPercent)}`,
      overhead.l1.supportedForLeases ? "supported" : "**unsupported for leases**",
    ],
  ],
)}

Each action's execution gas beside its L1 data gas and fee (the OP Stack's part of a transaction's
cost that does not depend on L2 gas):

${table(
  ["chain", "setup", "action", "gas", "L1 data gas", "OP L1 data fee (gwei)"],
  overhead.measured
    .filter((m) => m.chain === "op" || m.setup.startsWith("1 ×"))
    .flatMap((m) =>
      Object.entries(m.costs).map(([action, c]) => [
        chain(m.chain),
        m.setup,
        action,
        n(c.gas),
        m.chain === "op" ? n(c.l1DataGas) : "",
        m.chain === "op" ? gwei(c.l1Fee) : "",
      ]),
    ),
)}

An Idle node earns nothing and checks in ${overhead.idleCheckIns[0]?.checkInsPerDay ?? "–"} times a day (a margin on the registry's
once-a-day \`checkInPeriod\`, one transaction for all of a provider's nodes): ${overhead.idleCheckIns
  .filter((i) => i.chain === "op")
  .map((i) => `${usd(i.usdPerNodeDay)} a node-day on the OP Stack for ${i.setup}`)
  .join("; ")}.

${table(
  ["chain", "setup", "lease", "item", "tx/h", "gas/GPU-h", "USD/GPU-h"],
  overhead.lines.map((l) => [
    chain(l.chain),
    l.setup,
    `${l.leaseHours} h`,
    l.item,
    l.perHour.toFixed(3),
    n(Math.round(l.gasPerGpuHour)),
    usd(l.usdPerGpuHour),
  ]),
)}

## The airdrop pipeline against its peers (\`bench -- merkle\`, ${merkle.cores} cores, measured ${merkle.measuredAt.slice(0, 10)}, load ${merkle.loadAverageStart.map((l) => l.toFixed(1)).join("/")} at start, ${merkle.loadAverageEnd.map((l) => l.toFixed(1)).join("/")} at end)

${merkleTables}

${table(
  ["goal", "measured", "target", ""],
  Object.entries(merkle.goals).map(([name, g]) => [name, String(g.value), g.target, g.met ? "met" : "missed"]),
)}

${merkle.method}

## Claim gas (\`bench -- claim\`, ${claim.claims} claims from ${n(claim.holders)} holders, measured ${claim.measuredAt.slice(0, 10)})

${table(
  ["distributor", "average", "min", "max"],
  [
    ["TokenSwapDistributor \`claim\` (short proof)", ...spread(claim.tokenSwapDistributor.claim)],
    ["TokenSwapDistributor \`claim\` (full proof)", ...spread(claim.tokenSwapDistributor.claimWithFullProof)],
    ["TokenSwapDistributor \`claimLegacy\`, compressed key", ...spread(claim.claimLegacy.compressed)],
    ["TokenSwapDistributor \`claimLegacy\`, uncompressed key", ...spread(claim.claimLegacy.uncompressed)],
    [
      "bench/claim/MinimalDistributor \`claim\` (no pause, window or activation; 8 kept nodes)",
      ...spread(claim.minimalDistributor.claim),
    ],
    ["Uniswap MerkleDistributor \`claim\`", ...spread(claim.uniswapMerkleDistributor.claim)],
  ],
)}

Average \`claim\` / Uniswap's: ${claim.ratioAverage} (goal ≤ ${claim.goalRatio}); the opcode floor of the same claims averages ${n(claim.floor.claim)}.
`;

function spread(s: Spread): string[] {
  return [n(s.average), n(s.min), n(s.max)];
}

const at100k = merkle.sizes.find((size) => size.holders === 100_000);
const at1M = merkle.sizes.find((size) => size.holders === 1_000_000);
const peer = (size: typeof at100k, key: string) =>
  size === undefined
    ? "–"
    : `${size.tools[key]!.tool}: ${s2(size.tools[key]!.medianMs)} s (${size.ratios[key]!.toFixed(1)}× slower)`;
const oneGpu = (c: string, hours: number) =>
  overhead.totals.find((t) => t.chain === c && t.setup.startsWith("1 ×") && t.leaseHours === hours)!;
const oneGpuBefore = (c: string) => beforeOf(oneGpu(c, 24));
interface ScaleReader {
  medianMs: number;
  rpcCalls: number;
  bytesIn: number;
  indexerQueries: number;
  transactions?: number;
}
interface ScaleIndexer {
  catchUpSeconds: number;
  eventsPerSecond: number;
  routes: Record<string, ScaleReader>;
}
const scale = read<{
  sizes: {
    built: { nodes: number; leases: number };
    readers: Record<string, ScaleReader | { skipped: string }>;
    indexer: { pglite: ScaleIndexer; postgres: ScaleIndexer };
  }[];
}>("scale");
const largest = scale.sizes.at(-1)!;
const reader = (name: string) => largest.readers[name] as ScaleReader;
const slowestRoute = Math.max(...Object.values(largest.indexer.pglite.routes).map((r) => r.medianMs));
const readmeTable = table(
  ["measure (median of whole runs, same run for every side)", "gpufog", "peers"],
  [
    [
      "airdrop, 100,000 holders: CSV in → the files a claim page serves",
      at100k === undefined ? "–" : `${s2(at100k.tools.ours!.medianMs)} s`,
      `${peer(at100k, "merkletreejs")}; ${peer(at100k, "ozCore")}`,
    ],
    [
      "airdrop, 1,000,000 holders",
      at1M === undefined
        ? "–"
        : `${s2(at1M.tools.ours!.medianMs)} s, ${n(at1M.tools.ours!.peakRssMb)} MB peak, ${mb(at1M.tools.ours!.bytesWritten)} MB written`,
      "–",
    ],
    [
      `\`claim\` gas, average of ${claim.claims} claims of ${n(claim.holders)} holders`,
      n(claim.tokenSwapDistributor.claim.average),
      `Uniswap MerkleDistributor: ${n(claim.uniswapMerkleDistributor.claim.average)} (gpufog ${claim.ratioAverage}×)`,
    ],
    [
      "on-chain cost of a leased 1-GPU node, per GPU-hour, against its revenue (24-h leases; 1-h leases)",
      `OP Stack ${pct(oneGpu("op", 24).percent)}; ${pct(oneGpu("op", 1).percent)} (goals 0.10 %; 1 %). L1 ${pct(oneGpu("l1", 24).percent)}: unsupported for leases`,
      oneGpuBefore("op") === undefined
        ? "–"
        : `before (heartbeats): OP Stack ${pct(oneGpuBefore("op")!.percent)}, L1 ${pct(oneGpuBefore("l1")!.percent)}`,
    ],
    [
      `history at scale, ${n(largest.built.nodes)} nodes and ${n(largest.built.leases)} leases on anvil: the indexer's catch-up, its list routes, an agent's first round`,
      `PGlite ${largest.indexer.pglite.catchUpSeconds} s (${n(largest.indexer.pglite.eventsPerSecond)} events/s), PostgreSQL ${largest.indexer.postgres.catchUpSeconds} s (${n(largest.indexer.postgres.eventsPerSecond)} events/s); routes ≤ ${slowestRoute} ms, 1 query, 0 RPC; keeper ${s2(reader("keeper round (first start)").medianMs)} s, ${n(reader("keeper round (first start)").rpcCalls)} calls; provider ${s2(reader("provider round (first start)").medianMs)} s, ${n(reader("provider round (first start)").rpcCalls)} calls, ${mb(reader("provider round (first start)").bytesIn)} MB read`,
      "–",
    ],
  ],
);
const readmeBlock = `<!-- bench:start -->

${readmeTable}

Measured on this 2-core machine (load ${merkle.loadAverageStart[0]} at the airdrop bench's start); every
table, the runs and the loads are in [docs/benchmarks.md](docs/benchmarks.md).
<!-- bench:end -->`;
const readme = readFileSync("README.md", "utf8");
const marked = /<!-- bench:start -->[\s\S]*?<!-- bench:end -->/;
if (!marked.test(readme)) throw new Error("README.md has no <!-- bench:start --> … <!-- bench:end --> block");
const readmeText = readme.replace(marked, readmeBlock);

const file = "docs/benchmarks.md";
if (process.argv.includes("--check")) {
  for (const [name, want] of [
    [file, text],
    ["README.md", readmeText],
  ] as const) {
    if (readFileSync(name, "utf8") !== want) {
      console.error(`${name} is not what bench/results/ gives: run node scripts/bench-tables.ts`);
      process.exit(1);
    }
  }
} else {
  writeFileSync(file, text);
  writeFileSync("README.md", readmeText);
  console.log(`wrote ${file} and README.md's performance table`);
}
