import { expect } from "chai";
import { network } from "hardhat";

import {
  ANY_PRICE,
  deployEscrowSystem,
  GTX_1080_TI,
  PER_SECOND,
  PRICE,
  UNIT,
} from "../contracts/LeaseEscrowFixture.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 100n * UNIT;

/** A lease (id 1, node 2) in a token that can blacklist, open 100 s with heartbeats. */
async function blacklistLease() {
  const s = await deployEscrowSystem(ethers);
  const blk = await ethers.deployContract("BlacklistToken");
  await s.escrow.setPaymentToken(await blk.getAddress(), true, 500);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await blk.getAddress(), "");
  await blk.mint(s.customer.address, DEPOSIT);
  await blk.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
  await s.escrow.connect(s.customer).openLease(2n, DEPOSIT, ANY_PRICE);
  await time.setNextBlockTimestamp(BigInt(await time.latest()) + 100n);
  await s.registry.connect(s.provider).heartbeat(2n);
  return { ...s, blk };
}

/** A lease (id 1, node 2) in a token with transfer hooks that can re-enter the escrow. */
async function reentrantLease() {
  const s = await deployEscrowSystem(ethers);
  const re = await ethers.deployContract("ReentrantToken");
  await s.escrow.setPaymentToken(await re.getAddress(), true, 500);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await re.getAddress(), "");
  await re.mint(s.customer.address, 2n * DEPOSIT);
  await re.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
  await s.escrow.connect(s.customer).openLease(2n, DEPOSIT, ANY_PRICE);
  await time.setNextBlockTimestamp(BigInt(await time.latest()) + 100n);
  await s.registry.connect(s.provider).heartbeat(2n);
  return { ...s, re };
}

/** Lease 1 on node 1 open for 100 s, and a reservation (id 1) of a second node. */
async function leaseAndReservation() {
  const s = await deployEscrowSystem(ethers);
  await s.escrow.connect(s.customer).openLease(s.nodeId, DEPOSIT, ANY_PRICE);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await s.gut.getAddress(), "");
  const start = BigInt(await time.latest()) + 100n;
  await s.escrow.connect(s.customer).reserve(2n, start, 3_600n, 10n * UNIT, ANY_PRICE);
  await time.increase(100n);
  await s.registry.connect(s.provider).heartbeat(s.nodeId);
  return { ...s, start };
}

