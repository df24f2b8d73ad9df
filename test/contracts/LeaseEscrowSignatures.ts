import { expect } from "chai";
import { network } from "hardhat";

import {
  ACCEPT_WINDOW,
  COLLECT_WINDOW,
  deployEscrowSystem,
  GRACE,
  GTX_1080_TI,
  GUT_FEE_BPS,
  MAX_QUOTE_AGE,
  openWithQuote,
  PER_SECOND,
  PRICE,
  quoteFor,
  receiptFor,
  RESERVATION_FEE_BPS,
  UNIT,
} from "./LeaseEscrowFixture.js";
import { escrowDomain, QUOTE_TYPES, RECEIPT_TYPES, signQuote, signReceipt } from "../../src/market/typed-data.js";

const { ethers, networkHelpers } = await network.create();

// ethers takes mutable field lists; the shared definitions are read-only.
const quoteTypes = { Quote: [...QUOTE_TYPES.Quote] };
const receiptTypes = { Receipt: [...RECEIPT_TYPES.Receipt] };
const { loadFixture, time } = networkHelpers;

const DEPOSIT = 100n * UNIT;

async function system() {
  return deployEscrowSystem(ethers);
}

/** Lease 1 open on node 1 for 100 GUT with the session key, opened at `start`. */
async function openedLease() {
  const s = await system();
  const leaseId = await openWithQuote(s, ethers, DEPOSIT);
  return { ...s, leaseId, start: BigInt(await time.latest()) };
}

/**
 * A second escrow on the same registry, allowed to take its nodes, with the customer approved and
 * node 2 of the same provider registered: the same keys, another verifying contract.
 */
async function twoEscrows() {
  const s = await openedLease();
  const escrow2 = await ethers.deployContract("LeaseEscrow", [
    0n,
    s.admin.address,
    await s.registry.getAddress(),
    await s.collector.getAddress(),
    await s.gut.getAddress(),
    GUT_FEE_BPS,
    RESERVATION_FEE_BPS,
    GRACE,
    { maxQuoteAge: MAX_QUOTE_AGE, collectWindow: COLLECT_WINDOW, acceptWindow: ACCEPT_WINDOW },
  ]);
  await s.registry.grantRole(await s.registry.ESCROW_ROLE(), await escrow2.getAddress());
  await s.gut.connect(s.customer).approve(await escrow2.getAddress(), ethers.MaxUint256);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await s.gut.getAddress(), "https://node-2");
  const domain2 = escrowDomain(s.domain.chainId, await escrow2.getAddress());
  return { ...s, escrow2, domain2 };
}

async function at<T>(t: bigint, tx: () => Promise<T>): Promise<T> {
  await time.setNextBlockTimestamp(t);
  return tx();
}

