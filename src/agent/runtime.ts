// What both agents start with: the address book, the key, the endpoints, the state file, the
// metrics server, the transaction sender, and a stop signal wired to SIGTERM and SIGINT.
import { readFileSync } from "node:fs";

import type { HDNodeWallet, JsonRpcApiProvider, Log, Provider, TransactionReceipt, Wallet } from "ethers";

import type { BucketRef } from "../emission/client.js";
import { getContracts, parseAddressBook, type AddressBook, type GpufogContracts } from "../deployments.js";
import { InputError } from "../errors.js";
import type { CommonConfig } from "./config.js";
import { loadKey } from "./keystore.js";
import { jsonLogger, reasonOf, type Logger } from "./log.js";
import { Metrics, serveMetrics } from "./metrics.js";
import { FallbackRpcProvider } from "./rpc.js";
import { loadState, saveState, type AgentState } from "./state.js";
import { sleep } from "../registry.js";
import { scanLogs } from "../rpc/ranges.js";
import { tokenInfo } from "../erc20.js";
import { formatSpan, formatToken } from "../format.js";
import { JobSkipped, jobOf, TxSender } from "./sender.js";

export interface Runtime {
  config: CommonConfig;
  book: AddressBook;
  provider: FallbackRpcProvider;
  wallet: Wallet | HDNodeWallet;
  contracts: GpufogContracts;
  state: AgentState;
  sender: TxSender;
  metrics: Metrics;
  log: Logger;
  signal: AbortSignal;
  dryRun: boolean;
  /** The metrics server's port (0 when off). */
  metricsPort: number;
  /** Saves the state and closes the metrics server. */
  close(): Promise<void>;
}

/** Reads the address book named by a config. */
export function readBook(config: Pick<CommonConfig, "file" | "addressBook">): AddressBook {
  let text: string;
  try {
    text = readFileSync(config.addressBook, "utf8");
  } catch (error) {
    throw new InputError(
      config.file,
      undefined,
      "addressBook",
      `${config.addressBook} cannot be read: ${(error as Error).message}`,
    );
  }
  return parseAddressBook(text, config.addressBook);
}

/** The agent's endpoints as one provider, counting each failed try in `metrics`. */
export function connect(config: CommonConfig, book: AddressBook, metrics: Metrics, log?: Logger): FallbackRpcProvider {
  metrics.define(SERIES[0]![0], SERIES[0]![1], SERIES[0]![2]);
  return new FallbackRpcProvider(config.rpc, {
    chainId: book.chainId,
    timeoutMs: config.rpcTimeoutMs,
    onError: (endpoint, kind) => metrics.inc("gpufog_rpc_errors_total", { endpoint: String(endpoint), kind }),
    onRecover: (downMs, failed) =>
      log?.("info", "rpc_back", {
        message: `RPC back after ${formatSpan(BigInt(Math.round(downMs / 1000)))}, ${failed} failed request${failed === 1 ? "" : "s"}`,
        downSeconds: Math.round(downMs / 1000),
        failedRequests: failed,
      }),
  });
}

/** A native amount for people: `0.9999 ETH`, cut to 4 decimals. */
export const ethText = (wei: bigint): string => formatToken(wei, "ETH", 18, 4);

export const SERIES: [string, "counter" | "gauge", string][] = [
  ["gpufog_rpc_errors_total", "counter", "Failed JSON-RPC tries, by endpoint index and kind."],
  ["gpufog_transactions_sent_total", "counter", "Transactions signed and broadcast, by job."],
  ["gpufog_transactions_replaced_total", "counter", "Replacements of stuck transactions with bumped fees."],
  [
    "gpufog_transactions_total",
    "counter",
    "Transactions settled, by job and outcome (mined, reverted, replaced_elsewhere), those resumed from the journal after a restart included.",
  ],
  [
    "gpufog_transactions_resumed_total",
    "counter",
    "Transactions found in flight in the journal at start and resumed (re-broadcast and waited for), by job.",
  ],
  ["gpufog_jobs_total", "counter", "Jobs by name and result (done, failed, skipped)."],
  ["gpufog_rounds_total", "counter", "Rounds run."],
  ["gpufog_balance_wei", "gauge", "The agent account's native balance."],
];

