// `npm run bench -- scale`: the project's own market at two sizes ten times apart, built on anvil
// by ./scale/market.ts, then every reader timed with its JSON-RPC calls and indexer queries
// counted: the indexer's catch-up on PGlite and on PostgreSQL, its list routes (the app's pages),
// a keeper round and a provider round (first start and next round), and `gpufog status`.
// Results in bench/results/scale.json, written after each size.
//
// Environment (the bench task takes no options of its own):
//   GPUFOG_SCALE_SIZES   nodes:leases pairs, default "2000:20000,20000:200000"
//   GPUFOG_SCALE_RUNS    runs of each reader, default 3 (the median is reported)
//   GPUFOG_SCALE_CATCHUP_RUNS  runs of the indexer's catch-up on each database, default as many
//   GPUFOG_SCALE_BUDGET  seconds a size's market may take to build, default 900; a larger size
//                        whose build, extrapolated from the previous one, would take longer is
//                        shrunk to what fits (the JSON says so)
//   GPUFOG_SCALE_ONLY    comma-separated parts to run: cli (every command reader) or some of its
//                        readers (keeper, provider, status), pglite, postgres (default all)
//   GPUFOG_SCALE_OUT     the JSON file to write instead of bench/results/scale.json (a run of
//                        some parts writes there, so that it does not replace the full results)
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";

import { TypedDataEncoder } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { deployLocalSystem } from "../deploy/local.js";
import { addLiquidity, connectUniswapV2 } from "../harness/uniswap.js";
import { receiptToJson } from "../src/market/quote.js";
import { RECEIPT_TYPES } from "../src/market/typed-data.js";
import { LeafKind } from "../src/airdrop/merkle/proof.js";
import { buildTree } from "../src/airdrop/merkle/tree.js";
import { writeJsonAtomic } from "../src/io.js";
import { writeResult, type BenchOptions } from "./lib.js";
import { buildMarket, type BuiltMarket, type MarketSize } from "./scale/market.js";
import {
  caughtUp,
  cliStartup,
  du,
  startIndexer,
  startPostgres,
  summarize,
  timeCli,
  timeRoutes,
  writeAgentFiles,
  type Figures,
  type Run,
} from "./scale/readers.js";
import { CountingProxy, Rpc, startAnvil, stopChild } from "./scale/rpc.js";

