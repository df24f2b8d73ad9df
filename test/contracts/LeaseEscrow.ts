import { expect } from "chai";
import { network } from "hardhat";

import {
  ANY_PRICE,
  deployEscrowSystem,
  GRACE,
  GTX_1080_TI,
  GUT_FEE_BPS,
  HEARTBEAT_TIMEOUT,
  LeaseStatus,
  NodeStatus,
  PER_SECOND,
  PRICE,
  RESERVATION_FEE_BPS,
  UNIT,
  V100,
} from "./LeaseEscrowFixture.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 100n * UNIT;

/**
 * The heartbeat timeout of the money tests: longer than any wait below, so that one heartbeat
 * after a long lease is on time. The staleness tests set `HEARTBEAT_TIMEOUT` back.
 */
const TIMEOUT = 2n * 86_400n;

async function system() {
  const s = await deployEscrowSystem(ethers);
  await s.registry.setHeartbeatTimeout(TIMEOUT);
  return s;
}

/** The system with lease 1 open on node 1 for 100 GUT, opened at `start`. */
async function openedLease() {
  const s = await system();
  await s.escrow.connect(s.customer).openLease(s.nodeId, DEPOSIT, ANY_PRICE);
  const start = BigInt(await time.latest());
  return { ...s, leaseId: 1n, start };
}

/** A second payment token (6 decimals, no fee) and a node priced in it. */
async function twoTokens() {
  const s = await openedLease();
  const usd = await ethers.deployContract("MockERC20", ["USD", "USD", 6]);
  await s.escrow.setPaymentToken(await usd.getAddress(), true, 0);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, 3_600_000n, await usd.getAddress(), "");
  await usd.mint(s.customer.address, 1_000_000_000n);
  await usd.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
  await s.escrow.connect(s.customer).openLease(2n, 1_000_000n, ANY_PRICE);
  return { ...s, usd, usdStart: BigInt(await time.latest()) };
}

/** Runs `tx` in a block with timestamp `t`. */
async function at<T>(t: bigint, tx: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(t);
  return tx();
}

