import { expect } from "chai";
import { network } from "hardhat";

import {
  ACCEPT_WINDOW,
  COLLECT_WINDOW,
  deployEscrowSystem,
  GRACE,
  GTX_1080_TI,
  GUT_FEE_BPS,
  LeaseStatus,
  MAX_QUOTE_AGE,
  NodeStatus,
  openWithQuote,
  PER_SECOND,
  PRICE,
  quoteFor,
  receiptFor,
  RESERVATION_FEE_BPS,
  terms,
  UNIT,
} from "./LeaseEscrowFixture.js";
import { QUOTE_TYPES, RECEIPT_TYPES } from "../../src/market/typed-data.js";

const { ethers, networkHelpers } = await network.create();

// ethers takes mutable field lists; the shared definitions are read-only.
const quoteTypes = { Quote: [...QUOTE_TYPES.Quote] };
const receiptTypes = { Receipt: [...RECEIPT_TYPES.Receipt] };
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 100n * UNIT;
const SESSION = { maxQuoteAge: MAX_QUOTE_AGE, collectWindow: COLLECT_WINDOW, acceptWindow: ACCEPT_WINDOW };

async function system() {
  return deployEscrowSystem(ethers);
}

/** The system with lease 1 open on node 1 for 100 GUT, with the session key, opened at `start`. */
async function openedLease() {
  const s = await system();
  const leaseId = await openWithQuote(s, ethers, DEPOSIT);
  const start = BigInt(await time.latest());
  return { ...s, leaseId, start };
}

/** Runs `tx` in a block with timestamp `t`. */
async function at<T>(t: bigint, tx: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(t);
  return tx();
}

/** The fee of a gross amount at GUT's fee bps, rounded down as the contract does. */
function feeOf(gross: bigint): bigint {
  return (gross * GUT_FEE_BPS) / 10_000n;
}

