import { getAddress, id, isAddress } from "ethers";

import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io.js";
import { isRangeRefusal, scanLogs } from "../../rpc/ranges.js";
import { RetryingTransport, type RetryOptions } from "../../rpc/retry.js";
import type { RpcTransport } from "../../rpc/transport.js";
import { readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { SnapshotError } from "./errors.js";
import { formatSnapshotCsv, snapshotRows, type SnapshotRow } from "../snapshot-csv.js";

/** `keccak256("Transfer(address,address,uint256)")`, the first topic of every ERC-20 transfer. */
export const TRANSFER_TOPIC = id("Transfer(address,address,uint256)");

const ZERO = "0x0000000000000000000000000000000000000000";
const TOTAL_SUPPLY = "0x18160ddd";
const BALANCE_OF = "0x70a08231";

export interface EvmSnapshotOptions {
  /** The endpoint, without retries: {@link RetryingTransport} is added here with `retry`. */
  transport: RpcTransport;
  /** The ERC-20 contract. */
  token: string;
  /** The first block to replay: the token's deployment block, or any block before it. */
  fromBlock: bigint;
  /** The snapshot height: balances are as at the end of this block. */
  block: bigint;
  /** A file for progress; an interrupted run with the same parameters resumes from it. */
  checkpoint?: string;
  /** Least time between two checkpoint writes (default 2000 ms; 0 writes after every request). */
  checkpointEveryMs?: number;
  /** Addresses to leave out of the CSV (they still count towards the `totalSupply()` check). */
  exclude?: Iterable<string>;
  /** How many holders to check with `balanceOf()` at the block (default 20). */
  sample?: number;
  /** Seeds the sample, so a run is reproducible (default: the token and the block). */
  seed?: string;
  /** The widest block range one `eth_getLogs` asks for (default 10,000). */
  maxRange?: number;
  /** The range to start with (default `maxRange`). */
  initialRange?: number;
  retry?: RetryOptions;
  signal?: AbortSignal;
  onProgress?: (progress: SnapshotProgress) => void;
  /** When set, the CSV is written here atomically once verified, and the checkpoint removed. */
  out?: string;
}

export interface SnapshotProgress {
  phase: "scan" | "verify" | "done";
  fromBlock: bigint;
  block: bigint;
  /** Every log below this block is counted. */
  nextBlock: bigint;
  logs: number;
  holders: number;
  range: number;
}

export interface EvmSnapshot {
  /** Checksummed. */
  token: string;
  chainId: bigint;
  fromBlock: bigint;
  block: bigint;
  blockHash: string;
  /** `totalSupply()` at the block; equal to the sum of every balance before exclusions. */
  totalSupply: bigint;
  /** Holders with a non-zero balance, before exclusions. */
  holders: number;
  /** What goes into the CSV: sorted, no zeros, no excluded addresses. */
  rows: SnapshotRow[];
  /** The sum of `rows`. */
  total: bigint;
  /** Excluded addresses that held tokens, and how much. */
  excluded: SnapshotRow[];
  /** Holders whose `balanceOf()` was checked. */
  sampled: string[];
  logs: number;
  /** `eth_getLogs` requests, refused ones included. */
  requests: number;
  /** Requests the endpoint refused as too large, each followed by a smaller range. */
  refusals: number;
  /** Where this run started when it resumed a checkpoint. */
  resumedFrom?: bigint;
  csv: string;
}

interface RawLog {
  address?: string;
  topics?: string[];
  data?: string;
  blockNumber?: string;
  logIndex?: string;
  transactionHash?: string;
  removed?: boolean;
}

/**
 * Takes a snapshot of an ERC-20's balances at a block by replaying its `Transfer` logs, and
 * verifies it against the token's own `totalSupply()` and a seeded sample of `balanceOf()` at
 * that block. Ranges adapt to the endpoint, transient failures are retried, and progress is
 * checkpointed so an interrupted run resumes to the same result.
 */
export async function snapshotEvm(options: EvmSnapshotOptions): Promise<EvmSnapshot> {
  const { fromBlock, block, signal } = options;
  if (!isAddress(options.token))
    throw new InputError("snapshot", undefined, "token", `"${options.token}" is not an address`);
  const token = options.token.toLowerCase();
  const maxRange = options.maxRange ?? 10_000;
  if (!Number.isSafeInteger(maxRange) || maxRange < 1) {
    throw new InputError("snapshot", undefined, "maxRange", `must be a positive integer, not ${maxRange}`);
  }
  const sampleSize = options.sample ?? 20;
  if (!Number.isSafeInteger(sampleSize) || sampleSize < 0) {
    throw new InputError("snapshot", undefined, "sample", `must be a non-negative integer, not ${sampleSize}`);
  }
  if (fromBlock < 0n) throw new InputError("snapshot", undefined, "fromBlock", "must not be negative");
  if (fromBlock > block) {
    throw new InputError("snapshot", undefined, "fromBlock", `${fromBlock} is after the snapshot block ${block}`);
  }
  const exclude = new Set<string>();
  for (const address of options.exclude ?? []) {
    if (!isAddress(address)) throw new InputError("snapshot", undefined, "exclude", `"${address}" is not an address`);
    exclude.add(address.toLowerCase());
  }

  const rpc = new RetryingTransport(options.transport, options.retry);
  const call = (method: string, params: unknown[]) => rpc.request(method, params, { signal });

  const chainId = BigInt(quantity(await call("eth_chainId", []), "eth_chainId"));
  const head = BigInt(quantity(await call("eth_blockNumber", []), "eth_blockNumber"));
  if (block > head) {
    throw new InputError(
      "snapshot",
      undefined,
      "block",
      `${block} is beyond the chain head ${head} of ${rpc.endpoint}`,
    );
  }
  const header = (await call("eth_getBlockByNumber", [hex(block), false])) as { hash?: unknown } | null;
  if (typeof header?.hash !== "string") throw new SnapshotError(`${rpc.endpoint} has no block ${block}`);
  const blockHash = header.hash.toLowerCase();
  const code = await call("eth_getCode", [token, hex(block)]);
  if (code === "0x" || typeof code !== "string") {
    throw new InputError("snapshot", undefined, "token", `no contract at ${getAddress(token)} at block ${block}`);
  }

  const key = { token, chainId, fromBlock, block, blockHash };
  const resumed = options.checkpoint === undefined ? undefined : readCheckpoint(options.checkpoint, key);
  const state: Checkpoint = resumed ?? {
    ...key,
    nextBlock: fromBlock,
    range: Math.min(options.initialRange ?? maxRange, maxRange),
    logs: 0,
    balances: new Map(),
  };
  state.range = Math.max(1, Math.min(state.range, maxRange));
  const resumedFrom = resumed?.nextBlock;

  const progress = (phase: SnapshotProgress["phase"]) =>
    options.onProgress?.({
      phase,
      fromBlock,
      block,
      nextBlock: state.nextBlock,
      logs: state.logs,
      holders: state.balances.size,
      range: state.range,
    });
  const everyMs = options.checkpointEveryMs ?? 2000;
  let savedAt = Date.now();
  const save = () => {
    if (options.checkpoint === undefined) return;
    writeCheckpoint(options.checkpoint, state);
    savedAt = Date.now();
  };

  let requests = 0;
  let refusals = 0;
  // The range of the last request, to name the block when even one is refused.
  let asked: [number, number] = [0, 0];
  // False while a chunk is half applied: such a state must never reach the checkpoint.
  let consistent = true;
  progress("scan");
  try {
    await scanLogs(
      async (from, to) => {
        asked = [from, to];
        requests++;
        const params = [
          { address: token, topics: [TRANSFER_TOPIC], fromBlock: hex(BigInt(from)), toBlock: hex(BigInt(to)) },
        ];
        return checkedLogs(await call("eth_getLogs", params), token, BigInt(from), BigInt(to), rpc.endpoint);
      },
      {
        from: Number(state.nextBlock),
        to: Number(block),
        maxRange,
        range: state.range,
        signal,
        onRefusal: () => void refusals++,
        onChunk: (_from, to, logs, range) => {
          consistent = false;
          apply(state.balances, logs);
          state.logs += logs.length;
          state.nextBlock = BigInt(to) + 1n;
          state.range = range;
          consistent = true;
          if (Date.now() - savedAt >= everyMs) save();
          progress("scan");
        },
      },
    );
  } catch (error) {
    try {
      if (consistent) save();
    } catch {
      // The failure that stopped the scan is the one to report, not a failed checkpoint write.
    }
    if (asked[0] === asked[1] && isRangeRefusal(error, ...asked)) {
      throw new SnapshotError(
        `${rpc.endpoint} refuses the logs of even one block (${asked[0]}): ${(error as Error).message}`,
      );
    }
    throw error;
  }
  save();

  progress("verify");
  const totalSupply = uint256(await call("eth_call", [{ to: token, data: TOTAL_SUPPLY }, hex(block)]), "totalSupply()");
  let sum = 0n;
  for (const amount of state.balances.values()) sum += amount;
  if (sum !== totalSupply) {
    throw new SnapshotError(
      `the Transfer logs of ${getAddress(token)} from block ${fromBlock} to ${block} add up to ${sum}, but totalSupply() at block ${block} is ${totalSupply}` +
        (sum < totalSupply
          ? "; does the scan start after the token's deployment, or does the token mint without a Transfer event?"
          : "; does the token burn without a Transfer event?"),
    );
  }
  const holders = [...state.balances.keys()].sort();
  const sampled = sample(holders, sampleSize, options.seed ?? `${token}:${block}`);
  for (const holder of sampled) {
    const data = BALANCE_OF + holder.slice(2).padStart(64, "0");
    const actual = uint256(await call("eth_call", [{ to: token, data }, hex(block)]), "balanceOf()");
    const replayed = state.balances.get(holder)!;
    if (actual !== replayed) {
      throw new SnapshotError(
        `balanceOf(${getAddress(holder)}) at block ${block} is ${actual}, but its Transfer logs add up to ${replayed}`,
      );
    }
  }

  const rows = snapshotRows(state.balances, exclude);
  const excluded = snapshotRows(
    new Map([...exclude].filter((a) => state.balances.has(a)).map((a) => [a, state.balances.get(a)!])),
  );
  const csv = formatSnapshotCsv(rows);
  if (options.out !== undefined) {
    writeFileAtomic(options.out, csv);
    if (options.checkpoint !== undefined) removeCheckpoint(options.checkpoint);
  }
  progress("done");
  return {
    token: getAddress(token),
    chainId,
    fromBlock,
    block,
    blockHash,
    totalSupply,
    holders: holders.length,
    rows,
    total: rows.reduce((acc, row) => acc + row.amount, 0n),
    excluded,
    sampled: sampled.map((a) => getAddress(a)),
    logs: state.logs,
    requests,
    refusals,
    resumedFrom,
    csv,
  };
}

interface Transfer {
  from: string;
  to: string;
  value: bigint;
  block: bigint;
  index: number;
  tx: string;
}

/** The logs of one response, checked against the request: an endpoint that answers something else is not trusted. */
function checkedLogs(result: unknown, token: string, start: bigint, end: bigint, endpoint: string): Transfer[] {
  if (!Array.isArray(result))
    throw new SnapshotError(`${endpoint} answered eth_getLogs with something other than a list`);
  const transfers = (result as RawLog[]).map((log): Transfer => {
    const where = `log ${log.transactionHash ?? "?"}#${log.logIndex ?? "?"}`;
    const topics = log.topics;
    if (log.removed === true)
      throw new SnapshotError(`${endpoint} returned a removed ${where} for block ${start}..${end}`);
    if (log.address?.toLowerCase() !== token || topics?.[0]?.toLowerCase() !== TRANSFER_TOPIC) {
      throw new SnapshotError(`${endpoint} returned ${where}, which is not a Transfer of ${getAddress(token)}`);
    }
    if (topics.length !== 3 || !/^0x[0-9a-fA-F]{64}$/.test(log.data ?? "")) {
      throw new SnapshotError(`${where} is not an ERC-20 Transfer (an ERC-721 token has a fourth topic and no data)`);
    }
    const blockNumber = BigInt(quantity(log.blockNumber, "blockNumber"));
    if (blockNumber < start || blockNumber > end) {
      throw new SnapshotError(`${endpoint} returned ${where} from block ${blockNumber} for blocks ${start}..${end}`);
    }
    return {
      from: topicAddress(topics[1]!),
      to: topicAddress(topics[2]!),
      value: BigInt(log.data!),
      block: blockNumber,
      index: Number(quantity(log.logIndex, "logIndex")),
      tx: log.transactionHash ?? "?",
    };
  });
  return transfers.sort((a, b) => (a.block === b.block ? a.index - b.index : a.block < b.block ? -1 : 1));
}

/** Applies transfers in chain order; a balance that would go negative means the logs are incomplete or wrong. */
function apply(balances: Map<string, bigint>, transfers: readonly Transfer[]): void {
  for (const { from, to, value, block, tx } of transfers) {
    if (from !== ZERO) {
      const balance = (balances.get(from) ?? 0n) - value;
      if (balance < 0n) {
        throw new SnapshotError(
          `${getAddress(from)} would hold a negative balance (${balance}) after transaction ${tx} in block ${block}: the logs are incomplete or the token does not emit Transfer for every change`,
        );
      }
      if (balance === 0n) balances.delete(from);
      else balances.set(from, balance);
    }
    if (to !== ZERO && value > 0n) balances.set(to, (balances.get(to) ?? 0n) + value);
  }
}

/** `count` distinct holders drawn from `holders` by a generator seeded with `seed` (all when there are fewer). */
function sample(holders: readonly string[], count: number, seed: string): string[] {
  if (count >= holders.length) return [...holders];
  const pool = [...holders];
  const picked: string[] = [];
  for (let i = 0; i < count; i++) {
    const draw = BigInt(id(`${seed}:${i}`)) % BigInt(pool.length - i);
    const j = i + Number(draw);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    picked.push(pool[i]!);
  }
  return picked;
}

function topicAddress(topic: string): string {
  return "0x" + topic.slice(26).toLowerCase();
}

function quantity(value: unknown, what: string): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw new SnapshotError(`${what} is not a hex quantity: ${String(value)}`);
  }
  return value;
}

function uint256(value: unknown, what: string): bigint {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new SnapshotError(`${what} did not return a uint256 (got ${String(value)})`);
  }
  return BigInt(value);
}

function hex(n: bigint): string {
  return "0x" + n.toString(16);
}
