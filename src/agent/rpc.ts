// One ethers provider over several JSON-RPC URLs: each request goes to the endpoint that answered
// last, and on a dropped connection, a timeout, an HTTP error or a rate limit moves on to the next,
// round after round with a growing pause, until `attempts` tries are spent. An answer that is a
// JSON-RPC error (a revert, "nonce too low") is the node's verdict and is returned as is.
import { JsonRpcApiProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from "ethers";

import { redactUrl } from "../rpc/transport.js";

export interface FallbackOptions {
  chainId: number;
  timeoutMs: number;
  /** Tries per request over all URLs (default: 4 rounds of every URL). */
  attempts?: number;
  /** Called on each failed try, with the endpoint's index and what went wrong. */
  onError?: (endpoint: number, kind: string, detail: string) => void;
  /**
   * Called once when a request is answered after requests that no endpoint answered (an outage):
   * how long since the first of them failed, and how many failed.
   */
  onRecover?: (downMs: number, failedRequests: number) => void;
}

const RATE_LIMITED = /rate limit|too many requests/i;

export class FallbackRpcProvider extends JsonRpcApiProvider {
  private current = 0;
  private readonly attempts: number;
  /** Since when (ms) requests have failed on every endpoint, and how many; undefined while answered. */
  private outage: { since: number; failed: number } | undefined;

  constructor(
    readonly urls: readonly string[],
    private readonly options: FallbackOptions,
  ) {
    const network = Network.from(options.chainId);
    super(network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
    this.attempts = options.attempts ?? urls.length * 4;
  }

  // Requests go out at once: there is no connection to wait for, and the network is static.
  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    this._start();
    return super.send(method, params);
  }

  /** The endpoints as they may be logged (credentials and API keys in URLs hidden). */
  get endpoints(): string[] {
    return this.urls.map(redactUrl);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const body = JSON.stringify(payload);
    let last = "";
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      const index = (this.current + attempt) % this.urls.length;
      if (attempt > 0 && attempt % this.urls.length === 0) {
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** (attempt / this.urls.length), 5_000)));
      }
      const fail = (kind: string, detail: string) => {
        last = `${redactUrl(this.urls[index]!)}: ${detail}`;
        this.options.onError?.(index, kind, detail);
      };
      let text: string;
      try {
        const res = await fetch(this.urls[index]!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        text = await res.text();
        if (!res.ok) {
          fail(res.status === 429 ? "rate_limit" : "http", `HTTP ${res.status}`);
          continue;
        }
      } catch (error) {
        fail((error as Error).name === "TimeoutError" ? "timeout" : "network", (error as Error).message);
        continue;
      }
      let answer: JsonRpcResult | JsonRpcError | (JsonRpcResult | JsonRpcError)[];
      try {
        answer = JSON.parse(text) as typeof answer;
      } catch {
        fail("bad_answer", `not JSON: ${text.slice(0, 80)}`);
        continue;
      }
      const list = Array.isArray(answer) ? answer : [answer];
      const limited = list.find(
        (a) =>
          "error" in a && (a.error.code === -32005 || a.error.code === 429 || RATE_LIMITED.test(a.error.message ?? "")),
      );
      if (limited !== undefined && "error" in limited) {
        fail("rate_limit", limited.error.message ?? "rate limited");
        continue;
      }
      this.current = index;
      if (this.outage !== undefined) {
        const { since, failed } = this.outage;
        this.outage = undefined;
        this.options.onRecover?.(Date.now() - since, failed);
      }
      return list;
    }
    this.outage ??= { since: Date.now(), failed: 0 };
    this.outage.failed++;
    throw new Error(`no RPC endpoint answered after ${this.attempts} tries (last: ${last})`);
  }
}