describe("LeaseEscrow", function () {
  describe("constructor", function () {
    it("wires the registry and collector, allowlists GUT and sets the session terms", async function () {
      const { escrow, registry, collector, gut } = await loadFixture(system);
      expect(await escrow.registry()).to.equal(await registry.getAddress());
      expect(await escrow.feeCollector()).to.equal(await collector.getAddress());
      const config = await escrow.paymentToken(await gut.getAddress());
      expect([config.allowed, config.feeBps]).to.deep.equal([true, GUT_FEE_BPS]);
      expect(await escrow.reservationFeeBps()).to.equal(RESERVATION_FEE_BPS);
      expect(await escrow.reservationGrace()).to.equal(GRACE);
      expect([await escrow.maxQuoteAge(), await escrow.collectWindow(), await escrow.acceptWindow()]).to.deep.equal([
        MAX_QUOTE_AGE,
        COLLECT_WINDOW,
        ACCEPT_WINDOW,
      ]);
    });

    it("reverts when an address is zero, a fee is over its maximum or a session term is out of its bounds", async function () {
      const { registry, collector, gut, admin } = await loadFixture(system);
      const factory = await ethers.getContractFactory("LeaseEscrow");
      const [r, c, g] = [await registry.getAddress(), await collector.getAddress(), await gut.getAddress()];
      const zero = ethers.ZeroAddress;
      const args = (over: Partial<Record<"r" | "c" | "g" | "fee" | "resFee" | "grace", unknown>>, session = SESSION) =>
        [
          0n,
          admin.address,
          over.r ?? r,
          over.c ?? c,
          over.g ?? g,
          over.fee ?? GUT_FEE_BPS,
          over.resFee ?? RESERVATION_FEE_BPS,
          over.grace ?? GRACE,
          session,
        ] as const;
      const deploy = (a: ReturnType<typeof args>) =>
        factory.deploy(...(a as unknown as Parameters<typeof factory.deploy>));
      await expect(deploy(args({ r: zero })))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("registry");
      await expect(deploy(args({ c: zero })))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("feeCollector");
      await expect(deploy(args({ g: zero })))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("token");
      await expect(deploy(args({ fee: 2_001n })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("feeBps", 2_001n, 0n, 2_000n);
      await expect(deploy(args({ resFee: 5_001n })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("reservationFeeBps", 5_001n, 0n, 5_000n);
      await expect(deploy(args({ grace: 86_401n })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("reservationGrace", 86_401n, 0n, 86_400n);
      await expect(deploy(args({}, { ...SESSION, maxQuoteAge: 59n })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("maxQuoteAge", 59n, 60n, 3_600n);
      await expect(deploy(args({}, { ...SESSION, collectWindow: 86_401n })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("collectWindow", 86_401n, 600n, 86_400n);
      await expect(deploy(args({}, { ...SESSION, acceptWindow: 3_601n })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("acceptWindow", 3_601n, 60n, 3_600n);
    });
  });

  describe("admin setters", function () {
    it("setPaymentToken adds a token with its fee, only for the admin, within the fee bound", async function () {
      const { escrow, other } = await loadFixture(system);
      const usd = await ethers.deployContract("MockERC20", ["USD", "USD", 6]);
      const token = await usd.getAddress();
      await expect(escrow.setPaymentToken(token, true, 300n))
        .to.emit(escrow, "PaymentTokenSet")
        .withArgs(token, true, 300n);
      expect((await escrow.paymentToken(token)).feeBps).to.equal(300n);
      await expect(escrow.setPaymentToken(token, true, 2_001n))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("feeBps", 2_001n, 0n, 2_000n);
      await expect(escrow.setPaymentToken(ethers.ZeroAddress, true, 0n))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("token");
      await expect(escrow.connect(other).setPaymentToken(token, true, 0n)).to.be.revertedWithCustomError(
        escrow,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("setFeeCollector, setReservationTerms and setSessionTerms set and announce their values", async function () {
      const { escrow, other } = await loadFixture(system);
      await expect(escrow.setFeeCollector(other.address)).to.emit(escrow, "FeeCollectorSet").withArgs(other.address);
      await expect(escrow.setFeeCollector(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("feeCollector");
      await expect(escrow.setReservationTerms(2_000n, 7_200n))
        .to.emit(escrow, "ReservationTermsSet")
        .withArgs(2_000n, 7_200n);
      await expect(escrow.setSessionTerms(120n, 7_200n, 300n))
        .to.emit(escrow, "SessionTermsSet")
        .withArgs(120n, 7_200n, 300n);
      expect([await escrow.maxQuoteAge(), await escrow.collectWindow(), await escrow.acceptWindow()]).to.deep.equal([
        120n,
        7_200n,
        300n,
      ]);
      await expect(escrow.setSessionTerms(3_601n, 7_200n, 300n))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("maxQuoteAge", 3_601n, 60n, 3_600n);
      await expect(escrow.setSessionTerms(120n, 599n, 300n))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("collectWindow", 599n, 600n, 86_400n);
      await expect(escrow.setSessionTerms(120n, 7_200n, 59n))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("acceptWindow", 59n, 60n, 3_600n);
      for (const call of [
        () => escrow.connect(other).setFeeCollector(other.address),
        () => escrow.connect(other).setReservationTerms(0n, 0n),
        () => escrow.connect(other).setSessionTerms(120n, 7_200n, 300n),
        () => escrow.connect(other).pause(),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount");
      }
    });
  });

  describe("openLease", function () {
    it("opens at the quoted price, takes the deposit, names the session key and takes the node Sharing", async function () {
      const s = await loadFixture(system);
      const { escrow, registry, gut, customer, provider, session, nodeId } = s;
      // The quote binds the price: twice the listed price here, and the lease runs at it.
      const { quote, signature } = await quoteFor(s, ethers, { pricePerTuHour: 2n * PRICE });
      const tx = escrow.connect(customer).openLease(quote, signature, DEPOSIT, session.address);
      await expect(tx)
        .to.emit(escrow, "LeaseOpened")
        .withArgs(
          1n,
          nodeId,
          customer.address,
          provider.address,
          await gut.getAddress(),
          2n * PRICE * 1_000n,
          DEPOSIT,
          session.address,
        );
      await expect(tx).to.changeTokenBalances(ethers, gut, [customer, escrow], [-DEPOSIT, DEPOSIT]);
      const lease = await escrow.lease(1n);
      expect([lease.status, lease.customer, lease.provider, lease.sessionKey, lease.paid, lease.deposit]).to.deep.equal(
        [BigInt(LeaseStatus.Open), customer.address, provider.address, session.address, 0n, DEPOSIT],
      );
      expect(lease.start).to.equal(await time.latest());
      expect(await escrow.sessionKeyUntil(1n, session.address)).to.equal(2n ** 40n - 1n);
      expect(await escrow.quoteNonceUsed(provider.address, quote.nonce)).to.equal(true);
      expect((await registry.node(nodeId)).status).to.equal(BigInt(NodeStatus.Sharing));
      expect(await escrow.leaseCount()).to.equal(1n);
    });

    it("accepts a quote signed by the provider's operator", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers, {}, s.operator);
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress)).to.emit(
        s.escrow,
        "LeaseOpened",
      );
    });

    it("reverts when paused, and opens again once unpaused", async function () {
      const s = await loadFixture(system);
      await s.escrow.pause();
      const { quote, signature } = await quoteFor(s, ethers);
      await expect(
        s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow, "EnforcedPause");
      await s.escrow.unpause();
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress)).to.emit(
        s.escrow,
        "LeaseOpened",
      );
    });

    it("reverts when the deposit is zero or does not fit 96 bits", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers);
      await expect(
        s.escrow.connect(s.customer).openLease(quote, signature, 0n, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow, "ZeroAmount");
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, 2n ** 96n, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "AmountTooLarge")
        .withArgs(2n ** 96n, 2n ** 96n - 1n);
    });

    it("reverts when the token is not allowed, the node id does not fit or the rate is out of range", async function () {
      const s = await loadFixture(system);
      const usd = await ethers.deployContract("MockERC20", ["USD", "USD", 6]);
      let q = await quoteFor(s, ethers, { token: await usd.getAddress() });
      await expect(s.escrow.connect(s.customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "TokenNotAllowed")
        .withArgs(await usd.getAddress());
      q = await quoteFor(s, ethers, { nodeId: 2n ** 64n });
      await expect(s.escrow.connect(s.customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "NodeIdTooLarge")
        .withArgs(2n ** 64n);
      q = await quoteFor(s, ethers, { pricePerTuHour: 0n });
      await expect(s.escrow.connect(s.customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "RateOutOfRange")
        .withArgs(s.nodeId, 0n, 1_000n);
      q = await quoteFor(s, ethers, { pricePerTuHour: 2n ** 96n });
      await expect(s.escrow.connect(s.customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "RateOutOfRange")
        .withArgs(s.nodeId, 2n ** 96n, 1_000n);
    });

    it("reverts when the node is not Idle (Sharing, or Disconnect)", async function () {
      const s = await loadFixture(openedLease);
      let q = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "NodeNotAvailable")
        .withArgs(s.nodeId, NodeStatus.Sharing);
      await s.escrow.connect(s.provider).closeLease(s.leaseId, 0n, "0x");
      await s.registry.connect(s.operator).goOffline(s.nodeId);
      q = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "NodeNotAvailable")
        .withArgs(s.nodeId, NodeStatus.Disconnect);
    });

    it("reverts when a penalty left the node's stake below what it requires", async function () {
      const s = await loadFixture(system);
      // A failed reservation is the only way to a penalty: reserve, start, let the accept lapse.
      const start = BigInt(await time.latest()) + 100n;
      const q = await quoteFor(s, ethers, { windowStart: start, windowDuration: 3_600n });
      await s.escrow.connect(s.customer).reserve(q.quote, q.signature, DEPOSIT);
      await at(start, () => s.escrow.connect(s.customer).startReserved(1n, 0n, ethers.ZeroAddress));
      await time.increase(ACCEPT_WINDOW + 1n);
      await s.escrow.failReservation(1n);
      const n = await s.registry.node(s.nodeId);
      expect(n.stake).to.be.lessThan(n.requiredStake);
      const open = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.customer).openLease(open.quote, open.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.registry, "StakeBelowRequired")
        .withArgs(s.nodeId, n.stake, n.requiredStake);
      await s.registry.connect(s.provider).addStake(s.nodeId, n.requiredStake - n.stake);
      const again = await quoteFor(s, ethers);
      await expect(
        s.escrow.connect(s.customer).openLease(again.quote, again.signature, DEPOSIT, ethers.ZeroAddress),
      ).to.emit(s.escrow, "LeaseOpened");
    });
  });

  describe("topUp", function () {
    it("lets anyone add to an open lease's deposit", async function () {
      const { escrow, gut, other, leaseId } = await loadFixture(openedLease);
      const tx = escrow.connect(other).topUp(leaseId, UNIT);
      await expect(tx).to.emit(escrow, "ToppedUp").withArgs(leaseId, other.address, UNIT);
      await expect(tx).to.changeTokenBalances(ethers, gut, [other, escrow], [-UNIT, UNIT]);
      expect((await escrow.lease(leaseId)).deposit).to.equal(DEPOSIT + UNIT);
    });

    it("reverts for a zero amount, an amount over 96 bits, or a lease that is not open", async function () {
      const { escrow, customer, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(customer).topUp(leaseId, 0n)).to.be.revertedWithCustomError(escrow, "ZeroAmount");
      await expect(escrow.connect(customer).topUp(leaseId, 2n ** 96n))
        .to.be.revertedWithCustomError(escrow, "AmountTooLarge")
        .withArgs(2n ** 96n + DEPOSIT, 2n ** 96n - 1n);
      await expect(escrow.connect(customer).topUp(9n, UNIT))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(9n, LeaseStatus.None);
      await escrow.connect(customer).closeLease(leaseId, 0n, "0x");
      await expect(escrow.connect(customer).topUp(leaseId, UNIT))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closing);
    });
  });

  describe("setSessionKey", function () {
    it("names a new key; the old one counts up to now", async function () {
      const { escrow, customer, session, leaseId } = await loadFixture(openedLease);
      const next = ethers.Wallet.createRandom();
      await expect(escrow.connect(customer).setSessionKey(leaseId, next.address))
        .to.emit(escrow, "SessionKeySet")
        .withArgs(leaseId, next.address);
      expect(await escrow.sessionKeyUntil(leaseId, session.address)).to.equal(await time.latest());
      expect(await escrow.sessionKeyUntil(leaseId, next.address)).to.equal(2n ** 40n - 1n);
      expect((await escrow.lease(leaseId)).sessionKey).to.equal(next.address);
      await escrow.connect(customer).setSessionKey(leaseId, ethers.ZeroAddress);
      expect(await escrow.sessionKeyUntil(leaseId, next.address)).to.equal(await time.latest());
      expect(await escrow.sessionKeyUntil(leaseId, ethers.ZeroAddress)).to.equal(0n);
    });

    it("reverts for anyone but the customer and once the lease is not open", async function () {
      const { escrow, customer, provider, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(provider).setSessionKey(leaseId, provider.address))
        .to.be.revertedWithCustomError(escrow, "NotLeaseCustomer")
        .withArgs(leaseId, provider.address);
      await escrow.connect(customer).closeLease(leaseId, 0n, "0x");
      await expect(escrow.connect(customer).setSessionKey(leaseId, customer.address))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closing);
    });
  });

  describe("collect", function () {
    it("lets anyone pay the provider for the time a session-key receipt covers, booking the fee", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, gut, keeper, provider, leaseId, start } = s;
      const paidThrough = start + 600n;
      const signature = await receiptFor(s, leaseId, paidThrough);
      const gross = 600n * PER_SECOND;
      await time.setNextBlockTimestamp(start + 1_000n);
      await expect(escrow.connect(keeper).collect(leaseId, paidThrough, signature))
        .to.emit(escrow, "Collected")
        .withArgs(leaseId, paidThrough, gross, feeOf(gross));
      const token = await gut.getAddress();
      expect(await escrow.earnings(provider.address, token)).to.equal(gross - feeOf(gross));
      expect(await escrow.feesDue(provider.address, token)).to.equal(feeOf(gross));
      expect((await escrow.lease(leaseId)).paid).to.equal(gross);
      expect(await escrow.earnings(keeper.address, token)).to.equal(0n);
    });

    it("pays up to now for a receipt signed ahead (the customer's prepay horizon), and the rest later", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, leaseId, start } = s;
      const signature = await receiptFor(s, leaseId, start + 3_600n);
      await at(start + 100n, () => escrow.collect(leaseId, start + 3_600n, signature));
      expect((await escrow.lease(leaseId)).paid).to.equal(100n * PER_SECOND);
      await at(start + 4_000n, () => escrow.collect(leaseId, start + 3_600n, signature));
      expect((await escrow.lease(leaseId)).paid).to.equal(3_600n * PER_SECOND);
    });

    it("never pays more than the deposit", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, leaseId, start } = s;
      const far = start + 10n * 86_400n;
      const signature = await receiptFor(s, leaseId, far);
      await at(far, () => escrow.collect(leaseId, far, signature));
      expect((await escrow.lease(leaseId)).paid).to.equal(DEPOSIT);
      const [paid, remaining] = await escrow.collectable(leaseId, far);
      expect([paid, remaining]).to.deep.equal([DEPOSIT, 0n]);
    });

    it("accepts the customer's own signature and returns the cumulative pay", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, customer, leaseId, start } = s;
      const signature = await receiptFor(s, leaseId, start + 10n, customer);
      await time.setNextBlockTimestamp(start + 20n);
      expect(await escrow.collect.staticCall(leaseId, start + 10n, signature)).to.equal(0n);
      await time.setNextBlockTimestamp(start + 20n);
      await escrow.collect(leaseId, start + 10n, signature);
      expect(await escrow.collect.staticCall(leaseId, start + 10n, signature)).to.equal(10n * PER_SECOND);
    });

    it("changes nothing for a receipt that covers no more than was paid", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, leaseId, start } = s;
      const best = await receiptFor(s, leaseId, start + 500n);
      const older = await receiptFor(s, leaseId, start + 200n);
      await at(start + 600n, () => escrow.collect(leaseId, start + 500n, best));
      await expect(escrow.collect(leaseId, start + 200n, older)).not.to.emit(escrow, "Collected");
      expect((await escrow.lease(leaseId)).paid).to.equal(500n * PER_SECOND);
    });

    it("reverts for a signer who is neither the customer nor a session key, and for a malformed signature", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, other, leaseId, start } = s;
      const signature = await receiptFor(s, leaseId, start + 10n, other);
      await expect(escrow.collect(leaseId, start + 10n, signature))
        .to.be.revertedWithCustomError(escrow, "InvalidReceiptSigner")
        .withArgs(leaseId, other.address);
      await expect(escrow.collect(leaseId, start + 10n, "0x1234"))
        .to.be.revertedWithCustomError(escrow, "InvalidReceiptSigner")
        .withArgs(leaseId, ethers.ZeroAddress);
    });

    it("reverts for a lease that does not exist or is closed", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, provider, leaseId, start } = s;
      const signature = await receiptFor(s, leaseId, start + 10n);
      await expect(escrow.collect(7n, start + 10n, signature))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(7n, LeaseStatus.None);
      await escrow.connect(provider).closeLease(leaseId, 0n, "0x");
      await expect(escrow.collect(leaseId, start + 10n, signature))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closed);
    });
  });

  describe("closeLease", function () {
    it("by the provider with its last receipt: collects, refunds the rest and frees the node at once", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, registry, gut, customer, provider, leaseId, start, nodeId } = s;
      const signature = await receiptFor(s, leaseId, start + 1_000n);
      const gross = 1_000n * PER_SECOND;
      await time.setNextBlockTimestamp(start + 1_200n);
      const tx = escrow.connect(provider).closeLease(leaseId, start + 1_000n, signature);
      await expect(tx).to.emit(escrow, "LeaseClosed").withArgs(leaseId, provider.address, 0n);
      await expect(tx)
        .to.emit(escrow, "LeaseFinalized")
        .withArgs(leaseId, gross, DEPOSIT - gross, 0n);
      await expect(tx).to.changeTokenBalances(ethers, gut, [customer, escrow], [DEPOSIT - gross, gross - DEPOSIT]);
      const lease = await escrow.lease(leaseId);
      expect([lease.status, lease.closedAt, lease.collectDeadline]).to.deep.equal([
        BigInt(LeaseStatus.Closed),
        start + 1_200n,
        0n,
      ]);
      const n = await registry.node(nodeId);
      expect([n.status, n.engaged, n.lastCheckIn]).to.deep.equal([BigInt(NodeStatus.Idle), false, start + 1_200n]);
    });

    it("by the operator without a receipt: refunds the whole deposit", async function () {
      const { escrow, gut, customer, operator, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(operator).closeLease(leaseId, 0n, "0x")).to.changeTokenBalance(
        ethers,
        gut,
        customer,
        DEPOSIT,
      );
    });

    it("by the customer: the node is Idle at once and the provider may collect until the collect window ends", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, registry, customer, leaseId, start, nodeId } = s;
      const tx = at(start + 500n, () => escrow.connect(customer).closeLease(leaseId, 0n, "0x"));
      await expect(tx)
        .to.emit(escrow, "LeaseClosed")
        .withArgs(leaseId, customer.address, start + 500n + COLLECT_WINDOW);
      const lease = await escrow.lease(leaseId);
      expect([lease.status, lease.closedAt, lease.collectDeadline]).to.deep.equal([
        BigInt(LeaseStatus.Closing),
        start + 500n,
        start + 500n + COLLECT_WINDOW,
      ]);
      expect((await registry.node(nodeId)).status).to.equal(BigInt(NodeStatus.Idle));
      const signature = await receiptFor(s, leaseId, start + 400n);
      await at(start + 500n + COLLECT_WINDOW, () => escrow.collect(leaseId, start + 400n, signature));
      expect((await escrow.lease(leaseId)).paid).to.equal(400n * PER_SECOND);
    });

    it("by the provider after the customer's close: collects its last receipt and finalizes at once", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, gut, customer, provider, leaseId, start } = s;
      await at(start + 500n, () => escrow.connect(customer).closeLease(leaseId, 0n, "0x"));
      const signature = await receiptFor(s, leaseId, start + 400n);
      const gross = 400n * PER_SECOND;
      const tx = escrow.connect(provider).closeLease(leaseId, start + 400n, signature);
      await expect(tx)
        .to.emit(escrow, "LeaseFinalized")
        .withArgs(leaseId, gross, DEPOSIT - gross, 0n);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT - gross);
      expect((await escrow.lease(leaseId)).status).to.equal(BigInt(LeaseStatus.Closed));
    });

    it("by the provider after the customer's close without a receipt, and past the window it reverts", async function () {
      const { escrow, customer, provider, operator, leaseId, start } = await loadFixture(openedLease);
      await at(start + 500n, () => escrow.connect(customer).closeLease(leaseId, 0n, "0x"));
      await time.increaseTo(start + 500n + COLLECT_WINDOW + 1n);
      await expect(escrow.connect(provider).closeLease(leaseId, 0n, "0x"))
        .to.be.revertedWithCustomError(escrow, "CollectWindowClosed")
        .withArgs(leaseId, start + 500n + COLLECT_WINDOW);
      await expect(escrow.connect(operator).closeLease(leaseId, 0n, "0x")).to.be.revertedWithCustomError(
        escrow,
        "CollectWindowClosed",
      );
    });

    it("reverts for the customer or a stranger on a lease that is already closing", async function () {
      const { escrow, customer, other, leaseId } = await loadFixture(openedLease);
      await escrow.connect(customer).closeLease(leaseId, 0n, "0x");
      for (const who of [customer, other]) {
        await expect(escrow.connect(who).closeLease(leaseId, 0n, "0x"))
          .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
          .withArgs(leaseId, LeaseStatus.Closing);
      }
    });

    it("by anyone only once the deposit is spent, carrying the receipt that spends it", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, gut, provider, keeper, leaseId, start } = s;
      const half = await receiptFor(s, leaseId, start + 50_000n);
      await expect(at(start + 60_000n, () => escrow.connect(keeper).closeLease(leaseId, start + 50_000n, half)))
        .to.be.revertedWithCustomError(escrow, "CloseNotAllowed")
        .withArgs(leaseId, keeper.address);
      const all = await receiptFor(s, leaseId, start + 100_000n);
      await time.setNextBlockTimestamp(start + 100_001n);
      const tx = escrow.connect(keeper).closeLease(leaseId, start + 100_000n, all);
      await expect(tx).to.emit(escrow, "LeaseClosed").withArgs(leaseId, keeper.address, 0n);
      await expect(tx).to.emit(escrow, "LeaseFinalized").withArgs(leaseId, DEPOSIT, 0n, 0n);
      expect(await escrow.earnings(provider.address, await gut.getAddress())).to.equal(DEPOSIT - feeOf(DEPOSIT));
    });

    it("by anyone on a lease a collect already spent, without a receipt", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, keeper, leaseId, start } = s;
      const all = await receiptFor(s, leaseId, start + 100_000n);
      await at(start + 100_000n, () => escrow.collect(leaseId, start + 100_000n, all));
      await expect(escrow.connect(keeper).closeLease(leaseId, 0n, "0x")).to.emit(escrow, "LeaseFinalized");
    });
  });

  describe("renewLease", function () {
    it("pays the old lease through now, carries the rest with what is added into a new lease at the new price", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, registry, gut, customer, provider, session, leaseId, start, nodeId } = s;
      const next = await quoteFor(s, ethers, { pricePerTuHour: PRICE * 2n, expiry: start + 2_500n });
      const gross = 2_000n * PER_SECOND;
      const tx = at(start + 2_000n, () => escrow.connect(customer).renewLease(leaseId, ...terms(next), 5n * UNIT));
      await expect(tx)
        .to.emit(escrow, "Collected")
        .withArgs(leaseId, start + 2_000n, gross, feeOf(gross));
      await expect(tx).to.emit(escrow, "LeaseClosed").withArgs(leaseId, customer.address, 0n);
      await expect(tx)
        .to.emit(escrow, "LeaseFinalized")
        .withArgs(leaseId, gross, DEPOSIT - gross, 0n);
      await expect(tx)
        .to.emit(escrow, "LeaseRenewed")
        .withArgs(leaseId, leaseId + 1n);
      await expect(tx)
        .to.emit(escrow, "LeaseOpened")
        .withArgs(
          leaseId + 1n,
          nodeId,
          customer.address,
          provider.address,
          await gut.getAddress(),
          PRICE * 2n * 1_000n,
          DEPOSIT - gross + 5n * UNIT,
          session.address,
        );
      // Only what was added moves: the refund stays in the escrow as the new deposit.
      await expect(tx).to.changeTokenBalances(ethers, gut, [customer, escrow], [-5n * UNIT, 5n * UNIT]);
      const [old, renewed] = await Promise.all([escrow.lease(leaseId), escrow.lease(leaseId + 1n)]);
      expect([old.status, old.paid, old.closedAt]).to.deep.equal([BigInt(LeaseStatus.Closed), gross, start + 2_000n]);
      expect([renewed.status, renewed.start, renewed.sessionKey, renewed.rate]).to.deep.equal([
        BigInt(LeaseStatus.Open),
        start + 2_000n,
        session.address,
        PRICE * 2n * 1_000n,
      ]);
      expect((await registry.node(nodeId)).status).to.equal(BigInt(NodeStatus.Sharing));
      expect(await escrow.earnings(provider.address, await gut.getAddress())).to.equal(gross - feeOf(gross));
    });

    it("keeps the session key: its receipts pay the new lease, and old receipts are refused on it", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, customer, provider, leaseId, start } = s;
      const old = await receiptFor(s, leaseId, start + 5_000n);
      const next = await quoteFor(s, ethers, { expiry: start + 1_500n });
      await at(start + 1_000n, () => escrow.connect(customer).renewLease(leaseId, ...terms(next), 0n));
      const renewed = leaseId + 1n;
      await time.setNextBlockTimestamp(start + 1_600n);
      await expect(escrow.connect(provider).collect(renewed, start + 5_000n, old)).to.be.revertedWithCustomError(
        escrow,
        "InvalidReceiptSigner",
      );
      await expect(
        escrow.connect(provider).collect(renewed, start + 1_500n, await receiptFor(s, renewed, start + 1_500n)),
      )
        .to.emit(escrow, "Collected")
        .withArgs(renewed, start + 1_500n, 500n * PER_SECOND, feeOf(500n * PER_SECOND));
      // The old lease is closed: its receipts move nothing any more.
      await expect(escrow.collect(leaseId, start + 5_000n, old))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closed);
    });

    it("reverts when the caller is not the lease's customer", async function () {
      const s = await loadFixture(openedLease);
      const other = await quoteFor(s, ethers, { customer: s.other.address });
      await expect(s.escrow.connect(s.other).renewLease(s.leaseId, ...terms(other), 0n))
        .to.be.revertedWithCustomError(s.escrow, "NotLeaseCustomer")
        .withArgs(s.leaseId, s.other.address);
    });

    it("reverts when the lease is not open", async function () {
      const s = await loadFixture(openedLease);
      await s.escrow.connect(s.customer).closeLease(s.leaseId, 0n, "0x");
      const next = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.customer).renewLease(s.leaseId, ...terms(next), 0n))
        .to.be.revertedWithCustomError(s.escrow, "InvalidLeaseStatus")
        .withArgs(s.leaseId, LeaseStatus.Closing);
    });

    it("reverts when the quote was signed for another node, another token or a reservation window", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, registry, provider, customer, gut, leaseId } = s;
      await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, await gut.getAddress(), "");
      const token = await ethers.deployContract("MockERC20", ["Other", "OTH", 18]);
      await escrow.setPaymentToken(await token.getAddress(), true, 100);
      const now = BigInt(await time.latest());
      // The escrow rebuilds the quote from the lease: a signature over any other quote does not match.
      for (const fields of [
        { nodeId: 2n },
        { token: await token.getAddress() },
        { windowStart: now + 100n, windowDuration: 3_600n },
      ]) {
        const other = await quoteFor(s, ethers, fields);
        await expect(escrow.connect(customer).renewLease(leaseId, ...terms(other), 0n)).to.be.revertedWithCustomError(
          escrow,
          "InvalidQuoteSigner",
        );
      }
    });

    it("reverts when the quote is used twice, expired or signed by a stranger", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, customer, other, provider, leaseId } = s;
      const used = await quoteFor(s, ethers);
      await escrow.connect(customer).renewLease(leaseId, ...terms(used), 0n);
      await expect(escrow.connect(customer).renewLease(leaseId + 1n, ...terms(used), 0n))
        .to.be.revertedWithCustomError(escrow, "QuoteNonceUsed")
        .withArgs(provider.address, used.quote.nonce);
      const expired = await quoteFor(s, ethers, { expiry: BigInt(await time.latest()) + 10n });
      await time.increase(20);
      await expect(
        escrow.connect(customer).renewLease(leaseId + 1n, ...terms(expired), 0n),
      ).to.be.revertedWithCustomError(escrow, "QuoteExpired");
      const forged = await quoteFor(s, ethers, {}, other);
      await expect(escrow.connect(customer).renewLease(leaseId + 1n, ...terms(forged), 0n))
        .to.be.revertedWithCustomError(escrow, "InvalidQuoteSigner")
        .withArgs(1n, other.address);
    });

    it("reverts when nothing is left and nothing is added", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, customer, leaseId, start } = s;
      // 100 GUT at 0.001 GUT a second is spent after 100,000 s.
      await time.setNextBlockTimestamp(start + 100_000n);
      await networkHelpers.mine();
      const next = await quoteFor(s, ethers);
      await expect(escrow.connect(customer).renewLease(leaseId, ...terms(next), 0n)).to.be.revertedWithCustomError(
        escrow,
        "ZeroAmount",
      );
      await expect(escrow.connect(customer).renewLease(leaseId, ...terms(next), UNIT)).to.emit(escrow, "LeaseRenewed");
      expect((await escrow.lease(leaseId + 1n)).deposit).to.equal(UNIT);
    });

    it("reverts when paused", async function () {
      const s = await loadFixture(openedLease);
      await s.escrow.grantRole(await s.escrow.PAUSER_ROLE(), s.admin.address);
      await s.escrow.pause();
      const next = await quoteFor(s, ethers);
      await expect(
        s.escrow.connect(s.customer).renewLease(s.leaseId, ...terms(next), 0n),
      ).to.be.revertedWithCustomError(s.escrow, "EnforcedPause");
    });
  });

  describe("finalize", function () {
    it("reverts while the collect window is open, then lets anyone refund the rest", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, gut, customer, keeper, leaseId, start } = s;
      await at(start + 500n, () => escrow.connect(customer).closeLease(leaseId, 0n, "0x"));
      const deadline = start + 500n + COLLECT_WINDOW;
      await at(deadline, async () =>
        expect(escrow.connect(keeper).finalize(leaseId))
          .to.be.revertedWithCustomError(escrow, "CollectWindowOpen")
          .withArgs(leaseId, deadline),
      );
      const signature = await receiptFor(s, leaseId, start + 300n);
      await escrow.collect(leaseId, start + 300n, signature);
      const gross = 300n * PER_SECOND;
      const tx = escrow.connect(keeper).finalize(leaseId);
      await expect(tx)
        .to.emit(escrow, "LeaseFinalized")
        .withArgs(leaseId, gross, DEPOSIT - gross, 0n);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT - gross);
    });

    it("reverts for a lease that is open or already final", async function () {
      const { escrow, provider, leaseId } = await loadFixture(openedLease);
      await expect(escrow.finalize(leaseId))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Open);
      await escrow.connect(provider).closeLease(leaseId, 0n, "0x");
      await expect(escrow.finalize(leaseId))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closed);
    });
  });

  describe("withdraw, withdrawFor and forwardFees", function () {
    /** Lease 1 with 1,000 s collected. */
    async function earned() {
      const s = await openedLease();
      const signature = await receiptFor(s, s.leaseId, s.start + 1_000n);
      await at(s.start + 1_000n, () => s.escrow.collect(s.leaseId, s.start + 1_000n, signature));
      const gross = 1_000n * PER_SECOND;
      return { ...s, gross, net: gross - feeOf(gross), token: await s.gut.getAddress() };
    }

    it("withdraw pays the provider's earnings to any recipient it names", async function () {
      const { escrow, gut, provider, keeper, net, token } = await loadFixture(earned);
      const tx = escrow.connect(provider).withdraw(token, keeper.address);
      await expect(tx).to.emit(escrow, "Withdrawn").withArgs(provider.address, token, keeper.address, net);
      await expect(tx).to.changeTokenBalances(ethers, gut, [keeper, escrow], [net, -net]);
      await expect(escrow.connect(provider).withdraw(token, keeper.address))
        .to.be.revertedWithCustomError(escrow, "NothingToWithdraw")
        .withArgs(provider.address, token);
    });

    it("withdraw reverts for the zero recipient", async function () {
      const { escrow, provider, token } = await loadFixture(earned);
      await expect(escrow.connect(provider).withdraw(token, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("to");
    });

    it("withdrawFor lets the operator pay the provider, and only the provider", async function () {
      const { escrow, gut, provider, operator, net, token } = await loadFixture(earned);
      const tx = escrow.connect(operator).withdrawFor(provider.address, token);
      await expect(tx).to.emit(escrow, "Withdrawn").withArgs(provider.address, token, provider.address, net);
      await expect(tx).to.changeTokenBalances(ethers, gut, [provider, operator], [net, 0n]);
    });

    it("withdrawFor reverts for anyone but the named operator, and once the operator is revoked", async function () {
      const { escrow, registry, provider, operator, keeper, token } = await loadFixture(earned);
      await expect(escrow.connect(keeper).withdrawFor(provider.address, token))
        .to.be.revertedWithCustomError(escrow, "NotOperator")
        .withArgs(provider.address, keeper.address);
      await registry.connect(provider).setOperator(ethers.ZeroAddress);
      await expect(escrow.connect(operator).withdrawFor(provider.address, token))
        .to.be.revertedWithCustomError(escrow, "NotOperator")
        .withArgs(provider.address, operator.address);
    });

    it("forwardFees sends the fee due on what was earned, withdrawn or not, and reports it with its provider", async function () {
      const { escrow, gut, collector, provider, keeper, gross, token } = await loadFixture(earned);
      const fee = feeOf(gross);
      const tx = escrow.connect(keeper).forwardFees(token, [provider.address, keeper.address]);
      await expect(tx)
        .to.emit(escrow, "FeesForwarded")
        .withArgs(provider.address, token, await collector.getAddress(), fee);
      await expect(tx).to.changeTokenBalances(ethers, gut, [collector, escrow], [fee, -fee]);
      expect(await collector.feesBy(provider.address, token)).to.equal(fee);
      expect(await escrow.feesDue(provider.address, token)).to.equal(0n);
      await expect(escrow.forwardFees(token, [provider.address])).not.to.emit(escrow, "FeesForwarded");
    });
  });

  describe("claimRefund", function () {
    it("reverts when nothing is owed or the recipient is zero", async function () {
      const { escrow, gut, customer } = await loadFixture(system);
      const token = await gut.getAddress();
      await expect(escrow.connect(customer).claimRefund(token, customer.address))
        .to.be.revertedWithCustomError(escrow, "NothingToClaim")
        .withArgs(customer.address, token);
      await expect(escrow.connect(customer).claimRefund(token, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("to");
    });
  });

  describe("selfPermit and multicall", function () {
    it("opens a lease with a permit in the same transaction, without an approval", async function () {
      const s = await loadFixture(system);
      const { escrow, gut, keeper, session } = s;
      // The keeper holds GUT but never approved the escrow.
      await gut.transfer(keeper.address, DEPOSIT);
      const escrowAddress = await escrow.getAddress();
      const deadline = BigInt(await time.latest()) + 3_600n;
      const permit = ethers.Signature.from(
        await keeper.signTypedData(
          {
            name: await gut.name(),
            version: "1",
            chainId: s.domain.chainId,
            verifyingContract: await gut.getAddress(),
          },
          {
            Permit: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
              { name: "value", type: "uint256" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          { owner: keeper.address, spender: escrowAddress, value: DEPOSIT, nonce: 0n, deadline },
        ),
      );
      const { quote, signature } = await quoteFor(s, ethers, { customer: keeper.address });
      const calls = [
        escrow.interface.encodeFunctionData("selfPermit", [
          await gut.getAddress(),
          DEPOSIT,
          deadline,
          permit.v,
          permit.r,
          permit.s,
        ]),
        escrow.interface.encodeFunctionData("openLease", [quote, signature, DEPOSIT, session.address]),
      ];
      const tx = escrow.connect(keeper).multicall(calls);
      await expect(tx).to.emit(escrow, "LeaseOpened");
      await expect(tx).to.changeTokenBalance(ethers, gut, keeper, -DEPOSIT);
    });

    it("ignores a permit that fails, so an allowance already in place still opens the lease", async function () {
      const s = await loadFixture(system);
      const { escrow, gut, customer } = s;
      const bad = escrow.interface.encodeFunctionData("selfPermit", [
        await gut.getAddress(),
        DEPOSIT,
        0n,
        27,
        ethers.ZeroHash,
        ethers.ZeroHash,
      ]);
      const { quote, signature } = await quoteFor(s, ethers);
      const open = escrow.interface.encodeFunctionData("openLease", [quote, signature, DEPOSIT, ethers.ZeroAddress]);
      await expect(escrow.connect(customer).multicall([bad, open])).to.emit(escrow, "LeaseOpened");
    });
  });

  describe("views", function () {
    it("quoteDigest and receiptDigest are the EIP-712 hashes the shared typed data signs", async function () {
      const s = await loadFixture(system);
      const { quote } = await quoteFor(s, ethers);
      expect(await s.escrow.quoteDigest(quote)).to.equal(ethers.TypedDataEncoder.hash(s.domain, quoteTypes, quote));
      const receipt = { leaseId: 3n, paidThrough: 1_234n };
      expect(await s.escrow.receiptDigest(3n, 1_234n)).to.equal(
        ethers.TypedDataEncoder.hash(s.domain, receiptTypes, receipt),
      );
      expect(await s.escrow.QUOTE_TYPEHASH()).to.equal(
        ethers.id(ethers.TypedDataEncoder.from(quoteTypes).encodeType("Quote")),
      );
      expect(await s.escrow.RECEIPT_TYPEHASH()).to.equal(ethers.id("Receipt(uint256 leaseId,uint256 paidThrough)"));
    });

    it("collectable caps at now and the deposit, and never reports less than was paid", async function () {
      const s = await loadFixture(openedLease);
      const { escrow, leaseId, start } = s;
      await time.increaseTo(start + 100n);
      expect(await escrow.collectable(leaseId, start + 1_000n)).to.deep.equal([
        100n * PER_SECOND,
        DEPOSIT - 100n * PER_SECOND,
      ]);
      await escrow.collect(leaseId, start + 100n, await receiptFor(s, leaseId, start + 100n));
      expect((await escrow.collectable(leaseId, start + 10n))[0]).to.equal(100n * PER_SECOND);
      expect(await escrow.collectable(99n, start)).to.deep.equal([0n, 0n]);
    });

    it("a lease and a reservation that do not exist are all zero", async function () {
      const { escrow } = await loadFixture(system);
      expect((await escrow.lease(5n)).status).to.equal(BigInt(LeaseStatus.None));
      expect((await escrow.reservation(5n)).customer).to.equal(ethers.ZeroAddress);
      expect(await escrow.reservationOf(1n)).to.equal(0n);
    });
  });

  describe("two payment tokens", function () {
    it("books earnings and fees per token", async function () {
      const s = await loadFixture(system);
      const usd = await ethers.deployContract("MockERC20", ["USD", "USD", 6]);
      const token = await usd.getAddress();
      await s.escrow.setPaymentToken(token, true, 0n);
      await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, 3_600_000n, token, "");
      await usd.mint(s.customer.address, 1_000_000_000n);
      await usd.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
      const leaseId = await openWithQuote(s, ethers, 1_000_000n, { nodeId: 2n, token, pricePerTuHour: 3_600_000n });
      const start = BigInt(await time.latest());
      const signature = await receiptFor(s, leaseId, start + 100n);
      await at(start + 100n, () => s.escrow.collect(leaseId, start + 100n, signature));
      // 3.6 USD per TU-hour on 1 TU is 1,000 units a second, with no fee on this token.
      expect(await s.escrow.earnings(s.provider.address, token)).to.equal(100_000n);
      expect(await s.escrow.feesDue(s.provider.address, token)).to.equal(0n);
      expect(await s.escrow.earnings(s.provider.address, await s.gut.getAddress())).to.equal(0n);
    });
  });
});
