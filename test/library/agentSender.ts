import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Transaction, Wallet } from "ethers";

import { Metrics } from "../../src/agent/metrics.js";
import type { FallbackRpcProvider } from "../../src/agent/rpc.js";
import { SERIES } from "../../src/agent/runtime.js";
import { TxSender } from "../../src/agent/sender.js";
import { loadState, type AgentState } from "../../src/agent/state.js";

/**
 * A node that mines a transaction `mineAfterMs` after it is broadcast, and otherwise answers
 * what the sender asks (gas, base fee, nonces, receipts).
 */
function scriptedNode(wallet: Wallet, mineAfterMs: number) {
  const broadcasts: string[] = [];
  let minedHash: string | undefined;
  let mined = 0;
  const node = {
    _network: { chainId: 31337n },
    estimateGas: async () => 50_000n,
    getBlock: async () => ({ baseFeePerGas: 1_000_000_000n }),
    getFeeData: async () => ({ gasPrice: 1_000_000_000n }),
    getTransactionCount: async () => mined,
    send: async (method: string, [raw]: [string]) => {
      expect(method).to.equal("eth_sendRawTransaction");
      broadcasts.push(raw);
      setTimeout(() => {
        minedHash = Transaction.from(raw).hash!;
        mined += 1;
      }, mineAfterMs);
      return Transaction.from(raw).hash;
    },
    getTransactionReceipt: async (hash: string) =>
      hash === minedHash ? { hash, status: 1, blockNumber: 1, gasUsed: 50_000n } : null,
  };
  return { node: node as unknown as FallbackRpcProvider, broadcasts, wallet };
}

describe("TxSender", function () {
  let dir = "";
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "gpufog-sender-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const senderFor = (node: FallbackRpcProvider, wallet: Wallet, signal: AbortSignal) => {
    const stateFile = path.join(dir, "state.json");
    const state: AgentState = loadState(stateFile, "keeper", 31337, wallet.address, 0);
    const metrics = new Metrics();
    for (const [name, type, help] of SERIES) metrics.define(name, type, help);
    const sender = new TxSender({
      config: {
        maxFeePerGas: 100_000_000_000n,
        priorityFee: 1_000_000_000n,
        stuckAfterMs: 60_000,
        feeBumpPercent: 20,
        pollMs: 50,
        stateFile,
      },
      wallet,
      provider: node,
      state,
      log: () => {},
      metrics,
      signal,
      dryRun: false,
      abis: [],
    });
    const saved = () => JSON.parse(readFileSync(stateFile, "utf8")) as AgentState;
    return { sender, saved };
  };

  describe("send", function () {
    it("waits for the transaction in flight when stopped, and records it mined", async function () {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const { node, broadcasts } = scriptedNode(wallet, 400);
      const stop = new AbortController();
      const { sender, saved } = senderFor(node, wallet, stop.signal);
      const sending = sender.send({ label: "closeLease 7", to: wallet.address, data: "0x" });
      setTimeout(() => stop.abort(), 100); // a stop while the transaction is in flight
      const receipt = await sending;
      expect(receipt?.status).to.equal(1);
      expect(broadcasts).to.have.length(1);
      expect(saved().pending).to.equal(null);
      expect(saved().nonce).to.equal(1);
    });

    it("signs nothing new once stopped", async function () {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const { node, broadcasts } = scriptedNode(wallet, 0);
      const stop = new AbortController();
      stop.abort();
      const { sender } = senderFor(node, wallet, stop.signal);
      expect(await sender.send({ label: "closeLease 7", to: wallet.address, data: "0x" })).to.equal(null);
      expect(broadcasts).to.have.length(0);
    });
  });
});
