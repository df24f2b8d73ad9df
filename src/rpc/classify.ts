import { wrappedErrors } from "../errors.js";
import { HttpStatusError, JsonRpcError, RpcResponseError, RpcTimeoutError } from "./errors.js";

/**
 * What a caller should do about a failed request:
 * - `transient`: the same request may well succeed later (connection reset, rate limit, 5xx);
 *   retry it after a pause;
 * - `range`: an `eth_getLogs` range the endpoint will not serve (too many results, too wide,
 *   too large a response, or so slow that it timed out); ask for a smaller range;
 * - `fatal`: retrying cannot help (a revert, a bad parameter, a refused API key).
 */
export type ErrorKind = "transient" | "range" | "fatal";

// Socket and DNS failures, as Node's net module and undici (behind fetch) report them.
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

// Rate limits come as -32005 or 429 with wording that varies by provider; checked before the
// range patterns because "rate limit exceeded" would otherwise match "limit exceeded".
const RATE_LIMITED =
  /rate.?limit|too many requests|request rate|requests? per|throughput|capacity|compute units|quota|try again|retry after|backoff/i;
const RANGE_REFUSED =
  /more than \d+ (results|logs)|too many (results|logs|blocks)|block range|range (is )?too (wide|large|big|long)|range limit|limit exceeded|response size|response (is )?too (large|big)|size exceed|exceeded the size limit|exceeds? (the )?(max|limit)|query timeout|timed out|too large|too wide|max(imum)? (block )?range|limited to|ranges? over/i;
const TRANSIENT_SERVER =
  /header not found|internal error|timeout|timed out|temporarily|unavailable|busy|overloaded|try again|connection/i;

/**
 * Sorts a failed request into {@link ErrorKind}. `method` and `params` matter: only
 * `eth_getLogs` has a range to shrink, and a timeout on a range of more than one block is taken
 * as the endpoint choking on the range rather than as a passing fault.
 */
export function classifyRpcError(error: unknown, method?: string, params?: readonly unknown[]): ErrorKind {
  const span = method === "eth_getLogs" ? logsSpan(params) : undefined;
  const shrinkable = span !== undefined && span > 1n;

  if (error instanceof JsonRpcError) {
    if (error.code === 429 || RATE_LIMITED.test(error.message)) return "transient";
    if (method === "eth_getLogs" && (error.code === -32005 || RANGE_REFUSED.test(error.message))) return "range";
    if (error.code === -32005) return "transient";
    if ((error.code === -32000 || error.code === -32603) && TRANSIENT_SERVER.test(error.message)) return "transient";
    return "fatal";
  }
  if (error instanceof HttpStatusError) {
    if (error.status === 413) return method === "eth_getLogs" ? "range" : "fatal";
    if (error.status === 408 || error.status === 504) return shrinkable ? "range" : "transient";
    if (error.status === 429 || error.status >= 500) return "transient";
    return "fatal";
  }
  if (error instanceof RpcTimeoutError) return shrinkable ? "range" : "transient";
  if (error instanceof RpcResponseError) return "transient";
  const code = networkCode(error);
  if (code !== undefined) return TIMEOUT_CODES.has(code) && shrinkable ? "range" : "transient";
  return "fatal";
}

/** The number of blocks an `eth_getLogs` filter covers, when both ends are block numbers. */
export function logsSpan(params?: readonly unknown[]): bigint | undefined {
  const filter = params?.[0] as { fromBlock?: unknown; toBlock?: unknown } | undefined;
  if (typeof filter?.fromBlock !== "string" || typeof filter.toBlock !== "string") return undefined;
  if (!filter.fromBlock.startsWith("0x") || !filter.toBlock.startsWith("0x")) return undefined;
  return BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n;
}

/** The Node/undici error code of a socket failure, looking through `cause` chains. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether a failed `eth_getLogs`, however a client library wrapped the endpoint's answer (ethers
 * keeps it under `error`, `info.error` or `cause`), refuses its range: too wide, too many results,
 * too large a response. A narrower range may then pass; a rate limit or anything else may not.
 */
export function refusesRange(error: unknown): boolean {
  const texts = wrappedErrors(error).flatMap((record) =>
    ["shortMessage", "message"].flatMap((key) => (typeof record[key] === "string" ? [record[key]] : [])),
  );
  return texts.some((t) => RANGE_REFUSED.test(t)) && !texts.some((t) => RATE_LIMITED.test(t));
}

/** What went wrong with one try, as a metric label. */
export type FailureKind = "rate_limit" | "http" | "timeout" | "network" | "bad_answer" | "node_error";

/**
 * Labels a failed try: a rate limit (HTTP 429, or a JSON-RPC error saying so), another HTTP
 * status, a timeout, an answer that is not JSON-RPC, another JSON-RPC error (a node's passing
 * trouble such as "header not found"), or else a failed connection.
 */
export function failureKind(error: unknown): FailureKind {
  if (error instanceof HttpStatusError) return error.status === 429 ? "rate_limit" : "http";
  if (error instanceof RpcTimeoutError) return "timeout";
  if (error instanceof RpcResponseError) return "bad_answer";
  if (error instanceof JsonRpcError) {
    return error.code === 429 || error.code === -32005 || RATE_LIMITED.test(error.message)
      ? "rate_limit"
      : "node_error";
  }
  return "network";
}