describe("LeaseEscrow signed messages", function () {
  describe("quotes", function () {
    it("reverts when a quote for one node is replayed on another node", async function () {
      const s = await loadFixture(system);
      await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await s.gut.getAddress(), "");
      const { quote, signature } = await quoteFor(s, ethers);
      const moved = { ...quote, nodeId: 2n };
      const signer = ethers.verifyTypedData(s.domain, quoteTypes, moved, signature);
      await expect(s.escrow.connect(s.customer).openLease(moved, signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner")
        .withArgs(2n, signer);
      expect(signer).not.to.equal(s.provider.address);
    });

    it("reverts when another customer uses the quote, as is or with its own address in it", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.other).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "QuoteNotForCaller")
        .withArgs(s.customer.address, s.other.address);
      const stolen = { ...quote, customer: s.other.address };
      await expect(
        s.escrow.connect(s.other).openLease(stolen, signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner");
    });

    it("reverts when a quote for one escrow is used on another escrow", async function () {
      const s = await loadFixture(twoEscrows);
      const { quote, signature } = await quoteFor(s, ethers, { nodeId: 2n });
      await expect(
        s.escrow2.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow2, "InvalidQuoteSigner");
      // The same quote signed for the second escrow opens there.
      const own = await signQuote(s.provider, s.domain2, quote);
      await expect(s.escrow2.connect(s.customer).openLease(quote, own, DEPOSIT, ethers.ZeroAddress)).to.emit(
        s.escrow2,
        "LeaseOpened",
      );
    });

    it("reverts when a quote is signed for another chain", async function () {
      const s = await loadFixture(system);
      const { quote } = await quoteFor(s, ethers);
      const elsewhere = escrowDomain(s.domain.chainId + 1n, await s.escrow.getAddress());
      const signature = await signQuote(s.provider, elsewhere, quote);
      await expect(
        s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner");
    });

    it("reverts when a quote is used twice, even after the lease it opened is closed", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers);
      await s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress);
      await s.escrow.connect(s.provider).closeLease(1n, 0n, "0x");
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "QuoteNonceUsed")
        .withArgs(s.provider.address, quote.nonce);
    });

    it("reverts when a nonce the provider used is reused in another quote, and takes nonces in any order", async function () {
      const s = await loadFixture(system);
      const high = await quoteFor(s, ethers, { nonce: 1_000n });
      await s.escrow.connect(s.customer).openLease(high.quote, high.signature, DEPOSIT, ethers.ZeroAddress);
      await s.escrow.connect(s.provider).closeLease(1n, 0n, "0x");
      const low = await quoteFor(s, ethers, { nonce: 3n });
      await expect(
        s.escrow.connect(s.customer).openLease(low.quote, low.signature, DEPOSIT, ethers.ZeroAddress),
      ).to.emit(s.escrow, "LeaseOpened");
      await s.escrow.connect(s.provider).closeLease(2n, 0n, "0x");
      const again = await quoteFor(s, ethers, { nonce: 1_000n, pricePerTuHour: 1n });
      await expect(s.escrow.connect(s.customer).openLease(again.quote, again.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "QuoteNonceUsed")
        .withArgs(s.provider.address, 1_000n);
      expect(await s.escrow.quoteNonceUsed(s.provider.address, 4n)).to.equal(false);
    });

    it("reverts after the quote's expiry, and opens at the expiry itself", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers);
      await expect(
        at(quote.expiry + 1n, () =>
          s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress),
        ),
      )
        .to.be.revertedWithCustomError(s.escrow, "QuoteExpired")
        .withArgs(quote.expiry, quote.expiry + 1n);
      const fresh = await quoteFor(s, ethers);
      await expect(
        at(fresh.quote.expiry, () =>
          s.escrow.connect(s.customer).openLease(fresh.quote, fresh.signature, DEPOSIT, ethers.ZeroAddress),
        ),
      ).to.emit(s.escrow, "LeaseOpened");
    });

    it("reverts when the expiry is further ahead than maxQuoteAge", async function () {
      const s = await loadFixture(system);
      const now = BigInt(await time.latest());
      const { quote, signature } = await quoteFor(s, ethers, { expiry: now + 1n + MAX_QUOTE_AGE + 1n });
      await expect(
        at(now + 1n, () => s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress)),
      )
        .to.be.revertedWithCustomError(s.escrow, "QuoteExpiryTooFar")
        .withArgs(quote.expiry, now + 1n + MAX_QUOTE_AGE);
    });

    it("reverts when a stranger signs the quote", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers, {}, s.keeper);
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner")
        .withArgs(s.nodeId, s.keeper.address);
    });

    it("reverts when a revoked operator signs the quote, and when the signature is malformed", async function () {
      const s = await loadFixture(system);
      await s.registry.connect(s.provider).setOperator(ethers.ZeroAddress);
      const { quote, signature } = await quoteFor(s, ethers, {}, s.operator);
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner")
        .withArgs(s.nodeId, s.operator.address);
      await expect(s.escrow.connect(s.customer).openLease(quote, "0x", DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner")
        .withArgs(s.nodeId, ethers.ZeroAddress);
    });

    it("reverts when a lease quote is given to reserve, and a reservation quote to openLease", async function () {
      const s = await loadFixture(system);
      const lease = await quoteFor(s, ethers);
      await expect(s.escrow.connect(s.customer).reserve(lease.quote, lease.signature, DEPOSIT))
        .to.be.revertedWithCustomError(s.escrow, "QuoteKindMismatch")
        .withArgs(0n, 0n);
      const start = BigInt(await time.latest()) + 100n;
      const window = await quoteFor(s, ethers, { windowStart: start, windowDuration: 3_600n });
      await expect(s.escrow.connect(s.customer).openLease(window.quote, window.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "QuoteKindMismatch")
        .withArgs(start, 3_600n);
      // A window start without a length is neither kind: refused by both.
      const half = await quoteFor(s, ethers, { windowStart: start });
      await expect(s.escrow.connect(s.customer).openLease(half.quote, half.signature, DEPOSIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.escrow, "QuoteKindMismatch")
        .withArgs(start, 0n);
      await expect(s.escrow.connect(s.customer).reserve(half.quote, half.signature, DEPOSIT))
        .to.be.revertedWithCustomError(s.escrow, "QuoteKindMismatch")
        .withArgs(start, 0n);
    });
  });

  describe("receipts", function () {
    it("reverts when a receipt for one lease is replayed on another lease of the same customer and key", async function () {
      const s = await loadFixture(openedLease);
      await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await s.gut.getAddress(), "");
      const second = await openWithQuote(s, ethers, DEPOSIT, { nodeId: 2n });
      const paidThrough = s.start + 100n;
      const signature = await receiptFor(s, s.leaseId, paidThrough);
      const signer = ethers.verifyTypedData(s.domain, receiptTypes, { leaseId: second, paidThrough }, signature);
      await expect(s.escrow.collect(second, paidThrough, signature))
        .to.be.revertedWithCustomError(s.escrow, "InvalidReceiptSigner")
        .withArgs(second, signer);
    });

    it("reverts when a receipt for one escrow is collected on another", async function () {
      const s = await loadFixture(twoEscrows);
      const { quote } = await quoteFor(s, ethers, { nodeId: 2n });
      const own = await signQuote(s.provider, s.domain2, quote);
      await s.escrow2.connect(s.customer).openLease(quote, own, DEPOSIT, s.session.address);
      // Lease 1 on both escrows, same customer and session key: only the domain differs.
      const paidThrough = BigInt(await time.latest()) + 100n;
      const signature = await receiptFor(s, 1n, paidThrough);
      await time.increase(200n);
      await expect(s.escrow2.collect(1n, paidThrough, signature)).to.be.revertedWithCustomError(
        s.escrow2,
        "InvalidReceiptSigner",
      );
      await expect(s.escrow.collect(1n, paidThrough, signature)).to.emit(s.escrow, "Collected");
    });

    it("reverts when a receipt is signed for another chain", async function () {
      const s = await loadFixture(openedLease);
      const elsewhere = escrowDomain(s.domain.chainId + 1n, await s.escrow.getAddress());
      const signature = await signReceipt(s.session, elsewhere, { leaseId: s.leaseId, paidThrough: s.start + 10n });
      await expect(s.escrow.collect(s.leaseId, s.start + 10n, signature)).to.be.revertedWithCustomError(
        s.escrow,
        "InvalidReceiptSigner",
      );
    });

    it("counts a replaced session key's receipts only up to its replacement", async function () {
      const s = await loadFixture(openedLease);
      const next = ethers.Wallet.createRandom();
      await at(s.start + 300n, () => s.escrow.connect(s.customer).setSessionKey(s.leaseId, next.address));
      // The old key, stolen or retired, signs far ahead: it still pays only up to the change.
      const stale = await receiptFor(s, s.leaseId, s.start + 3_000n);
      await at(s.start + 3_000n, () => s.escrow.collect(s.leaseId, s.start + 3_000n, stale));
      expect((await s.escrow.lease(s.leaseId)).paid).to.equal(300n * PER_SECOND);
      const fresh = await receiptFor(s, s.leaseId, s.start + 3_000n, next);
      await s.escrow.collect(s.leaseId, s.start + 3_000n, fresh);
      expect((await s.escrow.lease(s.leaseId)).paid).to.equal(3_000n * PER_SECOND);
    });

    it("reverts for a receipt of a lease opened without a session key unless the customer signed it", async function () {
      const s = await loadFixture(system);
      const { quote, signature } = await quoteFor(s, ethers);
      await s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress);
      const start = BigInt(await time.latest());
      await expect(
        s.escrow.collect(1n, start + 10n, await receiptFor(s, 1n, start + 10n)),
      ).to.be.revertedWithCustomError(s.escrow, "InvalidReceiptSigner");
      await time.increase(20n);
      await expect(s.escrow.collect(1n, start + 10n, await receiptFor(s, 1n, start + 10n, s.customer))).to.emit(
        s.escrow,
        "Collected",
      );
    });

    it("pays nothing past the close for receipts the customer signs after closing", async function () {
      const s = await loadFixture(openedLease);
      await at(s.start + 500n, () => s.escrow.connect(s.customer).closeLease(s.leaseId, 0n, "0x"));
      const later = await receiptFor(s, s.leaseId, s.start + 5_000n, s.customer);
      await at(s.start + 1_000n, () => s.escrow.collect(s.leaseId, s.start + 5_000n, later));
      expect((await s.escrow.lease(s.leaseId)).paid).to.equal(500n * PER_SECOND);
    });

    it("reverts for a collect past the collect window, whatever the receipt covers", async function () {
      const s = await loadFixture(openedLease);
      await at(s.start + 500n, () => s.escrow.connect(s.customer).closeLease(s.leaseId, 0n, "0x"));
      const deadline = s.start + 500n + COLLECT_WINDOW;
      const signature = await receiptFor(s, s.leaseId, s.start + 400n);
      await expect(at(deadline + 1n, () => s.escrow.collect(s.leaseId, s.start + 400n, signature)))
        .to.be.revertedWithCustomError(s.escrow, "CollectWindowClosed")
        .withArgs(s.leaseId, deadline);
      await s.escrow.finalize(s.leaseId);
      expect((await s.escrow.lease(s.leaseId)).paid).to.equal(0n);
    });

    it("pays exactly what the best receipt covers, collected in any order and any number of times", async function () {
      const s = await loadFixture(openedLease);
      const times = [700n, 200n, 900n, 900n, 100n, 850n];
      const signatures = await Promise.all(times.map((t) => receiptFor(s, s.leaseId, s.start + t)));
      await time.increaseTo(s.start + 1_000n);
      let before = 0n;
      for (const [i, t] of times.entries()) {
        await s.escrow.collect(s.leaseId, s.start + t, signatures[i]);
        const paid = (await s.escrow.lease(s.leaseId)).paid;
        expect(paid >= before, "pay never goes down").to.equal(true);
        before = paid;
      }
      const gross = 900n * PER_SECOND;
      expect(before).to.equal(gross);
      const token = await s.gut.getAddress();
      expect(await s.escrow.feesDue(s.provider.address, token)).to.equal((gross * GUT_FEE_BPS) / 10_000n);
      expect(
        (await s.escrow.earnings(s.provider.address, token)) + (await s.escrow.feesDue(s.provider.address, token)),
      ).to.equal(gross);
    });
  });

  describe("operators", function () {
    it("reverts when the operator tries to move stake: addStake, withdrawStake, deregister or update", async function () {
      const s = await loadFixture(system);
      const { registry, operator, nodeId } = s;
      await s.gut.transfer(operator.address, UNIT);
      await s.gut.connect(operator).approve(await registry.getAddress(), UNIT);
      await expect(registry.connect(operator).addStake(nodeId, UNIT))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, operator.address);
      await expect(registry.connect(operator).update(nodeId, PRICE, "https://evil"))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, operator.address);
      await registry.connect(operator).goOffline(nodeId);
      await expect(registry.connect(operator).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, operator.address);
      await registry.connect(s.provider).deregister(nodeId);
      await time.increase(2n * 86_400n);
      await expect(registry.connect(operator).withdrawStake(nodeId, operator.address))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, operator.address);
    });

    it("reverts when the operator tries to pay elsewhere: withdrawFor pays the provider, withdraw pays only the caller's own earnings", async function () {
      const s = await loadFixture(openedLease);
      const token = await s.gut.getAddress();
      const signature = await receiptFor(s, s.leaseId, s.start + 100n);
      await at(s.start + 100n, () => s.escrow.connect(s.operator).closeLease(s.leaseId, s.start + 100n, signature));
      const net = await s.escrow.earnings(s.provider.address, token);
      expect(net).to.be.greaterThan(0n);
      await expect(s.escrow.connect(s.operator).withdraw(token, s.operator.address))
        .to.be.revertedWithCustomError(s.escrow, "NothingToWithdraw")
        .withArgs(s.operator.address, token);
      await expect(s.escrow.connect(s.operator).withdrawFor(s.provider.address, token)).to.changeTokenBalances(
        ethers,
        s.gut,
        [s.provider, s.operator],
        [net, 0n],
      );
    });
  });

  describe("contract accounts (ERC-1271)", function () {
    it("accepts a quote signed for a contract provider by its owner's key", async function () {
      const s = await loadFixture(system);
      const wallet = await ethers.deployContract("MockERC1271Wallet", [s.keeper.address]);
      const walletAddress = await wallet.getAddress();
      const registryAddress = await s.registry.getAddress();
      const gutAddress = await s.gut.getAddress();
      await s.gut.transfer(walletAddress, 1_000n * UNIT);
      await wallet
        .connect(s.keeper)
        .execute(gutAddress, s.gut.interface.encodeFunctionData("approve", [registryAddress, ethers.MaxUint256]));
      await wallet
        .connect(s.keeper)
        .execute(
          registryAddress,
          s.registry.interface.encodeFunctionData("register", [GTX_1080_TI, 1n, PRICE, gutAddress, ""]),
        );
      const { quote, signature } = await quoteFor(s, ethers, { nodeId: 2n }, s.keeper);
      await expect(s.escrow.connect(s.customer).openLease(quote, signature, DEPOSIT, ethers.ZeroAddress))
        .to.emit(s.escrow, "LeaseOpened")
        .withArgs(1n, 2n, s.customer.address, walletAddress, gutAddress, PRICE * 1_000n, DEPOSIT, ethers.ZeroAddress);
      expect(await s.escrow.quoteNonceUsed(walletAddress, quote.nonce)).to.equal(true);
      // Another key's signature is still refused for the contract provider.
      const forged = await quoteFor(s, ethers, { nodeId: 2n }, s.other);
      await s.escrow.connect(s.customer).closeLease(1n, 0n, "0x");
      await expect(
        s.escrow.connect(s.customer).openLease(forged.quote, forged.signature, DEPOSIT, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(s.escrow, "InvalidQuoteSigner");
    });

    it("accepts a receipt signed for a contract customer by its owner's key", async function () {
      const s = await loadFixture(system);
      const wallet = await ethers.deployContract("MockERC1271Wallet", [s.keeper.address]);
      const walletAddress = await wallet.getAddress();
      const escrowAddress = await s.escrow.getAddress();
      const gutAddress = await s.gut.getAddress();
      await s.gut.transfer(walletAddress, DEPOSIT);
      await wallet
        .connect(s.keeper)
        .execute(gutAddress, s.gut.interface.encodeFunctionData("approve", [escrowAddress, ethers.MaxUint256]));
      const { quote, signature } = await quoteFor(s, ethers, { customer: walletAddress });
      await wallet
        .connect(s.keeper)
        .execute(
          escrowAddress,
          s.escrow.interface.encodeFunctionData("openLease", [quote, signature, DEPOSIT, ethers.ZeroAddress]),
        );
      const start = BigInt(await time.latest());
      const receipt = await receiptFor(s, 1n, start + 100n, s.keeper);
      await at(start + 200n, () => s.escrow.collect(1n, start + 100n, receipt));
      expect((await s.escrow.lease(1n)).paid).to.equal(100n * PER_SECOND);
      const forged = await receiptFor(s, 1n, start + 150n, s.other);
      await expect(s.escrow.collect(1n, start + 150n, forged))
        .to.be.revertedWithCustomError(s.escrow, "InvalidReceiptSigner")
        .withArgs(1n, s.other.address);
    });
  });
});
