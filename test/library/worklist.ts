import { expect } from "chai";
import { network } from "hardhat";

import type { Runtime } from "../../src/agent/runtime.js";
import { loadState, type AgentState } from "../../src/agent/state.js";
import { TOPIC_LIST_MAX, WorkList, type MarketEvent, type Scope } from "../../src/agent/worklist.js";
import { BuybackEmission__factory } from "../../types/factories/BuybackEmission__factory.js";
import { deployEscrowSystem, GTX_1080_TI, PRICE, quoteFor, receiptFor, UNIT } from "../contracts/LeaseEscrowFixture.js";
import { recordLogs } from "../helpers/rpc.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

/**
 * Two providers taking turns on one escrow, so that their lease and reservation ids interleave.
 * The first (`provider`, nodes 1 and 3) checks in, has a lease collected then closed by its
 * customer (closing), one it closes itself (final), a withdrawal, a reservation still pending and
 * one started and accepted. The second (`other`, nodes 2 and 4) does all the same on its own.
 */
async function twoProviders() {
  const s = await deployEscrowSystem(ethers);
  const gut = await s.gut.getAddress();
  await s.gut.transfer(s.other.address, 10_000n * UNIT);
  await s.gut.connect(s.other).approve(await s.registry.getAddress(), ethers.MaxUint256);
  await s.registry.connect(s.other).register(GTX_1080_TI, 1n, PRICE, gut, "https://other-2");
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, gut, "https://node-3");
  await s.registry.connect(s.other).register(GTX_1080_TI, 1n, PRICE, gut, "https://other-4");
  const customer = s.escrow.connect(s.customer);
  const sides = [
    { signer: s.provider, nodes: [1n, 3n] },
    { signer: s.other, nodes: [2n, 4n] },
  ];
  const open = async (nodeId: bigint, signer: (typeof sides)[number]["signer"]) => {
    const { quote, signature } = await quoteFor(s, ethers, { nodeId }, signer);
    await customer.openLease(quote, signature, 10n * UNIT, s.session.address);
    return s.escrow.leaseCount();
  };
  const reserve = async (nodeId: bigint, signer: (typeof sides)[number]["signer"], windowStart: bigint) => {
    const { quote, signature } = await quoteFor(s, ethers, { nodeId, windowStart, windowDuration: 3_600n }, signer);
    await customer.reserve(quote, signature, 5n * UNIT);
    return s.escrow.reservationCount();
  };
  for (const { signer, nodes } of sides) await s.registry.connect(signer).checkIn(nodes);
  const closing: bigint[] = [];
  for (const { signer, nodes } of sides) closing.push(await open(nodes[0]!, signer));
  const final: bigint[] = [];
  for (const { signer, nodes } of sides) final.push(await open(nodes.at(-1)!, signer));
  await time.increase(600);
  for (const id of closing) {
    const through = BigInt(await time.latest());
    const signature = await receiptFor(s, id, through);
    const lease = await s.escrow.lease(id);
    await s.escrow
      .connect(lease.provider === s.provider.address ? s.provider : s.other)
      .collect(id, through, signature);
  }
  for (const id of closing) await customer.closeLease(id, 0n, "0x");
  for (const [i, id] of final.entries()) await s.escrow.connect(sides[i]!.signer).closeLease(id, 0n, "0x");
  for (const { signer } of sides) await s.escrow.connect(signer).withdraw(gut, signer.address);
  const now = BigInt(await time.latest());
  for (const { signer, nodes } of sides) await reserve(nodes[0]!, signer, now + 7_200n);
  const start = now + 600n;
  const started: bigint[] = [];
  for (const { signer, nodes } of sides) started.push(await reserve(nodes.at(-1)!, signer, start));
  await time.increaseTo(start);
  for (const id of started) await customer.startReserved(id, 0n, s.session.address);
  for (const [i, id] of started.entries()) await s.escrow.connect(sides[i]!.signer).acceptStart(id);
  return s;
}

