import { expect } from "chai";
import hre, { network } from "hardhat";

import { InputError } from "../../src/errors.js";
import { connectEscrow, feeOf, keeperSweep, leaseReport, owedAt, runsOutAt, withdrawAll } from "../../src/escrow.js";
import { parseAmount, parseDuration, parseId, parseIds, parseStart } from "../../src/parse.js";
import {
  ANY_PRICE,
  deployEscrowSystem,
  GRACE,
  HEARTBEAT_TIMEOUT,
  PER_SECOND,
  UNIT,
} from "../contracts/LeaseEscrowFixture.js";

// The tasks use the default connection, so this file deploys on it too.
const { ethers, networkHelpers } = await network.getOrCreate();
const { time } = networkHelpers;

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
    it("walk a customer and a provider through a lease, a reservation and a keeper sweep", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const customer = { escrow, account: s.customer.address };
      const provider = { escrow, account: s.provider.address };

      expect(await run("lease:open", { ...customer, node: "1", deposit: "10" })).to.equal(
        "opened lease 1 on node 1 with 10.0 GUT, at most 3.6 GUT per TU-hour",
      );
      expect(await run("lease:topup", { escrow, account: s.other.address, lease: "1", amount: "2.5" })).to.equal(
        "topped up lease 1 with 2.5 GUT",
      );
      const start = (await s.escrow.lease(1n)).start;
      await time.setNextBlockTimestamp(start + 500n);
      await s.registry.connect(s.provider).heartbeat(1n);
      const status = await run("lease:status", { ...customer, lease: "1" });
      expect(status).to.match(/accrued\s+0\.5 GUT/);
      expect(status).to.match(/remaining\s+12\.0 GUT/);
      // 12.5 GUT at 0.001 GUT a second from the start, read 500 s in: 12,000 s (3 h 20 min) to go.
      const runsOut = new Date(Number(start + 12_500n) * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
      expect(status).to.contain(`runs out        ${runsOut} (in 3 h 20 min)`);

      expect(await run("lease:withdraw", provider)).to.equal(
        "withdrew 0.475 GUT (protocol fee 0.025 GUT, forwarded by keeper:sweep)",
      );
      expect(await run("lease:withdraw", provider)).to.equal("nothing to withdraw");

      const now = BigInt(await time.latest());
      await s.registry
        .connect(s.provider)
        .register(
          "0x" + Buffer.from("GTX 1080 Ti").toString("hex").padEnd(64, "0"),
          1n,
          36n * 10n ** 17n,
          await s.gut.getAddress(),
          "",
        );
      const reserved = await run("reserve", { ...customer, node: "2", start: "+10m", duration: "1h", deposit: "5" });
      expect(reserved).to.match(
        /^reserved node 2: reservation 1, start it between \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 10 min( \d s)?\) and \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d/m,
      );
      // 10 % of the hold: the ten minutes until the start and the hour of the window.
      expect(reserved).to.match(/deposit 5\.0 GUT, of which the provider earns 0\.4[12]\d* GUT/);
      const r = await s.escrow.reservation(1n);
      expect(r.start).to.be.within(now + 600n, now + 603n);
      await s.registry.connect(s.provider).heartbeat(2n);
      await time.setNextBlockTimestamp(r.start);
      expect(await run("reservation:start", { ...customer, reservation: "1" })).to.equal(
        "started reservation 1: lease 2 is open",
      );

      await s.escrow
        .connect(s.customer)
        .reserve(1n, 0n, 1n, 1n, ANY_PRICE)
        .catch(() => undefined);
      expect(await run("lease:close", { ...customer, lease: "2" })).to.contain("closed lease 2");

      // Node 1 goes silent: the sweep marks it Disconnect and closes its lease with a slash.
      await time.increase(HEARTBEAT_TIMEOUT + 1n);
      await s.registry.connect(s.provider).heartbeat(2n);
      const sweep = await run("keeper:sweep", { escrow, account: s.keeper.address });
      expect(sweep).to.contain("nodes marked Disconnect: 1");
      expect(sweep).to.contain("leases closed: 1");
      expect(sweep).to.contain("reservations expired: none");
      expect(sweep).to.contain("leases whose fees were forwarded: 1");
      expect(await s.collector.calls()).to.equal(1n);
      expect(await run("lease:close", { ...customer, lease: "1" }).catch((e: Error) => e.message)).to.contain(
        "InvalidLeaseStatus",
      );
    });

    it("cancels a reservation and reports it", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      await run("reserve", {
        escrow,
        account: s.customer.address,
        node: "1",
        start: "+1h",
        duration: "1h",
        deposit: "5",
      });
      expect(await run("reservation:cancel", { escrow, account: s.customer.address, reservation: "1" })).to.equal(
        // The fee is 10 % of the hold: the hour until the start and the hour of the window.
        "cancelled reservation 1: refunded 4.2801 GUT, provider earned 0.7199 GUT",
      );
      await run("reserve", {
        escrow,
        account: s.customer.address,
        node: "1",
        start: "+1m",
        duration: "1h",
        deposit: "5",
      });
      await time.increase(60n + GRACE + 1n);
      await s.registry.connect(s.provider).heartbeat(1n);
      const sweep = await run("keeper:sweep", { escrow, account: s.keeper.address });
      expect(sweep).to.contain("reservations expired: 2");
    });

    it("refuses bad options before sending anything", async function () {
      const s = await deployEscrowSystem(ethers);
      const escrow = await s.escrow.getAddress();
      const count = await ethers.provider.getTransactionCount(s.customer.address);
      const admin = await ethers.provider.getTransactionCount(s.admin.address);
      const fails = async (name: string, args: Record<string, string>, message: string) => {
        const error = await run(name, args).catch((e: Error) => e);
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.contain(message);
      };
      await fails(
        "lease:open",
        { escrow: "", account: "", node: "1", deposit: "1" },
        "the LeaseEscrow address is required",
      );
      await fails("lease:open", { escrow: "0x12", account: "", node: "1", deposit: "1" }, '"0x12" is not an address');
      await fails("lease:open", { escrow, account: "", node: "one", deposit: "1" }, '"one" is not a whole number');
      await fails("lease:open", { escrow, account: "", node: "1", deposit: "" }, "--deposit is required");
      await fails("lease:open", { escrow, account: "", node: "1", deposit: "1.2.3" }, "is not a decimal amount");
      await fails("lease:topup", { escrow, account: "", lease: "1", amount: "1" }, "lease 1 does not exist");
      await fails("lease:close", { escrow, account: "", lease: "2" }, "lease 2 does not exist");
      await fails("reservation:cancel", { escrow, account: "", reservation: "3" }, "reservation 3 does not exist");
      await s.escrow.connect(s.customer).openLease(1n, UNIT, ANY_PRICE);
      const opened = await ethers.provider.getTransactionCount(s.customer.address);
      await fails("lease:topup", { escrow, account: "", lease: "1", amount: "0" }, "the amount must be positive");
      await fails("lease:status", { escrow: s.customer.address, account: "", lease: "1" }, "no contract at");
      await fails(
        "lease:close",
        { escrow, account: ethers.ZeroAddress, lease: "1" },
        "is not one of the network's accounts",
      );
      await fails("reserve", { escrow, account: "", node: "1", start: "soon", duration: "1h", deposit: "1" }, '"soon"');
      expect(await ethers.provider.getTransactionCount(s.customer.address)).to.equal(opened);
      expect(opened).to.equal(count + 1);
      expect(await ethers.provider.getTransactionCount(s.admin.address)).to.equal(admin);
    });

    it("withdraws through the library in batches and reports nothing left", async function () {
      const s = await deployEscrowSystem(ethers);
      await s.escrow.connect(s.customer).openLease(1n, 10n * UNIT, ANY_PRICE);
      await time.increase(100n);
      await s.registry.connect(s.provider).heartbeat(1n);
      const h = await connectEscrow(await s.escrow.getAddress(), s.provider);
      const paid = await withdrawAll(h, s.provider, 1);
      expect(paid).to.have.length(1);
      expect(paid[0]!.amount + paid[0]!.fee).to.equal((await s.escrow.lease(1n)).withdrawn);
      expect((await leaseReport(h, 1n)).unforwardedFee).to.equal(paid[0]!.fee);
      expect((await keeperSweep(h, s.keeper)).feesForwarded).to.deep.equal([1n]);
      expect(PER_SECOND).to.be.greaterThan(0n);
    });
  });
});
