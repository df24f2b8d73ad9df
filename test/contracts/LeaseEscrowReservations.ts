import { expect } from "chai";
import { network } from "hardhat";

import {
  ANY_PRICE,
  deployEscrowSystem,
  GRACE,
  GUT_FEE_BPS,
  HEARTBEAT_TIMEOUT,
  LeaseStatus,
  NodeStatus,
  PER_SECOND,
  ReservationStatus,
  UNIT,
} from "./LeaseEscrowFixture.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 50n * UNIT;
const DURATION = 3_600n;
/**
 * The reservation fee is 10 % of the cost of the hold: from the reservation (mined one second
 * after the clock was read, 999 s before the start) to the end of the one-hour window, on a 1-TU
 * node at 3.6 GUT per TU-hour.
 */
const FEE = ((999n + DURATION) * PER_SECOND * 1_000n) / 10_000n;

/**
 * A heartbeat timeout longer than any wait below: these tests are about the reservation's own
 * clock, with a provider that stays up. The stale-node tests use it explicitly.
 */
const TIMEOUT = 4n * 3_600n;

async function system() {
  const s = await deployEscrowSystem(ethers);
  await s.registry.setHeartbeatTimeout(TIMEOUT);
  return s;
}

/** Reservation 1 of node 1 by the customer for an hour starting in 1,000 s. */
async function reserved() {
  const s = await system();
  const start = BigInt(await time.latest()) + 1_000n;
  await s.escrow.connect(s.customer).reserve(s.nodeId, start, DURATION, DEPOSIT, ANY_PRICE);
  return { ...s, reservationId: 1n, start, deadline: start + GRACE };
}

async function at<T>(t: bigint, tx: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(t);
  return tx();
}