/** Starts an agent's runtime; `extraSeries` are the agent's own metrics. */
export async function startRuntime(
  config: CommonConfig,
  kind: AgentState["kind"],
  options: { dryRun: boolean; extraSeries: [string, "counter" | "gauge", string][]; metrics?: boolean },
): Promise<Runtime> {
  const log = jsonLogger(kind);
  const book = readBook(config);
  const wallet = await loadKey(config);
  const metrics = new Metrics();
  for (const [name, type, help] of [...SERIES, ...options.extraSeries]) metrics.define(name, type, help);
  const provider = connect(config, book, metrics, log);
  const signer = wallet.connect(provider);
  const contracts = getContracts(book, signer);
  const state = loadState(config.stateFile, kind, book.chainId, wallet.address, book.block - 1);
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    if (stop.signal.aborted) return;
    log("info", "stopping", { signal });
    stop.abort();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  const server =
    options.metrics === false || config.metricsPort === 0 || options.dryRun
      ? undefined
      : await serveMetrics(metrics, config.metricsHost, config.metricsPort).catch((error: Error) => {
          throw new InputError(
            config.file,
            undefined,
            "metricsPort",
            `cannot listen on ${config.metricsHost}:${config.metricsPort}: ${error.message}`,
          );
        });
  const sender = new TxSender({
    config,
    wallet: signer,
    provider,
    state,
    log,
    metrics,
    signal: stop.signal,
    dryRun: options.dryRun,
    abis: [contracts.registry.interface, contracts.escrow.interface, contracts.emission.interface],
  });
  log("info", "started", {
    account: wallet.address,
    chainId: book.chainId,
    endpoints: provider.endpoints,
    stateFile: config.stateFile,
    nonce: state.nonce,
    pending: state.pending?.label ?? null,
    metrics: server === undefined ? null : `http://${config.metricsHost}:${server.port}/metrics`,
    dryRun: options.dryRun,
  });
  return {
    config,
    book,
    provider,
    wallet: signer,
    contracts,
    state,
    sender,
    metrics,
    log,
    signal: stop.signal,
    dryRun: options.dryRun,
    metricsPort: server?.port ?? 0,
    close: async () => {
      if (!options.dryRun) saveState(config.stateFile, state);
      await server?.close();
      provider.destroy();
    },
  };
}

/**
 * Runs one job through the sender and accounts for it: `done`, `skipped` (it would revert, gas is
 * above the cap or its value) or `failed`. Returns the receipt, or null when not sent.
 */
export async function runJob(
  rt: Runtime,
  label: string,
  request: { to: string; data: string; valueWei?: bigint },
): Promise<TransactionReceipt | null> {
  const job = jobOf(label);
  try {
    const receipt = await rt.sender.send({ label, ...request });
    if (receipt !== null) rt.metrics.inc("gpufog_jobs_total", { job, result: "done" });
    return receipt;
  } catch (error) {
    const skipped = error instanceof JobSkipped;
    rt.metrics.inc("gpufog_jobs_total", { job, result: skipped ? "skipped" : "failed" });
    rt.log(skipped ? "info" : "error", skipped ? "job_skipped" : "job_failed", { label, reason: reasonOf(error) });
    return null;
  }
}

/**
 * Calls `round` every `pollMs` until stopped; a round that throws is logged and the next one runs.
 * After the first good round, and then at most every `aliveMs`, one "alive" line says in words
 * what the agent watches (`summary`'s parts) and the key's balance, so that quiet logs mean a
 * quiet market, not a dead agent.
 */