describe("WorkList", function () {
  /** Reads the work list of `scope` (everyone's when absent) from the start, `logRange` blocks a chunk. */
  async function readAll(s: Awaited<ReturnType<typeof twoProviders>>, scope?: Scope, logRange = 2_000) {
    const state: AgentState = loadState("", scope === undefined ? "keeper" : "provider", 31337, s.operator.address, 0);
    const contracts = {
      escrow: s.escrow,
      registry: s.registry,
      // The escrow fixture has no emission contract: its address stands in, with no FeeRecorded.
      emission: BuybackEmission__factory.connect(await s.collector.getAddress(), ethers.provider),
    };
    const rt = {
      contracts,
      provider: ethers.provider,
      state,
      signal: new AbortController().signal,
      config: { logRange },
    } as unknown as Pick<Runtime, "contracts" | "provider" | "state" | "signal" | "config">;
    const events: MarketEvent[] = [];
    const record = recordLogs(connection.provider);
    try {
      await new WorkList(rt, scope, (e) => events.push(e)).read(await ethers.provider.getBlockNumber());
    } finally {
      record.restore();
    }
    return { state, events, record };
  }

  describe("read", function () {
    it("reads only a provider's own logs at its first start, and follows all of its leases, receipts, closes, reservations and check-ins", async function () {
      const s = await loadFixture(twoProviders);
      const mine = s.provider.address;
      const scope = { provider: mine, nodes: new Set([1n, 3n]) };
      const own = await readAll(s, scope);
      const everyone = await readAll(s);

      // Every log the node sent is one of the provider's: its nodes', its leases', its reservations'.
      const owners = new Set<string>();
      for (const raw of own.record.logs) {
        const parsed = s.escrow.interface.parseLog(raw) ?? s.registry.interface.parseLog(raw);
        expect(parsed, `log ${raw.topics[0]}`).to.not.equal(null);
        const a = parsed!.args;
        const owner = ["Collected", "LeaseClosed", "LeaseFinalized"].includes(parsed!.name)
          ? (await s.escrow.lease(a.leaseId)).provider
          : ["StartRequested", "ReservationEnded", "Reserved"].includes(parsed!.name)
            ? (await s.registry.node((await s.escrow.reservation(a.reservationId)).nodeId)).provider
            : ["StatusChanged", "LeaseOpened"].includes(parsed!.name)
              ? (await s.registry.node(a.nodeId)).provider
              : (a.provider as string);
        owners.add(owner);
      }
      expect([...owners]).to.deep.equal([mine]);
      expect(own.record.bytes).to.be.below(everyone.record.bytes * 0.7);

      // The same work as reading everything and keeping the provider's.
      const leases = Object.fromEntries(Object.entries(everyone.state.leases).filter(([, l]) => l.provider === mine));
      expect(own.state.leases).to.deep.equal(leases);
      expect(Object.keys(leases)).to.have.length(2);
      expect(Object.values(leases).map((l) => l.collectDeadline > 0)).to.have.members([true, false]);
      const reservations = Object.fromEntries(
        Object.entries(everyone.state.reservations).filter(([, r]) => scope.nodes.has(BigInt(r.nodeId))),
      );
      expect(own.state.reservations).to.deep.equal(reservations);
      expect(Object.keys(reservations)).to.have.length(1);
      expect([...new Set(own.events.map((e) => e.name))]).to.have.members([
        "CheckedIn",
        "StatusChanged",
        "LeaseOpened",
        "Collected",
        "LeaseClosed",
        "LeaseFinalized",
        "Withdrawn",
        "Reserved",
        "StartRequested",
        "ReservationEnded",
      ]);
      expect(own.events.filter((e) => e.name === "LeaseOpened")).to.have.length(3);
    });

    it("leaves the same state when read a block a chunk, each lease's events in later chunks than its opening", async function () {
      const s = await loadFixture(twoProviders);
      const scope = { provider: s.provider.address, nodes: new Set([1n, 3n]) };
      const whole = await readAll(s, scope);
      const byBlock = await readAll(s, scope, 1);
      expect(byBlock.state.leases).to.deep.equal(whole.state.leases);
      expect(byBlock.state.reservations).to.deep.equal(whole.state.reservations);
      expect(byBlock.events.map((e) => `${e.name}@${e.block}`)).to.deep.equal(
        whole.events.map((e) => `${e.name}@${e.block}`),
      );
    });

    it("asks for a long list of nodes in requests of at most TOPIC_LIST_MAX ids each, and follows the same work", async function () {
      const s = await loadFixture(twoProviders);
      const whole = await readAll(s, { provider: s.provider.address, nodes: new Set([1n, 3n]) });
      // Nodes 5 on do not exist: they only lengthen the lists.
      const nodes = new Set([1n, 3n, ...Array.from({ length: 2 * TOPIC_LIST_MAX }, (_, i) => BigInt(i + 5))]);
      const long = await readAll(s, { provider: s.provider.address, nodes });
      expect(long.state.leases).to.deep.equal(whole.state.leases);
      expect(long.state.reservations).to.deep.equal(whole.state.reservations);
      // The same logs, in whatever order the concurrent requests were answered.
      const ids = (logs: { blockNumber: string; logIndex: string }[]) =>
        logs.map((l) => `${BigInt(l.blockNumber)}:${BigInt(l.logIndex)}`).sort();
      expect(ids(long.record.logs)).to.deep.equal(ids(whole.record.logs));
      const lists = long.record.filters.flatMap((f) => (f.topics ?? []).filter((t) => Array.isArray(t)));
      expect(Math.max(...lists.map((t) => t.length))).to.equal(TOPIC_LIST_MAX);
      // 1,002 nodes as the third topic, the provider and 1,002 nodes as the second, then the leases and reservations.
      expect(long.record.calls).to.equal(3 + 3 + 2);
    });

    it("does not follow the leases of a node the agent does not run", async function () {
      const s = await loadFixture(twoProviders);
      const { state, record } = await readAll(s, { provider: s.provider.address, nodes: new Set([1n]) });
      expect(Object.values(state.leases).map((l) => l.nodeId)).to.deep.equal(["1"]);
      for (const raw of record.logs) {
        const parsed = s.escrow.interface.parseLog(raw);
        if (parsed?.name === "LeaseOpened") expect(parsed.args.nodeId).to.equal(1n);
      }
    });
  });
});