describe("LeaseEscrow", function () {
  describe("constructor", function () {
    it("wires the registry and collector and allowlists GUT", async function () {
      const { escrow, registry, collector, gut } = await loadFixture(system);
      expect(await escrow.registry()).to.equal(await registry.getAddress());
      expect(await escrow.feeCollector()).to.equal(await collector.getAddress());
      const config = await escrow.paymentToken(await gut.getAddress());
      expect([config.allowed, config.feeBps]).to.deep.equal([true, GUT_FEE_BPS]);
      expect(await escrow.reservationFeeBps()).to.equal(RESERVATION_FEE_BPS);
      expect(await escrow.reservationGrace()).to.equal(GRACE);
      expect(await escrow.MAX_FEE_BPS()).to.equal(2_000n);
    });

    it("reverts when an address is zero or a fee is over its maximum", async function () {
      const { registry, collector, gut, admin } = await loadFixture(system);
      const factory = await ethers.getContractFactory("LeaseEscrow");
      const [r, c, g] = [await registry.getAddress(), await collector.getAddress(), await gut.getAddress()];
      const zero = ethers.ZeroAddress;
      const args = (over: Partial<Record<string, unknown>>) =>
        [0n, admin.address, r, c, g, 500, 1000, 3600].map((v, i) => (i in over ? over[i] : v)) as Parameters<
          typeof factory.deploy
        >;
      await expect(factory.deploy(...args({ 2: zero })))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("registry");
      await expect(factory.deploy(...args({ 3: zero })))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("feeCollector");
      await expect(factory.deploy(...args({ 4: zero })))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("token");
      await expect(factory.deploy(...args({ 5: 2_001 })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("feeBps", 2_001, 0, 2_000);
      await expect(factory.deploy(...args({ 6: 5_001 })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("reservationFeeBps", 5_001, 0, 5_000);
      await expect(factory.deploy(...args({ 7: 86_401 })))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("reservationGrace", 86_401, 0, 86_400);
    });
  });

  describe("admin", function () {
    it("sets a payment token and emits PaymentTokenSet", async function () {
      const { escrow, other } = await loadFixture(system);
      await expect(escrow.setPaymentToken(other.address, true, 2_000))
        .to.emit(escrow, "PaymentTokenSet")
        .withArgs(other.address, true, 2_000);
      const config = await escrow.paymentToken(other.address);
      expect([config.allowed, config.feeBps]).to.deep.equal([true, 2_000n]);
    });

    it("reverts setPaymentToken over the fee maximum, for the zero token, or for a non-admin", async function () {
      const { escrow, other } = await loadFixture(system);
      await expect(escrow.setPaymentToken(other.address, true, 2_001))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("feeBps", 2_001, 0, 2_000);
      await expect(escrow.setPaymentToken(ethers.ZeroAddress, true, 0))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("token");
      await expect(escrow.connect(other).setPaymentToken(other.address, true, 0))
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, ethers.ZeroHash);
    });

    it("sets the fee collector, refusing zero and non-admins", async function () {
      const { escrow, other } = await loadFixture(system);
      await expect(escrow.setFeeCollector(other.address)).to.emit(escrow, "FeeCollectorSet").withArgs(other.address);
      expect(await escrow.feeCollector()).to.equal(other.address);
      await expect(escrow.setFeeCollector(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "ZeroAddress")
        .withArgs("feeCollector");
      await expect(escrow.connect(other).setFeeCollector(other.address)).to.be.revertedWithCustomError(
        escrow,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("sets the reservation terms within their bounds", async function () {
      const { escrow, other } = await loadFixture(system);
      await expect(escrow.setReservationTerms(5_000, 86_400))
        .to.emit(escrow, "ReservationTermsSet")
        .withArgs(5_000, 86_400);
      expect(await escrow.reservationFeeBps()).to.equal(5_000n);
      await expect(escrow.setReservationTerms(5_001, 0))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("reservationFeeBps", 5_001, 0, 5_000);
      await expect(escrow.setReservationTerms(0, 86_401))
        .to.be.revertedWithCustomError(escrow, "ParameterOutOfRange")
        .withArgs("reservationGrace", 86_401, 0, 86_400);
      await expect(escrow.connect(other).setReservationTerms(0, 0)).to.be.revertedWithCustomError(
        escrow,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("lets only the pauser pause and unpause", async function () {
      const { escrow, other } = await loadFixture(system);
      const role = await escrow.PAUSER_ROLE();
      await expect(escrow.connect(other).pause())
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, role);
      await escrow.pause();
      expect(await escrow.paused()).to.equal(true);
      await expect(escrow.connect(other).unpause()).to.be.revertedWithCustomError(
        escrow,
        "AccessControlUnauthorizedAccount",
      );
      await escrow.unpause();
      expect(await escrow.paused()).to.equal(false);
    });
  });

  describe("openLease", function () {
    it("takes the deposit, snapshots the terms, puts the node in Sharing and emits LeaseOpened", async function () {
      const { escrow, registry, gut, customer, provider, nodeId } = await loadFixture(system);
      const rate = PRICE * 1000n;
      const tx = escrow.connect(customer).openLease(nodeId, DEPOSIT, ANY_PRICE);
      await expect(tx)
        .to.emit(escrow, "LeaseOpened")
        .withArgs(1n, nodeId, customer.address, provider.address, await gut.getAddress(), rate, DEPOSIT);
      await expect(tx).to.changeTokenBalances(ethers, gut, [customer, escrow], [-DEPOSIT, DEPOSIT]);
      const l = await escrow.lease(1n);
      expect(l.customer).to.equal(customer.address);
      expect(l.provider).to.equal(provider.address);
      expect(l.token).to.equal(await gut.getAddress());
      expect(l.rate).to.equal(rate);
      expect(l.deposit).to.equal(DEPOSIT);
      expect(l.feeBps).to.equal(GUT_FEE_BPS);
      expect(l.status).to.equal(LeaseStatus.Open);
      expect(l.nodeId).to.equal(nodeId);
      expect(l.start).to.equal(await time.latest());
      expect(await escrow.leaseCount()).to.equal(1n);
      const terms = await registry.leaseTerms(nodeId);
      expect(terms.status).to.equal(NodeStatus.Sharing);
      expect(terms.engaged).to.equal(true);
    });

    it("reverts when paused", async function () {
      const { escrow, customer, nodeId } = await loadFixture(system);
      await escrow.pause();
      await expect(escrow.connect(customer).openLease(nodeId, DEPOSIT, ANY_PRICE)).to.be.revertedWithCustomError(
        escrow,
        "EnforcedPause",
      );
    });

    it("reverts when the node is not Idle or does not exist", async function () {
      const { escrow, customer, other, nodeId } = await loadFixture(openedLease);
      await expect(escrow.connect(other).openLease(nodeId, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "NodeNotAvailable")
        .withArgs(nodeId, NodeStatus.Sharing);
      await expect(escrow.connect(customer).openLease(9n, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "NodeNotAvailable")
        .withArgs(9n, NodeStatus.None);
    });

    it("reverts when the node's token is not allowed", async function () {
      const { escrow, gut, customer, nodeId } = await loadFixture(system);
      await escrow.setPaymentToken(await gut.getAddress(), false, 0);
      await expect(escrow.connect(customer).openLease(nodeId, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "TokenNotAllowed")
        .withArgs(await gut.getAddress());
    });

    it("reverts when the deposit is zero or does not fit 96 bits", async function () {
      const { escrow, customer, nodeId } = await loadFixture(system);
      await expect(escrow.connect(customer).openLease(nodeId, 0n, ANY_PRICE)).to.be.revertedWithCustomError(
        escrow,
        "ZeroAmount",
      );
      const max = 2n ** 96n - 1n;
      await expect(escrow.connect(customer).openLease(nodeId, max + 1n, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "AmountTooLarge")
        .withArgs(max + 1n, max);
    });

    it("reverts when price × rating does not fit 96 bits", async function () {
      const { escrow, registry, gut, provider, customer } = await loadFixture(system);
      const price = 2n ** 96n / 1850n + 1n;
      await registry.connect(provider).register(V100, 1n, price, await gut.getAddress(), "");
      await expect(escrow.connect(customer).openLease(2n, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "RateTooHigh")
        .withArgs(2n, price, 1850);
      const huge = 2n ** 128n - 1n;
      await registry.connect(provider).register(V100, 1n, huge, await gut.getAddress(), "");
      await expect(escrow.connect(customer).openLease(3n, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "RateTooHigh")
        .withArgs(3n, huge, 1850);
    });

    it("refuses a fee-on-transfer token", async function () {
      const { escrow, registry, provider, customer } = await loadFixture(system);
      const fot = await ethers.deployContract("MockFeeOnTransferERC20");
      await escrow.setPaymentToken(await fot.getAddress(), true, 0);
      await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, await fot.getAddress(), "");
      await fot.mint(customer.address, DEPOSIT);
      await fot.connect(customer).approve(await escrow.getAddress(), DEPOSIT);
      await expect(escrow.connect(customer).openLease(2n, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "TransferMismatch")
        .withArgs(await fot.getAddress(), DEPOSIT, DEPOSIT - DEPOSIT / 100n);
    });
  });

  describe("settle", function () {
    it("pays exactly the time up to the last heartbeat, never later", async function () {
      const { escrow, registry, provider, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 300n, () => registry.connect(provider).heartbeat(nodeId));
      await at(start + 500n, () => escrow.settle(leaseId));
      expect((await escrow.lease(leaseId)).paid).to.equal(300n * PER_SECOND);
      await at(start + 550n, () => registry.connect(provider).heartbeat(nodeId));
      await expect(at(start + 551n, () => escrow.settle(leaseId)))
        .to.emit(escrow, "LeaseSettled")
        .withArgs(leaseId, 550n * PER_SECOND);
    });

    it("is idempotent: settling again at the same time changes nothing and emits nothing", async function () {
      const { escrow, registry, provider, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 100n, () => registry.connect(provider).heartbeat(nodeId));
      await escrow.settle(leaseId);
      const paid = (await escrow.lease(leaseId)).paid;
      await expect(escrow.settle(leaseId)).not.to.emit(escrow, "LeaseSettled");
      expect((await escrow.lease(leaseId)).paid).to.equal(paid);
    });

    it("rounds each settlement from the lease start, so many settlements pay what one would", async function () {
      const { escrow, registry, gut, provider, customer } = await loadFixture(system);
      // 7 wei per TU-hour on a V100 (1.85 TU): 12,950 / 3,600,000 wei per second.
      await registry.connect(provider).register(V100, 1n, 7n, await gut.getAddress(), "");
      await escrow.connect(customer).openLease(2n, DEPOSIT, ANY_PRICE);
      const start = BigInt(await time.latest());
      for (let i = 1n; i <= 5n; i++) {
        await at(start + i * 100n, () => registry.connect(provider).heartbeat(2n));
        await escrow.settle(1n);
      }
      await at(start + 2_000n, () => registry.connect(provider).heartbeat(2n));
      await escrow.settle(1n);
      expect((await escrow.lease(1n)).paid).to.equal((12_950n * 2_000n) / 3_600_000n);
    });

    it("caps at the deposit", async function () {
      const { escrow, registry, provider, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 150_000n, () => registry.connect(provider).heartbeat(nodeId));
      await escrow.settle(leaseId);
      expect((await escrow.lease(leaseId)).paid).to.equal(DEPOSIT);
      expect(await escrow.accrued(leaseId)).to.deep.equal([DEPOSIT, 0n]);
    });

    it("pays nothing for a node whose last heartbeat is older than the lease", async function () {
      const { escrow, registry, customer, nodeId } = await loadFixture(system);
      await time.increase(300n);
      await escrow.connect(customer).openLease(nodeId, DEPOSIT, ANY_PRICE);
      await time.increase(200n);
      await escrow.settle(1n);
      expect((await escrow.lease(1n)).paid).to.equal(0n);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Sharing);
    });

    it("returns the final paid amount of a closed lease and reverts for an unknown one", async function () {
      const { escrow, registry, provider, customer, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 10n, () => registry.connect(provider).heartbeat(nodeId));
      await escrow.connect(customer).closeLease(leaseId);
      expect(await escrow.settle.staticCall(leaseId)).to.equal(10n * PER_SECOND);
      await expect(escrow.settle(7n))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(7n, LeaseStatus.None);
    });
  });

  describe("accrued", function () {
    it("reports what settling now would pay and what is left, without writing", async function () {
      const { escrow, registry, provider, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 40n, () => registry.connect(provider).heartbeat(nodeId));
      await time.increase(10n);
      expect(await escrow.accrued(leaseId)).to.deep.equal([40n * PER_SECOND, DEPOSIT - 40n * PER_SECOND]);
      expect((await escrow.lease(leaseId)).paid).to.equal(0n);
      expect(await escrow.accrued(99n)).to.deep.equal([0n, 0n]);
    });
  });

  describe("topUp", function () {
    it("lets anyone add to the deposit and emits ToppedUp", async function () {
      const { escrow, gut, other, leaseId } = await loadFixture(openedLease);
      const tx = escrow.connect(other).topUp(leaseId, 5n * UNIT);
      await expect(tx)
        .to.emit(escrow, "ToppedUp")
        .withArgs(leaseId, other.address, 5n * UNIT);
      await expect(tx).to.changeTokenBalances(ethers, gut, [other, escrow], [-5n * UNIT, 5n * UNIT]);
      expect((await escrow.lease(leaseId)).deposit).to.equal(DEPOSIT + 5n * UNIT);
    });

    it("reverts on a zero amount, a closed or unknown lease, or past 96 bits", async function () {
      const { escrow, customer, leaseId } = await loadFixture(openedLease);
      await expect(escrow.topUp(leaseId, 0n)).to.be.revertedWithCustomError(escrow, "ZeroAmount");
      const max = 2n ** 96n - 1n;
      await expect(escrow.topUp(leaseId, max))
        .to.be.revertedWithCustomError(escrow, "AmountTooLarge")
        .withArgs(max + DEPOSIT, max);
      await expect(escrow.topUp(leaseId, max + 1n))
        .to.be.revertedWithCustomError(escrow, "AmountTooLarge")
        .withArgs(max + 1n, max);
      await escrow.connect(customer).closeLease(leaseId);
      await expect(escrow.topUp(leaseId, 1n))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closed);
      await expect(escrow.topUp(5n, 1n))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(5n, LeaseStatus.None);
    });

    it("reverts once the deposit is drained, so a late top-up never pays for unfunded time", async function () {
      const { escrow, registry, provider, customer, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 100_000n, () => registry.connect(provider).heartbeat(nodeId));
      await expect(escrow.connect(customer).topUp(leaseId, UNIT))
        .to.be.revertedWithCustomError(escrow, "LeaseDrained")
        .withArgs(leaseId);
    });
  });

  describe("withdraw", function () {
    it("settles and pays the provider its earnings less the fee, which stays booked to the lease", async function () {
      const { escrow, registry, gut, provider, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 1_000n, () => registry.connect(provider).heartbeat(nodeId));
      const gross = 1_000n * PER_SECOND;
      const fee = (gross * GUT_FEE_BPS) / 10_000n;
      const tx = escrow.connect(provider).withdraw([leaseId]);
      await expect(tx)
        .to.emit(escrow, "Withdrawn")
        .withArgs(provider.address, await gut.getAddress(), gross - fee, fee);
      await expect(tx).to.changeTokenBalances(ethers, gut, [provider, escrow], [gross - fee, -(gross - fee)]);
      const l = await escrow.lease(leaseId);
      expect([l.paid, l.withdrawn]).to.deep.equal([gross, gross]);
      expect(await escrow.forwardedFee(leaseId)).to.equal(0n);
    });

    it("charges exactly the fee of the total however the withdrawals are split", async function () {
      const { escrow, registry, gut, provider, customer } = await loadFixture(system);
      await registry.connect(provider).register(V100, 1n, 7_777_777n, await gut.getAddress(), "");
      await escrow.connect(customer).openLease(2n, DEPOSIT, ANY_PRICE);
      const start = BigInt(await time.latest());
      const before = await gut.balanceOf(provider.address);
      for (let i = 1n; i <= 7n; i++) {
        await at(start + i * 13n, () => registry.connect(provider).heartbeat(2n));
        await escrow.connect(provider).withdraw([1n]);
      }
      const total = (await escrow.lease(1n)).withdrawn;
      expect(total).to.equal((7_777_777n * 1850n * 91n) / 3_600_000n);
      expect((await gut.balanceOf(provider.address)) - before).to.equal(total - (total * GUT_FEE_BPS) / 10_000n);
    });

    it("pays a batch in one transfer per run of the same token and skips leases with nothing new", async function () {
      const { escrow, registry, gut, usd, provider, customer, start } = await loadFixture(twoTokens);
      await at(start + 50n, () => registry.connect(provider).heartbeat(2n));
      await escrow.connect(customer).closeLease(2n);
      await at(start + 100n, () => registry.connect(provider).heartbeat(1n));
      const usdPaid = (await escrow.lease(2n)).paid;
      expect(usdPaid).to.be.greaterThan(0n);
      const gutPaid = 100n * PER_SECOND;
      const tx = escrow.connect(provider).withdraw([1n, 2n, 2n]);
      await expect(tx)
        .to.emit(escrow, "Withdrawn")
        .withArgs(provider.address, await gut.getAddress(), gutPaid - (gutPaid * GUT_FEE_BPS) / 10_000n, anyFee());
      await expect(tx).to.changeTokenBalance(ethers, usd, provider, usdPaid);
      await expect(escrow.connect(provider).withdraw([1n, 2n])).not.to.emit(escrow, "Withdrawn");
    });

    it("reverts when a lease is not the caller's", async function () {
      const { escrow, customer, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(customer).withdraw([leaseId]))
        .to.be.revertedWithCustomError(escrow, "NotProvider")
        .withArgs(leaseId, customer.address);
      await expect(escrow.connect(customer).withdraw([3n]))
        .to.be.revertedWithCustomError(escrow, "NotProvider")
        .withArgs(3n, customer.address);
    });
  });

  describe("withdrawFor", function () {
    it("lets the provider's operator withdraw, paying the provider", async function () {
      const { escrow, registry, gut, provider, keeper, leaseId, start, nodeId } = await loadFixture(openedLease);
      await registry.connect(provider).setOperator(keeper.address);
      await at(start + 1_000n, () => registry.connect(keeper).heartbeat(nodeId));
      const gross = 1_000n * PER_SECOND;
      const fee = (gross * GUT_FEE_BPS) / 10_000n;
      const tx = escrow.connect(keeper).withdrawFor(provider.address, [leaseId]);
      await expect(tx)
        .to.emit(escrow, "Withdrawn")
        .withArgs(provider.address, await gut.getAddress(), gross - fee, fee);
      await expect(tx).to.changeTokenBalances(ethers, gut, [provider, keeper], [gross - fee, 0n]);
    });

    it("reverts when the caller is not the provider's operator, or a lease is another provider's", async function () {
      const { escrow, registry, provider, customer, keeper, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(keeper).withdrawFor(provider.address, [leaseId]))
        .to.be.revertedWithCustomError(escrow, "NotOperator")
        .withArgs(provider.address, keeper.address);
      await registry.connect(customer).setOperator(keeper.address);
      await expect(escrow.connect(keeper).withdrawFor(customer.address, [leaseId]))
        .to.be.revertedWithCustomError(escrow, "NotProvider")
        .withArgs(leaseId, keeper.address);
    });
  });

  describe("forwardFees", function () {
    it("sends the withdrawn leases' fees to the collector and reports them with their provider", async function () {
      const { escrow, registry, gut, collector, provider, keeper, leaseId, start, nodeId } =
        await loadFixture(openedLease);
      await at(start + 1_000n, () => registry.connect(provider).heartbeat(nodeId));
      await escrow.connect(provider).withdraw([leaseId]);
      const fee = (1_000n * PER_SECOND * GUT_FEE_BPS) / 10_000n;
      const tx = escrow.connect(keeper).forwardFees([leaseId]);
      await expect(tx)
        .to.emit(escrow, "FeesForwarded")
        .withArgs(provider.address, await gut.getAddress(), await collector.getAddress(), fee)
        .and.to.emit(collector, "FeeRecorded")
        .withArgs(provider.address, await gut.getAddress(), fee);
      await expect(tx).to.changeTokenBalances(ethers, gut, [escrow, collector], [-fee, fee]);
      expect(await escrow.forwardedFee(leaseId)).to.equal(fee);
      await expect(escrow.forwardFees([leaseId])).not.to.emit(escrow, "FeesForwarded");
      expect(await collector.calls()).to.equal(1n);
    });

    it("reports each token's fees unweighted, one call per provider and token", async function () {
      const { escrow, registry, usd, gut, collector, provider, customer, usdStart } = await loadFixture(twoTokens);
      await escrow.setPaymentToken(await usd.getAddress(), true, 1_000);
      await registry.connect(provider).register(GTX_1080_TI, 1n, 3_600_000n, await usd.getAddress(), "");
      await escrow.connect(customer).openLease(3n, 1_000_000n, ANY_PRICE);
      await at(usdStart + 500n, () => registry.connect(provider).heartbeat(3n));
      await registry.connect(provider).heartbeat(1n);
      await registry.connect(provider).heartbeat(2n);
      await escrow.connect(provider).withdraw([1n, 2n, 3n]);
      const lease3 = await escrow.lease(3n);
      const fee3 = (lease3.withdrawn * 1_000n) / 10_000n;
      await expect(escrow.forwardFees([1n, 2n, 3n]))
        .to.emit(collector, "FeeRecorded")
        .withArgs(provider.address, await usd.getAddress(), fee3);
      expect(await collector.calls()).to.equal(2n);
      expect(await collector.feesBy(provider.address, await usd.getAddress())).to.equal(fee3);
      expect(await collector.feesOf(await gut.getAddress())).to.equal(await escrow.forwardedFee(1n));
    });
  });

  describe("closeLease", function () {
    it("settles, refunds the rest, returns the node to Idle and emits LeaseClosed", async function () {
      const { escrow, registry, gut, provider, customer, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 60n, () => registry.connect(provider).heartbeat(nodeId));
      const paid = 60n * PER_SECOND;
      const tx = at(start + 90n, () => escrow.connect(customer).closeLease(leaseId));
      await expect(tx)
        .to.emit(escrow, "LeaseClosed")
        .withArgs(leaseId, customer.address, paid, DEPOSIT - paid, 0n);
      await expect(tx).to.changeTokenBalances(ethers, gut, [customer, escrow], [DEPOSIT - paid, -(DEPOSIT - paid)]);
      const l = await escrow.lease(leaseId);
      expect([l.status, l.paid]).to.deep.equal([BigInt(LeaseStatus.Closed), paid]);
      const terms = await registry.leaseTerms(nodeId);
      expect([terms.status, terms.engaged]).to.deep.equal([BigInt(NodeStatus.Idle), false]);
      await expect(escrow.connect(provider).withdraw([leaseId])).to.emit(escrow, "Withdrawn");
    });

    it("lets the provider close at any time", async function () {
      const { escrow, provider, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(provider).closeLease(leaseId)).to.emit(escrow, "LeaseClosed");
    });

    it("reverts for anyone else while the deposit lasts and the node is up", async function () {
      const { escrow, other, leaseId } = await loadFixture(openedLease);
      await expect(escrow.connect(other).closeLease(leaseId))
        .to.be.revertedWithCustomError(escrow, "CloseNotAllowed")
        .withArgs(leaseId, other.address);
    });

    it("lets anyone close a drained lease", async function () {
      const { escrow, registry, provider, keeper, leaseId, start, nodeId } = await loadFixture(openedLease);
      await at(start + 100_000n, () => registry.connect(provider).heartbeat(nodeId));
      await expect(escrow.connect(keeper).closeLease(leaseId))
        .to.emit(escrow, "LeaseClosed")
        .withArgs(leaseId, keeper.address, DEPOSIT, 0n, 0n);
    });

    it("reverts when the lease is not open", async function () {
      const { escrow, customer, leaseId } = await loadFixture(openedLease);
      await escrow.connect(customer).closeLease(leaseId);
      await expect(escrow.connect(customer).closeLease(leaseId))
        .to.be.revertedWithCustomError(escrow, "InvalidLeaseStatus")
        .withArgs(leaseId, LeaseStatus.Closed);
    });
  });

  describe("downtime", function () {
    it("pays only up to the last heartbeat, refunds the rest and slashes the stake to the customer once", async function () {
      const { escrow, registry, gut, provider, customer, keeper, leaseId, start, nodeId } =
        await loadFixture(openedLease);
      await registry.setHeartbeatTimeout(HEARTBEAT_TIMEOUT);
      await at(start + 200n, () => registry.connect(provider).heartbeat(nodeId));
      await at(start + 200n + HEARTBEAT_TIMEOUT + 1n, () => registry.connect(keeper).markDisconnected(nodeId));
      await expect(registry.connect(provider).heartbeat(nodeId)).to.be.revertedWithCustomError(registry, "NodeEngaged");
      await time.increase(5_000n);
      const paid = 200n * PER_SECOND;
      const slash = (MIN_STAKE() * 1_000n) / 10_000n;
      const tx = escrow.connect(keeper).closeLease(leaseId);
      await expect(tx)
        .to.emit(escrow, "LeaseClosed")
        .withArgs(leaseId, keeper.address, paid, DEPOSIT - paid, slash);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT - paid + slash);
      const terms = await registry.leaseTerms(nodeId);
      expect([terms.status, terms.engaged]).to.deep.equal([BigInt(NodeStatus.Disconnect), false]);
      await registry.connect(provider).heartbeat(nodeId);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Idle);
    });
  });

  describe("downtime before the lease", function () {
    it("refunds everything without a slash when the node was already silent when the lease opened", async function () {
      const { escrow, registry, gut, customer, keeper, nodeId } = await loadFixture(system);
      await registry.setHeartbeatTimeout(HEARTBEAT_TIMEOUT);
      await time.increase(HEARTBEAT_TIMEOUT - 10n);
      await escrow.connect(customer).openLease(nodeId, DEPOSIT, ANY_PRICE);
      await time.increase(20n);
      await registry.connect(keeper).markDisconnected(nodeId);
      const tx = escrow.connect(customer).closeLease(1n);
      await expect(tx).to.emit(escrow, "LeaseClosed").withArgs(1n, customer.address, 0n, DEPOSIT, 0n);
      await expect(tx).to.changeTokenBalance(ethers, gut, customer, DEPOSIT);
    });

    it("reverts when the node is already stale: it is marked Disconnect, not leased", async function () {
      const { escrow, registry, customer, nodeId } = await loadFixture(system);
      await registry.setHeartbeatTimeout(HEARTBEAT_TIMEOUT);
      await time.increase(HEARTBEAT_TIMEOUT + 1n);
      await expect(escrow.connect(customer).openLease(nodeId, DEPOSIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "NodeNotAvailable")
        .withArgs(nodeId, NodeStatus.Disconnect);
    });
  });

  describe("snapshot", function () {
    it("keeps an open lease's rate and token when the node's terms change", async function () {
      const { escrow, gut, customer, provider } = await loadFixture(system);
      const registry = await ethers.deployContract("MockRegistry");
      const collector = await ethers.deployContract("MockFeeCollector");
      const mocked = await ethers.deployContract("LeaseEscrow", [
        0n,
        provider.address,
        await registry.getAddress(),
        await collector.getAddress(),
        await gut.getAddress(),
        0,
        0,
        0,
      ]);
      await registry.setEscrow(await mocked.getAddress());
      await registry.setNode(1n, provider.address, NodeStatus.Idle, 1000, await gut.getAddress(), PRICE);
      await gut.connect(customer).approve(await mocked.getAddress(), DEPOSIT);
      await mocked.connect(customer).openLease(1n, DEPOSIT, ANY_PRICE);
      const start = BigInt(await time.latest());
      await registry.setNode(1n, provider.address, NodeStatus.Sharing, 1000, escrow.target as string, PRICE * 10n);
      await time.setNextBlockTimestamp(start + 10n);
      await registry.heartbeat(1n);
      await mocked.settle(1n);
      const l = await mocked.lease(1n);
      expect([l.paid, l.rate, l.token]).to.deep.equal([10n * PER_SECOND, PRICE * 1000n, await gut.getAddress()]);
      await registry.setNode(2n ** 64n, provider.address, NodeStatus.Idle, 1000, await gut.getAddress(), PRICE);
      await expect(mocked.connect(customer).openLease(2n ** 64n, 1n, ANY_PRICE))
        .to.be.revertedWithCustomError(mocked, "NodeIdTooLarge")
        .withArgs(2n ** 64n);
    });
  });
});

function MIN_STAKE(): bigint {
  return 100n * UNIT;
}

function anyFee() {
  return (value: bigint) => value >= 0n;
}
