// The scale bench's readers: the `gpufog` command (a keeper round, a provider round, `status`) run
// from the sources as a child behind a counting proxy, and the indexer (Ponder) started on PGlite
// or PostgreSQL, timed to catch up and then asked the routes the app's pages use.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { encryptKeystoreJson } from "ethers";

import { CountingProxy, type Counts, type Rpc, sleep, stopChild } from "./rpc.js";

const ROOT = process.cwd();
const CLI = path.join(ROOT, "src", "agent", "cli.ts");
const PONDER = path.join(ROOT, "indexer", "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

/** One run of a reader: wall time and what it asked. */
export interface Run {
  ms: number;
  rpcCalls: number;
  indexerQueries: number;
  bytesIn: number;
  bytesOut: number;
  byMethod: Record<string, number>;
  transactions: number;
  maxGas: number;
  ok: boolean;
  note?: string;
}

/** The median of the runs and the figures of the median run. */
export interface Figures {
  runs: number;
  medianMs: number;
  allMs: number[];
  rpcCalls: number;
  indexerQueries: number;
  bytesIn: number;
  bytesOut: number;
  transactions: number;
  maxGas: number;
  byMethod: Record<string, number>;
  ok: boolean;
  note?: string;
}

export function summarize(runs: Run[]): Figures {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    runs: runs.length,
    medianMs: Math.round(median.ms),
    allMs: runs.map((r) => Math.round(r.ms)),
    rpcCalls: median.rpcCalls,
    indexerQueries: median.indexerQueries,
    bytesIn: median.bytesIn,
    bytesOut: median.bytesOut,
    transactions: median.transactions,
    maxGas: Math.max(...runs.map((r) => r.maxGas)),
    byMethod: median.byMethod,
    ok: runs.every((r) => r.ok),
    ...(runs.find((r) => r.note) ? { note: runs.find((r) => r.note)!.note } : {}),
  };
}

function runOf(ms: number, rpc: Counts, indexer: Counts | undefined, maxGas = 0, ok = true, note?: string): Run {
  return {
    ms,
    rpcCalls: rpc.calls,
    indexerQueries: indexer?.requests ?? 0,
    bytesIn: rpc.bytesIn + (indexer?.bytesIn ?? 0),
    bytesOut: rpc.bytesOut + (indexer?.bytesOut ?? 0),
    byMethod: rpc.byMethod,
    transactions: rpc.sent.length,
    maxGas,
    ok,
    ...(note ? { note } : {}),
  };
}

/** The largest gas used by the transactions with `hashes` (mined: automine is on). */
async function maxGasOf(rpc: Rpc, hashes: string[]): Promise<number> {
  if (hashes.length === 0) return 0;
  const receipts = await rpc.batch<{ gasUsed: string } | null>(hashes.map((h) => ["eth_getTransactionReceipt", [h]]));
  return Math.max(0, ...receipts.map((r) => (r ? Number(BigInt(r.gasUsed)) : 0)));
}

