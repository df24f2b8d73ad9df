import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";

import { AgentClient, AgentError } from "../../src/customer/agent.js";
import { loadCustomerState, loadSessionKey } from "../../src/customer/client.js";
import { parseCustomerConfig } from "../../src/customer/config.js";
import {
  closesAtStop,
  nextPaidThrough,
  openingLapsed,
  planStart,
  reservationStep,
  retryDelayMs,
  serviceEndsAt,
} from "../../src/customer/decisions.js";
import { InputError } from "../../src/errors.js";
import { receiptAckToJson } from "../../src/session/messages.js";

const ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("The headless customer (src/customer)", function () {
  describe("nextPaidThrough", function () {
    it("pays the horizon ahead of now", function () {
      expect(nextPaidThrough(0n, 1_000n, 300n)).to.equal(1_300n);
      expect(nextPaidThrough(1_250n, 1_000n, 300n)).to.equal(1_300n);
    });

    it("never signs less than a receipt already signed, even when the clock or the horizon goes back", function () {
      expect(nextPaidThrough(2_000n, 1_000n, 300n)).to.equal(2_000n);
      expect(nextPaidThrough(1_300n, 1_000n, 0n)).to.equal(1_300n);
    });
  });

  describe("retryDelayMs", function () {
    it("doubles from one second and stops at half the interval", function () {
      expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryDelayMs(a, 60_000))).to.deep.equal([
        1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
      ]);
    });

    it("waits at least what the agent asked for, still within half the interval", function () {
      expect(retryDelayMs(1, 60_000, 5)).to.equal(5_000);
      expect(retryDelayMs(1, 60_000, 3_600)).to.equal(30_000);
    });
  });

  describe("serviceEndsAt", function () {
    it("is two intervals past what the agent stored, or past the start before any receipt", function () {
      expect(serviceEndsAt(1_300n, 1_000n, 60)).to.equal(1_420n);
      expect(serviceEndsAt(0n, 1_000n, 60)).to.equal(1_120n);
    });
  });

  describe("planStart", function () {
    const none = { leaseId: undefined, nodeId: undefined };

    it("follows the lease its state file holds and never opens another", function () {
      expect(planStart({ leaseId: "7", opening: null }, { ...none, nodeId: 3n })).to.deep.equal({
        kind: "follow",
        leaseId: 7n,
      });
    });

    it("refuses when the state file follows another lease than the config names", function () {
      const plan = planStart({ leaseId: "7", opening: null }, { ...none, leaseId: 8n });
      expect(plan.kind).to.equal("refuse");
    });

    it("looks for an open a previous run sent before opening again", function () {
      expect(planStart({ leaseId: null, opening: { nonce: "1" } }, { ...none, nodeId: 3n }).kind).to.equal(
        "find-opening",
      );
      expect(planStart({ leaseId: null, opening: null }, { ...none, nodeId: 3n }).kind).to.equal("open");
      expect(planStart({ leaseId: null, opening: null }, { ...none, leaseId: 4n })).to.deep.equal({
        kind: "follow",
        leaseId: 4n,
      });
    });
  });

  describe("planStart with a reservation", function () {
    const config = { leaseId: undefined, nodeId: 3n };

    it("sees the reservation its state file holds through before opening or reserving again", function () {
      expect(planStart({ leaseId: null, reservationId: "5", opening: null }, config)).to.deep.equal({
        kind: "reservation",
        reservationId: 5n,
      });
    });

    it("follows the reservation's lease once it started", function () {
      expect(planStart({ leaseId: "9", reservationId: "5", opening: null }, config)).to.deep.equal({
        kind: "follow",
        leaseId: 9n,
      });
    });
  });

  describe("reservationStep", function () {
    // Pending = 1, Starting = 2, Started = 3, Failed = 6.
    const r = { status: 1n, start: 1_000n, deadline: 4_600n, acceptBy: 0n, leaseId: 0n };

    it("waits for the window, then starts the lease in it", function () {
      expect(reservationStep(r, 999n)).to.deep.equal({ kind: "wait-window", opensAt: 1_000n });
      expect(reservationStep(r, 1_000n)).to.deep.equal({ kind: "start" });
      expect(reservationStep(r, 4_600n)).to.deep.equal({ kind: "start" });
    });

    it("expires a reservation not started by its deadline", function () {
      expect(reservationStep(r, 4_601n)).to.deep.equal({ kind: "expire" });
    });

    it("waits for the provider's acceptStart until acceptBy, and fails the reservation after it", function () {
      const starting = { ...r, status: 2n, acceptBy: 1_600n };
      expect(reservationStep(starting, 1_600n)).to.deep.equal({ kind: "wait-accept", acceptBy: 1_600n });
      expect(reservationStep(starting, 1_601n)).to.deep.equal({ kind: "fail" });
    });

    it("follows the lease of an accepted reservation, and stops at one that ended", function () {
      expect(reservationStep({ ...r, status: 3n, leaseId: 7n }, 2_000n)).to.deep.equal({
        kind: "started",
        leaseId: 7n,
      });
      expect(reservationStep({ ...r, status: 6n }, 2_000n)).to.deep.equal({ kind: "ended", status: "Failed" });
    });
  });

  describe("openingLapsed", function () {
    it("forgets an unmined open only once its quote expired and no lease was found", function () {
      expect(openingLapsed(100n, 100n, false)).to.equal(false);
      expect(openingLapsed(100n, 101n, false)).to.equal(true);
      expect(openingLapsed(100n, 101n, true)).to.equal(false);
    });
  });

  describe("closesAtStop", function () {
    const config = { closeOnSignal: false, closeAtEnd: true };

    it("leaves the lease on a signal and closes it at the end, by default", function () {
      expect(closesAtStop("signal", config, true)).to.equal(false);
      expect(closesAtStop("end", config, true)).to.equal(true);
      expect(closesAtStop("signal", { ...config, closeOnSignal: true }, true)).to.equal(true);
    });

    it("never closes without the customer's key, nor a lease that ended", function () {
      expect(closesAtStop("end", config, false)).to.equal(false);
      expect(closesAtStop("lease-ended", { closeOnSignal: true, closeAtEnd: true }, true)).to.equal(false);
    });
  });

  describe("parseCustomerConfig", function () {
    const base = {
      kind: "customer",
      rpc: ["http://127.0.0.1:8545"],
      addressBook: "book.json",
      keystore: "k.json",
      passwordFile: "k.pass",
      node: 1,
      deposit: "25.5",
    };
    const parse = (raw: Record<string, unknown>) => parseCustomerConfig("/etc/gpufog/customer.json", raw);

    it("fills the defaults, with paths beside the config", function () {
      const c = parse(base);
      expect([c.nodeId, c.deposit, c.receiptIntervalSeconds, c.horizonSeconds]).to.deep.equal([1n, "25.5", 60, 300]);
      expect([c.stateFile, c.sessionKeyFile, c.accessFile]).to.deep.equal([
        "/etc/gpufog/customer-state.json",
        "/etc/gpufog/session.key",
        "/etc/gpufog/access.json",
      ]);
      expect([c.closeOnSignal, c.closeAtEnd]).to.deep.equal([false, true]);
    });

    it("reads a reservation's window from unix seconds or an ISO date", function () {
      expect(parse({ ...base, windowStart: 1_900_000_000, windowDuration: 3_600 }).window).to.deep.equal({
        start: 1_900_000_000n,
        duration: 3_600n,
      });
      expect(parse({ ...base, windowStart: "2030-01-01T00:00:00Z", windowDuration: 60 }).window!.start).to.equal(
        1_893_456_000n,
      );
      expect(parse(base).window).to.equal(undefined);
    });

    it("reverts when a reservation's window is incomplete, malformed or without a node", function () {
      expect(() => parse({ ...base, windowStart: 1_900_000_000 })).to.throw(
        /field "windowDuration": is required with "windowStart"/,
      );
      expect(() => parse({ ...base, windowStart: "tomorrow", windowDuration: 60 })).to.throw(
        /field "windowStart": "tomorrow" is neither unix seconds nor an ISO date/,
      );
      expect(() => parse({ ...base, windowStart: 1_900_000_000, windowDuration: 1.5 })).to.throw(
        /field "windowDuration": must be whole seconds/,
      );
      expect(() => parse({ ...base, windowStart: 1_900_000_000, windowDuration: 31 * 86_400 })).to.throw(
        /field "windowDuration": must be between 1 and 2592000/,
      );
      const { node: _, deposit: __, ...noNode } = base;
      expect(() => parse({ ...noNode, lease: 4, windowStart: 1_900_000_000, windowDuration: 60 })).to.throw(
        /field "windowStart": reserves a node: it goes with "node"/,
      );
    });

    it("reverts when neither or both of a lease and a node are named", function () {
      const { node: _, deposit: __, ...noNode } = base;
      expect(() => parse(noNode)).to.throw(InputError, /field "lease": name either "lease"/);
      expect(() => parse({ ...base, lease: 4 })).to.throw(InputError, /field "node": name either "lease"/);
    });

    it("reverts when a field is bad, with one line naming it", function () {
      expect(() => parse({ ...base, deposit: "0" })).to.throw(
        '/etc/gpufog/customer.json, field "deposit": "0" is not a positive decimal amount such as "25.5"',
      );
      expect(() => parse({ ...base, horizon: 60 })).to.throw(/field "horizon": is not a customer setting/);
      expect(() => parse({ ...base, rpc: ["ws://x"] })).to.throw(/field "rpc\[0\]"/);
      const { keystore: _, passwordFile: __, ...keyless } = base;
      expect(() => parse(keyless)).to.throw(/field "keystore": is required to open a lease/);
      expect(() => parse({ ...keyless, node: undefined, deposit: undefined, lease: 3 })).to.throw(
        /field "sessionKeyFile": is required without "keystore"/,
      );
    });
  });

  describe("loadCustomerState and loadSessionKey", function () {
    let dir = "";
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "gpufog-customer-unit-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("reverts when the state file is another escrow's", function () {
      const file = path.join(dir, "state.json");
      const state = loadCustomerState(file, 31337, ESCROW);
      expect([state.leaseId, state.paidThrough, state.opening]).to.deep.equal([null, "0", null]);
      writeFileSync(file, JSON.stringify({ ...state, leaseId: "3" }));
      expect(loadCustomerState(file, 31337, ESCROW).leaseId).to.equal("3");
      expect(() => loadCustomerState(file, 31337, Wallet.createRandom().address)).to.throw(/field "escrow"/);
    });

    it("creates a session key mode 600 once, then reads the same key", function () {
      const file = path.join(dir, "session.key");
      const created = loadSessionKey(file, "c.json", true);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      expect(loadSessionKey(file, "c.json", false).address).to.equal(created.address);
    });

    it("reverts when the session key file is missing, holds no key or is readable by others, never echoing the key", function () {
      const file = path.join(dir, "session.key");
      expect(() => loadSessionKey(file, "c.json", false)).to.throw(/does not exist/);
      writeFileSync(file, "0x1234\n", { mode: 0o600 });
      expect(() => loadSessionKey(file, "c.json", false)).to.throw(/does not hold a private key/);
      writeFileSync(file, Wallet.createRandom().privateKey);
      chmodSync(file, 0o644);
      expect(() => loadSessionKey(file, "c.json", false)).to.throw(/readable by others; chmod 600 it/);
      expect(readFileSync(file, "utf8")).to.have.length(66);
    });
  });

  describe("AgentClient", function () {
    let server: Server;
    let url = "";
    let answer: { status: number; body: unknown; headers?: Record<string, string> };

    before(async function () {
      server = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
          res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const signed = {
      chainId: 31337n,
      escrow: ESCROW,
      receipt: { leaseId: 5n, paidThrough: 1_000n },
      signature: "0x" + "11".repeat(65),
    };

    it("returns the agent's acknowledgement of a stored receipt", async function () {
      answer = { status: 200, body: receiptAckToJson({ leaseId: 5n, paidThrough: 1_000n, stored: true }) };
      expect(await new AgentClient(url, 2_000).receipt(signed)).to.deep.equal({
        leaseId: 5n,
        paidThrough: 1_000n,
        stored: true,
      });
    });

    it("reverts when the agent acknowledges another lease", async function () {
      answer = { status: 200, body: receiptAckToJson({ leaseId: 6n, paidThrough: 1_000n, stored: true }) };
      const error = await new AgentClient(url, 2_000).receipt(signed).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(AgentError).with.property("message", "the agent acknowledged lease 6, not 5");
    });

    it("reverts when the agent refuses, with its line, status and Retry-After; 429 and 5xx are transient, 4xx not", async function () {
      answer = {
        status: 503,
        body: { format: "gpufog-api-error-v1", status: 503, error: "the agent is starting; try again" },
        headers: { "retry-after": "5" },
      };
      const busy = (await new AgentClient(url, 2_000).receipt(signed).catch((e: unknown) => e)) as AgentError;
      expect([busy.status, busy.retryAfter, busy.transient]).to.deep.equal([503, 5, true]);
      expect(busy.message).to.match(/HTTP 503: the agent is starting; try again$/);
      answer = { status: 409, body: { format: "gpufog-api-error-v1", status: 409, error: "lease 5 is Closed" } };
      const refused = (await new AgentClient(url, 2_000).receipt(signed).catch((e: unknown) => e)) as AgentError;
      expect([refused.status, refused.transient]).to.deep.equal([409, false]);
    });

    it("reverts as transient when nothing answers", async function () {
      const error = (await new AgentClient("http://127.0.0.1:1", 2_000)
        .receipt(signed)
        .catch((e: unknown) => e)) as AgentError;
      expect([error.status, error.transient]).to.deep.equal([0, true]);
    });

    it("reverts when the answer is not a receipt acknowledgement", async function () {
      answer = { status: 200, body: { format: "something-else" } };
      const error = await new AgentClient(url, 2_000).receipt(signed).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.match(/the agent's receipt answer, field "format"/);
    });
  });
});
