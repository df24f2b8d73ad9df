import { expect } from "chai";
import hre, { network } from "hardhat";

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { InputError } from "../../src/errors.js";
import { feeOf, owedAt, runsOutAt } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { writeJsonAtomic } from "../../src/io.js";
import { receiptToJson } from "../../src/market/quote.js";
import { parseAmount, parseDuration, parseId, parseIds, parseStart } from "../../src/parse.js";
import {
  ACCEPT_WINDOW,
  CHECK_IN_PERIOD,
  COLLECT_WINDOW,
  deployEscrowSystem,
  GUT_FEE_BPS,
  LeaseStatus,
  openWithQuote,
  PER_SECOND,
  PRICE,
  quoteFor,
  receiptFor,
  ReservationStatus,
  UNIT,
  V100,
} from "../contracts/LeaseEscrowFixture.js";

// The tasks use the default connection, so this file deploys on it too.
const { ethers, networkHelpers } = await network.getOrCreate();
const { time } = networkHelpers;

const gut = (amount: bigint) => formatToken(amount, "GUT");
const scratch = () => mkdtempSync(path.join(tmpdir(), "gpufog-lease-tasks-"));

/** Runs a task and returns what it printed. */
async function run(name: string, args: Record<string, string>): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    await hre.tasks.getTask(name).run(args);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

