import { expect } from "chai";
import { network } from "hardhat";

import {
  ACCEPT_WINDOW,
  CHECK_IN_PERIOD,
  COLLECT_WINDOW,
  deployEscrowSystem,
  GRACE,
  GUT_FEE_BPS,
  LeaseStatus,
  NodeStatus,
  PER_SECOND,
  PRICE,
  quoteFor,
  receiptFor,
  ReservationStatus,
  terms,
  UNIT,
} from "./LeaseEscrowFixture.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 50n * UNIT;
const AHEAD = 1_000n;
const DURATION = 3_600n;
/** The hold runs from the reservation to the window's end: 1,000 s + 3,600 s at 10 % of the cost. */
const FEE = ((AHEAD + DURATION) * PER_SECOND * 1_000n) / 10_000n;
/** The fee's part up to the window, the provider's once the start is accepted. */
const HOLD_PART = (FEE * AHEAD) / (AHEAD + DURATION);
const WINDOW_PART = FEE - HOLD_PART;

async function system() {
  return deployEscrowSystem(ethers);
}

async function at<T>(t: bigint, tx: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(t);
  return tx();
}

/** Reservation 1 of node 1 by the customer, made at `reservedAt`, for an hour starting 1,000 s later. */
async function reserved() {
  const s = await system();
  const reservedAt = BigInt(await time.latest()) + 1n;
  const start = reservedAt + AHEAD;
  const { quote, signature } = await quoteFor(s, ethers, { windowStart: start, windowDuration: DURATION });
  await at(reservedAt, () => s.escrow.connect(s.customer).reserve(quote, signature, DEPOSIT));
  return { ...s, reservationId: 1n, reservedAt, start, deadline: start + GRACE, heldUntil: start + DURATION };
}

/** The reservation started by the customer at its window's start, with 10 GUT added. */
async function starting() {
  const s = await reserved();
  await at(s.start, () => s.escrow.connect(s.customer).startReserved(s.reservationId, 10n * UNIT, s.session.address));
  return { ...s, acceptBy: s.start + ACCEPT_WINDOW };
}

/** The start accepted by the operator 10 s into the window: lease 1 runs from `leaseStart`. */
async function accepted() {
  const s = await starting();
  const leaseStart = s.start + 10n;
  await at(leaseStart, () => s.escrow.connect(s.operator).acceptStart(s.reservationId));
  return { ...s, leaseId: 1n, leaseStart, leaseDeposit: DEPOSIT + 10n * UNIT - FEE };
}

function feeOf(gross: bigint): bigint {
  return (gross * GUT_FEE_BPS) / 10_000n;
}