describe("LeaseEscrow under pause and hostile tokens", function () {
  describe("pause", function () {
    it("stops opening and reserving only: top-ups, settlement, withdrawals, closes and reservations' ends go on", async function () {
      const { escrow, customer, provider, keeper, other, nodeId, start } = await loadFixture(leaseAndReservation);
      await escrow.pause();
      await expect(escrow.connect(other).openLease(3n, UNIT, ANY_PRICE)).to.be.revertedWithCustomError(
        escrow,
        "EnforcedPause",
      );
      await expect(
        escrow.connect(other).reserve(nodeId, start + 10n, 60n, UNIT, ANY_PRICE),
      ).to.be.revertedWithCustomError(escrow, "EnforcedPause");
      await expect(escrow.connect(keeper).settle(1n)).to.emit(escrow, "LeaseSettled");
      await expect(escrow.connect(other).topUp(1n, UNIT)).to.emit(escrow, "ToppedUp");
      await expect(escrow.connect(provider).withdraw([1n])).to.emit(escrow, "Withdrawn");
      await expect(escrow.connect(keeper).forwardFees([1n])).to.emit(escrow, "FeesForwarded");
      await expect(escrow.connect(customer).closeLease(1n)).to.emit(escrow, "LeaseClosed");
      await expect(escrow.connect(customer).cancelReservation(1n)).to.emit(escrow, "ReservationEnded");
    });
  });

  describe("blacklisting token", function () {
    it("a blacklisted customer cannot block the provider's close: the refund is owed, then claimed elsewhere", async function () {
      const { escrow, blk, customer, provider, other } = await loadFixture(blacklistLease);
      await blk.setBlacklisted(customer.address, true);
      const paid = 100n * PER_SECOND;
      const refund = DEPOSIT - paid;
      await expect(escrow.connect(provider).closeLease(1n))
        .to.emit(escrow, "PaymentDeferred")
        .withArgs(customer.address, await blk.getAddress(), refund);
      expect(await escrow.owed(customer.address, await blk.getAddress())).to.equal(refund);
      const tx = escrow.connect(provider).withdraw([1n]);
      await expect(tx).to.changeTokenBalance(ethers, blk, provider, paid - (paid * 500n) / 10_000n);
      await expect(escrow.connect(customer).claim(await blk.getAddress(), customer.address))
        .to.be.revertedWithCustomError(blk, "Blacklisted")
        .withArgs(customer.address);
      const claim = escrow.connect(customer).claim(await blk.getAddress(), other.address);
      await expect(claim)
        .to.emit(escrow, "Claimed")
        .withArgs(customer.address, await blk.getAddress(), other.address, refund);
      await expect(claim).to.changeTokenBalance(ethers, blk, other, refund);
      expect(await escrow.owed(customer.address, await blk.getAddress())).to.equal(0n);
    });

    it("a blacklisted provider cannot block the customer's close and refund", async function () {
      const { escrow, blk, customer, provider } = await loadFixture(blacklistLease);
      await blk.setBlacklisted(provider.address, true);
      const refund = DEPOSIT - 100n * PER_SECOND;
      await expect(escrow.connect(customer).closeLease(1n)).to.changeTokenBalance(ethers, blk, customer, refund);
      await expect(escrow.connect(provider).withdraw([1n]))
        .to.be.revertedWithCustomError(blk, "Blacklisted")
        .withArgs(provider.address);
    });
  });

  describe("claim", function () {
    it("reverts when nothing is owed or the receiver is zero", async function () {
      const { escrow, blk, customer } = await loadFixture(blacklistLease);
      await expect(escrow.connect(customer).claim(await blk.getAddress(), customer.address))
        .to.be.revertedWithCustomError(escrow, "NothingToClaim")
        .withArgs(customer.address, await blk.getAddress());
      await expect(escrow.connect(customer).claim(await blk.getAddress(), ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("to");
    });
  });

  describe("reentrancy", function () {
    it("refuses a token that re-enters during a deposit", async function () {
      const { escrow, re, customer } = await loadFixture(reentrantLease);
      await re.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("closeLease", [1n]));
      await expect(escrow.connect(customer).topUp(1n, UNIT)).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("refuses a token that re-enters during a withdrawal", async function () {
      const { escrow, re, provider } = await loadFixture(reentrantLease);
      await re.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("withdraw", [[1n]]));
      await expect(escrow.connect(provider).withdraw([1n])).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("keeps a refund whose transfer re-entered: the nested call fails and the customer is owed", async function () {
      const { escrow, re, customer, provider } = await loadFixture(reentrantLease);
      await re.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("settle", [1n]));
      const refund = DEPOSIT - 100n * PER_SECOND;
      await expect(escrow.connect(provider).closeLease(1n))
        .to.emit(escrow, "PaymentDeferred")
        .withArgs(customer.address, await re.getAddress(), refund);
      expect(await re.balanceOf(await escrow.getAddress())).to.equal(DEPOSIT);
      await expect(
        escrow.connect(customer).claim(await re.getAddress(), customer.address),
      ).to.be.revertedWithCustomError(escrow, "ReentrancyGuardReentrantCall");
      await re.arm(ethers.ZeroAddress, "0x");
      await expect(escrow.connect(customer).claim(await re.getAddress(), customer.address)).to.changeTokenBalance(
        ethers,
        re,
        customer,
        refund,
      );
    });

    it("refuses a fee collector that re-enters while recording", async function () {
      const { escrow, provider, nodeId } = await loadFixture(leaseAndReservation);
      const hostile = await ethers.deployContract("ReentrantFeeCollector");
      await hostile.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("forwardFees", [[1n]]));
      await escrow.setFeeCollector(await hostile.getAddress());
      await escrow.connect(provider).withdraw([1n]);
      await expect(escrow.forwardFees([nodeId])).to.be.revertedWithCustomError(escrow, "ReentrancyGuardReentrantCall");
    });
  });
});
