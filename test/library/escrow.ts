import { expect } from "chai";
import { network } from "hardhat";

import { connectEscrow, providerLeases } from "../../src/escrow.js";
import { ANY_PRICE, deployEscrowSystem, GTX_1080_TI, PRICE, UNIT } from "../contracts/LeaseEscrowFixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

/**
 * Two providers on one escrow. The first has two nodes, a lease on each, a reservation cancelled
 * by its customer (its fee booked as a closed lease) and one started (a fee lease and the lease it
 * became); the second provider's node has leases of its own in between.
 */
async function twoProviders() {
  const s = await deployEscrowSystem(ethers);
  const gut = await s.gut.getAddress();
  await s.gut.transfer(s.other.address, 10_000n * UNIT);
  await s.gut.connect(s.other).approve(await s.registry.getAddress(), ethers.MaxUint256);
  await s.registry.connect(s.other).register(GTX_1080_TI, 1n, PRICE, gut, "https://other-1");
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, gut, "https://node-3");
  const customer = s.escrow.connect(s.customer);
  const now = BigInt(await time.latest());
  const ids = { mine: [] as bigint[], theirs: [] as bigint[] };
  const lastLease = async () => s.escrow.leaseCount();

  await customer.openLease(1n, 10n * UNIT, ANY_PRICE);
  ids.mine.push(await lastLease());
  await customer.openLease(2n, 10n * UNIT, ANY_PRICE);
  ids.theirs.push(await lastLease());
  await customer.closeLease(ids.theirs[0]!);
  await customer.openLease(2n, 10n * UNIT, ANY_PRICE);
  ids.theirs.push(await lastLease());
  await customer.openLease(3n, 10n * UNIT, ANY_PRICE);
  ids.mine.push(await lastLease());
  await customer.closeLease(ids.mine[0]!);

  await customer.reserve(1n, now + 7_200n, 3_600n, 5n * UNIT, ANY_PRICE);
  await customer.cancelReservation(1n);
  ids.mine.push(await lastLease());
  // Inside the heartbeat timeout, so the node is still up when the window opens.
  const start = BigInt(await time.latest()) + 300n;
  await customer.reserve(1n, start, 3_600n, 5n * UNIT, ANY_PRICE);
  await time.increaseTo(start);
  await s.registry.connect(s.provider).heartbeatBatch([1n, 3n]);
  await customer.startReserved(2n);
  const started = await lastLease();
  ids.mine.push(started - 1n, started);
  return { ...s, ids };
}

describe("escrow library", function () {
  describe("providerLeases", function () {
    it("finds a provider's leases and its reservation fee leases, and none of another provider's", async function () {
      const { escrow, provider, other, ids } = await loadFixture(twoProviders);
      const h = await connectEscrow(await escrow.getAddress(), provider);
      const count = await escrow.leaseCount();
      // The oracle: every lease, read one by one.
      const byProvider = new Map<string, bigint[]>();
      for (let id = 1n; id <= count; id++) {
        const owner = (await escrow.lease(id)).provider;
        byProvider.set(owner, [...(byProvider.get(owner) ?? []), id]);
      }
      expect(ids.mine).to.have.length(5);
      expect(await providerLeases(h, provider.address)).to.deep.equal(byProvider.get(provider.address));
      expect(await providerLeases(h, provider.address)).to.deep.equal([...ids.mine].sort((a, b) => Number(a - b)));
      expect(await providerLeases(h, other.address)).to.deep.equal(ids.theirs);
    });

    it("reads no lease of the escrow: only the provider's nodes and its events", async function () {
      const { escrow, provider } = await loadFixture(twoProviders);
      const h = await connectEscrow(await escrow.getAddress(), provider);
      const calls: unknown[] = [];
      // Every JSON-RPC request the library makes passes through the connection's EIP-1193 provider.
      const eip1193 = connection.provider;
      const request = eip1193.request.bind(eip1193);
      eip1193.request = async (args) => {
        if (args.method === "eth_call") calls.push((args.params as [{ data: string }])[0].data.slice(0, 10));
        return request(args);
      };
      try {
        await providerLeases(h, provider.address);
      } finally {
        eip1193.request = request;
      }
      // One page of the provider's nodes; the leases come from eth_getLogs, not from lease(id).
      expect(calls).to.deep.equal([h.registry.interface.getFunction("nodesOf").selector]);
    });

    it("asks an endpoint that caps a log query's range again over smaller ranges, and finds the same leases", async function () {
      const { escrow, provider } = await loadFixture(twoProviders);
      const h = await connectEscrow(await escrow.getAddress(), provider);
      const everything = await providerLeases(h, provider.address);
      const eip1193 = connection.provider;
      const request = eip1193.request.bind(eip1193);
      const spans: number[] = [];
      let refused = 0;
      // Like many public endpoints: eth_getLogs over more than 8 blocks is refused.
      eip1193.request = async (args) => {
        if (args.method === "eth_getLogs") {
          const [filter] = args.params as [{ fromBlock: string; toBlock: string }];
          const span = Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1;
          if (span > 8) {
            refused++;
            throw new Error(`block range is too wide: ${span} blocks, at most 8`);
          }
          spans.push(span);
        }
        return request(args);
      };
      try {
        expect(await providerLeases(h, provider.address)).to.deep.equal(everything);
      } finally {
        eip1193.request = request;
      }
      expect(refused).to.be.greaterThan(0);
      expect(Math.max(...spans)).to.be.at.most(8);
    });

    it("gives up at once on an error that is not a range refusal", async function () {
      const { escrow, provider } = await loadFixture(twoProviders);
      const h = await connectEscrow(await escrow.getAddress(), provider);
      const eip1193 = connection.provider;
      const request = eip1193.request.bind(eip1193);
      let logQueries = 0;
      eip1193.request = async (args) => {
        if (args.method !== "eth_getLogs") return request(args);
        logQueries++;
        throw new Error("invalid API key");
      };
      let error: unknown;
      try {
        await providerLeases(h, provider.address).catch((e: unknown) => (error = e));
      } finally {
        eip1193.request = request;
      }
      expect(String(error)).to.contain("invalid API key");
      expect(logQueries).to.equal(1);
    });

    it("starts at fromBlock: a block after every event finds nothing", async function () {
      const { escrow, provider } = await loadFixture(twoProviders);
      const h = await connectEscrow(await escrow.getAddress(), provider);
      const after = (await ethers.provider.getBlockNumber()) + 1;
      await networkHelpers.mine(1);
      expect(await providerLeases(h, provider.address, { fromBlock: after })).to.deep.equal([]);
    });
  });
});
