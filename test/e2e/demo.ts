import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

const HARDHAT = path.resolve("node_modules/hardhat/dist/src/cli.js");

/** The GUT amounts in a line, in order, in the narration's 4 decimals ("1,480.5 GUT" → 14_805_000n). */
function gut(line: string): bigint[] {
  return [...line.matchAll(/([\d,]+)\.(\d+) GUT/g)].map(
    (m) => BigInt(m[1]!.replace(/,/g, "")) * 10_000n + BigInt(m[2]!.padEnd(4, "0")),
  );
}

/** Amounts shown to 4 decimals, each rounded down, add up to within a few units of the last place. */
function near(actual: bigint, expected: bigint): void {
  const diff = actual > expected ? actual - expected : expected - actual;
  expect(diff <= 3n, `${actual} is not ${expected} (in 0.0001 GUT)`).to.equal(true);
}

/** The one line that contains `text`. */
function lineWith(lines: string[], text: string): string {
  const found = lines.filter((l) => l.includes(text));
  expect(found, `lines with "${text}"`).to.have.length(1);
  return found[0]!;
}

describe("the demo (npm run demo)", function () {
  let lines: string[];

  before(async function () {
    this.timeout(300_000);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [HARDHAT, "run", "--no-compile", "scripts/demo.ts"],
      { env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" }, maxBuffer: 16 * 1024 * 1024 },
    );
    lines = stdout.split("\n").map((l) => l.trim());
  });

  it("says what a TU is, that the check-in column is an age, and what max circulating supply means", function () {
    expect(lines).to.include(
      "a node is rated in Turing Units (TU): 1 TU is a day of a GTX 1080 Ti's work; a V100 is 1.85 TU",
    );
    // Every node table is followed by the legend of its columns.
    const tables = lines.filter((l) =>
      /^id\s+status\s+model\s+GPUs\s+TU\s+price\/TU-h\s+provider\s+checked in/.test(l),
    );
    const legends = lines.filter((l) => l.includes("checked in: the age of the node's last check-in"));
    expect(tables.length).to.be.greaterThan(0);
    expect(legends.length).to.equal(tables.length);
    expect(lines).to.include(
      "max circulating supply: every TFT outside the locked reserve; no buyback can raise it, each lowers it",
    );
  });

  it("names an operator for each provider, which checks the provider's nodes in with one transaction", function () {
    for (const provider of ["Ada", "Ben", "Cleo"]) {
      expect(lineWith(lines, `${provider.padEnd(4)} names its agent ${provider}'s agent`)).to.match(
        /checks in nodes \d+, \d+ in one transaction$/,
      );
    }
  });

  it("opens a lease with a quote, a permitted deposit and a session key, without an approval", function () {
    const eve = lineWith(lines, "Eve leases node");
    expect(eve).to.include("her allowance was 0.0 GUT");
    expect(eve).to.include("no approval");
    expect(lineWith(lines, "her client signs receipts with session key 0x")).to.include("her wallet signs once");
  });

  it("collects many receipts with one transaction, and says what per-interval transactions would have cost", function () {
    const collect = lineWith(lines, "Ada's agent collects once with the best");
    const [, signed, gas] = collect.match(/signed (\d+) receipts, 0 transactions.* ([\d,]+) gas$/)!;
    const per = lineWith(lines, "a transaction per 1 min interval would have been");
    const [, count, total] = per.match(/been (\d+) such transactions, ([\d,]+) gas$/)!;
    expect(count).to.equal(signed);
    expect(BigInt(total!.replace(/,/g, ""))).to.equal(BigInt(signed!) * BigInt(gas!.replace(/,/g, "")));
  });

  it("renews a lease at the provider's next quote in one transaction, carrying the rest of the deposit", function () {
    const line = lineWith(lines, "Eve renews at Ada's next quote");
    const [price, was, paid, carried] = gut(line);
    near(price!, (was! * 11n) / 10n);
    const [deposit] = gut(lineWith(lines, "Eve leases node"));
    near(paid! + carried!, deposit!);
    expect(line).to.match(/same session key, one transaction, [\d,]+ gas$/);
  });

  it("closes by the customer with a collect window, collects inside it without paying past the close, then refunds", function () {
    expect(lineWith(lines, "Dan closes lease 2:")).to.match(
      /node \d+ is Idle at once, Cleo's agent may collect for 1 h more$/,
    );
    expect(lineWith(lines, "Cleo's agent collects Dan's last receipt")).to.include("never past the close");
    const [paid] = gut(lineWith(lines, "Cleo's agent collects Dan's last receipt"));
    const [refund] = gut(lineWith(lines, "the keeper finalizes: Dan gets back"));
    const [deposit] = gut(lineWith(lines, "Dan leases node"));
    near(paid! + refund!, deposit!);
  });

  it("closes by the provider with the customer's last receipt, paying and refunding in one transaction", function () {
    const line = lineWith(lines, "Cleo's agent closes lease 3 with his last receipt");
    const [paid, refund] = gut(line);
    near(paid! + refund!, 20n * 10_000n);
  });

  it("starts a reservation that the provider accepts", function () {
    expect(lineWith(lines, "Dan starts his reservation in its window")).to.match(
      /Ben's agent accepts at once: lease \d+/,
    );
  });

  it("fails a reservation nobody accepted: the customer gets everything back and the penalty goes to the treasury", function () {
    const [deposit] = gut(lineWith(lines, "Gus reserves node"));
    const [back] = gut(lineWith(lines, "Gus fails the reservation"));
    expect(back).to.equal(deposit);
    const penalty = lineWith(lines, "is taken from Ada's stake to the treasury");
    const [fee, toTreasury, stake, required] = gut(penalty);
    expect(toTreasury).to.equal(fee);
    near(stake! + fee!, required!);
  });

  it("withdraws to another recipient, forwards the fees due and buys back", function () {
    expect(lines.some((l) => /Cleo withdraws to her savings account: [\d,.]+ GUT to Cleo's savings$/.test(l))).to.equal(
      true,
    );
    expect(
      lines.some((l) => /Ben's agent withdraws for Ben \(only ever to Ben\): [\d,.]+ GUT to Ben$/.test(l)),
    ).to.equal(true);
    expect(lines.filter((l) => l.includes("the keeper forwards")).length).to.be.greaterThan(0);
    expect(lines.filter((l) => /buyback sells the GUT bucket of epoch \d+/.test(l)).length).to.equal(2);
    expect(lines.filter((l) => /claims [\d,.]+ TFT from the buckets of epoch/.test(l)).length).to.be.greaterThan(0);
  });

  it("leaves a bucket to the keeper's rounds: it waits for a fresh observation, then the next round sells it", function () {
    const wait = lineWith(lines, "waits: its price needs a TWAP observation");
    const [, bucket] = wait.match(/the GUT bucket of epoch (\d+) waits/)!;
    const sold = lineWith(lines, `of the GUT bucket of epoch ${bucket}: at most what moves the pool's price`);
    expect(lines.indexOf(sold)).to.be.greaterThan(lines.indexOf(wait));
    expect(gut(sold)[0]! > 0n).to.equal(true);
  });

  it("marks Disconnect only the node that stopped checking in", function () {
    expect(lineWith(lines, "the keeper marks it Disconnect")).to.match(/^node 5 has not checked in for 1 d/);
    const headers = lines.flatMap((l, i) => (l.startsWith("id  status") ? [i] : []));
    const last = lines.slice(headers.at(-1));
    const disconnected = last.filter((l) => /^\d+\s+Disconnect\s/.test(l));
    expect(disconnected).to.have.length(1);
    expect(disconnected[0]).to.match(/^5\s/);
  });

  it("shows durations in words and no raw status numbers", function () {
    for (const line of lines) {
      expect(line, line).to.not.match(/\b(status|Status) \d\b/);
      expect(line, line).to.not.match(/\b\d{4,} s\b/);
      // An hour or more in hours ("buys 6 h 15 min", never "buys 375 min"), no 18-decimal amounts.
      expect(line, line).to.not.match(/\b([6-9]\d|\d{3,}) min\b/);
      expect(line, line).to.not.match(/\d\.\d{9,}/);
      expect(line, line).to.not.match(/heartbeat \d/);
    }
  });
});