/** The agents' files: the address book, keystores (cheap scrypt) and configs behind `proxy`. */
export async function writeAgentFiles(
  dir: string,
  book: object,
  chainId: number,
  proxyUrl: string,
  provider: { address: string; key: string },
  keeper: { address: string; key: string },
  extra: {
    provider?: Record<string, unknown>;
    keeper?: Record<string, unknown>;
    inbox?: () => Record<string, unknown>[];
  } = {},
): Promise<{ providerConfig: string; keeperConfig: string; fresh: () => void }> {
  mkdirSync(path.join(dir, "book"), { recursive: true });
  writeFileSync(path.join(dir, "book", `${chainId}.json`), JSON.stringify(book, null, 2));
  for (const [name, who] of [
    ["provider", provider],
    ["keeper", keeper],
  ] as const) {
    writeFileSync(path.join(dir, `${name}.pass`), `${name}-password\n`, { mode: 0o600 });
    const json = await encryptKeystoreJson({ address: who.address, privateKey: who.key }, `${name}-password`, {
      scrypt: { N: 1 << 10 },
    });
    writeFileSync(path.join(dir, `${name}.keystore.json`), json);
  }
  const common = (kind: string) => ({
    kind,
    rpc: [proxyUrl],
    addressBook: `book/${chainId}.json`,
    keystore: `${kind}.keystore.json`,
    passwordFile: `${kind}.pass`,
    stateFile: `state/${kind}-state.json`,
    metricsPort: 0,
    pollSeconds: 0.2,
    rpcTimeoutSeconds: 120,
    stuckAfterSeconds: 600,
  });
  const providerConfig = path.join(dir, "provider.json");
  const keeperConfig = path.join(dir, "keeper.json");
  writeFileSync(
    providerConfig,
    JSON.stringify({ ...common("provider"), claimRewards: false, ...extra.provider }, null, 2),
  );
  writeFileSync(keeperConfig, JSON.stringify({ ...common("keeper"), ...extra.keeper }, null, 2));
  const fresh = () => {
    rmSync(path.join(dir, "state"), { recursive: true, force: true });
    mkdirSync(path.join(dir, "state", "receipts"), { recursive: true });
    // The customers' receipts, as receipt:sign leaves them in the provider agent's inbox.
    for (const [i, r] of (extra.inbox?.() ?? []).entries())
      writeFileSync(path.join(dir, "state", "receipts", `receipt-${i}.json`), JSON.stringify(r, null, 2));
  };
  fresh();
  return { providerConfig, keeperConfig, fresh };
}

/** Runs `gpufog <args>` from the sources to completion; its time, output and exit code. */
async function gpufog(args: string[], timeoutMs: number): Promise<{ ms: number; code: number | null; out: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { ms: performance.now() - started, code, out };
}

/**
 * Times `gpufog <args>` behind `proxy`: `runs` times, each on a snapshot of the chain reverted
 * afterwards (an agent's round sends transactions), with `before` run first in the same snapshot
 * when given (a warm round: the state a previous round left).
 */
export async function timeCli(
  rpc: Rpc,
  proxy: CountingProxy,
  args: string[],
  runs: number,
  options: { fresh: () => void; before?: string[]; timeoutMs: number },
): Promise<Figures> {
  const out: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const snapshot = await rpc.call<string>("evm_snapshot");
    try {
      options.fresh();
      if (options.before) {
        const warm = await gpufog(options.before, options.timeoutMs);
        if (warm.code !== 0) throw new Error(`gpufog ${options.before.join(" ")}: ${warm.out.slice(-1500)}`);
        await rpc.call("evm_increaseTime", [60]);
        await rpc.call("evm_mine");
      }
      proxy.reset();
      const run = await gpufog(args, options.timeoutMs);
      const counts = proxy.reset();
      const maxGas = await maxGasOf(rpc, counts.sent);
      const lines = run.out.trim().split("\n");
      out.push(
        runOf(
          run.ms,
          counts,
          undefined,
          maxGas,
          run.code === 0,
          run.code === 0 ? undefined : `exit ${run.code}: ${lines.slice(-3).join(" | ").slice(0, 600)}`,
        ),
      );
    } finally {
      await rpc.call("evm_revert", [snapshot]);
    }
  }
  return summarize(out);
}

/** Just the time it takes `gpufog --version` to start and exit: the floor of every CLI figure. */
export async function cliStartup(runs: number): Promise<number> {
  const ms = [];
  for (let i = 0; i < runs; i++) ms.push((await gpufog(["--version"], 60_000)).ms);
  return Math.round(ms.sort((a, b) => a - b)[Math.floor((ms.length - 1) / 2)]!);
}

// ------------------------------------------------------------------------------------ indexer

export interface Postgres {
  url: string;
  psql: (sql: string) => string;
  stop: () => void;
}

