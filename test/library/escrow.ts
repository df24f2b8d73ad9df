import { expect } from "chai";
import { network } from "hardhat";

import { Interface } from "ethers";

import { InputError } from "../../src/errors.js";
import {
  collectableAt,
  connectEscrow,
  makeQuote,
  openLease,
  providerLeases,
  rateOf,
  reservationFeeAt,
} from "../../src/escrow.js";
import { toJson } from "../../src/io.js";
import {
  encodeOpenLease,
  encodeReserve,
  encodeSelfPermit,
  ESCROW_CALLS_ABI,
  openLeaseCalldata,
} from "../../src/market/calldata.js";
import {
  buildQuote,
  checkDomain,
  DEFAULT_QUOTE_TTL,
  nextQuoteNonce,
  parseSignedQuote,
  parseSignedReceipt,
  quoteToJson,
  receiptToJson,
} from "../../src/market/quote.js";
import { deployEscrowSystem, GTX_1080_TI, PRICE, quoteFor, UNIT } from "../contracts/LeaseEscrowFixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

/**
 * Two providers on one escrow. The first has two nodes, a lease on each (one closed by its
 * customer), a reservation cancelled by its customer and one started and accepted (the lease it
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
  const ids = { mine: [] as bigint[], theirs: [] as bigint[] };
  const open = async (nodeId: bigint, signer: Parameters<typeof quoteFor>[3] = s.provider) => {
    const { quote, signature } = await quoteFor(s, ethers, { nodeId }, signer);
    await customer.openLease(quote, signature, 10n * UNIT, ethers.ZeroAddress);
    return s.escrow.leaseCount();
  };
  const reserve = async (windowStart: bigint) => {
    const { quote, signature } = await quoteFor(s, ethers, { nodeId: 1n, windowStart, windowDuration: 3_600n });
    await customer.reserve(quote, signature, 5n * UNIT);
    return s.escrow.reservationCount();
  };

  ids.mine.push(await open(1n));
  ids.theirs.push(await open(2n, s.other));
  await customer.closeLease(ids.theirs[0]!, 0n, "0x");
  ids.theirs.push(await open(2n, s.other));
  ids.mine.push(await open(3n));
  await customer.closeLease(ids.mine[0]!, 0n, "0x");

  const now = BigInt(await time.latest());
  await customer.cancelReservation(await reserve(now + 7_200n));
  const start = BigInt(await time.latest()) + 300n;
  const started = await reserve(start);
  await time.increaseTo(start);
  await customer.startReserved(started, 0n, ethers.ZeroAddress);
  await s.escrow.connect(s.operator).acceptStart(started);
  ids.mine.push(await s.escrow.leaseCount());
  return { ...s, ids };
}

describe("escrow library", function () {
  describe("providerLeases", function () {
    it("finds a provider's leases, those started from reservations too, and none of another provider's", async function () {
      const { escrow, provider, other, ids } = await loadFixture(twoProviders);
      const h = await connectEscrow(await escrow.getAddress(), provider);
      const count = await escrow.leaseCount();
      // The oracle: every lease, read one by one.
      const byProvider = new Map<string, bigint[]>();
      for (let id = 1n; id <= count; id++) {
        const owner = (await escrow.lease(id)).provider;
        byProvider.set(owner, [...(byProvider.get(owner) ?? []), id]);
      }
      expect(ids.mine).to.have.length(3);
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

  describe("market helpers", function () {
    it("encode openLease, reserve and multicall([selfPermit, openLease]) byte for byte as the escrow's ABI", async function () {
      const s = await loadFixture(deployEscrowSystem.bind(null, ethers));
      const { quote, signature } = await quoteFor(s, ethers);
      const abi = s.escrow.interface;
      const permit = {
        value: 5n * UNIT,
        deadline: quote.expiry,
        v: 27,
        r: "0x" + "11".repeat(32),
        s: "0x" + "22".repeat(32),
      };
      const selfPermit = abi.encodeFunctionData("selfPermit", [
        quote.token,
        permit.value,
        permit.deadline,
        permit.v,
        permit.r,
        permit.s,
      ]);
      const open = abi.encodeFunctionData("openLease", [quote, signature, 5n * UNIT, s.session.address]);
      expect(encodeOpenLease(quote, signature, 5n * UNIT, s.session.address)).to.equal(open);
      expect(encodeSelfPermit(quote.token, permit)).to.equal(selfPermit);
      expect(
        openLeaseCalldata({ quote, signature, deposit: 5n * UNIT, sessionKey: s.session.address, permit }),
      ).to.equal(abi.encodeFunctionData("multicall", [[selfPermit, open]]));
      expect(encodeReserve({ ...quote, windowStart: 9n, windowDuration: 3n }, signature, 1n)).to.equal(
        abi.encodeFunctionData("reserve", [{ ...quote, windowStart: 9n, windowDuration: 3n }, signature, 1n]),
      );
      // The fragments a viem dApp encodes with are the contract's own.
      for (const fragment of ESCROW_CALLS_ABI) {
        expect(new Interface([fragment]).getFunction(fragment.name)!.selector).to.equal(
          abi.getFunction(fragment.name)!.selector,
        );
      }
    });

    it("opens a lease with a permit in the same transaction when the allowance is short: no approval is sent", async function () {
      const s = await loadFixture(deployEscrowSystem.bind(null, ethers));
      const escrow = await s.escrow.getAddress();
      await s.gut.connect(s.customer).approve(escrow, 0n);
      const h = await connectEscrow(escrow, s.customer);
      const signed = await makeQuote(h, s.operator, { nodeId: 1n, customer: s.customer.address });
      const nonce = await ethers.provider.getTransactionCount(s.customer.address);
      const leaseId = await openLease(h, s.customer, signed, 2n * UNIT, s.session.address);
      expect(await ethers.provider.getTransactionCount(s.customer.address)).to.equal(nonce + 1);
      expect((await s.escrow.lease(leaseId)).deposit).to.equal(2n * UNIT);
      expect((await s.escrow.lease(leaseId)).sessionKey).to.equal(s.session.address);
    });

    it("mirrors the escrow's collectable and reservationFee views", async function () {
      const s = await loadFixture(deployEscrowSystem.bind(null, ethers));
      const h = await connectEscrow(await s.escrow.getAddress(), s.customer);
      const leaseId = await openLease(
        h,
        s.customer,
        await makeQuote(h, s.provider, { nodeId: 1n, customer: s.customer.address }),
        3n * UNIT,
      );
      await time.increase(1_234n);
      const now = BigInt(await time.latest());
      const l = await s.escrow.lease(leaseId);
      for (const paidThrough of [0n, l.start + 7n, now, now + 10_000n]) {
        const [paid, remaining] = await s.escrow.collectable(leaseId, paidThrough);
        expect(collectableAt(l, paidThrough, now)).to.deep.equal({ paid, remaining });
      }
      const terms = {
        reservationFeeBps: await s.escrow.reservationFeeBps(),
        reservationGrace: await s.escrow.reservationGrace(),
      };
      for (const [start, duration] of [
        [now + 600n, 60n],
        [now + 86_400n, 7_200n],
      ] as const) {
        const [fee, heldUntil] = await s.escrow.reservationFee(1n, PRICE, start, duration);
        expect(reservationFeeAt(rateOf(PRICE, 1_000n), start, duration, now, terms)).to.deep.equal({ fee, heldUntil });
      }
    });

    it("reads back the quote and receipt files it writes, and names the file and field of a bad one", async function () {
      const s = await loadFixture(deployEscrowSystem.bind(null, ethers));
      const { quote, signature } = await quoteFor(s, ethers);
      const signed = { chainId: s.domain.chainId, escrow: s.domain.verifyingContract, quote, signature };
      expect(parseSignedQuote(toJson(quoteToJson(signed)), "q.json")).to.deep.equal(signed);
      const receipt = {
        chainId: 1n,
        escrow: s.domain.verifyingContract,
        receipt: { leaseId: 3n, paidThrough: 9n },
        signature,
      };
      expect(parseSignedReceipt(receiptToJson(receipt), "r.json")).to.deep.equal(receipt);
      const broken = (edit: (o: Record<string, any>) => void) => {
        const o = JSON.parse(toJson(quoteToJson(signed))) as Record<string, any>;
        edit(o);
        return () => parseSignedQuote(o, "q.json");
      };
      expect(() => parseSignedQuote("{", "q.json")).to.throw(InputError, "q.json: is not JSON");
      expect(broken((o) => (o.format = "x"))).to.throw(
        InputError,
        'q.json, field "format": is "x", expected "gpufog-quote-v1"',
      );
      expect(broken((o) => delete o.quote.nonce)).to.throw(InputError, 'q.json, field "quote.nonce": is missing');
      expect(broken((o) => (o.quote.expiry = "-1"))).to.throw(
        InputError,
        'q.json, field "quote.expiry": "-1" is not a whole number',
      );
      expect(broken((o) => (o.quote.customer = "0x12"))).to.throw(
        InputError,
        'q.json, field "quote.customer": "0x12" is not an address',
      );
      expect(broken((o) => (o.signature = "xyz"))).to.throw(InputError, 'q.json, field "signature"');
      expect(() => checkDomain({ ...signed, chainId: 5n }, s.domain, "q.json")).to.throw(
        InputError,
        'q.json, field "chainId": is 5',
      );
      const fresh = buildQuote({ nodeId: 1n, customer: quote.customer, token: quote.token, pricePerTuHour: 1n }, 100n);
      expect(fresh.expiry).to.equal(100n + DEFAULT_QUOTE_TTL);
      expect(fresh.nonce).to.not.equal(buildQuote({ ...fresh }, 100n).nonce);
    });
  });

  describe("nextQuoteNonce", function () {
    it("counts up inside one escrow bitmap word, led by the seconds, and never goes back", function () {
      const seconds = BigInt(Math.floor(Date.now() / 1000));
      const first = nextQuoteNonce(seconds);
      const run = Array.from({ length: 300 }, () => nextQuoteNonce(seconds));
      run.forEach((n, i) => expect(n).to.equal(first + BigInt(i) + 1n));
      // 256 nonces a word: 300 dense nonces touch at most three words, where random ones touch 300.
      expect(new Set([first, ...run].map((n) => n >> 8n)).size).to.be.at.most(3);
      // The process's sequence began at some earlier quote of this run: its seconds are not ahead.
      expect(first >> 32n <= seconds && first >> 32n > seconds - 3_600n).to.equal(true);
      // At most 8 bytes of calldata, not 32.
      expect(first < 1n << 64n).to.equal(true);
      // A used-up counter takes a new base, above the old one even with the clock set back.
      let last = run.at(-1)!;
      for (let i = 0; i < 70_000; i++) {
        const n = nextQuoteNonce(seconds - 100n);
        expect(n > last).to.equal(true);
        last = n;
      }
      expect(last >> 32n).to.be.greaterThan(first >> 32n);
    });
  });
});
