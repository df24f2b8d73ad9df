import { expect } from "chai";
import { network } from "hardhat";

import { RpcError } from "../../src/errors.js";
import { classifyRpcError, refusesRange } from "../../src/rpc/classify.js";
import { Eip1193Transport } from "../../src/rpc/eip1193.js";
import { HttpStatusError, JsonRpcError, RpcResponseError, RpcTimeoutError } from "../../src/rpc/errors.js";
import { FallbackTransport } from "../../src/rpc/fallback.js";
import { HttpTransport } from "../../src/rpc/http.js";
import { inRanges, scanLogs } from "../../src/rpc/ranges.js";
import { RetryingTransport } from "../../src/rpc/retry.js";
import { redactUrl, type RpcTransport } from "../../src/rpc/transport.js";
import { expectRejection, serve } from "../helpers/rpc.js";

const { ethers, provider } = await network.create();

const logs = (from: number, to: number) => [
  {
    address: "0x0000000000000000000000000000000000000001",
    fromBlock: "0x" + from.toString(16),
    toBlock: "0x" + to.toString(16),
  },
];
const networkError = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: { code } });

/** A transport that fails with the given errors in turn, then answers `"ok"`. */
class ScriptedTransport implements RpcTransport {
  readonly endpoint = "scripted";
  calls = 0;

  constructor(readonly failures: unknown[]) {}

  async request(): Promise<unknown> {
    const failure = this.failures[this.calls++];
    if (failure !== undefined) throw failure;
    return "ok";
  }
}

