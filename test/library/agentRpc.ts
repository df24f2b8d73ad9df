import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";

import type { CommonConfig } from "../../src/agent/config.js";
import { Metrics } from "../../src/agent/metrics.js";
import { FallbackRpcProvider } from "../../src/agent/rpc.js";
import { connect } from "../../src/agent/runtime.js";
import { refusesRange } from "../../src/rpc/classify.js";
import { serve, type TestServer } from "../helpers/rpc.js";
import type { AddressBook } from "../../src/deployments.js";

/**
 * The agent's endpoints through an outage: while every endpoint fails nothing is said per try
 * (the error metric counts them), and the first answer after requests no endpoint answered is
 * reported once, with how long and how many.
 */
describe("gpufog agents: the RPC coming back after an outage", function () {
  let server: Server;
  let up = true;
  let url = "";

  before(async function () {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        if (!up) return void res.writeHead(503).end("down");
        const { id } = JSON.parse(body) as { id: number };
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", id, result: "0x7" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("says once that the RPC is back, after how long and how many failed requests", async function () {
    const back: [number, number][] = [];
    const errors: string[] = [];
    const rpc = new FallbackRpcProvider([url], {
      chainId: 31337,
      timeoutMs: 2000,
      attempts: 1,
      onError: (_, kind) => errors.push(kind),
      onRecover: (ms, failed) => back.push([ms, failed]),
    });
    try {
      expect(await rpc.getBlockNumber()).to.equal(7);
      expect(back).to.deep.equal([]);
      up = false;
      for (let i = 0; i < 3; i++) {
        let failed = false;
        await rpc.getBlockNumber().catch(() => (failed = true));
        expect(failed).to.equal(true);
      }
      await new Promise((r) => setTimeout(r, 50));
      up = true;
      expect(await rpc.getBlockNumber()).to.equal(7);
      expect(await rpc.getBlockNumber()).to.equal(7);
      expect(back).to.have.length(1);
      expect(back[0]![1]).to.equal(3);
      expect(back[0]![0]).to.be.at.least(50);
      expect(errors).to.deep.equal(["http", "http", "http"]);
    } finally {
      rpc.destroy();
    }
  });

  it("logs one line in words when the agent's endpoints answer again", async function () {
    const lines: Record<string, unknown>[] = [];
    const config = { rpc: [url], rpcTimeoutMs: 2000 } as CommonConfig;
    const rpc = connect(config, { chainId: 31337 } as AddressBook, new Metrics(), (_, event, fields) =>
      lines.push({ event, ...fields }),
    );
    try {
      up = false;
      await rpc.getBlockNumber().catch(() => undefined);
      up = true;
      await rpc.getBlockNumber();
      expect(lines).to.have.length(1);
      expect(lines[0]!.event).to.equal("rpc_back");
      expect(lines[0]!.message).to.match(/^RPC back after \d+ (s|min)( \d+ s)?, 1 failed request$/);
    } finally {
      rpc.destroy();
    }
  });
});

describe("FallbackRpcProvider", function () {
  describe("send", function () {
    let server: TestServer;
    const asked: string[] = [];
    // Answers eth_call with a revert, eth_getLogs with a range refusal, and rate-limits every
    // second eth_blockNumber.
    let blockNumbers = 0;

    before(async function () {
      server = await serve((_req, res, body) => {
        const { id, method } = JSON.parse(body) as { id: number; method: string };
        asked.push(method);
        const answer =
          method === "eth_call"
            ? { error: { code: 3, message: "execution reverted", data: "0x1425ea42" } }
            : method === "eth_getLogs"
              ? { error: { code: -32005, message: "query returned more than 10000 results" } }
              : ++blockNumbers % 2 === 1
                ? { error: { code: -32005, message: "rate limit exceeded" } }
                : { result: "0x7" };
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", id, ...answer }));
      });
    });

    after(async function () {
      await server.close();
    });

    it("hands ethers a node's verdict with its data, asks the next endpoint after a rate limit, and refuses a log range at once", async function () {
      const errors: [number, string][] = [];
      const rpc = new FallbackRpcProvider([server.url, server.url], {
        chainId: 31337,
        timeoutMs: 2000,
        onError: (endpoint, kind) => errors.push([endpoint, kind]),
      });
      try {
        const reverted = (await rpc.call({ to: "0x" + "11".repeat(20), data: "0x" }).catch((e: unknown) => e)) as {
          code?: string;
          data?: string;
        };
        expect(reverted.code).to.equal("CALL_EXCEPTION");
        expect(reverted.data).to.equal("0x1425ea42");
        expect(asked.filter((m) => m === "eth_call")).to.have.length(1);

        expect(await rpc.getBlockNumber()).to.equal(7);
        expect(errors).to.deep.equal([[0, "rate_limit"]]);

        const refused = await rpc.send("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0x63" }]).catch((e: unknown) => e);
        expect(refusesRange(refused)).to.equal(true);
        expect(
          asked.filter((m) => m === "eth_getLogs"),
          "not asked again of the other endpoint",
        ).to.have.length(1);
      } finally {
        rpc.destroy();
      }
    });
  });
});
