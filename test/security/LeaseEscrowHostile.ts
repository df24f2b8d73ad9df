import { expect } from "chai";
import { network } from "hardhat";

import {
  deployEscrowSystem,
  GTX_1080_TI,
  openWithQuote,
  PER_SECOND,
  PRICE,
  quoteFor,
  receiptFor,
  UNIT,
} from "../contracts/LeaseEscrowFixture.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 100n * UNIT;

/** Node 2 priced in `token`, and lease 1 on it for the customer, open 100 s with a receipt for them. */
async function leaseIn<T extends { mint(to: string, amount: bigint): Promise<unknown>; getAddress(): Promise<string> }>(
  deploy: () => Promise<T>,
) {
  const s = await deployEscrowSystem(ethers);
  const token = await deploy();
  const address = await token.getAddress();
  await s.escrow.setPaymentToken(address, true, 500);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, address, "");
  await token.mint(s.customer.address, 2n * DEPOSIT);
  const erc20 = await ethers.getContractAt("MockERC20", address);
  await erc20.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
  const leaseId = await openWithQuote(s, ethers, DEPOSIT, { nodeId: 2n, token: address });
  const start = BigInt(await time.latest());
  const receipt = await receiptFor(s, leaseId, start + 100n);
  await time.increaseTo(start + 100n);
  return { ...s, token, address, leaseId, start, receipt };
}

async function system() {
  return deployEscrowSystem(ethers);
}

const blacklistLease = () => leaseIn(() => ethers.deployContract("BlacklistToken"));
const reentrantLease = () => leaseIn(() => ethers.deployContract("ReentrantToken"));

