import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import { expect } from "chai";
import { getAddress } from "ethers";
import fc from "fast-check";
import hre from "hardhat";

import { buildAirdrop } from "../../src/airdrop/build.js";
import { parseSnapshotCsv } from "../../src/airdrop/snapshot-csv.js";
import { InputError } from "../../src/errors.js";
import { parseAddress, parseAmount, parseDuration, parseIds, parseInteger, parseStart } from "../../src/parse.js";
import { CORPUS, corpusCases, outputAppeared, runCorpusCase } from "../helpers/corpus.js";
import { writeJsonAtomic } from "../../src/io.js";
import { quoteToJson } from "../../src/market/quote.js";
import { deployEscrowSystem, openWithQuote, quoteFor, UNIT } from "../contracts/LeaseEscrowFixture.js";

const EXPECTED = JSON.parse(readFileSync(path.join(CORPUS, "expected.json"), "utf8")) as Record<string, string>;
const TASKS = ["airdrop-build", "airdrop-build-legacy", "airdrop-sign-legacy", "snapshot-evm", "airdrop-claim"];
const MAX_UINT256 = (1n << 256n) - 1n;

/** Runs a task in-process and returns the one-line error it reports. */
async function taskError(name: string, args: Record<string, unknown>): Promise<string> {
  try {
    await hre.tasks.getTask(name).run(args);
  } catch (error) {
    expect(error).to.be.instanceOf(HardhatPluginError);
    return (error as Error).message;
  }
  throw new Error(`${name} accepted bad input`);
}

/**
 * An independent statement of what a snapshot CSV may be (README, "Snapshot CSV"), to judge the
 * fuzzed files by: the header, then at least one `address,amount` line; the address checksummed
 * or all one case; the amount whole, positive, within a uint256, the total too; no repeats.
 */
function validSnapshotCsv(text: string): boolean {
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  if (text.trim() === "") return false;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const strip = (l: string) => (l.endsWith("\r") ? l.slice(0, -1) : l);
  if (strip(lines[0]!) !== "address,amount" || lines.length < 2) return false;
  const seen = new Set<string>();
  let total = 0n;
  for (const raw of lines.slice(1)) {
    const parts = strip(raw).split(",");
    if (parts.length !== 2) return false;
    const [address, amount] = parts as [string, string];
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return false;
    const hex = address.slice(2);
    if (hex !== hex.toLowerCase() && hex !== hex.toUpperCase() && !checksummed(address)) return false;
    if (seen.has(hex.toLowerCase())) return false;
    seen.add(hex.toLowerCase());
    if (!/^[0-9]+$/.test(amount) || BigInt(amount) === 0n || BigInt(amount) > MAX_UINT256) return false;
    total += BigInt(amount);
    if (total > MAX_UINT256) return false;
  }
  return true;
}

function checksummed(address: string): boolean {
  try {
    return getAddress(address) === address;
  } catch {
    return false;
  }
}

const hexAddress = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
const addressField = fc.oneof(
  { weight: 6, arbitrary: hexAddress.map((a) => getAddress(a)) },
  { weight: 2, arbitrary: hexAddress },
  { weight: 1, arbitrary: hexAddress.map((a) => "0x" + a.slice(2).toUpperCase()) },
  { weight: 1, arbitrary: hexAddress.map((a) => getAddress(a).replace(/[a-f]/, (c) => c.toUpperCase())) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("0x123", "1111111111111111111111111111111111111111", "", "0x" + "g".repeat(40)),
  },
);
const amountField = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 1n << 80n }).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "0",
      "00",
      "-1",
      "1.5",
      "1e18",
      " 5",
      "",
      MAX_UINT256.toString(),
      (1n << 256n).toString(),
    ),
  },
);
const row = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(addressField, amountField).map(([a, m]) => `${a},${m}`) },
  { weight: 1, arbitrary: fc.constantFrom("", "0x1111111111111111111111111111111111111111", "a,b,c") },
);
const snapshotCsv = fc
  .record({
    bom: fc.boolean(),
    header: fc.oneof({ weight: 9, arbitrary: fc.constant("address,amount") }, { weight: 1, arbitrary: fc.string() }),
    rows: fc.array(row, { maxLength: 12 }),
    duplicate: fc.boolean(),
    eol: fc.constantFrom("\n", "\r\n"),
    finalNewline: fc.boolean(),
  })
  .map(({ bom, header, rows, duplicate, eol, finalNewline }) => {
    const lines = [header, ...rows];
    if (duplicate && rows.length > 0) lines.push(rows[0]!.toLowerCase());
    return (bom ? "\uFEFF" : "") + lines.join(eol) + (finalNewline ? eol : "");
  });

