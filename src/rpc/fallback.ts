import { RpcError } from "../errors.js";
import { classifyRpcError, failureKind, type FailureKind } from "./classify.js";
import { JsonRpcError } from "./errors.js";
import { abortableDelay, describeFailure, requestWithin } from "./retry.js";
import type { RequestOptions, RpcTransport } from "./transport.js";

export interface FallbackTransportOptions {
  /** Time allowed for one try before it counts as a timeout. */
  timeoutMs: number;
  /** Tries per request over all endpoints (default: 6 rounds of every endpoint, about 11 s of pauses). */
  attempts?: number;
  /** Called on each failed try, with the endpoint's index and what went wrong. */
  onError?: (endpoint: number, kind: FailureKind, detail: string) => void;
  /**
   * Called once when a request is answered after requests that no endpoint answered (an outage):
   * how long since the first of them failed, and how many failed.
   */
  onRecover?: (downMs: number, failedRequests: number) => void;
}

/**
 * Several endpoints as one: each request goes to the endpoint that answered last, and on a
 * failure that another endpoint or a later try may not have (a dropped connection, a timeout, an
 * HTTP error, a rate limit, a node's passing trouble: see {@link classifyRpcError}) moves on to
 * the next, round after round with a growing pause, until `attempts` tries are spent; then it
 * throws {@link RpcError}. A JSON-RPC error that is the node's verdict (a revert, "nonce too low",
 * an `eth_getLogs` range refused) is thrown at once as {@link JsonRpcError}, and so is a range the
 * endpoint chokes on (a timeout or HTTP 413 on a wide `eth_getLogs`): the caller narrows it.
 */
export class FallbackTransport implements RpcTransport {
  readonly endpoint: string;
  readonly #attempts: number;
  #current = 0;
  /** Since when (ms) requests have failed on every endpoint, and how many; undefined while answered. */
  #outage: { since: number; failed: number } | undefined;

  constructor(
    readonly transports: readonly RpcTransport[],
    private readonly options: FallbackTransportOptions,
  ) {
    if (transports.length === 0) throw new RangeError("FallbackTransport needs at least one endpoint");
    this.endpoint = transports.map((t) => t.endpoint).join(", ");
    this.#attempts = Math.max(1, options.attempts ?? transports.length * 6);
  }

  async request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    const { signal } = options;
    const count = this.transports.length;
    let last = "";
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      const index = (this.#current + attempt) % count;
      if (attempt > 0 && attempt % count === 0) {
        await abortableDelay(Math.min(200 * 2 ** (attempt / count), 5_000), signal);
      }
      const transport = this.transports[index]!;
      let result: unknown;
      try {
        result = await requestWithin(transport, this.options.timeoutMs, method, params, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const kind = classifyRpcError(error, method, params);
        if (error instanceof JsonRpcError && kind !== "transient") {
          this.#answered(index);
          throw error;
        }
        this.options.onError?.(index, failureKind(error), describeFailure(error));
        if (kind === "range") throw error;
        last = `${transport.endpoint}: ${describeFailure(error)}`;
        continue;
      }
      this.#answered(index);
      return result;
    }
    this.#outage ??= { since: Date.now(), failed: 0 };
    this.#outage.failed++;
    throw new RpcError(this.endpoint, this.#attempts, `${method}: last ${last}`);
  }

  #answered(index: number): void {
    this.#current = index;
    if (this.#outage === undefined) return;
    const { since, failed } = this.#outage;
    this.#outage = undefined;
    this.options.onRecover?.(Date.now() - since, failed);
  }
}