/** A throwaway PostgreSQL server of Debian's package, as test/e2e/indexer.ts starts one. */
export function startPostgres(dir: string, port: number): Postgres | undefined {
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql") : [];
  if (versions.length === 0) return undefined;
  const bin = path.join("/usr/lib/postgresql", versions.sort().at(-1)!, "bin");
  const data = path.join(dir, "pg");
  chmodSync(dir, 0o777);
  const asPostgres = (command: string, args: string[]) =>
    execFileSync("su", ["postgres", "-c", [path.join(bin, command), ...args].map((a) => `'${a}'`).join(" ")], {
      stdio: "pipe",
    }).toString();
  asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres"]);
  asPostgres("pg_ctl", [
    "-D",
    data,
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "-l",
    `${data}.log`,
    "-w",
    "start",
  ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    // Trust on loopback: psql needs no `su` (whose quoting the SQL's quotes would break).
    psql: (sql) =>
      execFileSync(path.join(bin, "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-At", "-c", sql])
        .toString()
        .trim(),
    stop: () => asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
  };
}

export interface Indexer {
  url: string;
  child: ChildProcess;
  output: () => string;
}

export function startIndexer(
  book: string,
  rpcUrl: string,
  port: number,
  schema: string,
  database: Record<string, string>,
): Indexer {
  const child = spawn(process.execPath, [PONDER, "start", "--port", String(port), "--schema", schema], {
    cwd: path.join(ROOT, "indexer"),
    env: {
      ...process.env,
      ...database,
      GPUFOG_ADDRESS_BOOK: book,
      PONDER_RPC_URL: rpcUrl,
      PONDER_TELEMETRY_DISABLED: "true",
      PONDER_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  for (const stream of [child.stdout, child.stderr])
    stream.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-100_000)));
  return { url: `http://127.0.0.1:${port}`, child, output: () => output.slice(-4000) };
}

/**
 * Waits until the indexer has indexed `block`: the seconds it took from `since`, and when its
 * HTTP server first answered (Ponder's start: the build of the app, the database's set-up).
 */
export async function caughtUp(
  indexer: Indexer,
  block: number,
  since: number,
  timeoutMs: number,
): Promise<{ seconds: number; serving: number }> {
  const deadline = Date.now() + timeoutMs;
  let serving: number | undefined;
  while (Date.now() < deadline) {
    if (indexer.child.exitCode !== null) throw new Error(`ponder exited: ${indexer.output()}`);
    try {
      const res = await fetch(`${indexer.url}/status`);
      serving ??= (performance.now() - since) / 1000;
      if (res.ok) {
        const status = (await res.json()) as Record<string, { block?: { number: number } }>;
        const at = Object.values(status)[0]?.block?.number ?? 0;
        if (at >= block) return { seconds: (performance.now() - since) / 1000, serving };
      }
    } catch {
      // not serving yet
    }
    await sleep(100);
  }
  throw new Error(`the indexer did not reach block ${block} in ${timeoutMs / 1000} s: ${indexer.output()}`);
}

/** Sizes on disk of a folder, in bytes. */
export function du(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir]).toString().split("\t")[0]);
}

/** Times each route `runs` times through a counting proxy in front of the indexer. */
export async function timeRoutes(
  indexer: Indexer,
  routes: Record<string, string>,
  runs: number,
): Promise<Record<string, Figures & { rows?: number }>> {
  const proxy = new CountingProxy(indexer.url);
  await proxy.start();
  const out: Record<string, Figures & { rows?: number }> = {};
  try {
    for (const [name, route] of Object.entries(routes)) {
      const list: Run[] = [];
      let rows: number | undefined;
      for (let i = 0; i < runs; i++) {
        proxy.reset();
        const started = performance.now();
        const res = await fetch(proxy.url + route);
        const body = await res.text();
        const ms = performance.now() - started;
        const counts = proxy.reset();
        const parsed = JSON.parse(body) as unknown;
        rows = Array.isArray(parsed) ? parsed.length : undefined;
        list.push(runOf(ms, CountingProxy.zero(), counts, 0, res.ok, res.ok ? undefined : body.slice(0, 300)));
      }
      out[name] = { ...summarize(list), route, ...(rows === undefined ? {} : { rows }) } as Figures & { rows?: number };
    }
  } finally {
    await proxy.close();
  }
  return out;
}