describe("Bad input", function () {
  describe("corpus", function () {
    it("has an expected message for every file, and a file for every expected message", function () {
      const files = TASKS.flatMap((task) => corpusCases(task).map((name) => `${task}/${name}`));
      const fileCases = Object.keys(EXPECTED).filter((key) => !key.startsWith("revert/"));
      expect(files.sort()).to.deep.equal(fileCases.sort());
    });

    for (const task of TASKS) {
      for (const name of corpusCases(task)) {
        it(`${task}/${name}: ${EXPECTED[`${task}/${name}`]}`, async function () {
          const run = await runCorpusCase(task, name);
          expect(run.error).to.be.instanceOf(InputError);
          expect((run.error as Error).message).to.equal(EXPECTED[`${task}/${name}`]!.split("{file}").join(run.file));
          expect(outputAppeared(run), "an output appeared").to.equal(false);
        });
      }
    }
  });

  describe("through the real tasks", function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(path.join(tmpdir(), "gpufog-bad-"));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    for (const name of ["bad-header.csv", "total-overflow.csv", "bad-checksum.csv"]) {
      it(`airdrop:build reports ${name} in one line and writes nothing`, async function () {
        const csv = path.join(CORPUS, "airdrop-build", name);
        const out = path.join(dir, "airdrop");
        const message = await taskError("airdrop:build", { csv, out });
        expect(message).to.equal(EXPECTED[`airdrop-build/${name}`]!.split("{file}").join(csv));
        expect(existsSync(out)).to.equal(false);
      });
    }

    it("snapshot:evm reports a bad exclusion file before it reads any chain, and writes nothing", async function () {
      const exclude = path.join(CORPUS, "snapshot-evm", "exclude-not-address.txt");
      const out = path.join(dir, "snapshot.csv");
      const message = await taskError("snapshot:evm", {
        token: "0x1111111111111111111111111111111111111111",
        fromBlock: "0",
        block: undefined,
        confirmations: 0,
        rpc: undefined,
        out,
        checkpoint: undefined,
        exclude,
        sample: 0,
        maxRange: 100,
        attempts: 1,
      });
      expect(message).to.equal(EXPECTED["snapshot-evm/exclude-not-address.txt"]!.split("{file}").join(exclude));
      expect(existsSync(out)).to.equal(false);
    });

    it("airdrop:sign-legacy reports a bad WIF key file in one line naming the file and line", async function () {
      const wifFile = path.join(CORPUS, "airdrop-sign-legacy", "wif-bad-checksum.txt");
      const message = await taskError("airdrop:sign-legacy", {
        wifFile,
        wif: "",
        recipient: "0x1111111111111111111111111111111111111111",
        distributor: "0x2222222222222222222222222222222222222222",
        chainId: "1",
        magic: "GPUnion Signed Message:\\n",
        addressVersion: 38,
        address: "",
        airdrop: "",
      });
      expect(message).to.equal(EXPECTED["airdrop-sign-legacy/wif-bad-checksum.txt"]!.split("{file}").join(wifFile));
    });

    it("airdrop:claim reports a bad manifest and sends nothing", async function () {
      writeFileSync(
        path.join(dir, "manifest.json"),
        readFileSync(path.join(CORPUS, "airdrop-claim", "manifest-bad-root.json")),
      );
      const message = await taskError("airdrop:claim", {
        airdrop: dir,
        distributor: "0x1111111111111111111111111111111111111111",
        account: "0x2222222222222222222222222222222222222222",
      });
      const file = path.join(dir, "manifest.json");
      expect(message).to.equal(EXPECTED["airdrop-claim/manifest-bad-root.json"]!.split("{file}").join(file));
    });

    it("airdrop:claim-legacy without --distributor on the in-process network says it is required (no book there)", async function () {
      const message = await taskError("airdrop:claim-legacy", {
        airdrop: dir,
        distributor: "",
        recipient: "0x2222222222222222222222222222222222222222",
        signature: "IEQK",
        pubkey: "",
        holder: "",
      });
      expect(message).to.equal(
        'airdrop:claim-legacy, field "--distributor": the TokenSwapDistributor address is required',
      );
    });

    it("node:register without --token on the in-process network says GUT's address is required (no book there)", async function () {
      const { ethers } = await hre.network.getOrCreate();
      const [admin] = await ethers.getSigners();
      const gut = await ethers.deployContract("GUT", [0n, admin!.address, admin!.address]);
      const registry = await ethers.deployContract("ProviderRegistry", [
        0n,
        admin!.address,
        await gut.getAddress(),
        10n ** 20n,
        86_400n,
        86_400n,
        admin!.address,
      ]);
      const message = await taskError("node:register", {
        registry: await registry.getAddress(),
        account: "",
        model: "GTX 1080 Ti",
        gpus: "1",
        price: "1",
        token: "",
        uri: "",
      });
      expect(message).to.equal('node:register, field "token": the GUT address is required');
    });

    it("bench overhead refuses a price that is not a positive number, naming the option", async function () {
      const message = await taskError("bench", { suite: "overhead", gutUsd: "free" });
      expect(message).to.equal('bench overhead, field "--gut-usd": "free" is not a positive number');
    });
  });

  describe("contract refusals through the real tasks", function () {
    /**
     * Each case runs a task the contracts would refuse: the revert must come out as one line
     * (the error's name, its arguments in words, a hint) and a payer without the funds must be
     * refused before anything is sent, an approval included.
     */
    async function refusals() {
      const { ethers } = await hre.network.getOrCreate();
      const s = await deployEscrowSystem(ethers);
      const poor = (await ethers.getSigners())[6]!;
      return { ethers, s, poor, escrow: await s.escrow.getAddress() };
    }
    const expected = (name: string, names: Record<string, string>) =>
      Object.entries(names).reduce((line, [key, value]) => line.split(`{${key}}`).join(value), EXPECTED[name]!);

    /** A quote file for `customer` (the fixture's customer by default), signed by the provider unless `signer` is given. */
    async function quoteFile(
      ethers: Awaited<ReturnType<typeof refusals>>["ethers"],
      s: Awaited<ReturnType<typeof refusals>>["s"],
      fields: Parameters<typeof quoteFor>[2] = {},
      signer?: Parameters<typeof quoteFor>[3],
    ): Promise<string> {
      const { quote, signature } = await quoteFor(s, ethers, fields, signer);
      const file = path.join(mkdtempSync(path.join(tmpdir(), "gpufog-quote-")), "quote.json");
      writeJsonAtomic(
        file,
        quoteToJson({ chainId: s.domain.chainId, escrow: s.domain.verifyingContract, quote, signature }),
      );
      return file;
    }

    it("lease:open names the escrow's refusal: a quote signed by a stranger, a leased node", async function () {
      const { ethers, s, escrow } = await refusals();
      const customer = { escrow, account: s.customer.address, deposit: "1", sessionKey: "" };
      const nonce = await ethers.provider.getTransactionCount(s.customer.address);
      expect(await taskError("lease:open", { ...customer, quote: await quoteFile(ethers, s, {}, s.other) })).to.equal(
        expected("revert/lease-open-bad-signer", { other: s.other.address }),
      );
      const { quote, signature } = await quoteFor(s, ethers, { customer: s.other.address });
      await s.escrow.connect(s.other).openLease(quote, signature, UNIT, ethers.ZeroAddress);
      expect(await taskError("lease:open", { ...customer, quote: await quoteFile(ethers, s) })).to.equal(
        expected("revert/lease-open-leased-node", {}),
      );
      expect(await ethers.provider.getTransactionCount(s.customer.address)).to.equal(nonce);
    });

    it("lease:close and lease:topup name the escrow's refusal of a stranger and of a closing lease", async function () {
      const { ethers, s, escrow } = await refusals();
      await openWithQuote(s, ethers, UNIT);
      expect(await taskError("lease:close", { escrow, account: s.other.address, lease: "1", receipt: "" })).to.equal(
        expected("revert/lease-close-stranger", { other: s.other.address }),
      );
      await s.escrow.connect(s.customer).closeLease(1n, 0n, "0x");
      expect(await taskError("lease:topup", { escrow, account: s.customer.address, lease: "1", amount: "1" })).to.equal(
        expected("revert/lease-topup-closed", {}),
      );
    });

    it("reservation:start and reservation:cancel name the escrow's refusal: before the window, a stranger", async function () {
      const { ethers, s, escrow } = await refusals();
      const customer = { escrow, account: s.customer.address };
      const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      const quote = await quoteFile(ethers, s, { windowStart: now + 3_600n, windowDuration: 3_600n });
      await hre.tasks.getTask("reserve").run({ ...customer, quote, deposit: "5" });
      const r = await s.escrow.reservation(1n);
      const nonce = await ethers.provider.getTransactionCount(s.other.address);
      const utc = (t: bigint) => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");
      expect(
        await taskError("reservation:start", { ...customer, reservation: "1", added: "", sessionKey: "" }),
      ).to.equal(
        expected("revert/reservation-start-early", {
          start: utc(r.start),
          deadline: utc(r.deadline),
          // Hints name the day too when the moment is not on the chain's current day.
          retry:
            utc(r.start).slice(0, 10) ===
            utc(BigInt((await ethers.provider.getBlock("latest"))!.timestamp)).slice(0, 10)
              ? utc(r.start).slice(11, 16)
              : `${utc(r.start).slice(0, 10)} ${utc(r.start).slice(11, 16)}`,
        }),
      );
      expect(await taskError("reservation:cancel", { escrow, account: s.other.address, reservation: "1" })).to.equal(
        expected("revert/reservation-cancel-stranger", { other: s.other.address }),
      );
      expect((await s.escrow.reservation(1n)).status).to.equal(r.status);
      expect(await ethers.provider.getTransactionCount(s.other.address)).to.equal(nonce);
    });

    it("a customer without GUT gets one line and sends nothing, no approval either", async function () {
      const { ethers, s, poor, escrow } = await refusals();
      const account = { escrow, account: poor.address };
      const nonce = await ethers.provider.getTransactionCount(poor.address);
      const lease = await quoteFile(ethers, s, { customer: poor.address });
      expect(await taskError("lease:open", { ...account, quote: lease, deposit: "5", sessionKey: "" })).to.equal(
        expected("revert/lease-open-no-gut", { poor: poor.address }),
      );
      const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      const window = await quoteFile(ethers, s, {
        customer: poor.address,
        windowStart: now + 600n,
        windowDuration: 3_600n,
      });
      expect(await taskError("reserve", { ...account, quote: window, deposit: "5" })).to.equal(
        expected("revert/reserve-no-gut", { poor: poor.address }),
      );
      await openWithQuote(s, ethers, UNIT);
      expect(await taskError("lease:topup", { ...account, lease: "1", amount: "5" })).to.equal(
        expected("revert/lease-topup-no-gut", { poor: poor.address }),
      );
      expect(await ethers.provider.getTransactionCount(poor.address)).to.equal(nonce);
      expect(await s.gut.allowance(poor.address, escrow)).to.equal(0n);
    });
  });

  describe("options", function () {
    const cases: [string, () => unknown, string][] = [
      [
        "a deposit with an exponent",
        () => parseAmount("lease:open", "--deposit", "1e5", 18),
        'lease:open, field "--deposit": "1e5" is not a decimal amount like 12.5',
      ],
      [
        "too many decimals",
        () => parseAmount("lease:open", "--deposit", "0.0000001", 6),
        'lease:open, field "--deposit": "0.0000001" has more than the token\'s 6 decimals',
      ],
      [
        "a zero amount",
        () => parseAmount("lease:topup", "--amount", "0.0", 18),
        'lease:topup, field "--amount": the amount must be positive',
      ],
      [
        "an id list with a zero",
        () => parseIds("lease:withdraw", "--leases", "3,0"),
        'lease:withdraw, field "--leases": ids start at 1',
      ],
      [
        "a negative count",
        () => parseInteger("node:register", "--gpus", "-2", 1n, 1024n),
        'node:register, field "--gpus": "-2" is not a whole number',
      ],
      [
        "a count out of range",
        () => parseInteger("node:register", "--gpus", "2048", 1n, 1024n),
        'node:register, field "--gpus": 2048 is out of range (from 1 to 1024)',
      ],
      [
        "a bad address",
        () => parseAddress("lease:open", "--token", "0x12"),
        'lease:open, field "--token": "0x12" is not an address',
      ],
      [
        "a duration with a bad unit",
        () => parseDuration("reserve", "--duration", "2w"),
        'reserve, field "--duration": "2w" is not a duration like 3600, 15m, 2h or 1d',
      ],
      [
        "a start that is not a date",
        () => parseStart("reserve", "--start", "tomorrow", 0n),
        'reserve, field "--start": "tomorrow" is not unix seconds, an ISO date or +delay',
      ],
    ];
    for (const [what, parse, message] of cases) {
      it(`refuses ${what}: ${message}`, function () {
        expect(parse).to.throw(InputError, message);
        try {
          parse();
        } catch (error) {
          expect((error as Error).message).to.equal(message);
        }
      });
    }
  });

  describe("fuzzed snapshot CSVs (fast-check)", function () {
    it("the reader accepts exactly the valid files and refuses the others with an InputError", async function () {
      const seen = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(snapshotCsv, async (text) => {
          let rows: Awaited<ReturnType<typeof parseSnapshotCsv>> | undefined;
          let error: unknown;
          try {
            rows = await parseSnapshotCsv(text, "fuzz.csv");
          } catch (caught) {
            error = caught;
          }
          if (error !== undefined) {
            expect(error, String(error)).to.be.instanceOf(InputError);
            expect((error as Error).message.startsWith("fuzz.csv")).to.equal(true);
            expect(validSnapshotCsv(text), `refused a valid file: ${(error as Error).message}`).to.equal(false);
            seen.refused++;
          } else {
            seen.accepted++;
            expect(validSnapshotCsv(text), "accepted an invalid file").to.equal(true);
            expect(rows!.length).to.equal(
              text
                .replace(/^\uFEFF/, "")
                .split("\n")
                .filter((l) => l.trim() !== "").length - 1,
            );
          }
        }),
        { numRuns: 400, seed: 20261122 },
      );
      expect(seen.accepted, "valid files generated").to.be.greaterThan(20);
      expect(seen.refused, "invalid files generated").to.be.greaterThan(20);
    });

    it("airdrop:build's library writes an airdrop for the valid files and nothing for the others", async function () {
      const dir = mkdtempSync(path.join(tmpdir(), "gpufog-fuzz-"));
      let n = 0;
      try {
        await fc.assert(
          fc.asyncProperty(snapshotCsv, async (text) => {
            const csv = path.join(dir, `${n}.csv`);
            const out = path.join(dir, `${n++}-out`);
            writeFileSync(csv, text);
            let error: unknown;
            try {
              await buildAirdrop(csv, out);
            } catch (caught) {
              error = caught;
            }
            if (error !== undefined) expect(error, String(error)).to.be.instanceOf(InputError);
            expect(existsSync(out)).to.equal(error === undefined);
            expect(existsSync(path.join(out, "manifest.json"))).to.equal(error === undefined);
          }),
          { numRuns: 40, seed: 7 },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