describe("LeaseEscrow tooling", function () {
  describe("escrow math", function () {
    it("matches the contract's rounding", function () {
      expect(owedAt(12_950n, 100n, 2_100n, 10n ** 18n)).to.equal((12_950n * 2_000n) / 3_600_000n);
      expect(owedAt(10n, 100n, 50n, 5n)).to.equal(0n);
      expect(owedAt(3_600_000n, 0n, 10n, 7n)).to.equal(7n);
      expect(runsOutAt(3_600_000n, 10n, 7n)).to.equal(17n);
      expect(runsOutAt(7n, 0n, 1n)).to.equal(514_286n);
      expect(owedAt(7n, 0n, 514_286n, 1n)).to.equal(1n);
      expect(owedAt(7n, 0n, 514_285n, 1n)).to.equal(0n);
      expect(runsOutAt(0n, 0n, 1n)).to.equal(undefined);
      expect(feeOf(19_999n, 500n)).to.equal(999n);
    });
  });

  describe("input parsing", function () {
    it("accepts well-formed options", function () {
      expect(parseId("t", "lease", " 12 ")).to.equal(12n);
      expect(parseIds("t", "leases", "1,2,,3")).to.deep.equal([1n, 2n, 3n]);
      expect(parseAmount("t", "deposit", "12.5", 18)).to.equal(125n * 10n ** 17n);
      expect(parseAmount("t", "deposit", "0", 6, true)).to.equal(0n);
      expect(parseDuration("t", "duration", "2h")).to.equal(7_200n);
      expect(parseDuration("t", "duration", "90")).to.equal(90n);
      expect(parseStart("t", "start", "+15m", 1_000n)).to.equal(1_900n);
      expect(parseStart("t", "start", "1767225600", 0n)).to.equal(1_767_225_600n);
      expect(parseStart("t", "start", "2026-01-01T00:00:00Z", 0n)).to.equal(1_767_225_600n);
    });

    it("names the option and the problem of bad input", function () {
      const cases: [() => unknown, string][] = [
        [() => parseId("lease:close", "lease", "x1"), 'lease:close, field "lease": "x1" is not a whole number'],
        [() => parseId("lease:close", "lease", "0"), 'lease:close, field "lease": ids start at 1'],
        [() => parseIds("t", "leases", ","), 't, field "leases": no ids given'],
        [() => parseAmount("t", "deposit", "1e5", 18), 't, field "deposit": "1e5" is not a decimal amount like 12.5'],
        [
          () => parseAmount("t", "deposit", "0.0000001", 6),
          't, field "deposit": "0.0000001" has more than the token\'s 6 decimals',
        ],
        [() => parseAmount("t", "deposit", "0", 6), 't, field "deposit": the amount must be positive'],
        [
          () => parseDuration("t", "duration", "2w"),
          't, field "duration": "2w" is not a duration like 3600, 15m, 2h or 1d',
        ],
        [() => parseDuration("t", "duration", "0h"), 't, field "duration": the duration must be positive'],
        [
          () => parseStart("t", "start", "tomorrow", 0n),
          't, field "start": "tomorrow" is not unix seconds, an ISO date or +delay',
        ],
      ];
      for (const [parse, message] of cases) {
        expect(parse).to.throw(InputError, message);
      }
    });
  });

  describe("tasks", function () {
    it("walk a provider and a customer through a quote, a lease, receipts, the customer's close and finalize", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const dir = scratch();
      const customer = { escrow, account: s.customer.address };
      const provider = { escrow, account: s.provider.address };
      const quote = path.join(dir, "quote.json");

      expect(await run("quote:sign", { ...provider, node: "1", customer: s.customer.address, out: quote })).to.match(
        new RegExp(
          `^wrote ${quote}: a lease of node 1 for ${s.customer.address} at 3\\.6 GUT per TU-hour, valid until .* \\(in 10 min\\)$`,
        ),
      );
      expect(await run("lease:open", { ...customer, quote, deposit: "10" })).to.equal(
        "opened lease 1 on node 1 with 10.0 GUT at 3.6 GUT per TU-hour (no session key)",
      );
      const reused = await run("lease:open", { ...customer, quote, deposit: "10" }).catch((e: Error) => e.message);
      expect(reused).to.contain("QuoteNonceUsed").and.to.contain("ask for a new one");
      expect(await run("lease:topup", { escrow, account: s.other.address, lease: "1", amount: "2.5" })).to.equal(
        "topped up lease 1 with 2.5 GUT",
      );

      const start = (await s.escrow.lease(1n)).start;
      const receipt = path.join(dir, "receipt.json");
      expect(
        await run("receipt:sign", { ...customer, lease: "1", paidThrough: String(start + 500n), out: receipt }),
      ).to.match(new RegExp(`^wrote ${receipt}: lease 1 paid through \\d{4}-`));
      await time.increaseTo(start + 600n);
      expect(await run("lease:collect", { escrow, account: s.keeper.address, receipt })).to.match(
        /^collected lease 1 through .*: 0\.5 GUT more paid to the provider \(protocol fee 0\.025 GUT\), 0\.5 GUT in all$/,
      );
      const again = await run("lease:collect", { escrow, account: s.keeper.address, receipt }).catch((e: Error) => e);
      expect((again as Error).message).to.contain("already paid for as far as this receipt reaches");
      const status = await run("lease:status", { ...customer, lease: "1" });
      expect(status).to.match(/paid\s+0\.5 GUT \(protocol fee 0\.025 GUT\)/);
      expect(status).to.match(/collectable\s+0\.1\d* GUT served and not yet collected/);
      expect(status).to.match(/runs out\s+/);

      const closed = await run("lease:close", { ...customer, lease: "1" });
      expect(closed).to.match(
        /^closed lease 1: the node is free; the provider may collect until .*, then lease:finalize refunds the rest$/,
      );
      const early = await run("lease:finalize", { escrow, account: s.keeper.address, lease: "1" }).catch(
        (e: Error) => e,
      );
      expect((early as Error).message)
        .to.contain("CollectWindowOpen")
        .and.to.contain("finalize after");
      // A receipt that runs ahead of the close pays only up to the close.
      await run("receipt:sign", { ...customer, lease: "1", paidThrough: "+1h", out: receipt });
      await run("lease:collect", { escrow, account: s.provider.address, receipt });
      const l = await s.escrow.lease(1n);
      const paid = (l.closedAt - start) * PER_SECOND;
      expect(l.paid).to.equal(paid);
      expect(await run("lease:status", { ...customer, lease: "1" })).to.match(/collect window\s+until /);

      await time.increase(COLLECT_WINDOW + 1n);
      expect(await run("lease:finalize", { escrow, account: s.keeper.address, lease: "1" })).to.equal(
        `finalized lease 1: provider earned ${gut(paid)}, customer refunded ${gut(l.deposit - paid)}`,
      );
      const earned = paid - feeOf(paid, GUT_FEE_BPS);
      expect(await run("provider:withdraw", { ...provider, token: "", to: s.other.address, provider: "" })).to.equal(
        `withdrew ${gut(earned)} to ${s.other.address}`,
      );
      expect(await run("provider:withdraw", { ...provider, token: "", to: "", provider: "" })).to.equal(
        `nothing to withdraw for ${s.provider.address}`,
      );
      const sweep = await run("keeper:sweep", { escrow, account: s.keeper.address });
      expect(sweep).to.contain(`fees forwarded in GUT: for ${s.provider.address}`);
      expect(await s.collector.calls()).to.equal(1n);
    });

    it("closes a lease as the provider with the session key's last receipt, final at once", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const dir = scratch();
      const quote = path.join(dir, "quote.json");
      await run("quote:sign", {
        escrow,
        account: s.operator.address,
        node: "1",
        customer: s.customer.address,
        out: quote,
      });
      expect(
        await run("lease:open", {
          escrow,
          account: s.customer.address,
          quote,
          deposit: "5",
          sessionKey: s.session.address,
        }),
      ).to.equal(`opened lease 1 on node 1 with 5.0 GUT at 3.6 GUT per TU-hour (session key ${s.session.address})`);
      const start = (await s.escrow.lease(1n)).start;
      await time.increaseTo(start + 1_000n);
      const file = path.join(dir, "last.json");
      const { chainId } = await ethers.provider.getNetwork();
      writeJsonAtomic(
        file,
        receiptToJson({
          chainId,
          escrow,
          receipt: { leaseId: 1n, paidThrough: start + 900n },
          signature: await receiptFor(s, 1n, start + 900n),
        }),
      );
      expect(await run("lease:close", { escrow, account: s.provider.address, lease: "1", receipt: file })).to.equal(
        "closed lease 1: provider earned 0.9 GUT, customer refunded 4.1 GUT",
      );
      const wrong = await run("lease:close", {
        escrow,
        account: s.provider.address,
        lease: "1",
        receipt: path.join(dir, "none.json"),
      }).catch((e: Error) => e.message);
      expect(wrong).to.contain("none.json: cannot be read");
    });

    it("renews a lease with a new quote: pays it through now and carries the rest, in one transaction", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const dir = scratch();
      const sign = async (file: string, price: string) =>
        run("quote:sign", {
          escrow,
          account: s.operator.address,
          node: "1",
          customer: s.customer.address,
          price,
          out: path.join(dir, file),
        });
      await sign("first.json", "3.6");
      await run("lease:open", {
        escrow,
        account: s.customer.address,
        quote: path.join(dir, "first.json"),
        deposit: "5",
        sessionKey: s.session.address,
      });
      const start = (await s.escrow.lease(1n)).start;
      await time.increaseTo(start + 900n);
      await sign("next.json", "7.2");
      await time.setNextBlockTimestamp(start + 1_000n);
      expect(
        await run("lease:renew", {
          escrow,
          account: s.customer.address,
          lease: "1",
          quote: path.join(dir, "next.json"),
          add: "1",
        }),
      ).to.equal("renewed lease 1 as lease 2 on node 1 at 7.2 GUT per TU-hour, deposit 5.0 GUT");
      const [old, next] = await Promise.all([s.escrow.lease(1n), s.escrow.lease(2n)]);
      expect([old.paid, next.sessionKey]).to.deep.equal([1_000n * PER_SECOND, s.session.address]);
      const twice = await run("lease:renew", {
        escrow,
        account: s.customer.address,
        lease: "1",
        quote: path.join(dir, "next.json"),
        add: "",
      }).catch((e: Error) => e.message);
      expect(twice).to.contain("InvalidLeaseStatus");
    });

    it("reserves, starts and accepts a window; fails an unaccepted start; restakes; cancels", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const dir = scratch();
      const customer = { escrow, account: s.customer.address };
      const quote = path.join(dir, "reserve.json");
      const sign = () =>
        run("quote:sign", {
          escrow,
          account: s.provider.address,
          node: "1",
          customer: s.customer.address,
          start: "+10m",
          duration: "1h",
          out: quote,
        });
      expect(await sign()).to.match(/a reservation from .* for 3600 s of node 1/);
      const lease = await run("lease:open", { ...customer, quote, deposit: "5" }).catch((e: Error) => e.message);
      expect(lease).to.contain('field "quote.windowDuration": is a reservation quote: use the reserve task');
      const reserved = await run("reserve", { ...customer, quote, deposit: "5" });
      expect(reserved).to.match(/^reserved node 1: reservation 1, start it between .* \(in \d+ min( \d+ s)?\) and /);
      // 10 % of the hold: the ten minutes until the start and the hour of the window.
      expect(reserved).to.match(/deposit 5\.0 GUT, of which 0\.4[12]\d* GUT is the fee for holding the node until /);
      const r = await s.escrow.reservation(1n);
      await time.increaseTo(r.start);
      expect(await run("reservation:start", { ...customer, reservation: "1" })).to.match(
        /^started reservation 1: the provider must accept by .*, or reservation:fail returns your whole deposit$/,
      );
      expect(await run("reservation:accept", { escrow, account: s.operator.address, reservation: "1" })).to.equal(
        "accepted reservation 1: lease 1 is open",
      );
      await time.increase(1_800n);
      expect(await run("lease:close", { escrow, account: s.provider.address, lease: "1" })).to.match(
        /^closed lease 1: provider earned 0\.0 GUT and 0\.1\d* GUT of the reservation window's fee, customer refunded 4\.\d+ GUT$/,
      );

      await sign();
      await run("reserve", { ...customer, quote, deposit: "5" });
      const r2 = await s.escrow.reservation(2n);
      await time.increaseTo(r2.start);
      await run("reservation:start", { ...customer, reservation: "2" });
      await time.increase(ACCEPT_WINDOW + 1n);
      const late = await run("reservation:accept", { escrow, account: s.provider.address, reservation: "2" }).catch(
        (e: Error) => e.message,
      );
      expect(late).to.contain("AcceptWindowClosed");
      expect(await run("reservation:fail", { escrow, account: s.keeper.address, reservation: "2" })).to.equal(
        `failed reservation 2: customer refunded 5.0 GUT; ${gut(r2.fee)} of the provider's stake to the treasury`,
      );
      expect(await run("node:status", { registry: await s.registry.getAddress(), node: "1" })).to.contain(
        "takes no new lease until node:stake adds the rest",
      );
      expect(
        await run("node:stake", { registry: await s.registry.getAddress(), account: s.provider.address, node: "1" }),
      ).to.match(
        new RegExp(`^node 1: staked ${gut(r2.fee).replace(".", "\\.")}, now 100\\.0 GUT of 100\\.0 GUT required`),
      );

      await sign();
      await run("reserve", { ...customer, quote, deposit: "5" });
      expect(await run("reservation:cancel", { ...customer, reservation: "3" })).to.match(
        /^cancelled reservation 3: refunded 4\.5\d* GUT, provider earned 0\.4\d* GUT$/,
      );
    });

    it("runs one round of the keeper agent's planner: finalizes, fails an unaccepted start, forwards fees in batches", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const gutAddress = await s.gut.getAddress();
      // A second provider, so that the fees due span two providers.
      await s.gut.connect(s.other).approve(await s.registry.getAddress(), ethers.MaxUint256);
      await s.registry.connect(s.other).register(V100, 1n, PRICE, gutAddress, "https://node-2");
      await openWithQuote(s, ethers, 5n * UNIT);
      const second = await quoteFor(s, ethers, { nodeId: 2n }, s.other);
      await s.escrow.connect(s.customer).openLease(second.quote, second.signature, 5n * UNIT, s.session.address);
      const start = (await s.escrow.lease(2n)).start;
      await time.increaseTo(start + 1_000n);
      await s.escrow.connect(s.provider).collect(1n, start + 900n, await receiptFor(s, 1n, start + 900n));
      await s.escrow.connect(s.other).collect(2n, start + 900n, await receiptFor(s, 2n, start + 900n));
      await s.escrow.connect(s.customer).closeLease(1n, 0n, "0x");
      const now = BigInt(await time.latest());
      const window = await quoteFor(s, ethers, { windowStart: now + 600n, windowDuration: 3_600n });
      await s.escrow.connect(s.customer).reserve(window.quote, window.signature, 5n * UNIT);
      await time.increaseTo((await s.escrow.reservation(1n)).start);
      await s.escrow.connect(s.customer).startReserved(1n, 0n, s.session.address);
      await time.increase(COLLECT_WINDOW + 1n);

      const sweep = { escrow, account: s.keeper.address, forwardBatch: "1" };
      const planned = await run("keeper:sweep", { ...sweep, dryRun: true } as unknown as Record<string, string>);
      expect(planned).to.match(/^keeper round over the events since block 0: 4 jobs planned \(dry run: nothing sent\)/);
      expect(planned).to.contain("leases finalized after their collect window (would be): 1");
      expect((await s.escrow.lease(1n)).status).to.equal(BigInt(LeaseStatus.Closing));

      const out = await run("keeper:sweep", sweep);
      expect(out).to.contain("leases finalized after their collect window: 1\n");
      expect(out).to.contain("reservations failed: 1 (start not accepted)\n");
      // --forwardBatch 1: one forwardFees transaction per provider.
      expect(out).to.contain(`fees forwarded in GUT: for ${s.provider.address} (one transaction)`);
      expect(out).to.contain(`fees forwarded in GUT: for ${s.other.address} (one transaction)`);
      expect((await s.escrow.lease(1n)).status).to.equal(BigInt(LeaseStatus.Closed));
      expect((await s.escrow.reservation(1n)).status).to.equal(BigInt(ReservationStatus.Failed));
      expect(await s.escrow.feesDue(s.provider.address, gutAddress)).to.equal(0n);
      expect(await s.escrow.feesDue(s.other.address, gutAddress)).to.equal(0n);
      expect(await s.collector.calls()).to.equal(2n);
      // Nothing is left due: the next round plans no job.
      expect(await run("keeper:sweep", sweep)).to.match(/: 0 jobs planned\n/);
    });

    it("checks in nodes after the keeper marked them Disconnect", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      await time.increase(CHECK_IN_PERIOD + 1n);
      const sweep = await run("keeper:sweep", { escrow, account: s.keeper.address });
      expect(sweep).to.contain("nodes marked Disconnect: 1");
      expect(
        await run("node:checkin", { registry: await s.registry.getAddress(), account: s.operator.address, nodes: "1" }),
      ).to.match(/^checked in node 1 \(0x[0-9a-f]{64}\); back to Idle: 1$/);
      const stranger = await run("node:checkin", {
        registry: await s.registry.getAddress(),
        account: s.other.address,
        nodes: "1",
      }).catch((e: Error) => e.message);
      expect(stranger).to.contain(`is not its provider or operator`);
      const missing = await run("node:checkin", {
        registry: await s.registry.getAddress(),
        account: s.provider.address,
        nodes: "1,7",
      }).catch((e: Error) => e.message);
      expect(missing).to.contain("node 7 does not exist");
    });

    it("refuses bad options before sending anything", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const dir = scratch();
      const count = await ethers.provider.getTransactionCount(s.customer.address);
      const fails = async (name: string, args: Record<string, string>, message: string) => {
        const error = await run(name, args).catch((e: Error) => e);
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.contain(message);
      };
      const quote = path.join(dir, "quote.json");
      await run("quote:sign", {
        escrow,
        account: s.provider.address,
        node: "1",
        customer: s.customer.address,
        out: quote,
      });
      await fails(
        "lease:open",
        { escrow: "", account: "", quote, deposit: "1" },
        "the LeaseEscrow address is required",
      );
      await fails("lease:open", { escrow: "0x12", account: "", quote, deposit: "1" }, '"0x12" is not an address');
      await fails("lease:open", { escrow, account: "", quote: "", deposit: "1" }, "--quote is required");
      await fails("lease:open", { escrow, account: "", quote, deposit: "" }, "--deposit is required");
      await fails("lease:open", { escrow, account: "", quote, deposit: "1.2.3" }, "is not a decimal amount");
      await fails("lease:open", { escrow, account: s.other.address, quote, deposit: "1" }, "QuoteNotForCaller");
      await fails(
        "quote:sign",
        { escrow, account: s.customer.address, node: "1", customer: s.customer.address, out: quote },
        "is neither node 1's provider",
      );
      await fails(
        "quote:sign",
        { escrow, account: s.provider.address, node: "1", customer: s.customer.address, ttl: "2h", out: quote },
        "outside 1 s to the escrow's maxQuoteAge of 600 s",
      );
      await fails(
        "quote:sign",
        { escrow, account: s.provider.address, node: "1", customer: s.customer.address, start: "+1h", out: quote },
        "a reservation quote needs both --start and --duration",
      );
      await fails("lease:topup", { escrow, account: "", lease: "1", amount: "1" }, "lease 1 does not exist");
      await fails("lease:close", { escrow, account: "", lease: "2" }, "lease 2 does not exist");
      await fails("reservation:cancel", { escrow, account: "", reservation: "3" }, "reservation 3 does not exist");
      await fails("lease:status", { escrow: s.customer.address, account: "", lease: "1" }, "no contract at");
      await fails("reserve", { escrow, account: s.customer.address, quote, deposit: "1" }, "is 0: a lease quote");
      await fails(
        "receipt:sign",
        { escrow, account: "", lease: "1", paidThrough: "now", out: "" },
        "--out is required",
      );
      expect(await ethers.provider.getTransactionCount(s.customer.address)).to.equal(count);
    });
  });
});
