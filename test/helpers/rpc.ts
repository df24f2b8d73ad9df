import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";

import { logsSpan } from "../../src/rpc/classify.js";
import type { Eip1193Provider } from "../../src/rpc/eip1193.js";
import { HttpStatusError, JsonRpcError } from "../../src/rpc/errors.js";
import type { RequestOptions, RpcTransport } from "../../src/rpc/transport.js";

/** Retries for tests: many attempts, millisecond pauses, so faults cost no real time. */
export const FAST_RETRY = { attempts: 8, baseDelayMs: 1, maxDelayMs: 4, timeoutMs: 5_000 };

/** A small seeded generator (mulberry32), so every "random" fault and transfer is reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export interface FaultPlan {
  /** Share of requests that fail like a reset connection. */
  drop: number;
  /** Share of requests refused as rate-limited (JSON-RPC -32005 / 429, HTTP 429 / 503). */
  rateLimit: number;
  /** Share of requests that hang for `hangMs`, longer than the retry timeout. */
  hang: number;
  hangMs: number;
  /** `eth_getLogs` over more blocks than this is refused, in one of the providers' wordings. */
  maxSpan: number;
  /** Always refuse in this one of the wordings (0 is Infura's, which suggests a range). */
  refusalShape?: number;
}

/**
 * Wraps a transport with the faults real endpoints show: dropped connections, rate limits,
 * "range too large" refusals in several providers' shapes, short delays and hangs. Seeded.
 */
export class FaultyTransport implements RpcTransport {
  readonly endpoint = "faulty endpoint";
  readonly injected = { dropped: 0, rateLimited: 0, hung: 0, refused: 0 };
  readonly #random: () => number;

  constructor(
    readonly inner: RpcTransport,
    readonly plan: FaultPlan,
    seed: number,
  ) {
    this.#random = prng(seed);
  }

  async request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    const r = this.#random();
    const pick = this.#random();
    await delay(Math.floor(this.#random() * 3), options.signal);
    const { drop, rateLimit, hang } = this.plan;
    if (r < drop) {
      this.injected.dropped++;
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    }
    if (r < drop + rateLimit) {
      this.injected.rateLimited++;
      const shapes = [
        new JsonRpcError(-32005, "rate limit exceeded"),
        new JsonRpcError(429, "Too Many Requests"),
        new HttpStatusError(429, "HTTP 429 Too Many Requests", 2),
        new HttpStatusError(503, "HTTP 503 Service Unavailable"),
      ];
      throw shapes[Math.floor(pick * shapes.length)];
    }
    if (r < drop + rateLimit + hang) {
      this.injected.hung++;
      await delay(this.plan.hangMs, options.signal);
    }
    const span = method === "eth_getLogs" ? logsSpan(params) : undefined;
    if (span !== undefined && span > BigInt(this.plan.maxSpan)) {
      this.injected.refused++;
      const from = BigInt((params[0] as { fromBlock: string }).fromBlock);
      const suggestedEnd = "0x" + (from + BigInt(this.plan.maxSpan) - 1n).toString(16);
      const shapes = [
        new JsonRpcError(
          -32005,
          `query returned more than 10000 results. Try with this block range [0x${from.toString(16)}, ${suggestedEnd}].`,
        ),
        new JsonRpcError(-32602, "block range is too wide"),
        new JsonRpcError(-32600, "Block range limit exceeded"),
        new JsonRpcError(-32000, "Log response size exceeded"),
        new HttpStatusError(413, "HTTP 413 Payload Too Large"),
      ];
      throw shapes[this.plan.refusalShape ?? Math.floor(pick * shapes.length)];
    }
    return this.inner.request(method, params, options);
  }
}

/** Counts calls per method and can be told to fail after a number of `eth_getLogs` calls. */
export class CountingTransport implements RpcTransport {
  readonly endpoint: string;
  readonly calls = new Map<string, number>();

  constructor(
    readonly inner: RpcTransport,
    readonly failAfterLogs = Infinity,
  ) {
    this.endpoint = inner.endpoint;
  }

  async request(method: string, params: readonly unknown[], options?: RequestOptions): Promise<unknown> {
    const n = (this.calls.get(method) ?? 0) + 1;
    this.calls.set(method, n);
    if (method === "eth_getLogs" && n > this.failAfterLogs) throw new JsonRpcError(-32601, "injected fatal failure");
    return this.inner.request(method, params, options);
  }
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 with a raw request handler. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestServer> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves an EIP-1193 provider as JSON-RPC over HTTP, with a hook that may answer a request with
 * an HTTP status instead (413 for wide log ranges, 429, 503, …).
 */
export function serveProvider(
  provider: Eip1193Provider,
  intercept: (
    method: string,
    params: unknown[],
  ) => { status: number; headers?: Record<string, string> } | undefined = () => undefined,
): Promise<TestServer> {
  return serve((_req, res, body) => {
    const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] };
    const refusal = intercept(method, params);
    if (refusal !== undefined) {
      res.writeHead(refusal.status, refusal.headers).end("refused");
      return;
    }
    const reply = (payload: object) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ jsonrpc: "2.0", id, ...payload }));
    provider.request({ method, params }).then(
      (result) => reply({ result }),
      (error: { code?: number; message?: string }) =>
        reply({ error: { code: error.code ?? -32603, message: error.message } }),
    );
  });
}

/** Awaits a promise that must reject, checks the error's class and message, and returns it. */
export async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  message: string | RegExp,
): Promise<E> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, "expected a rejection").to.be.instanceOf(type);
  const text = (error as Error).message;
  if (typeof message === "string") expect(text).to.include(message);
  else expect(text).to.match(message);
  return error as E;
}

/** An `eth_getLogs` answer's log, as the node sends it. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  logIndex: string;
}

/**
 * Records every `eth_getLogs` call made through `eip1193` (Hardhat's `connection.provider`): its
 * filter, and the logs and bytes it answered, until `restore()`.
 */
export function recordLogs(eip1193: Eip1193Provider): {
  calls: number;
  filters: { topics?: (string | string[] | null)[] }[];
  logs: RawLog[];
  bytes: number;
  restore(): void;
} {
  const request = eip1193.request.bind(eip1193);
  const record = {
    calls: 0,
    filters: [] as { topics?: (string | string[] | null)[] }[],
    logs: [] as RawLog[],
    bytes: 0,
    restore: () => {
      eip1193.request = request;
    },
  };
  eip1193.request = async (args) => {
    const answer = await request(args);
    if (args.method === "eth_getLogs") {
      record.calls++;
      record.filters.push((args.params as [{ topics?: (string | string[] | null)[] }])[0]);
      record.logs.push(...(answer as RawLog[]));
      record.bytes += JSON.stringify(answer).length;
    }
    return answer;
  };
  return record;
}