// anvil's account #2 (the test mnemonic): the `keeper` of deploy/parameters/hardhat.json.
const KEEPER = {
  address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  key: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
};
const UNIT = 10n ** 18n;

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function sizes(): MarketSize[] {
  const spec = process.env.GPUFOG_SCALE_SIZES ?? "2000:20000,20000:200000";
  return spec.split(",").map((pair) => {
    const [nodes, leases] = pair.split(":").map(Number);
    if (!Number.isInteger(nodes) || !Number.isInteger(leases) || nodes! < 10 || leases! < 10)
      throw new Error(`GPUFOG_SCALE_SIZES: "${pair}" is not nodes:leases`);
    return { nodes: nodes!, leases: leases! };
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface IndexerFigures {
  database: "pglite" | "postgres";
  runs: number;
  events: number;
  catchUpSeconds: number;
  allCatchUpSeconds: number[];
  eventsPerSecond: number;
  /** When Ponder's HTTP server first answered: its start, before (or while) it indexes. */
  serverUpSeconds: number;
  /** Events over the catch-up time less the server's start. */
  eventsPerSecondAfterServerUp: number;
  databaseBytes: number;
  databaseNote: string;
  rpcCalls: number;
  rpcBytesIn: number;
  rpcByMethod: Record<string, number>;
  routes: Record<string, Figures & { rows?: number }>;
  error?: string;
}

export default async function scale(hre: HardhatRuntimeEnvironment, _options: BenchOptions): Promise<void> {
  const runs = Number(process.env.GPUFOG_SCALE_RUNS ?? 3);
  const budget = Number(process.env.GPUFOG_SCALE_BUDGET ?? 900);
  const catchUpRuns = Number(process.env.GPUFOG_SCALE_CATCHUP_RUNS ?? runs);
  const only = new Set((process.env.GPUFOG_SCALE_ONLY ?? "cli,pglite,postgres").split(","));
  const result: Record<string, unknown> = {
    suite: "scale",
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    },
    method:
      "Each size is built on a fresh anvil by bench/scale/market.ts (impersonated eth_sendTransaction in JSON-RPC batches, own nonces, automine off, 1G-gas blocks; quotes and receipts signed in-process). Every reader runs `runs` times and reports the median; RPC calls are counted by a proxy in front of anvil (a batch counts each call), indexer queries by a proxy in front of the indexer. CLI figures include the start of a Node process with tsx (cliStartupMs). Agent rounds run on an anvil snapshot reverted after each run; 'next round' is a round after a previous round of the same agent left its state.",
    runs,
    catchUpRuns,
    sizes: [] as unknown[],
    appPages: {
      TODO: "The app's pages in headless Chromium (Market, My leases, Provider, Token economics) are not measured here yet: the app's move to the indexer is another engineer's work in progress. The indexer routes those pages use are timed under each size's indexer.*.routes.",
    },
  };
  const out = process.env.GPUFOG_SCALE_OUT;
  const write = () => {
    if (out === undefined) return writeResult(hre.config.paths.root, "scale", result);
    writeJsonAtomic(path.resolve(out), result);
    return path.resolve(out);
  };
  let previous: { size: MarketSize; seconds: number } | undefined;
  for (const requested of sizes()) {
    let size = requested;
    let reduced: string | undefined;
    if (previous !== undefined) {
      const factor = requested.leases / previous.size.leases;
      const predicted = previous.seconds * factor;
      if (predicted > budget) {
        const k = budget / previous.seconds;
        size = {
          nodes: Math.round((previous.size.nodes * k) / 100) * 100,
          leases: Math.round((previous.size.leases * k) / 1000) * 1000,
        };
        reduced = `requested ${requested.nodes} nodes / ${requested.leases} leases; its build, extrapolated from the previous size (${previous.seconds.toFixed(0)} s), would take ${predicted.toFixed(0)} s, over the ${budget} s budget: built the largest that fits`;
        log(reduced);
      }
    }
    log(`size: ${size.nodes} nodes, ${size.leases} leases`);
    const entry: Record<string, unknown> = { requested, built: size, ...(reduced ? { reduced } : {}) };
    (result.sizes as unknown[]).push(entry);
    const dir = mkdtempSync(path.join(tmpdir(), "gpufog-scale-"));
    const anvil = await startAnvil(await freePort());
    const rpc = new Rpc(anvil.url);
    try {
      // --- deploy with the project's own deployment, then build the market
      const connection = await hre.network.create({ network: "localhost", override: { url: anvil.url } });
      const [deployer] = await connection.ethers.getSigners();
      const tree = await buildTree([{ kind: LeafKind.Evm, holder: deployer!.address, amount: 1_000n * UNIT }]);
      const id = `scale-bench-${path.basename(dir)}`;
      const system = await deployLocalSystem(
        connection,
        { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
        undefined,
        { deploymentId: id },
      );
      rmSync(path.join(hre.config.paths.root, "deploy", "deployments", id), { recursive: true, force: true });
      // A GUT/TFT pool, as a real market has: the keeper observes it and buys back through it.
      const { gut, tft } = system.contracts;
      await addLiquidity(
        await connectUniswapV2(system.book.uniswap.router, deployer!),
        deployer!,
        gut,
        100_000n * UNIT,
        tft,
        100_000n * UNIT,
      );
      await rpc.call("evm_setAutomine", [false]);
      const market: BuiltMarket = await buildMarket(rpc, system, deployer!.address, KEEPER.address, size, log);
      await rpc.call("evm_setAutomine", [true]);
      await connection.close();
      previous = { size, seconds: market.buildSeconds };
      log(
        `built in ${market.buildSeconds.toFixed(0)} s: ${market.transactions} transactions, ${market.indexedEvents} indexed events, ${market.simulatedDays} days`,
      );
      entry.market = {
        buildSeconds: Number(market.buildSeconds.toFixed(1)),
        transactions: market.transactions,
        blocks: market.blocks,
        latestBlock: market.latestBlock,
        indexedEvents: market.indexedEvents,
        simulatedDays: market.simulatedDays,
        counts: market.counts,
        busiestProvider: {
          address: market.busiestProvider.address,
          leases: market.busiestProvider.leases,
          nodes: market.busiestProvider.nodes,
        },
        busiestCustomer: market.busiestCustomer,
        busiestProviderOpenLeases: market.openLeasesOfBusiest.length,
        notIncluded:
          "buybacks while building (the keeper round makes them: the pool is seeded and observed each round), top-ups, session keys, operators",
      };
      write();

      // --- the command's readers, behind a counting proxy
      // Receipts up to now for the busiest provider's open leases, signed by their customers.
      const through = BigInt(
        (await rpc.call<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false])).timestamp,
      );
      const receipts = market.openLeasesOfBusiest.map(({ id, customer }) => {
        const receipt = { leaseId: id, paidThrough: through };
        const digest = TypedDataEncoder.hash(market.domain, RECEIPT_TYPES as never, receipt);
        return receiptToJson({
          chainId: market.domain.chainId,
          escrow: market.domain.verifyingContract,
          receipt,
          signature: customer.signingKey.sign(digest).serialized,
        });
      });
      const rpcProxy = new CountingProxy(anvil.url);
      await rpcProxy.start();
      const files = await writeAgentFiles(
        dir,
        system.book,
        system.book.chainId,
        rpcProxy.url,
        { address: market.busiestProvider.address, key: market.busiestProvider.key },
        KEEPER,
        {
          // Withdraw above 1 GUT; collect a receipt of a lease open an hour (the last round's are 4 h old).
          provider: {
            withdrawThreshold: { [await system.contracts.gut.getAddress()]: "1" },
            collectEverySeconds: 3600,
          },
          inbox: () => receipts,
        },
      );
      await rpc.call("anvil_setBalance", [KEEPER.address, "0x" + (10n ** 22n).toString(16)]);
      const readers: Record<string, Figures> = {};
      entry.readers = readers;
      const parts = ["keeper", "provider", "status"].filter((part) => only.has("cli") || only.has(part));
      if (parts.length > 0) {
        entry.cliStartupMs = await cliStartup(runs);
        log(`gpufog --version: ${entry.cliStartupMs as number} ms`);
        const timeoutMs = 30 * 60_000;
        const all: [string, string, string[], string[] | undefined][] = [
          [
            "keeper",
            "keeper round (first start)",
            ["keeper", "run", "--once", "--config", files.keeperConfig],
            undefined,
          ],
          [
            "keeper",
            "keeper round (next round)",
            ["keeper", "run", "--once", "--config", files.keeperConfig],
            ["keeper", "run", "--once", "--config", files.keeperConfig],
          ],
          [
            "provider",
            "provider round (first start)",
            ["provider", "run", "--once", "--config", files.providerConfig],
            undefined,
          ],
          [
            "provider",
            "provider round (next round)",
            ["provider", "run", "--once", "--config", files.providerConfig],
            ["provider", "run", "--once", "--config", files.providerConfig],
          ],
          ["status", "gpufog status (provider)", ["status", "--config", files.providerConfig], undefined],
          ["status", "gpufog status (keeper)", ["status", "--config", files.keeperConfig], undefined],
        ];
        const cases = all.filter(([part]) => parts.includes(part)).map(([, ...c]) => c);
        for (const [name, args, before] of cases) {
          try {
            readers[name] = await timeCli(rpc, rpcProxy, args, runs, { fresh: files.fresh, before, timeoutMs });
          } catch (error) {
            readers[name] = { ...summarize([failed(error)]) };
          }
          const f = readers[name]!;
          log(
            `${name}: ${f.medianMs} ms, ${f.rpcCalls} RPC calls, ${f.transactions} txs, max gas ${f.maxGas}${f.ok ? "" : ` FAILED ${f.note ?? ""}`}`,
          );
          write();
        }
      }
      await rpcProxy.close();

      // --- the indexer: catch-up and routes, on PGlite and on PostgreSQL
      const routes = {
        "market: /nodes?status=1&limit=50": "/nodes?status=1&limit=50",
        "my leases: /leases?customer=": `/leases?customer=${market.busiestCustomer.address}`,
        "provider page: /leases?provider=": `/leases?provider=${market.busiestProvider.address}`,
        "provider page: /earnings/": `/earnings/${market.busiestProvider.address}`,
        "token economics: /economics": "/economics",
        "keeper work list: /due/finalize": `/due/finalize?at=${Math.floor(Date.now() / 1000) + 365 * 86400}`,
      };
      const indexers: Record<string, IndexerFigures> = {};
      entry.indexer = indexers;
      const book = path.join(dir, "book", `${system.book.chainId}.json`);
      for (const database of ["pglite", "postgres"] as const) {
        if (!only.has(database)) continue;
        const postgres = database === "postgres" ? startPostgres(dir, await freePort()) : undefined;
        if (database === "postgres" && postgres === undefined) {
          indexers.postgres = { error: "PostgreSQL is not installed (/usr/lib/postgresql)" } as IndexerFigures;
          continue;
        }
        try {
          indexers[database] = await indexerFigures(
            database,
            book,
            anvil.url,
            market,
            catchUpRuns,
            routes,
            dir,
            postgres,
            Math.max(runs, 5),
          );
          const f = indexers[database]!;
          log(`indexer on ${database}: ${f.catchUpSeconds} s, ${f.eventsPerSecond} events/s, ${f.databaseBytes} bytes`);
        } catch (error) {
          indexers[database] = { database, error: String(error).slice(0, 2000) } as IndexerFigures;
          log(`indexer on ${database} FAILED: ${String(error).slice(0, 500)}`);
        } finally {
          postgres?.stop();
        }
        write();
      }
    } finally {
      await anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    write();
  }
  result.growth = growthOf(result.sizes as SizeEntry[]);
  const file = write();
  log(`wrote ${file}`);
}

type SizeEntry = {
  built: MarketSize;
  readers?: Record<string, Figures>;
  indexer?: Record<string, { catchUpSeconds?: number; routes?: Record<string, Figures> }>;
};

/**
 * Each reader's figures at the last size over the first (wall time, RPC calls, indexer queries,
 * bytes, largest gas): the issue's "growth" between two sizes ten times apart.
 */
export function growthOf(sizes: SizeEntry[]): Record<string, unknown> | undefined {
  const [a, b] = [sizes[0], sizes.at(-1)];
  if (a === undefined || b === undefined || a === b) return undefined;
  const ratio = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined || x === 0 ? null : Number((y / x).toFixed(2));
  const of = (x: Figures | undefined, y: Figures | undefined) => ({
    time: ratio(x?.medianMs, y?.medianMs),
    rpcCalls: ratio(x?.rpcCalls, y?.rpcCalls),
    indexerQueries: ratio(x?.indexerQueries, y?.indexerQueries),
    bytesIn: ratio(x?.bytesIn, y?.bytesIn),
    maxGas: ratio(x?.maxGas, y?.maxGas),
  });
  const readers: Record<string, unknown> = {};
  for (const name of Object.keys(b.readers ?? {})) readers[name] = of(a.readers?.[name], b.readers?.[name]);
  for (const db of Object.keys(b.indexer ?? {})) {
    readers[`indexer catch-up (${db})`] = {
      time: ratio(a.indexer?.[db]?.catchUpSeconds, b.indexer?.[db]?.catchUpSeconds),
    };
    for (const route of Object.keys(b.indexer?.[db]?.routes ?? {}))
      readers[`${route} (${db})`] = of(a.indexer?.[db]?.routes?.[route], b.indexer?.[db]?.routes?.[route]);
  }
  return {
    from: a.built,
    to: b.built,
    leases: ratio(a.built.leases, b.built.leases),
    readers,
  };
}

function failed(error: unknown): Run {
  return {
    ms: 0,
    rpcCalls: 0,
    indexerQueries: 0,
    bytesIn: 0,
    bytesOut: 0,
    byMethod: {},
    transactions: 0,
    maxGas: 0,
    ok: false,
    note: String(error).slice(0, 600),
  };
}

async function indexerFigures(
  database: "pglite" | "postgres",
  book: string,
  anvilUrl: string,
  market: BuiltMarket,
  runs: number,
  routes: Record<string, string>,
  dir: string,
  postgres: ReturnType<typeof startPostgres>,
  routeRuns: number,
): Promise<IndexerFigures> {
  const seconds: number[] = [];
  const servingSeconds: number[] = [];
  let last:
    | Omit<
        IndexerFigures,
        | "routes"
        | "allCatchUpSeconds"
        | "catchUpSeconds"
        | "eventsPerSecond"
        | "serverUpSeconds"
        | "eventsPerSecondAfterServerUp"
      >
    | undefined;
  let routeFigures: IndexerFigures["routes"] = {};
  for (let i = 0; i < runs; i++) {
    const proxy = new CountingProxy(anvilUrl);
    await proxy.start();
    const schema = `scale_${i}`;
    const pglite = path.join(dir, `pglite-${i}`);
    const started = performance.now();
    const indexer = startIndexer(
      book,
      proxy.url,
      await freePort(),
      schema,
      database === "pglite" ? { GPUFOG_PGLITE_DIR: pglite } : { DATABASE_URL: postgres!.url },
    );
    try {
      const { seconds: s, serving } = await caughtUp(indexer, market.latestBlock, started, 60 * 60_000);
      seconds.push(s);
      servingSeconds.push(serving);
      const counts = proxy.counts;
      let databaseBytes: number;
      let databaseNote: string;
      if (database === "pglite") {
        databaseBytes = du(pglite);
        databaseNote = "du -sb of the PGlite folder";
      } else {
        databaseBytes = Number(
          postgres!.psql(
            `select coalesce(sum(pg_total_relation_size(c.oid)),0) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and c.relkind in ('r','m')`,
          ),
        );
        databaseNote = `pg_total_relation_size of schema ${schema}'s tables (indexes and TOAST included); whole database ${postgres!.psql("select pg_database_size('postgres')")} bytes after ${i + 1} run(s)`;
      }
      last = {
        database,
        runs,
        events: market.indexedEvents,
        databaseBytes,
        databaseNote,
        rpcCalls: counts.calls,
        rpcBytesIn: counts.bytesIn,
        rpcByMethod: counts.byMethod,
      };
      log(`  ${database} catch-up ${i + 1}/${runs}: ${s.toFixed(1)} s, ${counts.calls} RPC calls`);
      if (i === runs - 1) routeFigures = await timeRoutes(indexer, routes, routeRuns);
    } finally {
      await stopChild(indexer.child);
      await proxy.close();
      rmSync(pglite, { recursive: true, force: true });
    }
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    ...last!,
    catchUpSeconds: Number(median.toFixed(2)),
    allCatchUpSeconds: seconds.map((s) => Number(s.toFixed(2))),
    eventsPerSecond: Math.round(market.indexedEvents / median),
    serverUpSeconds: Number(
      [...servingSeconds].sort((a, b) => a - b)[Math.floor((servingSeconds.length - 1) / 2)]!.toFixed(2),
    ),
    eventsPerSecondAfterServerUp: Math.round(
      market.indexedEvents /
        Math.max(
          0.001,
          median - [...servingSeconds].sort((a, b) => a - b)[Math.floor((servingSeconds.length - 1) / 2)]!,
        ),
    ),
    routes: routeFigures,
  };
}