describe("LeaseEscrow reservations", function () {
  describe("reserve", function () {
    it("takes the deposit, prices the fee, holds the node Reserved and emits Reserved", async function () {
      const { escrow, registry, gut, customer, provider, nodeId } = await loadFixture(system);
      const start = BigInt(await time.latest()) + 1_000n;
      const tx = escrow.connect(customer).reserve(nodeId, start, DURATION, DEPOSIT, ANY_PRICE);
      await expect(tx)
        .to.emit(escrow, "Reserved")
        .withArgs(1n, nodeId, customer.address, start, start + GRACE, DEPOSIT, FEE);
      await expect(tx).to.changeTokenBalances(ethers, gut, [customer, escrow], [-DEPOSIT, DEPOSIT]);
      const r = await escrow.reservation(1n);
      expect([r.customer, r.provider, r.status, r.deposit, r.fee, r.nodeId]).to.deep.equal([
        customer.address,
        provider.address,
        BigInt(ReservationStatus.Pending),
        DEPOSIT,
        FEE,
        nodeId,
      ]);
      expect([r.start, r.deadline, r.feeBps, r.rate]).to.deep.equal([
        start,
        start + GRACE,
        GUT_FEE_BPS,
        36n * 10n ** 20n,
      ]);
      expect(await escrow.reservationOf(nodeId)).to.equal(1n);
      expect(await escrow.reservationCount()).to.equal(1n);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Reserved);
    });

    it("reverts on a window in the past, too far ahead, empty or too long", async function () {
      const { escrow, customer, nodeId } = await loadFixture(system);
      const now = BigInt(await time.latest()) + 1n;
      const cases: [bigint, bigint][] = [
        [now - 1n, DURATION],
        [now + 7n * 86_400n + 1n, DURATION],
        [now + 10n, 0n],
        [now + 10n, 30n * 86_400n + 1n],
      ];
      for (const [start, duration] of cases) {
        await time.setNextBlockTimestamp(now);
        await expect(escrow.connect(customer).reserve(nodeId, start, duration, DEPOSIT, ANY_PRICE))
          .to.be.revertedWithCustomError(escrow, "InvalidWindow")
          .withArgs(start, duration);
      }
    });

    it("reverts when the node is not Idle, its token is not allowed, or the deposit does not exceed the fee", async function () {
      const { escrow, gut, customer, other, nodeId, start } = await loadFixture(reserved);
      await expect(escrow.connect(other).reserve(nodeId, start, DURATION, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "NodeNotAvailable")
        .withArgs(nodeId, NodeStatus.Reserved);
      await escrow.connect(customer).cancelReservation(1n);
      // The fee is that of the hold from now: a deposit of exactly the fee is refused.
      const now = BigInt(await time.latest()) + 1n;
      const fee = ((start + DURATION - now) * PER_SECOND * 1_000n) / 10_000n;
      await time.setNextBlockTimestamp(now);
      await expect(escrow.connect(other).reserve(nodeId, start, DURATION, fee, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "DepositBelowFee")
        .withArgs(fee, fee);
      const max = 2n ** 96n - 1n;
      await expect(escrow.connect(other).reserve(nodeId, start, DURATION, max + 1n, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "AmountTooLarge")
        .withArgs(max + 1n, max);
      await escrow.setPaymentToken(await gut.getAddress(), false, 0);
      await expect(escrow.connect(other).reserve(nodeId, start, DURATION, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "TokenNotAllowed")
        .withArgs(await gut.getAddress());
    });

    it("reverts when paused", async function () {
      const { escrow, customer, nodeId } = await loadFixture(system);
      await escrow.pause();
      const start = BigInt(await time.latest()) + 100n;
      await expect(
        escrow.connect(customer).reserve(nodeId, start, DURATION, DEPOSIT, ANY_PRICE),
      ).to.be.revertedWithCustomError(escrow, "EnforcedPause");
    });
  });

  describe("startReserved", function () {
    it("opens the lease with the deposit less the fee and books the fee for the provider", async function () {
      const { escrow, registry, gut, customer, provider, nodeId, start } = await loadFixture(reserved);
      await expect(at(start, () => escrow.connect(customer).startReserved(1n)))
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Started, customer.address, FEE, 0n, 1n, 2n);
      const l = await escrow.lease(1n);
      expect([l.status, l.deposit, l.start, l.customer]).to.deep.equal([
        BigInt(LeaseStatus.Open),
        DEPOSIT - FEE,
        start,
        customer.address,
      ]);
      const feeLease = await escrow.lease(2n);
      expect([feeLease.status, feeLease.deposit, feeLease.paid, feeLease.provider]).to.deep.equal([
        BigInt(LeaseStatus.Closed),
        FEE,
        FEE,
        provider.address,
      ]);
      expect((await escrow.reservation(1n)).status).to.equal(ReservationStatus.Started);
      expect(await escrow.reservationOf(nodeId)).to.equal(0n);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Sharing);
      const net = FEE - (FEE * GUT_FEE_BPS) / 10_000n;
      await expect(escrow.connect(provider).withdraw([2n])).to.changeTokenBalance(ethers, gut, provider, net);
    });

    it("works at the deadline and while paused", async function () {
      const { escrow, customer, deadline } = await loadFixture(reserved);
      await escrow.pause();
      await expect(at(deadline, () => escrow.connect(customer).startReserved(1n))).to.emit(escrow, "LeaseOpened");
    });

    it("reverts before the window or after the grace", async function () {
      const { escrow, customer, start, deadline } = await loadFixture(reserved);
      await expect(at(start - 1n, () => escrow.connect(customer).startReserved(1n)))
        .to.be.revertedWithCustomError(escrow, "OutsideWindow")
        .withArgs(1n, start, deadline);
      await expect(at(deadline + 1n, () => escrow.connect(customer).startReserved(1n)))
        .to.be.revertedWithCustomError(escrow, "OutsideWindow")
        .withArgs(1n, start, deadline);
    });

    it("reverts for anyone but the customer, and once the reservation ended", async function () {
      const { escrow, customer, other, start } = await loadFixture(reserved);
      await time.setNextBlockTimestamp(start);
      await expect(escrow.connect(other).startReserved(1n))
        .to.be.revertedWithCustomError(escrow, "NotReservationParty")
        .withArgs(1n, other.address);
      await escrow.connect(customer).startReserved(1n);
      await expect(escrow.connect(customer).startReserved(1n))
        .to.be.revertedWithCustomError(escrow, "InvalidReservationStatus")
        .withArgs(1n, ReservationStatus.Started);
    });

    it("reverts when the provider took the node offline", async function () {
      const { escrow, registry, customer, provider, nodeId, start } = await loadFixture(reserved);
      await registry.connect(provider).goOffline(nodeId);
      await expect(at(start, () => escrow.connect(customer).startReserved(1n)))
        .to.be.revertedWithCustomError(escrow, "NodeNotAvailable")
        .withArgs(nodeId, NodeStatus.Disconnect);
    });
  });

  describe("openLease on a Reserved node", function () {
    it("starts the customer's reservation with the extra deposit", async function () {
      const { escrow, gut, customer, nodeId, start } = await loadFixture(reserved);
      const tx = at(start + 5n, () => escrow.connect(customer).openLease(nodeId, 10n * UNIT, ANY_PRICE));
      await expect(tx).to.emit(escrow, "ReservationEnded");
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, -10n * UNIT);
      expect((await escrow.lease(1n)).deposit).to.equal(DEPOSIT - FEE + 10n * UNIT);
    });

    it("reverts for anyone but the reserving customer", async function () {
      const { escrow, other, nodeId, start } = await loadFixture(reserved);
      await expect(at(start, () => escrow.connect(other).openLease(nodeId, DEPOSIT, ANY_PRICE)))
        .to.be.revertedWithCustomError(escrow, "NodeReserved")
        .withArgs(nodeId, 1n);
    });
  });

  describe("cancelReservation", function () {
    it("by the customer: books the fee for the provider, refunds the rest, frees the node", async function () {
      const { escrow, registry, gut, customer, nodeId } = await loadFixture(reserved);
      const tx = escrow.connect(customer).cancelReservation(1n);
      await expect(tx)
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Cancelled, customer.address, FEE, DEPOSIT - FEE, 0n, 1n);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT - FEE);
      expect((await escrow.lease(1n)).paid).to.equal(FEE);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Idle);
      expect(await escrow.reservationOf(nodeId)).to.equal(0n);
    });

    it("by the provider: the whole deposit goes back and no fee is booked", async function () {
      const { escrow, gut, customer, provider } = await loadFixture(reserved);
      const tx = escrow.connect(provider).cancelReservation(1n);
      await expect(tx)
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Cancelled, provider.address, 0n, DEPOSIT, 0n, 0n);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT);
      expect(await escrow.leaseCount()).to.equal(0n);
    });

    it("refunds everything when the node went Disconnect before the cancellation", async function () {
      const { escrow, registry, customer, provider, nodeId } = await loadFixture(reserved);
      await registry.connect(provider).goOffline(nodeId);
      await time.increase(10n);
      await expect(escrow.connect(customer).cancelReservation(1n))
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Cancelled, customer.address, 0n, DEPOSIT, 0n, 0n);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Disconnect);
    });

    it("reverts for anyone else and once ended", async function () {
      const { escrow, customer, other } = await loadFixture(reserved);
      await expect(escrow.connect(other).cancelReservation(1n))
        .to.be.revertedWithCustomError(escrow, "NotReservationParty")
        .withArgs(1n, other.address);
      await escrow.connect(customer).cancelReservation(1n);
      await expect(escrow.connect(customer).cancelReservation(1n))
        .to.be.revertedWithCustomError(escrow, "InvalidReservationStatus")
        .withArgs(1n, ReservationStatus.Cancelled);
      await expect(escrow.connect(customer).cancelReservation(9n))
        .to.be.revertedWithCustomError(escrow, "InvalidReservationStatus")
        .withArgs(9n, ReservationStatus.None);
    });
  });

  describe("expireReservation", function () {
    it("reverts while the node is up and the grace lasts", async function () {
      const { escrow, keeper, deadline } = await loadFixture(reserved);
      await expect(at(deadline, () => escrow.connect(keeper).expireReservation(1n)))
        .to.be.revertedWithCustomError(escrow, "ReservationNotExpired")
        .withArgs(1n, deadline);
    });

    it("after the grace, by anyone: the provider earns the fee and the rest goes back", async function () {
      const { escrow, registry, gut, customer, keeper, nodeId, deadline } = await loadFixture(reserved);
      const tx = at(deadline + 1n, () => escrow.connect(keeper).expireReservation(1n));
      await expect(tx)
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Expired, keeper.address, FEE, DEPOSIT - FEE, 0n, 1n);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT - FEE);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Idle);
    });

    it("at once when the provider went offline, refunding everything", async function () {
      const { escrow, registry, provider, keeper, nodeId } = await loadFixture(reserved);
      await registry.connect(provider).goOffline(nodeId);
      await expect(escrow.connect(keeper).expireReservation(1n))
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Expired, keeper.address, 0n, DEPOSIT, 0n, 0n);
    });

    it("still pays the fee when the node went stale only after it held through the grace", async function () {
      const { escrow, registry, provider, keeper, nodeId, deadline } = await loadFixture(reserved);
      await at(deadline, () => registry.connect(provider).heartbeat(nodeId));
      await at(deadline + TIMEOUT + 1n, () => registry.connect(keeper).markDisconnected(nodeId));
      await expect(escrow.connect(keeper).expireReservation(1n))
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Expired, keeper.address, FEE, DEPOSIT - FEE, 0n, 1n);
    });

    it("forfeits the fee when the node went stale before the deadline", async function () {
      const { escrow, registry, keeper, nodeId, deadline } = await loadFixture(reserved);
      await registry.setHeartbeatTimeout(HEARTBEAT_TIMEOUT);
      await at(deadline + 1n, () => registry.connect(keeper).markDisconnected(nodeId));
      await expect(escrow.connect(keeper).expireReservation(1n))
        .to.emit(escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Expired, keeper.address, 0n, DEPOSIT, 0n, 0n);
    });
  });
});