describe("LeaseEscrow under pause and hostile tokens", function () {
  describe("pause", function () {
    it("stops opening and reserving only: top-ups, collects, closes, withdrawals and fee forwarding go on", async function () {
      const s = await loadFixture(blacklistLease);
      const { escrow, provider, keeper, customer, address, leaseId, start, receipt } = s;
      await escrow.pause();
      const q = await quoteFor(s, ethers);
      await expect(
        escrow.connect(customer).openLease(q.quote, q.signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(escrow, "EnforcedPause");
      await expect(escrow.connect(keeper).collect(leaseId, start + 100n, receipt)).to.emit(escrow, "Collected");
      await expect(escrow.connect(customer).topUp(leaseId, UNIT)).to.emit(escrow, "ToppedUp");
      await expect(escrow.connect(provider).closeLease(leaseId, 0n, "0x")).to.emit(escrow, "LeaseFinalized");
      await expect(escrow.connect(provider).withdraw(address, provider.address)).to.emit(escrow, "Withdrawn");
      await expect(escrow.connect(keeper).forwardFees(address, [provider.address])).to.emit(escrow, "FeesForwarded");
    });
  });

  describe("blacklisting token", function () {
    it("a blacklisted customer cannot block the provider's close: the refund is owed, then claimed elsewhere", async function () {
      const { escrow, token, address, customer, provider, other, leaseId, start, receipt } =
        await loadFixture(blacklistLease);
      await token.setBlacklisted(customer.address, true);
      const refund = DEPOSIT - 100n * PER_SECOND;
      await expect(escrow.connect(provider).closeLease(leaseId, start + 100n, receipt))
        .to.emit(escrow, "PaymentDeferred")
        .withArgs(customer.address, address, refund);
      expect(await escrow.owed(customer.address, address)).to.equal(refund);
      await expect(escrow.connect(customer).claimRefund(address, other.address))
        .to.emit(escrow, "RefundClaimed")
        .withArgs(customer.address, address, other.address, refund);
      expect(await token.balanceOf(other.address)).to.equal(refund);
      expect(await escrow.owed(customer.address, address)).to.equal(0n);
    });

    it("a blacklisted customer cannot block a finalize after its own close", async function () {
      const { escrow, token, address, customer, keeper, leaseId } = await loadFixture(blacklistLease);
      await escrow.connect(customer).closeLease(leaseId, 0n, "0x");
      await token.setBlacklisted(customer.address, true);
      await time.increase(3_601n);
      await expect(escrow.connect(keeper).finalize(leaseId)).to.emit(escrow, "PaymentDeferred");
      expect(await escrow.owed(customer.address, address)).to.be.greaterThan(0n);
    });

    it("a blacklisted provider withdraws its earnings to another address, and its fee still reaches the collector", async function () {
      const { escrow, token, address, collector, provider, keeper, leaseId, start, receipt } =
        await loadFixture(blacklistLease);
      await escrow.collect(leaseId, start + 100n, receipt);
      await token.setBlacklisted(provider.address, true);
      const net = await escrow.earnings(provider.address, address);
      const fee = await escrow.feesDue(provider.address, address);
      await expect(escrow.connect(provider).withdraw(address, provider.address)).to.be.revertedWithCustomError(
        token,
        "Blacklisted",
      );
      await expect(escrow.connect(provider).withdraw(address, keeper.address))
        .to.emit(escrow, "Withdrawn")
        .withArgs(provider.address, address, keeper.address, net);
      await escrow.forwardFees(address, [provider.address]);
      expect(await token.balanceOf(await collector.getAddress())).to.equal(fee);
    });
  });

  describe("fee-on-transfer token", function () {
    it("refuses a lease whose deposit arrives short", async function () {
      const s = await loadFixture(system);
      const fot = await ethers.deployContract("MockFeeOnTransferERC20");
      const address = await fot.getAddress();
      await s.escrow.setPaymentToken(address, true, 0);
      await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, address, "");
      await fot.mint(s.customer.address, DEPOSIT);
      await fot.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
      const { quote, signature } = await quoteFor(s, ethers, { nodeId: 2n, token: address });
      await expect(
        s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow, "TransferMismatch");
    });
  });

  describe("reentrancy", function () {
    it("refuses a token that re-enters during a deposit", async function () {
      const { escrow, token, customer, leaseId } = await loadFixture(reentrantLease);
      await token.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("finalize", [leaseId]));
      await expect(escrow.connect(customer).topUp(leaseId, UNIT)).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("refuses a token that re-enters during a withdrawal", async function () {
      const { escrow, token, address, provider, leaseId, start, receipt } = await loadFixture(reentrantLease);
      await escrow.collect(leaseId, start + 100n, receipt);
      await token.arm(
        await escrow.getAddress(),
        escrow.interface.encodeFunctionData("withdraw", [address, provider.address]),
      );
      await expect(escrow.connect(provider).withdraw(address, provider.address)).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("keeps a refund whose transfer re-entered: the nested call fails and the customer is owed", async function () {
      const { escrow, token, address, customer, provider, leaseId, start, receipt } = await loadFixture(reentrantLease);
      await token.arm(
        await escrow.getAddress(),
        escrow.interface.encodeFunctionData("collect", [leaseId, start + 100n, receipt]),
      );
      const refund = DEPOSIT - 100n * PER_SECOND;
      await expect(escrow.connect(provider).closeLease(leaseId, start + 100n, receipt))
        .to.emit(escrow, "PaymentDeferred")
        .withArgs(customer.address, address, refund);
      expect(await token.balanceOf(await escrow.getAddress())).to.equal(DEPOSIT);
      await expect(escrow.connect(customer).claimRefund(address, customer.address)).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
      await token.arm(ethers.ZeroAddress, "0x");
      await expect(escrow.connect(customer).claimRefund(address, customer.address)).to.changeTokenBalance(
        ethers,
        token,
        customer,
        refund,
      );
    });

    it("refuses a fee collector that re-enters while recording", async function () {
      const s = await loadFixture(system);
      const leaseId = await openWithQuote(s, ethers, DEPOSIT);
      const start = BigInt(await time.latest());
      const receipt = await receiptFor(s, leaseId, start + 100n);
      await time.increaseTo(start + 100n);
      await s.escrow.collect(leaseId, start + 100n, receipt);
      const gut = await s.gut.getAddress();
      const hostile = await ethers.deployContract("ReentrantFeeCollector");
      await hostile.arm(
        await s.escrow.getAddress(),
        s.escrow.interface.encodeFunctionData("forwardFees", [gut, [s.provider.address]]),
      );
      await s.escrow.setFeeCollector(await hostile.getAddress());
      await expect(s.escrow.forwardFees(gut, [s.provider.address])).to.be.revertedWithCustomError(
        s.escrow,
        "ReentrancyGuardReentrantCall",
      );
    });
  });
});