describe("LeaseEscrow reservations", function () {
  describe("reservationFee", function () {
    it("prices the whole hold, from now to the window's end or the grace's, whichever is later", async function () {
      const { escrow, nodeId } = await loadFixture(system);
      const now = BigInt(await time.latest());
      const [fee, heldUntil] = await escrow.reservationFee(nodeId, PRICE, now + AHEAD, DURATION);
      expect([fee, heldUntil]).to.deep.equal([((AHEAD + DURATION) * PER_SECOND) / 10n, now + AHEAD + DURATION]);
      // A one-second window still holds the node through the grace, and pays for it.
      const [short, shortEnd] = await escrow.reservationFee(nodeId, PRICE, now, 1n);
      expect([short, shortEnd]).to.deep.equal([(GRACE * PER_SECOND) / 10n, now + GRACE]);
    });

    it("reverts for a window in the past or without a length", async function () {
      const { escrow, nodeId } = await loadFixture(system);
      const now = BigInt(await time.latest());
      await expect(escrow.reservationFee(nodeId, PRICE, now - 1n, DURATION))
        .to.be.revertedWithCustomError(escrow, "InvalidWindow")
        .withArgs(now - 1n, DURATION);
      await expect(escrow.reservationFee(nodeId, PRICE, now, 0n))
        .to.be.revertedWithCustomError(escrow, "InvalidWindow")
        .withArgs(now, 0n);
    });
  });

  describe("reserve", function () {
    it("takes the deposit, prices the fee, holds the node Reserved and emits Reserved", async function () {
      const s = await loadFixture(system);
      const reservedAt = BigInt(await time.latest()) + 1n;
      const start = reservedAt + AHEAD;
      const { quote, signature } = await quoteFor(s, ethers, { windowStart: start, windowDuration: DURATION });
      const tx = at(reservedAt, () => s.escrow.connect(s.customer).reserve(quote, signature, DEPOSIT));
      await expect(tx)
        .to.emit(s.escrow, "Reserved")
        .withArgs(
          1n,
          s.nodeId,
          s.customer.address,
          await s.gut.getAddress(),
          start,
          start + GRACE,
          start + DURATION,
          DEPOSIT,
          FEE,
        );
      await expect(tx).to.changeTokenBalances(ethers, s.gut, [s.customer, s.escrow], [-DEPOSIT, DEPOSIT]);
      const r = await s.escrow.reservation(1n);
      expect([r.status, r.fee, r.reservedAt, r.heldUntil, r.acceptBy]).to.deep.equal([
        BigInt(ReservationStatus.Pending),
        FEE,
        reservedAt,
        start + DURATION,
        0n,
      ]);
      expect(await s.escrow.reservationOf(s.nodeId)).to.equal(1n);
      const n = await s.registry.node(s.nodeId);
      expect([n.status, n.engaged, n.lastCheckIn]).to.deep.equal([BigInt(NodeStatus.Reserved), true, reservedAt]);
    });

    it("reverts for a window in the past, more than 7 days ahead or longer than 30 days", async function () {
      const s = await loadFixture(system);
      const now = BigInt(await time.latest()) + 1n;
      for (const [start, duration] of [
        [now - 1n, DURATION],
        [now + 7n * 86_400n + 1n, DURATION],
        [now, 30n * 86_400n + 1n],
      ]) {
        const { quote, signature } = await quoteFor(s, ethers, { windowStart: start, windowDuration: duration });
        await expect(at(now, () => s.escrow.connect(s.customer).reserve(quote, signature, DEPOSIT)))
          .to.be.revertedWithCustomError(s.escrow, "InvalidWindow")
          .withArgs(start, duration);
      }
    });

    it("reverts for a quote in any token but GUT, the stake a failure's penalty is taken from", async function () {
      const s = await loadFixture(system);
      const usd = await ethers.deployContract("MockERC20", ["USD", "USD", 6]);
      const token = await usd.getAddress();
      await s.escrow.setPaymentToken(token, true, 0n);
      const reservedAt = BigInt(await time.latest()) + 1n;
      const q = await quoteFor(s, ethers, { token, windowStart: reservedAt + AHEAD, windowDuration: DURATION });
      await expect(at(reservedAt, () => s.escrow.connect(s.customer).reserve(q.quote, q.signature, DEPOSIT)))
        .to.be.revertedWithCustomError(s.escrow, "TokenNotAllowed")
        .withArgs(token);
    });

    it("reverts when the deposit does not exceed the fee", async function () {
      const s = await loadFixture(system);
      const reservedAt = BigInt(await time.latest()) + 1n;
      const q = await quoteFor(s, ethers, { windowStart: reservedAt + AHEAD, windowDuration: DURATION });
      await expect(at(reservedAt, () => s.escrow.connect(s.customer).reserve(q.quote, q.signature, FEE)))
        .to.be.revertedWithCustomError(s.escrow, "DepositBelowFee")
        .withArgs(FEE, FEE);
    });

    it("reverts when the node is not Idle, and when paused", async function () {
      const s = await loadFixture(reserved);
      const q = await quoteFor(s, ethers, { windowStart: s.start + 86_400n, windowDuration: DURATION });
      await expect(s.escrow.connect(s.customer).reserve(q.quote, q.signature, DEPOSIT))
        .to.be.revertedWithCustomError(s.escrow, "NodeNotAvailable")
        .withArgs(s.nodeId, NodeStatus.Reserved);
      await s.escrow.pause();
      await expect(s.escrow.connect(s.customer).reserve(q.quote, q.signature, DEPOSIT)).to.be.revertedWithCustomError(
        s.escrow,
        "EnforcedPause",
      );
    });

    it("keeps a Reserved node from anyone's lease, the reserving customer's included", async function () {
      const s = await loadFixture(reserved);
      for (const who of [s.customer, s.other]) {
        const q = await quoteFor(s, ethers, { customer: who.address });
        await expect(s.escrow.connect(who).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress))
          .to.be.revertedWithCustomError(s.escrow, "NodeNotAvailable")
          .withArgs(s.nodeId, NodeStatus.Reserved);
      }
    });
  });

  describe("startReserved", function () {
    it("asks the provider to accept, adds to the deposit and names the session key", async function () {
      const s = await loadFixture(reserved);
      const tx = at(s.start, () =>
        s.escrow.connect(s.customer).startReserved(s.reservationId, 10n * UNIT, s.session.address),
      );
      await expect(tx)
        .to.emit(s.escrow, "StartRequested")
        .withArgs(s.reservationId, s.session.address, 10n * UNIT, s.start + ACCEPT_WINDOW);
      await expect(tx).to.changeTokenBalance(ethers, s.gut, s.customer, -10n * UNIT);
      const r = await s.escrow.reservation(s.reservationId);
      expect([r.status, r.deposit, r.acceptBy, r.sessionKey]).to.deep.equal([
        BigInt(ReservationStatus.Starting),
        DEPOSIT + 10n * UNIT,
        s.start + ACCEPT_WINDOW,
        s.session.address,
      ]);
    });

    it("works at the deadline and while paused", async function () {
      const s = await loadFixture(reserved);
      await s.escrow.pause();
      await expect(
        at(s.deadline, () => s.escrow.connect(s.customer).startReserved(s.reservationId, 0n, ethers.ZeroAddress)),
      ).to.emit(s.escrow, "StartRequested");
    });

    it("reverts before the window or after the grace", async function () {
      const s = await loadFixture(reserved);
      await expect(
        at(s.start - 1n, () => s.escrow.connect(s.customer).startReserved(s.reservationId, 0n, ethers.ZeroAddress)),
      )
        .to.be.revertedWithCustomError(s.escrow, "OutsideWindow")
        .withArgs(s.reservationId, s.start, s.deadline);
      await expect(
        at(s.deadline + 1n, () => s.escrow.connect(s.customer).startReserved(s.reservationId, 0n, ethers.ZeroAddress)),
      ).to.be.revertedWithCustomError(s.escrow, "OutsideWindow");
    });

    it("reverts for anyone but the customer, and once started", async function () {
      const s = await loadFixture(starting);
      await expect(s.escrow.connect(s.other).startReserved(s.reservationId, 0n, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "InvalidReservationStatus")
        .withArgs(s.reservationId, ReservationStatus.Starting);
      const r = await loadFixture(reserved);
      await expect(at(r.start, () => r.escrow.connect(r.other).startReserved(r.reservationId, 0n, ethers.ZeroAddress)))
        .to.be.revertedWithCustomError(r.escrow, "NotReservationCustomer")
        .withArgs(r.reservationId, r.other.address);
    });
  });

  describe("acceptStart", function () {
    it("opens the lease from now with the deposit less the fee, and books the fee's part before the window", async function () {
      const s = await loadFixture(starting);
      const leaseStart = s.start + 10n;
      const tx = at(leaseStart, () => s.escrow.connect(s.operator).acceptStart(s.reservationId));
      await expect(tx)
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Started, s.operator.address, HOLD_PART, 0n, 1n, 0n);
      await expect(tx)
        .to.emit(s.escrow, "LeaseOpened")
        .withArgs(
          1n,
          s.nodeId,
          s.customer.address,
          s.provider.address,
          await s.gut.getAddress(),
          PRICE * 1_000n,
          DEPOSIT + 10n * UNIT - FEE,
          s.session.address,
        );
      const lease = await s.escrow.lease(1n);
      expect([lease.start, lease.reservationId, lease.customer]).to.deep.equal([leaseStart, 1n, s.customer.address]);
      const token = await s.gut.getAddress();
      expect(await s.escrow.earnings(s.provider.address, token)).to.equal(HOLD_PART - feeOf(HOLD_PART));
      expect(await s.escrow.feesDue(s.provider.address, token)).to.equal(feeOf(HOLD_PART));
      expect((await s.registry.node(s.nodeId)).status).to.equal(BigInt(NodeStatus.Sharing));
      expect(await s.escrow.reservationOf(s.nodeId)).to.equal(0n);
      expect((await s.escrow.reservation(1n)).leaseId).to.equal(1n);
    });

    it("reverts for anyone but the provider or its operator, after the accept window, or before the start", async function () {
      const s = await loadFixture(starting);
      await expect(s.escrow.connect(s.customer).acceptStart(s.reservationId))
        .to.be.revertedWithCustomError(s.escrow, "NotReservationProvider")
        .withArgs(s.reservationId, s.customer.address);
      await expect(at(s.acceptBy + 1n, () => s.escrow.connect(s.provider).acceptStart(s.reservationId)))
        .to.be.revertedWithCustomError(s.escrow, "AcceptWindowClosed")
        .withArgs(s.reservationId, s.acceptBy);
      const r = await loadFixture(reserved);
      await expect(r.escrow.connect(r.provider).acceptStart(r.reservationId))
        .to.be.revertedWithCustomError(r.escrow, "InvalidReservationStatus")
        .withArgs(r.reservationId, ReservationStatus.Pending);
    });
  });

  describe("the window's part of the fee", function () {
    it("is earned in full when the lease stays open through the window", async function () {
      const s = await loadFixture(accepted);
      const tx = at(s.heldUntil + 100n, () => s.escrow.connect(s.provider).closeLease(s.leaseId, 0n, "0x"));
      await expect(tx).to.emit(s.escrow, "LeaseFinalized").withArgs(s.leaseId, 0n, s.leaseDeposit, WINDOW_PART);
      const token = await s.gut.getAddress();
      expect(
        (await s.escrow.earnings(s.provider.address, token)) + (await s.escrow.feesDue(s.provider.address, token)),
      ).to.equal(FEE);
    });

    it("is earned pro rata when the provider closes inside the window; the rest goes back", async function () {
      const s = await loadFixture(accepted);
      const closedAt = s.start + DURATION / 4n;
      const earned = (WINDOW_PART * (closedAt - s.start)) / DURATION;
      const tx = at(closedAt, () => s.escrow.connect(s.provider).closeLease(s.leaseId, 0n, "0x"));
      await expect(tx)
        .to.emit(s.escrow, "LeaseFinalized")
        .withArgs(s.leaseId, 0n, s.leaseDeposit + WINDOW_PART - earned, earned);
      await expect(tx).to.changeTokenBalance(ethers, s.gut, s.customer, s.leaseDeposit + WINDOW_PART - earned);
    });

    it("is earned up to the customer's close, paid when the lease is finalized", async function () {
      const s = await loadFixture(accepted);
      const closedAt = s.start + DURATION / 2n;
      await at(closedAt, () => s.escrow.connect(s.customer).closeLease(s.leaseId, 0n, "0x"));
      const earned = (WINDOW_PART * (closedAt - s.start)) / DURATION;
      const paidThrough = closedAt;
      const receipt = await receiptFor(s, s.leaseId, paidThrough);
      await s.escrow.collect(s.leaseId, paidThrough, receipt);
      const paid = (closedAt - s.leaseStart) * PER_SECOND;
      await time.increaseTo(closedAt + COLLECT_WINDOW + 1n);
      await expect(s.escrow.finalize(s.leaseId))
        .to.emit(s.escrow, "LeaseFinalized")
        .withArgs(s.leaseId, paid, s.leaseDeposit - paid + WINDOW_PART - earned, earned);
      expect((await s.escrow.lease(s.leaseId)).status).to.equal(BigInt(LeaseStatus.Closed));
    });
  });

  describe("renewLease", function () {
    it("reverts for a lease started from a reservation, whose window's fee it alone earns", async function () {
      const s = await loadFixture(accepted);
      const next = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.customer).renewLease(s.leaseId, ...terms(next), 0n))
        .to.be.revertedWithCustomError(s.escrow, "ReservedLeaseNotRenewable")
        .withArgs(s.leaseId, s.reservationId);
    });
  });

  describe("failReservation", function () {
    it("after an unaccepted start: the whole deposit back and the fee from the stake to the treasury", async function () {
      const s = await loadFixture(starting);
      const stake = (await s.registry.node(s.nodeId)).stake;
      await time.increaseTo(s.acceptBy + 1n);
      const tx = s.escrow.connect(s.keeper).failReservation(s.reservationId);
      await expect(tx)
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Failed, s.keeper.address, 0n, DEPOSIT + 10n * UNIT, 0n, FEE);
      await expect(tx).to.emit(s.registry, "Penalized").withArgs(s.nodeId, s.treasury.address, FEE);
      await expect(tx).to.changeTokenBalances(
        ethers,
        s.gut,
        [s.customer, s.treasury, s.provider],
        [DEPOSIT + 10n * UNIT, FEE, 0n],
      );
      const n = await s.registry.node(s.nodeId);
      expect([n.status, n.engaged, n.stake]).to.deep.equal([BigInt(NodeStatus.Idle), false, stake - FEE]);
      const token = await s.gut.getAddress();
      expect(await s.escrow.earnings(s.provider.address, token)).to.equal(0n);
      expect(await s.escrow.reservationOf(s.nodeId)).to.equal(0n);
    });

    it("at once when the node went offline before the deadline, while pending", async function () {
      const s = await loadFixture(reserved);
      await s.registry.connect(s.operator).goOffline(s.nodeId);
      await expect(s.escrow.connect(s.keeper).failReservation(s.reservationId))
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Failed, s.keeper.address, 0n, DEPOSIT, 0n, FEE);
      // The escrow released the node, so the provider can bring it back.
      expect((await s.registry.node(s.nodeId)).status).to.equal(BigInt(NodeStatus.Disconnect));
      await s.registry.connect(s.operator).checkIn([s.nodeId]);
      expect((await s.registry.node(s.nodeId)).status).to.equal(BigInt(NodeStatus.Idle));
    });

    it("when the node's check-in went stale before the deadline, whoever notices it first", async function () {
      const s = await loadFixture(system);
      const reservedAt = BigInt(await time.latest()) + 1n;
      // A window two check-in periods ahead: the node must check in meanwhile, and does not.
      const start = reservedAt + 2n * CHECK_IN_PERIOD;
      const q = await quoteFor(s, ethers, { windowStart: start, windowDuration: DURATION });
      const fee = ((start + DURATION - reservedAt) * PER_SECOND) / 10n;
      await at(reservedAt, () => s.escrow.connect(s.customer).reserve(q.quote, q.signature, DEPOSIT + fee));
      await time.increaseTo(reservedAt + CHECK_IN_PERIOD + 1n);
      await expect(s.escrow.failReservation(1n))
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(1n, ReservationStatus.Failed, s.admin.address, 0n, DEPOSIT + fee, 0n, fee);
    });

    it("reverts while the node is up and the provider may still accept", async function () {
      const s = await loadFixture(starting);
      await expect(s.escrow.failReservation(s.reservationId))
        .to.be.revertedWithCustomError(s.escrow, "ReservationNotFailed")
        .withArgs(s.reservationId, s.acceptBy);
      const r = await loadFixture(reserved);
      await expect(r.escrow.failReservation(r.reservationId))
        .to.be.revertedWithCustomError(r.escrow, "ReservationNotFailed")
        .withArgs(r.reservationId, 0n);
    });

    it("takes at most the stake left", async function () {
      const s = await loadFixture(system);
      await s.gut.transfer(s.customer.address, 1_000n * UNIT);
      // A month-long window on a 100-GUT stake: its fee is larger than the stake.
      const reservedAt = BigInt(await time.latest()) + 1n;
      const start = reservedAt + 100n;
      const long = 30n * 86_400n;
      const [fee] = await s.escrow.reservationFee(s.nodeId, PRICE, start, long);
      const stake = (await s.registry.node(s.nodeId)).stake;
      expect(fee).to.be.greaterThan(stake);
      const q = await quoteFor(s, ethers, { windowStart: start, windowDuration: long, pricePerTuHour: PRICE });
      await at(reservedAt, () => s.escrow.connect(s.customer).reserve(q.quote, q.signature, fee + UNIT));
      await s.registry.connect(s.provider).goOffline(s.nodeId);
      await expect(s.escrow.failReservation(1n))
        .to.emit(s.registry, "Penalized")
        .withArgs(s.nodeId, s.treasury.address, stake);
      expect((await s.registry.node(s.nodeId)).stake).to.equal(0n);
    });
  });

  describe("cancelReservation", function () {
    it("by the customer while pending: the fee is the provider's, the rest goes back, the node is free", async function () {
      const s = await loadFixture(reserved);
      const tx = s.escrow.connect(s.customer).cancelReservation(s.reservationId);
      await expect(tx)
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Cancelled, s.customer.address, FEE, DEPOSIT - FEE, 0n, 0n);
      await expect(tx).to.changeTokenBalance(ethers, s.gut, s.customer, DEPOSIT - FEE);
      const token = await s.gut.getAddress();
      expect(await s.escrow.earnings(s.provider.address, token)).to.equal(FEE - feeOf(FEE));
      expect((await s.registry.node(s.nodeId)).status).to.equal(BigInt(NodeStatus.Idle));
    });

    it("by the provider or its operator: fails the reservation", async function () {
      const s = await loadFixture(reserved);
      await expect(s.escrow.connect(s.operator).cancelReservation(s.reservationId))
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Failed, s.operator.address, 0n, DEPOSIT, 0n, FEE);
    });

    it("by the customer after the node went down: fails it rather than paying the fee", async function () {
      const s = await loadFixture(reserved);
      await s.registry.connect(s.provider).goOffline(s.nodeId);
      await expect(s.escrow.connect(s.customer).cancelReservation(s.reservationId))
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Failed, s.customer.address, 0n, DEPOSIT, 0n, FEE);
    });

    it("reverts for anyone else and once ended", async function () {
      const s = await loadFixture(reserved);
      await expect(s.escrow.connect(s.other).cancelReservation(s.reservationId))
        .to.be.revertedWithCustomError(s.escrow, "NotReservationParty")
        .withArgs(s.reservationId, s.other.address);
      await s.escrow.connect(s.customer).cancelReservation(s.reservationId);
      await expect(s.escrow.connect(s.customer).cancelReservation(s.reservationId))
        .to.be.revertedWithCustomError(s.escrow, "InvalidReservationStatus")
        .withArgs(s.reservationId, ReservationStatus.Cancelled);
    });
  });

  describe("expireReservation", function () {
    it("reverts until the deadline has passed", async function () {
      const s = await loadFixture(reserved);
      await expect(at(s.deadline, () => s.escrow.expireReservation(s.reservationId)))
        .to.be.revertedWithCustomError(s.escrow, "ReservationNotExpired")
        .withArgs(s.reservationId, s.deadline);
    });

    it("after the deadline, by anyone: the provider earns the fee and the rest goes back", async function () {
      const s = await loadFixture(reserved);
      const tx = at(s.deadline + 1n, () => s.escrow.connect(s.keeper).expireReservation(s.reservationId));
      await expect(tx)
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Expired, s.keeper.address, FEE, DEPOSIT - FEE, 0n, 0n);
      await expect(tx).to.changeTokenBalance(ethers, s.gut, s.customer, DEPOSIT - FEE);
    });

    it("fails the reservation when the node went down before the deadline", async function () {
      const s = await loadFixture(reserved);
      await at(s.deadline - 1n, () => s.registry.connect(s.provider).goOffline(s.nodeId));
      await time.increaseTo(s.deadline + 1n);
      await expect(s.escrow.expireReservation(s.reservationId))
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Failed, s.admin.address, 0n, DEPOSIT, 0n, FEE);
    });

    it("still pays the fee when the node went down only after holding through the deadline", async function () {
      const s = await loadFixture(reserved);
      await at(s.deadline + 1n, () => s.registry.connect(s.provider).goOffline(s.nodeId));
      await expect(s.escrow.expireReservation(s.reservationId))
        .to.emit(s.escrow, "ReservationEnded")
        .withArgs(s.reservationId, ReservationStatus.Expired, s.admin.address, FEE, DEPOSIT - FEE, 0n, 0n);
    });

    it("reverts for a reservation that was started", async function () {
      const s = await loadFixture(starting);
      await expect(at(s.deadline + 1n, () => s.escrow.expireReservation(s.reservationId)))
        .to.be.revertedWithCustomError(s.escrow, "InvalidReservationStatus")
        .withArgs(s.reservationId, ReservationStatus.Starting);
    });
  });
});