export async function runLoop(
  rt: Runtime,
  round: () => Promise<void>,
  once = false,
  summary: () => Record<string, string> = () => ({}),
): Promise<void> {
  let aliveAt = -Infinity;
  while (!rt.signal.aborted) {
    try {
      // A transaction left in flight (by a previous run, or a round stopped mid-wait) is settled
      // first, so that the round plans from the chain as that transaction left it.
      if (!(await rt.sender.settlePending())) break;
      await round();
      if (!rt.dryRun) saveState(rt.config.stateFile, rt.state);
      const balance = await rt.provider.getBalance(rt.wallet.address);
      rt.metrics.set("gpufog_balance_wei", Number(balance), { account: rt.wallet.address });
      if (Date.now() - aliveAt >= rt.config.aliveMs) {
        aliveAt = Date.now();
        const parts = { ...summary(), balance: ethText(balance) };
        rt.log("info", "alive", {
          message: `alive: ${Object.entries(parts)
            .map(([k, v]) => (k === "balance" ? `balance ${v}` : v))
            .join("; ")}`,
          ...parts,
        });
      }
    } catch (error) {
      rt.log("error", "round_failed", { reason: reasonOf(error) });
    }
    rt.metrics.inc("gpufog_rounds_total");
    if (once) break;
    await sleep(rt.config.pollMs, rt.signal);
  }
}

/** A token's decimals, read once per token into `cache`. */
export async function decimalsOf(cache: Map<string, number>, token: string, provider: Provider): Promise<number> {
  const cached = cache.get(token);
  if (cached !== undefined) return cached;
  const { decimals } = await tokenInfo(token, provider);
  cache.set(token, decimals);
  return decimals;
}

/** The native-coin worth of `amount` of `token` at the config's `nativePrice`, or undefined when unpriced. */
export function nativeValue(
  config: Pick<CommonConfig, "nativePrice">,
  token: string,
  amount: bigint,
  decimals: number,
): bigint | undefined {
  const price = config.nativePrice.get(token);
  return price === undefined ? undefined : (amount * price) / 10n ** BigInt(decimals);
}

/**
 * What reading the market's logs needs: an agent's {@link Runtime}, or a task's signer running
 * one round of the keeper.
 */
export interface LogRuntime {
  contracts: Pick<GpufogContracts, "escrow" | "registry" | "emission">;
  provider: Provider & Pick<JsonRpcApiProvider, "send">;
  state: AgentState;
  signal: AbortSignal;
  config: Pick<CommonConfig, "logRange">;
}

/**
 * Reads logs with `chunk` (the logs an agent wants in a range of blocks, in chain order: one
 * filter, or several whose later ones depend on the earlier) from the block after the state's
 * `lastBlock` to `latest`, at most `logRange` blocks a chunk (narrower while an endpoint refuses
 * the range, see {@link scanLogs}), and moves `lastBlock` on after each chunk is handled: each
 * block's logs are read once across restarts (a chunk cut short by a stop or a failed read is read
 * again, so `onLog` must be idempotent). A stop ends the read quietly; the state stays consistent.
 */
export async function readNewLogs(
  rt: Pick<LogRuntime, "state" | "signal" | "config">,
  chunk: (fromBlock: number, toBlock: number) => Promise<Log[]>,
  latest: number,
  onLog: (log: Log) => void | Promise<void>,
): Promise<void> {
  try {
    await scanLogs(chunk, {
      from: rt.state.lastBlock + 1,
      to: latest,
      maxRange: rt.config.logRange,
      signal: rt.signal,
      onChunk: async (_from, toBlock, logs) => {
        for (const log of logs) await onLog(log);
        rt.state.lastBlock = toBlock;
      },
    });
  } catch (error) {
    if (!rt.signal.aborted) throw error;
  }
}

/** A bucket's key in the state file. */
export const bucketKey = (epoch: bigint, token: string): string => `${epoch}:${token}`;

/** The buckets of the state file. */
export function stateBuckets(state: AgentState): BucketRef[] {
  return state.buckets.map((key) => {
    const [epoch, token] = key.split(":");
    return { epoch: BigInt(epoch!), token: token! };
  });
}
