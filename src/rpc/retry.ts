import { RpcError } from "../errors.js";
import { classifyRpcError, type ErrorKind } from "./classify.js";
import { HttpStatusError, JsonRpcError, RpcTimeoutError } from "./errors.js";
import type { RequestOptions, RpcTransport } from "./transport.js";

export interface RetryOptions {
  /** Attempts per request, the first included (default 6). */
  attempts?: number;
  /** The pause before the first retry; it doubles for each further one (default 250 ms). */
  baseDelayMs?: number;
  /** The longest pause between attempts, `Retry-After` included (default 10 s). */
  maxDelayMs?: number;
  /** Time allowed for one attempt before it counts as a timeout (default 30 s). */
  timeoutMs?: number;
  /** Decides which failures are worth retrying (default {@link classifyRpcError}). */
  classify?: (error: unknown, method: string, params: readonly unknown[]) => ErrorKind;
  /** Random numbers in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** Told about each failed attempt that will be retried. */
  onRetry?: (info: { method: string; attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Retries transient failures of another transport with exponential backoff and jitter, and
 * bounds each attempt with a timeout. After the last attempt it throws {@link RpcError} naming
 * the endpoint. Errors that retrying cannot fix end the request at once: `range` refusals (the
 * caller shrinks the range) and JSON-RPC errors such as reverts pass through unchanged; anything
 * else (an HTTP status such as 401 or 404, a URL fetch refuses) means the endpoint itself is
 * wrong and becomes an {@link RpcError} after that one attempt.
 */
export class RetryingTransport implements RpcTransport {
  readonly endpoint: string;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #classify: NonNullable<RetryOptions["classify"]>;
  readonly #random: () => number;
  readonly #onRetry: RetryOptions["onRetry"];

  constructor(
    readonly inner: RpcTransport,
    options: RetryOptions = {},
  ) {
    this.endpoint = inner.endpoint;
    this.#attempts = Math.max(1, options.attempts ?? 6);
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 10_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#classify = options.classify ?? classifyRpcError;
    this.#random = options.random ?? Math.random;
    this.#onRetry = options.onRetry;
  }

  async request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    const { signal } = options;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let error: unknown;
      try {
        return await requestWithin(this.inner, this.#timeoutMs, method, params, signal);
      } catch (caught) {
        error = caught;
      }
      if (signal?.aborted) throw signal.reason;
      const kind = this.#classify(error, method, params);
      if (kind === "range") throw error;
      if (kind === "fatal") {
        if (error instanceof JsonRpcError) throw error;
        throw new RpcError(this.endpoint, attempt, `${method}: ${describeFailure(error)}`);
      }
      if (attempt >= this.#attempts) throw new RpcError(this.endpoint, attempt, `${method}: ${describeFailure(error)}`);
      const delayMs = this.#delay(attempt, error);
      this.#onRetry?.({ method, attempt, delayMs, error });
      await abortableDelay(delayMs, signal);
    }
  }

  /** Exponential backoff with "equal jitter": half the step is fixed, half random. */
  #delay(attempt: number, error: unknown): number {
    const step = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    const jittered = step / 2 + (this.#random() * step) / 2;
    const asked = error instanceof HttpStatusError ? (error.retryAfterMs ?? 0) : 0;
    return Math.round(Math.max(jittered, Math.min(asked, this.#maxDelayMs)));
  }
}

/**
 * One request to `transport`, bounded by `timeoutMs` (then {@link RpcTimeoutError}) even when the
 * transport ignores its signal (an EIP-1193 provider cannot cancel a request; the wait for it
 * ends all the same).
 */
export async function requestWithin(
  transport: RpcTransport,
  timeoutMs: number,
  method: string,
  params: readonly unknown[],
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    return await untilAborted(transport.request(method, params, { signal: combined }), combined);
  } catch (error) {
    if (timeout.aborted && !signal?.aborted) throw new RpcTimeoutError(timeoutMs);
    throw error;
  }
}

/** A failure in a few words, with the socket error's code or the cause behind it. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === "string") return `${error.message} (${cause.code})`;
  if (typeof cause?.message === "string" && cause.message !== "") return `${error.message} (${cause.message})`;
  return error.message;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
