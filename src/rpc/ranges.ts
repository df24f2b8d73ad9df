import { GpufogError, wrappedErrors } from "../errors.js";
import { classifyRpcError, refusesRange } from "./classify.js";

// After this many full-range chunks in a row the range doubles again (up to `maxRange`); one
// success alone would bounce straight back into a limit the endpoint just enforced.
const GROW_AFTER = 2;

export interface ScanOptions<T> {
  /** The first block to read. */
  from: number;
  /** The last block to read. */
  to: number;
  /** The widest range one query asks for (default: all of `from`..`to`). */
  maxRange?: number;
  /** The range to start with (default `maxRange`), e.g. the one a checkpoint saved. */
  range?: number;
  /** Stops the scan between chunks, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Handles a chunk's logs, in block order, before the next chunk is read: the place to move a
   * checkpoint past `to`. `range` is what the next query will ask for, for a checkpoint to keep.
   */
  onChunk?: (from: number, to: number, logs: T[], range: number) => void | Promise<void>;
  /** Told about each range the endpoint refused as too wide, before a smaller one is asked for. */
  onRefusal?: (from: number, to: number, error: unknown) => void;
}

/**
 * Reads `query`'s logs over blocks `from`..`to`, chunk by chunk in block order. A range the
 * endpoint refuses as too wide (public endpoints cap `eth_getLogs`) shrinks to the range the
 * endpoint suggested when it named one, else to half, down to single blocks; after successes it
 * grows back towards `maxRange`. Any other failure, a rate limit included, is the transport's to
 * retry: it ends the scan, and a chunk not handed to `onChunk` is read again by the next scan.
 */
export async function scanLogs<T>(
  query: (from: number, to: number) => Promise<T[]>,
  options: ScanOptions<T>,
): Promise<void> {
  const { to, signal } = options;
  const maxRange = options.maxRange ?? to - options.from + 1;
  let range = Math.max(1, Math.min(options.range ?? maxRange, maxRange));
  let streak = 0;
  for (let from = options.from; from <= to;) {
    signal?.throwIfAborted();
    const end = Math.min(to, from + range - 1);
    let logs: T[];
    try {
      logs = await query(from, end);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (end === from || !isRangeRefusal(error, from, end)) throw error;
      options.onRefusal?.(from, end, error);
      range = smallerRange(error, from, end);
      streak = 0;
      continue;
    }
    if (end - from + 1 === range && ++streak >= GROW_AFTER) {
      range = Math.min(maxRange, range * 2);
      streak = 0;
    }
    await options.onChunk?.(from, end, logs, range);
    from = end + 1;
  }
}

/**
 * `query` over blocks `from`..`to`, every log at once: {@link scanLogs} without a checkpoint, for
 * reads short enough to repeat whole after a failure.
 */
export async function inRanges<T>(
  query: (from: number, to: number) => Promise<T[]>,
  from: number,
  to: number,
): Promise<T[]> {
  const all: T[] = [];
  await scanLogs(query, { from, to, onChunk: (_from, _to, logs) => void all.push(...logs) });
  return all;
}

/**
 * Whether a failed `eth_getLogs` over `from`..`to` refuses its range: the classification of this
 * package's transports (where a timeout on a wide range counts), else the endpoint's words however
 * a client library (ethers, viem) wrapped them. This package's own verdicts (a transport that gave
 * up after its retries, a log that does not fit the request) are no refusal, whatever their words.
 */
export function isRangeRefusal(error: unknown, from: number, to: number): boolean {
  const kind = classifyRpcError(error, "eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(to) }]);
  return kind === "range" || (kind === "fatal" && !(error instanceof GpufogError) && refusesRange(error));
}

/**
 * The next range after a refusal of `from`..`to`: the range the endpoint suggested when it gave
 * one that starts at `from` and is narrower (Infura and Alchemy do, as `[0x…, 0x…]`), else half.
 */
function smallerRange(error: unknown, from: number, to: number): number {
  const span = to - from + 1;
  for (const record of wrappedErrors(error)) {
    const text = typeof record.message === "string" ? record.message : "";
    const match = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i.exec(text);
    if (match === null || Number(BigInt(match[1]!)) !== from) continue;
    const suggested = Number(BigInt(match[2]!)) - from + 1;
    if (suggested >= 1 && suggested < span) return suggested;
  }
  return Math.max(1, Math.floor(span / 2));
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}