describe("rpc", function () {
  describe("classifyRpcError", function () {
    const cases: [string, unknown, string, ReturnType<typeof logs> | [], string][] = [
      [
        "Infura's result cap",
        new JsonRpcError(-32005, "query returned more than 10000 results"),
        "eth_getLogs",
        logs(0, 9),
        "range",
      ],
      [
        "a range too wide (-32602)",
        new JsonRpcError(-32602, "block range is too wide"),
        "eth_getLogs",
        logs(0, 9),
        "range",
      ],
      [
        "a range limit (-32600)",
        new JsonRpcError(-32600, "Block range limit exceeded"),
        "eth_getLogs",
        logs(0, 9),
        "range",
      ],
      [
        "Alchemy's response size",
        new JsonRpcError(-32602, "Log response size exceeded."),
        "eth_getLogs",
        logs(0, 9),
        "range",
      ],
      [
        "a maximum range",
        new JsonRpcError(-32000, "exceed maximum block range: 5000"),
        "eth_getLogs",
        logs(0, 9),
        "range",
      ],
      [
        "QuickNode's limit",
        new JsonRpcError(-32614, "eth_getLogs is limited to a 10,000 range"),
        "eth_getLogs",
        logs(0, 9),
        "range",
      ],
      ["HTTP 413", new HttpStatusError(413, "HTTP 413"), "eth_getLogs", logs(0, 9), "range"],
      ["a timeout on many blocks", new RpcTimeoutError(100), "eth_getLogs", logs(0, 9), "range"],
      ["a timeout on one block", new RpcTimeoutError(100), "eth_getLogs", logs(5, 5), "transient"],
      ["a gateway timeout on many blocks", new HttpStatusError(504, "HTTP 504"), "eth_getLogs", logs(0, 9), "range"],
      ["a socket timeout on many blocks", networkError("UND_ERR_HEADERS_TIMEOUT"), "eth_getLogs", logs(0, 9), "range"],
      [
        "a rate limit (-32005)",
        new JsonRpcError(-32005, "rate limit exceeded"),
        "eth_getLogs",
        logs(0, 9),
        "transient",
      ],
      ["a rate limit (429)", new JsonRpcError(429, "Too Many Requests"), "eth_call", [], "transient"],
      [
        "a daily quota",
        new JsonRpcError(-32005, "daily request count exceeded, request rate limited"),
        "eth_getLogs",
        logs(0, 9),
        "transient",
      ],
      ["HTTP 429", new HttpStatusError(429, "HTTP 429"), "eth_getLogs", logs(0, 9), "transient"],
      ["HTTP 502", new HttpStatusError(502, "HTTP 502"), "eth_call", [], "transient"],
      ["a gateway timeout on a call", new HttpStatusError(504, "HTTP 504"), "eth_call", [], "transient"],
      ["a reset connection", networkError("ECONNRESET"), "eth_call", [], "transient"],
      [
        "a refused connection",
        Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
        "eth_chainId",
        [],
        "transient",
      ],
      ["a timeout on a call", new RpcTimeoutError(100), "eth_call", [], "transient"],
      ["a garbled answer", new RpcResponseError("not JSON"), "eth_call", [], "transient"],
      ["a missing header", new JsonRpcError(-32000, "header not found"), "eth_call", [], "transient"],
      ["-32005 outside eth_getLogs", new JsonRpcError(-32005, "limit exceeded"), "eth_call", [], "transient"],
      ["a revert", new JsonRpcError(3, "execution reverted"), "eth_call", [], "fatal"],
      ["a response size outside eth_getLogs", new HttpStatusError(413, "HTTP 413"), "eth_call", [], "fatal"],
      ["a refused API key", new HttpStatusError(401, "HTTP 401"), "eth_call", [], "fatal"],
      ["an unknown method", new JsonRpcError(-32601, "method not found"), "eth_getLogs", logs(0, 9), "fatal"],
      ["a programming error", new TypeError("x is undefined"), "eth_call", [], "fatal"],
    ];
    for (const [name, error, method, params, kind] of cases) {
      it(`takes ${name} as ${kind}`, function () {
        expect(classifyRpcError(error, method, params)).to.equal(kind);
      });
    }
  });

  describe("refusesRange", function () {
    it("finds a range refusal wherever a client library kept the endpoint's words", function () {
      expect(refusesRange(new Error("query returned more than 10000 results"))).to.equal(true);
      // ethers: a generic message, the endpoint's under info.error.
      const wrapped = Object.assign(new Error("could not coalesce error"), {
        info: { error: { code: -32602, message: "block range is too wide" } },
      });
      expect(refusesRange(wrapped)).to.equal(true);
      expect(
        refusesRange(new Error("outer", { cause: new Error("eth_getLogs is limited to a 10,000 range") })),
      ).to.equal(true);
    });

    it("takes viem's own refusal of a response over its body size limit for a range refusal", function () {
      // viem refuses a JSON-RPC response over 10 MiB itself, in its own words, before the endpoint
      // could say anything: HttpRequestError over ResponseBodyTooLargeError.
      const tooLarge = Object.assign(new Error("HTTP response body exceeded the size limit."), {
        name: "ResponseBodyTooLargeError",
        shortMessage: "HTTP response body exceeded the size limit.",
      });
      const viemError = Object.assign(new Error("HTTP request failed.", { cause: tooLarge }), {
        name: "HttpRequestError",
        shortMessage: "HTTP request failed.",
      });
      expect(refusesRange(viemError)).to.equal(true);
    });

    it("does not take a rate limit, a revert or a dropped connection for a range refusal", function () {
      expect(refusesRange(new Error("daily request limit exceeded, rate limit reached"))).to.equal(false);
      expect(refusesRange(new Error("execution reverted"))).to.equal(false);
      expect(refusesRange(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).to.equal(false);
      expect(refusesRange("block range is too wide")).to.equal(false);
    });
  });

  describe("inRanges", function () {
    it("halves a refused range until each part is served, and keeps the results in block order", async function () {
      const asked: [number, number][] = [];
      const query = async (from: number, to: number) => {
        asked.push([from, to]);
        if (to - from + 1 > 3) throw new Error("query returned more than 10000 results");
        return Array.from({ length: to - from + 1 }, (_, i) => from + i);
      };
      expect(await inRanges(query, 10, 20)).to.deep.equal(Array.from({ length: 11 }, (_, i) => 10 + i));
      expect(asked[0]).to.deep.equal([10, 20]);
      expect(asked.filter(([from, to]) => to - from + 1 <= 3).length).to.be.greaterThan(1);
    });

    it("rethrows any other error, and a refusal of a single block", async function () {
      await expectRejection(
        inRanges(() => Promise.reject(new Error("invalid API key")), 0, 100),
        Error,
        "invalid API key",
      );
      await expectRejection(
        inRanges(() => Promise.reject(new Error("block range is too wide")), 5, 5),
        Error,
        "block range is too wide",
      );
    });
  });

  describe("scanLogs", function () {
    /** An endpoint serving one log per block and refusing more than `cap` blocks as `refusal(from, cap)` says. */
    function capped(cap: number, refusal: (from: number, cap: number) => unknown) {
      const asked: [number, number][] = [];
      const query = async (from: number, to: number) => {
        asked.push([from, to]);
        if (to - from + 1 > cap) throw refusal(from, cap);
        return Array.from({ length: to - from + 1 }, (_, i) => from + i);
      };
      return { asked, query };
    }
    const hinted = (from: number, cap: number) =>
      new JsonRpcError(
        -32005,
        `query returned more than 10000 results. Try with this block range [0x${from.toString(16)}, 0x${(from + cap - 1).toString(16)}].`,
      );
    // ethers keeps the node's answer under `info.error` and says only "could not coalesce error".
    const wrapped = () =>
      Object.assign(new Error("could not coalesce error"), {
        info: { error: { code: -32602, message: "block range is too wide" } },
      });

    it("halves a refused range, also through an ethers error, and grows it again after two full chunks", async function () {
      const { asked, query } = capped(10, wrapped);
      const ranges: number[] = [];
      await scanLogs(query, { from: 0, to: 99, maxRange: 40, onChunk: (_f, _t, _l, range) => void ranges.push(range) });
      expect(asked.slice(0, 3)).to.deep.equal([
        [0, 39],
        [0, 19],
        [0, 9],
      ]);
      // 10, 10 served → 20 refused → 10 again: never past what the endpoint refused, never stuck low.
      expect(asked.slice(3, 6)).to.deep.equal([
        [10, 19],
        [20, 39],
        [20, 29],
      ]);
      expect(ranges.slice(0, 2)).to.deep.equal([10, 20]);
      expect(Math.max(...asked.map(([f, t]) => t - f + 1).slice(1))).to.equal(20);
    });

    it("takes the range the endpoint suggests in its refusal", async function () {
      const { asked, query } = capped(7, hinted);
      const refused: [number, number][] = [];
      await scanLogs(query, { from: 100, to: 199, maxRange: 64, onRefusal: (f, t) => void refused.push([f, t]) });
      expect(asked.slice(0, 2)).to.deep.equal([
        [100, 163],
        [100, 106],
      ]);
      expect(refused[0]).to.deep.equal([100, 163]);
      expect(refused.length).to.equal(asked.filter(([f, t]) => t - f + 1 > 7).length);
    });

    it("does not shrink on a rate limit, or on a transport that gave up: the error ends the scan", async function () {
      for (const failure of [
        new JsonRpcError(-32005, "rate limit exceeded, try again later"),
        new HttpStatusError(429, "HTTP 429 Too Many Requests"),
        new RpcError("https://rpc.example", 6, "eth_getLogs: HTTP 503"),
        Object.assign(new Error("could not coalesce error"), {
          info: { error: { code: -32005, message: "daily request limit exceeded, rate limit reached" } },
        }),
      ]) {
        const asked: [number, number][] = [];
        const error = await scanLogs(
          async (from: number, to: number) => {
            asked.push([from, to]);
            throw failure;
          },
          { from: 0, to: 99 },
        ).catch((e: unknown) => e);
        expect(error).to.equal(failure);
        expect(asked).to.deep.equal([[0, 99]]);
      }
    });

    it("hands each chunk to onChunk in block order before reading the next, and resumes where it stopped", async function () {
      const { query } = capped(16, wrapped);
      const events: string[] = [];
      const read = async (from: number, to: number) => {
        events.push(`read ${from}`);
        return query(from, to);
      };
      let checkpoint = 0;
      const seen: number[] = [];
      const failAt = 40;
      const first = await scanLogs(read, {
        from: 0,
        to: 99,
        maxRange: 16,
        onChunk: (from, to, logs) => {
          events.push(`chunk ${from}`);
          if (from >= failAt) throw new Error("disk full");
          seen.push(...logs);
          checkpoint = to + 1;
        },
      }).catch((e: unknown) => e);
      expect((first as Error).message).to.equal("disk full");
      expect(events.slice(0, 4)).to.deep.equal(["read 0", "chunk 0", "read 16", "chunk 16"]);
      expect(checkpoint, "the chunk that failed is not past the checkpoint").to.equal(48);
      await scanLogs(read, {
        from: checkpoint,
        to: 99,
        maxRange: 16,
        onChunk: (_f, _t, logs) => void seen.push(...logs),
      });
      expect(seen).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    });

    it("stops between chunks with the signal's reason, and while a query runs", async function () {
      const abort = new AbortController();
      const asked: number[] = [];
      const stopped = scanLogs(
        async (from: number) => {
          asked.push(from);
          return [];
        },
        {
          from: 0,
          to: 99,
          maxRange: 10,
          signal: abort.signal,
          onChunk: (from) => void (from === 20 && abort.abort(new Error("stop here"))),
        },
      );
      await expectRejection(stopped, Error, "stop here");
      expect(asked).to.deep.equal([0, 10, 20]);

      // A query failing because of the stop is no refusal to shrink on.
      const during = new AbortController();
      let queries = 0;
      const aborted = scanLogs(
        async () => {
          queries++;
          during.abort(new Error("stopped mid-query"));
          throw new Error("block range is too wide");
        },
        { from: 0, to: 99, signal: during.signal },
      );
      await expectRejection(aborted, Error, "stopped mid-query");
      expect(queries).to.equal(1);
    });
  });

  describe("redactUrl", function () {
    it("keeps scheme, host and port and hides paths, queries and credentials", function () {
      expect(redactUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
      expect(redactUrl("http://127.0.0.1:8545/")).to.equal("http://127.0.0.1:8545");
      expect(redactUrl("https://eth-mainnet.g.alchemy.com/v2/abcdef123")).to.equal(
        "https://eth-mainnet.g.alchemy.com/…",
      );
      expect(redactUrl("https://rpc.example.org?apikey=abc")).to.equal("https://rpc.example.org/…");
      expect(redactUrl("https://user:secret@rpc.example.org/")).to.equal("https://…@rpc.example.org");
      expect(redactUrl("not a url")).to.equal("<invalid URL>");
    });
  });

  describe("FallbackTransport", function () {
    /** Endpoints named a, b, c… that fail with their scripted errors in turn, then answer `"ok"`. */
    const endpoints = (...scripts: unknown[][]) =>
      scripts.map((failures, i) =>
        Object.assign(new ScriptedTransport(failures), { endpoint: String.fromCharCode(97 + i) }),
      );

    it("moves on to the next endpoint on a transient failure, labels each failed try, and stays where it was answered", async function () {
      const [a, b] = endpoints(
        [new HttpStatusError(429, "HTTP 429"), new JsonRpcError(-32005, "rate limit exceeded")],
        [networkError("ECONNRESET"), new RpcResponseError("not JSON"), new HttpStatusError(503, "HTTP 503")],
      );
      const failed: [number, string][] = [];
      const rpc = new FallbackTransport([a!, b!], { timeoutMs: 1000, onError: (i, kind) => failed.push([i, kind]) });
      expect(await rpc.request("eth_blockNumber", [])).to.equal("ok");
      expect(failed).to.deep.equal([
        [0, "rate_limit"],
        [1, "network"],
        [0, "rate_limit"],
        [1, "bad_answer"],
      ]);
      expect([a!.calls, b!.calls]).to.deep.equal([3, 2]);
      // a answered last: the next request starts there.
      await rpc.request("eth_blockNumber", []);
      expect([a!.calls, b!.calls]).to.deep.equal([4, 2]);
    });

    it("returns a node's verdict at once, and leaves a refused or choking log range to the caller", async function () {
      const revert = new JsonRpcError(3, "execution reverted", "0x08c379a0");
      const refusal = new JsonRpcError(-32005, "query returned more than 10000 results");
      const choked = new RpcTimeoutError(1000);
      for (const [failure, method, params] of [
        [revert, "eth_call", []],
        [refusal, "eth_getLogs", logs(0, 99)],
        [choked, "eth_getLogs", logs(0, 99)],
      ] as const) {
        const [a, b] = endpoints([failure], []);
        const rpc = new FallbackTransport([a!, b!], { timeoutMs: 1000 });
        expect(await rpc.request(method, params).catch((e: unknown) => e)).to.equal(failure);
        expect(b!.calls, `${failure.message}: not asked of the next endpoint`).to.equal(0);
      }
    });

    it("throws RpcError after its tries, pausing between rounds, and reports the recovery once", async function () {
      const down = () => new HttpStatusError(502, "HTTP 502 Bad Gateway");
      const [a, b] = endpoints([down(), down(), down(), down()], [down(), down(), down(), down()]);
      const back: number[] = [];
      const rpc = new FallbackTransport([a!, b!], {
        timeoutMs: 1000,
        attempts: 4,
        onRecover: (_ms, failed) => back.push(failed),
      });
      const started = Date.now();
      const error = await rpc.request("eth_chainId", []).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RpcError);
      expect((error as RpcError).attempts).to.equal(4);
      expect((error as Error).message).to.include(
        "a, b did not answer after 4 attempts: eth_chainId: last b: HTTP 502",
      );
      expect(Date.now() - started, "one pause between the two rounds").to.be.at.least(350);
      expect(await rpc.request("eth_chainId", []).catch((e: unknown) => e)).to.be.instanceOf(RpcError);
      expect(back).to.deep.equal([]);
      expect(await rpc.request("eth_chainId", [])).to.equal("ok");
      expect(await rpc.request("eth_chainId", [])).to.equal("ok");
      expect(back).to.deep.equal([2]);
    });

    it("bounds each try with its timeout and moves on", async function () {
      const hung: RpcTransport = { endpoint: "hung", request: () => new Promise(() => {}) };
      const kinds: string[] = [];
      const rpc = new FallbackTransport([hung, ...endpoints([])], {
        timeoutMs: 30,
        onError: (_i, kind) => kinds.push(kind),
      });
      expect(await rpc.request("eth_blockNumber", [])).to.equal("ok");
      expect(kinds).to.deep.equal(["timeout"]);
    });
  });

  describe("RetryingTransport", function () {
    it("retries transient failures with growing, jittered, bounded pauses", async function () {
      const failures = [
        networkError("ECONNRESET"),
        new JsonRpcError(429, "slow down"),
        new HttpStatusError(503, "HTTP 503"),
      ];
      const scripted = new ScriptedTransport([...failures, ...failures]);
      const delays: number[] = [];
      const retrying = new RetryingTransport(scripted, {
        attempts: 7,
        baseDelayMs: 2,
        maxDelayMs: 20,
        random: () => 0.999,
        onRetry: ({ delayMs }) => delays.push(delayMs),
      });
      expect(await retrying.request("eth_call", [])).to.equal("ok");
      expect(scripted.calls).to.equal(7);
      expect(delays).to.deep.equal([2, 4, 8, 16, 20, 20]);

      const low: number[] = [];
      const halfJitter = new RetryingTransport(new ScriptedTransport([...failures]), {
        baseDelayMs: 8,
        random: () => 0,
        onRetry: ({ delayMs }) => low.push(delayMs),
      });
      await halfJitter.request("eth_call", []);
      expect(low).to.deep.equal([4, 8, 16]);
    });

    it("waits as long as Retry-After asks, up to the maximum pause", async function () {
      const delays: number[] = [];
      const retrying = new RetryingTransport(
        new ScriptedTransport([new HttpStatusError(429, "HTTP 429", 30), new HttpStatusError(429, "HTTP 429", 60_000)]),
        { baseDelayMs: 1, maxDelayMs: 40, random: () => 0, onRetry: ({ delayMs }) => delays.push(delayMs) },
      );
      await retrying.request("eth_call", []);
      expect(delays).to.deep.equal([30, 40]);
    });

    it("throws RpcError naming the endpoint after the last attempt", async function () {
      const scripted = new ScriptedTransport(Array(10).fill(networkError("ECONNRESET")));
      const retrying = new RetryingTransport(scripted, { attempts: 4, baseDelayMs: 1 });
      const error = await expectRejection(
        retrying.request("eth_blockNumber", []),
        RpcError,
        "scripted did not answer after 4 attempts: eth_blockNumber: fetch failed (ECONNRESET)",
      );
      expect(error.attempts).to.equal(4);
      expect(scripted.calls).to.equal(4);
    });

    it("passes range refusals and reverts through at once", async function () {
      const refusal = new JsonRpcError(-32005, "query returned more than 10000 results");
      const scripted = new ScriptedTransport([refusal]);
      const retrying = new RetryingTransport(scripted, { baseDelayMs: 1 });
      expect(await retrying.request("eth_getLogs", logs(0, 99)).catch((e: unknown) => e)).to.equal(refusal);
      const revert = new JsonRpcError(3, "execution reverted");
      const reverting = new ScriptedTransport([revert]);
      expect(await new RetryingTransport(reverting).request("eth_call", []).catch((e: unknown) => e)).to.equal(revert);
      expect(scripted.calls + reverting.calls).to.equal(2);
    });

    it("gives up at once on an HTTP status that retrying cannot fix", async function () {
      const scripted = new ScriptedTransport([new HttpStatusError(401, "HTTP 401 Unauthorized")]);
      await expectRejection(
        new RetryingTransport(scripted).request("eth_chainId", []),
        RpcError,
        "after 1 attempts: eth_chainId: HTTP 401 Unauthorized",
      );
      expect(scripted.calls).to.equal(1);
    });

    it("times out an attempt even when the transport ignores its signal", async function () {
      const never: RpcTransport = { endpoint: "silent", request: () => new Promise(() => {}) };
      const started = Date.now();
      await expectRejection(
        new RetryingTransport(never, { attempts: 2, baseDelayMs: 1, timeoutMs: 30 }).request("eth_chainId", []),
        RpcError,
        "silent did not answer after 2 attempts: eth_chainId: no answer within 30 ms",
      );
      expect(Date.now() - started).to.be.lessThan(2000);
    });

    it("stops retrying when the caller aborts, with the caller's reason", async function () {
      const abort = new AbortController();
      const scripted = new ScriptedTransport(Array(10).fill(networkError("ECONNRESET")));
      const retrying = new RetryingTransport(scripted, {
        baseDelayMs: 1_000,
        onRetry: () => setTimeout(() => abort.abort(new Error("user stop")), 5),
      });
      await expectRejection(retrying.request("eth_call", [], { signal: abort.signal }), Error, "user stop");
      expect(scripted.calls).to.equal(1);
    });
  });

  describe("HttpTransport", function () {
    it("turns error objects, bad JSON and statuses into typed errors", async function () {
      const replies: [number, string, Record<string, string>][] = [
        [
          200,
          JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code: -32005, message: "limit exceeded", data: "x" } }),
          {},
        ],
        [200, "<html>bad gateway</html>", {}],
        [200, JSON.stringify({ jsonrpc: "2.0", id: 3 }), {}],
        [429, "slow down", { "retry-after": "2" }],
        [200, JSON.stringify({ jsonrpc: "2.0", id: 5, result: "0x7a69" }), {}],
      ];
      const seen: unknown[] = [];
      const server = await serve((req, res, body) => {
        seen.push([req.headers["x-test"], JSON.parse(body)]);
        const [status, text, headers] = replies.shift()!;
        res.writeHead(status, headers).end(text);
      });
      try {
        const http = new HttpTransport(`${server.url}/key`, { headers: { "x-test": "yes" } });
        expect(http.endpoint).to.equal(`${server.url}/…`);
        const jsonRpc = await expectRejection(http.request("eth_getLogs", []), JsonRpcError, "limit exceeded");
        expect([jsonRpc.code, jsonRpc.data]).to.deep.equal([-32005, "x"]);
        await expectRejection(http.request("eth_call", []), RpcResponseError, "is not JSON");
        await expectRejection(http.request("eth_call", []), RpcResponseError, "neither result nor error");
        const status = await expectRejection(http.request("eth_call", []), HttpStatusError, "HTTP 429");
        expect(status.retryAfterMs).to.equal(2000);
        expect(await http.request("eth_chainId", [])).to.equal("0x7a69");
        expect(seen[4]).to.deep.equal(["yes", { jsonrpc: "2.0", id: 5, method: "eth_chainId", params: [] }]);
      } finally {
        await server.close();
      }
    });
  });

  describe("Eip1193Transport", function () {
    it("answers through Hardhat's provider and maps its errors to JsonRpcError", async function () {
      const transport = new Eip1193Transport(provider);
      expect(await transport.request("eth_chainId", [])).to.equal("0x7a69");
      const token = await ethers.deployContract("MockTransferLog");
      const error = await expectRejection(
        transport.request("eth_call", [{ to: await token.getAddress(), data: "0xdeadbeef" }, "latest"]),
        JsonRpcError,
        /revert/,
      );
      expect(classifyRpcError(error, "eth_call", [])).to.equal("fatal");
      await expectRejection(transport.request("no_such_method", []), JsonRpcError, /no_such_method/);
    });
  });
});
