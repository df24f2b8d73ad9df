import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { dataSlice, getAddress, id, ZeroAddress } from "ethers";
import { network } from "hardhat";

import { InputError, RpcError } from "../../src/errors.js";
import { Eip1193Transport } from "../../src/rpc/eip1193.js";
import { HttpTransport } from "../../src/rpc/http.js";
import type { RequestOptions, RpcTransport } from "../../src/rpc/transport.js";
import { parseCheckpoint, writeCheckpoint } from "../../src/airdrop/snapshot/checkpoint.js";
import { SnapshotError } from "../../src/airdrop/snapshot/errors.js";
import { snapshotEvm, type EvmSnapshotOptions } from "../../src/airdrop/snapshot/evm.js";
import { parseExclusions } from "../../src/airdrop/snapshot/exclude.js";
import {
  CountingTransport,
  expectRejection,
  FAST_RETRY,
  FaultyTransport,
  prng,
  serve,
  serveProvider,
} from "../helpers/rpc.js";

const { ethers, networkHelpers, provider } = await network.create();
const { loadFixture, mine } = networkHelpers;

const HOLDERS = 300;
const BATCHES_BEFORE = 20;
const BATCHES_AFTER = 4;
const OPS_PER_BATCH = 125;

/**
 * A token with 3,000 transfers before the snapshot block (mints, burns, self-transfers, zero
 * transfers, holders emptied to zero) spread over ~700 blocks, and 500 more after it. A model
 * kept alongside gives the expected balances at the snapshot block independently of the chain.
 */
async function chainWithTransfers() {
  const token = await ethers.deployContract("MockTransferLog");
  const tokenAddress = await token.getAddress();
  const random = prng(2026);
  const holders = Array.from({ length: HOLDERS }, (_, i) => getAddress(dataSlice(id(`holder ${i}`), 12)));
  const model = new Map<string, bigint>(holders.map((h) => [h, 0n]));
  const pickHolder = () => holders[Math.floor(random() * holders.length)]!;
  const amount = (max?: bigint) => {
    const value = BigInt(Math.floor(random() * 1e9)) * 10n ** 9n + 1n;
    return max === undefined ? value : random() < 0.2 ? max : value % (max + 1n);
  };
  const counts = { mint: 0, burn: 0, self: 0, transfer: 0, emptied: 0 };

  const batch = async () => {
    const from: string[] = [];
    const to: string[] = [];
    const amounts: bigint[] = [];
    for (let i = 0; i < OPS_PER_BATCH; i++) {
      const r = random();
      const holder = pickHolder();
      const balance = model.get(holder)!;
      if (r < 0.25 || balance === 0n) {
        const value = amount();
        (from.push(ZeroAddress), to.push(holder), amounts.push(value));
        model.set(holder, balance + value);
        counts.mint++;
      } else if (r < 0.35) {
        const value = amount(balance);
        (from.push(holder), to.push(ZeroAddress), amounts.push(value));
        model.set(holder, balance - value);
        counts.burn++;
      } else if (r < 0.45) {
        (from.push(holder), to.push(holder), amounts.push(amount(balance)));
        counts.self++;
      } else {
        const recipient = pickHolder();
        const value = amount(balance);
        (from.push(holder), to.push(recipient), amounts.push(value));
        model.set(holder, balance - value);
        model.set(recipient, model.get(recipient)! + value);
        counts.transfer++;
      }
      if (model.get(holder) === 0n && balance > 0n) counts.emptied++;
    }
    await token.batch(from, to, amounts);
  };

  for (let b = 0; b < BATCHES_BEFORE; b++) {
    await batch();
    await mine(1 + Math.floor(random() * 60));
  }
  const block = BigInt(await ethers.provider.getBlockNumber());
  const atBlock = new Map(model);
  for (let b = 0; b < BATCHES_AFTER; b++) await batch();
  return { token, tokenAddress, block, holders, atBlock, counts };
}

/** A few holders and transfers: A gets 100 and B 50, A sends B 60, B burns 10. */
async function smallToken() {
  const token = await ethers.deployContract("MockTransferLog");
  const [a, b] = [getAddress(dataSlice(id("A"), 12)), getAddress(dataSlice(id("B"), 12))];
  await token.batch([ZeroAddress, ZeroAddress], [a, b], [100n, 50n]);
  const mintBlock = BigInt(await ethers.provider.getBlockNumber());
  await token.batch([a, b], [b, ZeroAddress], [60n, 10n]);
  const block = BigInt(await ethers.provider.getBlockNumber());
  return { token, tokenAddress: await token.getAddress(), a, b, mintBlock, block };
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "gpufog-snapshot-"));
}

const direct = () => new Eip1193Transport(provider, "in-process network");

function options(
  fixture: { tokenAddress: string; block: bigint },
  extra: Partial<EvmSnapshotOptions> = {},
): EvmSnapshotOptions {
  return {
    transport: direct(),
    token: fixture.tokenAddress,
    fromBlock: 0n,
    block: fixture.block,
    maxRange: 32,
    retry: FAST_RETRY,
    checkpointEveryMs: 0,
    ...extra,
  };
}

function parseCsv(csv: string): Map<string, bigint> {
  const [header, ...lines] = csv.split("\n");
  expect(header).to.equal("address,amount");
  expect(lines.pop()).to.equal("");
  return new Map(
    lines.map((line) => {
      const [address, amount] = line.split(",");
      return [address!, BigInt(amount!)];
    }),
  );
}

describe("snapshotEvm", function () {
  describe("a chain with thousands of transfers", function () {
    it("matches balanceOf() at the snapshot block for every holder, ignoring later transfers", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const { token, block, holders, atBlock, counts } = fixture;
      expect(counts.mint + counts.burn + counts.self + counts.transfer).to.equal(
        (BATCHES_BEFORE + BATCHES_AFTER) * OPS_PER_BATCH,
      );
      expect(counts.burn).to.be.greaterThan(100);
      expect(counts.self).to.be.greaterThan(100);
      expect(counts.emptied).to.be.greaterThan(10);

      const dir = tempDir();
      const out = path.join(dir, "snapshot.csv");
      const snapshot = await snapshotEvm(options(fixture, { out, checkpoint: path.join(dir, "cp.json") }));

      const csv = readFileSync(out, "utf8");
      expect(csv).to.equal(snapshot.csv);
      const rows = parseCsv(csv);
      let changedLater = 0;
      for (const holder of holders) {
        const onChain = await token.balanceOf(holder, { blockTag: block });
        expect(rows.get(holder) ?? 0n).to.equal(onChain, holder);
        expect(onChain).to.equal(atBlock.get(holder));
        if ((await token.balanceOf(holder)) !== onChain) changedLater++;
      }
      expect(changedLater, "transfers after the snapshot block must change some balances").to.be.greaterThan(50);
      expect(rows.size).to.equal([...atBlock.values()].filter((v) => v > 0n).length);
      expect(rows.size).to.be.lessThan(HOLDERS);
      expect(snapshot.totalSupply).to.equal(await token.totalSupply({ blockTag: block }));
      expect(snapshot.total).to.equal(snapshot.totalSupply);
      expect(snapshot.logs).to.equal(BATCHES_BEFORE * OPS_PER_BATCH);
      expect(snapshot.sampled).to.have.length(20);
      expect(existsSync(path.join(dir, "cp.json")), "the checkpoint is removed once the CSV is written").to.equal(
        false,
      );
    });

    it("writes checksummed addresses sorted by lowercase hex, amounts in base units, LF and a final newline", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const { csv, rows } = await snapshotEvm(options(fixture));
      expect(csv).to.not.include("\r");
      expect(csv.endsWith("\n")).to.equal(true);
      const lines = csv.trimEnd().split("\n").slice(1);
      expect(lines).to.have.length(rows.length);
      const addresses = lines.map((line) => line.split(",")[0]!);
      for (const address of addresses) expect(address).to.equal(getAddress(address));
      const lower = addresses.map((a) => a.toLowerCase());
      expect(lower).to.deep.equal([...lower].sort());
      for (const line of lines) expect(line).to.match(/^0x[0-9a-fA-F]{40},[1-9]\d*$/);
    });

    it("gives the same CSV whatever the range and the sample", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const narrow = await snapshotEvm(options(fixture, { maxRange: 7, sample: 3 }));
      const wide = await snapshotEvm(options(fixture, { maxRange: 100_000, sample: 50 }));
      expect(narrow.csv).to.equal(wide.csv);
      expect(narrow.requests).to.be.greaterThan(wide.requests * 10);
    });

    it("draws the same sample for the same seed and another one for another seed", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const first = await snapshotEvm(options(fixture, { maxRange: 1000 }));
      const again = await snapshotEvm(options(fixture, { maxRange: 1000 }));
      const other = await snapshotEvm(options(fixture, { maxRange: 1000, seed: "another" }));
      expect(again.sampled).to.deep.equal(first.sampled);
      expect(other.sampled).to.not.deep.equal(first.sampled);
      expect(new Set(first.sampled).size).to.equal(20);
    });
  });

  describe("resuming", function () {
    it("resumes an aborted run from its checkpoint to the identical CSV", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const reference = await snapshotEvm(options(fixture));
      const dir = tempDir();
      const out = path.join(dir, "snapshot.csv");
      const checkpoint = path.join(dir, "snapshot.checkpoint.json");

      const abort = new AbortController();
      let chunks = 0;
      const interrupted = snapshotEvm(
        options(fixture, {
          out,
          checkpoint,
          signal: abort.signal,
          onProgress: (p) => {
            if (p.phase === "scan" && ++chunks === 8) abort.abort(new Error("stop here"));
          },
        }),
      );
      await expectRejection(interrupted, Error, "stop here");
      expect(existsSync(out), "no CSV from an interrupted run").to.equal(false);
      const saved = parseCheckpoint(checkpoint);
      expect(saved.nextBlock).to.be.greaterThan(0n);
      expect(saved.nextBlock).to.be.lessThan(fixture.block);

      const counting = new CountingTransport(direct());
      const resumed = await snapshotEvm(options(fixture, { transport: counting, out, checkpoint }));
      expect(resumed.resumedFrom).to.equal(saved.nextBlock);
      expect(readFileSync(out, "utf8")).to.equal(reference.csv);
      expect(resumed.logs).to.equal(reference.logs);
      expect(counting.calls.get("eth_getLogs")).to.be.lessThan(reference.requests);
    });

    it("resumes after a failure injected mid-run, more than once, to the identical CSV", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const reference = await snapshotEvm(options(fixture));
      const dir = tempDir();
      const out = path.join(dir, "snapshot.csv");
      const checkpoint = path.join(dir, "cp.json");
      const stoppedAt: bigint[] = [];
      let resumedFrom: bigint | undefined;
      for (let run = 0; resumedFrom === undefined; run++) {
        expect(run).to.be.lessThan(100);
        const transport = new CountingTransport(direct(), 5);
        try {
          resumedFrom = (await snapshotEvm(options(fixture, { transport, out, checkpoint }))).resumedFrom;
        } catch (error) {
          expect((error as Error).message).to.equal("injected fatal failure");
          expect(existsSync(out)).to.equal(false);
          stoppedAt.push(parseCheckpoint(checkpoint).nextBlock);
        }
      }
      expect(stoppedAt.length).to.be.at.least(3);
      for (let i = 1; i < stoppedAt.length; i++) expect(stoppedAt[i]).to.be.greaterThan(stoppedAt[i - 1]!);
      expect(resumedFrom).to.equal(stoppedAt.at(-1));
      expect(readFileSync(out, "utf8")).to.equal(reference.csv);
    });

    it("refuses a checkpoint written for another block, start block, token or chain history", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const dir = tempDir();
      const checkpoint = path.join(dir, "cp.json");
      const abort = new AbortController();
      const run = snapshotEvm(
        options(fixture, {
          checkpoint,
          signal: abort.signal,
          onProgress: (p) => p.nextBlock > 100n && abort.abort(new Error("stop")),
        }),
      );
      await expectRejection(run, Error, "stop");
      const before = readFileSync(checkpoint, "utf8");

      const refused = async (extra: Partial<EvmSnapshotOptions>, field: string) => {
        const error = await snapshotEvm(options(fixture, { checkpoint, ...extra })).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(InputError);
        expect((error as InputError).file).to.equal(checkpoint);
        expect((error as InputError).field).to.equal(field);
        expect((error as Error).message).to.match(/delete/);
        expect(readFileSync(checkpoint, "utf8"), "a refused checkpoint is left as it was").to.equal(before);
      };
      await refused({ block: fixture.block - 1n }, "block");
      await refused({ fromBlock: 1n }, "fromBlock");
      const other = await ethers.deployContract("MockTransferLog");
      const head = BigInt(await ethers.provider.getBlockNumber());
      await refused({ token: await other.getAddress(), block: head }, "token");

      const saved = parseCheckpoint(checkpoint);
      writeCheckpoint(checkpoint, { ...saved, blockHash: "0x" + "ab".repeat(32) });
      const error = await snapshotEvm(options(fixture, { checkpoint })).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.match(/reorg or a restarted chain/);
    });

    it("refuses a file that is not a checkpoint", async function () {
      const fixture = await loadFixture(smallToken);
      const checkpoint = path.join(tempDir(), "cp.json");
      writeFileSync(checkpoint, '{"kind":"something else"}');
      await expectRejection(snapshotEvm(options(fixture, { checkpoint })), InputError, /not a snapshot checkpoint/);
      writeFileSync(checkpoint, "{ half a fi");
      await expectRejection(snapshotEvm(options(fixture, { checkpoint })), InputError, /not a readable checkpoint/);
    });
  });

  describe("an unreliable endpoint", function () {
    it("gives the identical CSV through drops, rate limits, hangs and range refusals", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const reference = await snapshotEvm(options(fixture));
      const faulty = new FaultyTransport(
        direct(),
        { drop: 0.08, rateLimit: 0.08, hang: 0.04, hangMs: 300, maxSpan: 20 },
        7,
      );
      const snapshot = await snapshotEvm(
        options(fixture, { transport: faulty, maxRange: 64, sample: 40, retry: { ...FAST_RETRY, timeoutMs: 60 } }),
      );
      expect(snapshot.csv).to.equal(reference.csv);
      expect(faulty.injected.dropped).to.be.greaterThan(3);
      expect(faulty.injected.rateLimited).to.be.greaterThan(3);
      expect(faulty.injected.hung).to.be.greaterThan(1);
      expect(faulty.injected.refused).to.be.greaterThan(3);
      expect(snapshot.refusals).to.be.greaterThan(3);
    });

    it("halves a refused range and grows it again after successes, up to the maximum", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const ranges: number[] = [];
      const plan = { drop: 0, rateLimit: 0, hang: 0, hangMs: 0, maxSpan: 45, refusalShape: 1 };
      const faulty = new FaultyTransport(direct(), plan, 1);
      const snapshot = await snapshotEvm(
        options(fixture, { transport: faulty, maxRange: 400, onProgress: (p) => ranges.push(p.range) }),
      );
      expect(ranges[0]).to.equal(400);
      expect(Math.min(...ranges.slice(1)), "400 halved until under 45").to.equal(25);
      expect(ranges).to.not.include(45);
      expect(
        ranges.slice(1).some((r, i) => r > ranges[i]!),
        "the range grows after successes",
      ).to.equal(true);
      expect(Math.max(...ranges.slice(1))).to.be.at.most(50);

      const growing: number[] = [];
      await snapshotEvm(options(fixture, { maxRange: 64, initialRange: 8, onProgress: (p) => growing.push(p.range) }));
      expect([...new Set(growing)]).to.deep.equal([8, 16, 32, 64]);
      expect(snapshot.refusals).to.equal(faulty.injected.refused);
    });

    it("takes the range an endpoint suggests in its refusal", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const ranges: number[] = [];
      const plan = { drop: 0, rateLimit: 0, hang: 0, hangMs: 0, maxSpan: 45, refusalShape: 0 };
      const faulty = new FaultyTransport(direct(), plan, 1);
      await snapshotEvm(
        options(fixture, { transport: faulty, maxRange: 400, onProgress: (p) => ranges.push(p.range) }),
      );
      expect(ranges).to.include(45);
      expect(ranges).to.not.include(25);
    });

    it("reads through the HTTP transport from a server that answers 413, 429 and 503", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const reference = await snapshotEvm(options(fixture));
      let n = 0;
      const statuses: number[] = [];
      const server = await serveProvider(provider, (method, params) => {
        n++;
        const filter = params[0] as { fromBlock?: string; toBlock?: string };
        const span = method === "eth_getLogs" ? Number(BigInt(filter.toBlock!) - BigInt(filter.fromBlock!)) + 1 : 0;
        const status = span > 40 ? 413 : n % 7 === 0 ? 429 : n % 11 === 0 ? 503 : undefined;
        if (status !== undefined) statuses.push(status);
        const headers: Record<string, string> = status === 429 ? { "retry-after": "0" } : {};
        return status === undefined ? undefined : { status, headers };
      });
      try {
        const transport = new HttpTransport(`${server.url}/v3/0123456789abcdef`);
        const snapshot = await snapshotEvm(options(fixture, { transport, maxRange: 200 }));
        expect(snapshot.csv).to.equal(reference.csv);
        expect(statuses).to.include.members([413, 429, 503]);
      } finally {
        await server.close();
      }
    });

    it("fails with RpcError naming the endpoint, without its key, when it never answers; no CSV", async function () {
      const fixture = await loadFixture(smallToken);
      const server = await serve(() => {});
      const dir = tempDir();
      const out = path.join(dir, "snapshot.csv");
      try {
        const transport = new HttpTransport(`${server.url}/v2/secret-api-key?apikey=hunter2`);
        const error = await snapshotEvm(
          options(fixture, { transport, out, retry: { attempts: 3, baseDelayMs: 1, timeoutMs: 100 } }),
        ).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(RpcError);
        const { message, attempts, endpoint } = error as RpcError;
        expect(attempts).to.equal(3);
        expect(endpoint).to.equal(`${server.url}/…`);
        expect(message).to.include(server.url).and.include("no answer within 100 ms");
        expect(message).to.not.match(/secret|hunter2/);
      } finally {
        await server.close();
      }
      expect(existsSync(out)).to.equal(false);
    });

    it("fails with RpcError when the connection is refused", async function () {
      const fixture = await loadFixture(smallToken);
      const server = await serve(() => {});
      const url = server.url;
      await server.close();
      const transport = new HttpTransport(url);
      const error = await snapshotEvm(
        options(fixture, { transport, retry: { attempts: 2, baseDelayMs: 1, timeoutMs: 1000 } }),
      ).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RpcError);
      expect((error as Error).message)
        .to.include(`${url} did not answer after 2 attempts`)
        .and.include("ECONNREFUSED");
    });

    it("stops when the endpoint refuses even a one-block range", async function () {
      const fixture = await loadFixture(smallToken);
      const faulty = new FaultyTransport(direct(), { drop: 0, rateLimit: 0, hang: 0, hangMs: 0, maxSpan: 0 }, 1);
      await expectRejection(
        snapshotEvm(options(fixture, { transport: faulty })),
        SnapshotError,
        /refuses the logs of even one block/,
      );
    });
  });

  describe("exclusions", function () {
    it("drops excluded holders from the CSV and reports what they held", async function () {
      const fixture = await loadFixture(chainWithTransfers);
      const reference = await snapshotEvm(options(fixture));
      const [pool, treasury, extra] = [...reference.rows].sort((x, y) => (x.amount < y.amount ? 1 : -1));
      const dir = tempDir();
      const file = path.join(dir, "exclude.txt");
      writeFileSync(
        file,
        `# pools and the treasury\n${pool!.address}\n\n  ${treasury!.address.toLowerCase()}  # treasury\n0x000000000000000000000000000000000000dEaD\n`,
      );
      const exclude = parseExclusions(`${file}, ${extra!.address}`);
      expect(exclude).to.have.length(4);

      const snapshot = await snapshotEvm(options(fixture, { exclude }));
      const rows = parseCsv(snapshot.csv);
      expect(rows.size).to.equal(reference.rows.length - 3);
      for (const excluded of [pool!, treasury!, extra!]) expect(rows.has(excluded.address)).to.equal(false);
      expect(snapshot.excluded.map((r) => r.address)).to.have.members([
        pool!.address,
        treasury!.address,
        extra!.address,
      ]);
      expect(snapshot.total).to.equal(snapshot.totalSupply - pool!.amount - treasury!.amount - extra!.amount);
      const kept = reference.csv
        .split("\n")
        .filter((line) => ![pool!, treasury!, extra!].some((r) => line.startsWith(r.address)))
        .join("\n");
      expect(snapshot.csv).to.equal(kept);
    });

    it("names the file and line of a bad address in an exclusion list", async function () {
      const file = path.join(tempDir(), "exclude.txt");
      writeFileSync(file, "# header\n0x000000000000000000000000000000000000dEaD\n0x1234\n");
      expect(() => parseExclusions(file)).to.throw(InputError, `${file}, line 3, field "address"`);
      writeFileSync(file, "0x000000000000000000000000000000000000DeaD\n");
      expect(() => parseExclusions(file)).to.throw(InputError, /line 1.*checksum/);
      expect(() => parseExclusions("no-such-file.txt")).to.throw(InputError, /neither an address nor an existing file/);
    });
  });

  describe("verification", function () {
    it("refuses logs that do not add up to totalSupply() (a mint without Transfer) and writes nothing", async function () {
      const fixture = await loadFixture(smallToken);
      await fixture.token.drift(fixture.a, 5n, 5n);
      const dir = tempDir();
      const out = path.join(dir, "snapshot.csv");
      const block = BigInt(await ethers.provider.getBlockNumber());
      await expectRejection(
        snapshotEvm(options(fixture, { block, out })),
        SnapshotError,
        `add up to 140, but totalSupply() at block ${block} is 145`,
      );
      expect(existsSync(out)).to.equal(false);
    });

    it("refuses a sampled balanceOf() that differs from the logs", async function () {
      const fixture = await loadFixture(smallToken);
      await fixture.token.drift(fixture.a, 5n, 0n);
      const out = path.join(tempDir(), "snapshot.csv");
      const block = BigInt(await ethers.provider.getBlockNumber());
      await expectRejection(
        snapshotEvm(options(fixture, { block, out })),
        SnapshotError,
        `balanceOf(${fixture.a}) at block ${block} is 45, but its Transfer logs add up to 40`,
      );
      expect(existsSync(out)).to.equal(false);
    });

    it("refuses logs under which a balance would go negative, naming the holder and the block", async function () {
      const fixture = await loadFixture(smallToken);
      const lying = new DroppingTransport(direct(), fixture.a);
      await expectRejection(
        snapshotEvm(options(fixture, { transport: lying })),
        SnapshotError,
        new RegExp(
          `${fixture.a} would hold a negative balance \\(-60\\) after transaction 0x[0-9a-f]+ in block ${fixture.block}`,
        ),
      );
    });
  });

  describe("options", function () {
    it("refuses a start block after the snapshot block", async function () {
      const fixture = await loadFixture(smallToken);
      await expectRejection(
        snapshotEvm(options(fixture, { fromBlock: fixture.block + 1n })),
        InputError,
        /fromBlock.*after the snapshot block/,
      );
    });

    it("refuses a snapshot block beyond the chain head", async function () {
      const fixture = await loadFixture(smallToken);
      await expectRejection(
        snapshotEvm(options(fixture, { block: fixture.block + 100n })),
        InputError,
        /beyond the chain head/,
      );
    });

    it("refuses a token address with no contract at the block", async function () {
      const fixture = await loadFixture(smallToken);
      await expectRejection(
        snapshotEvm(options(fixture, { token: fixture.a, block: fixture.block })),
        InputError,
        `no contract at ${fixture.a}`,
      );
      await expectRejection(snapshotEvm(options(fixture, { token: "0x1234" })), InputError, /not an address/);
    });
  });
});

/** An endpoint that loses the logs of mints to one holder, as a buggy indexer might. */
class DroppingTransport implements RpcTransport {
  readonly endpoint = "lossy endpoint";
  readonly #topic: string;

  constructor(
    readonly inner: RpcTransport,
    holder: string,
  ) {
    this.#topic = "0x" + holder.slice(2).toLowerCase().padStart(64, "0");
  }

  async request(method: string, params: readonly unknown[], options?: RequestOptions): Promise<unknown> {
    const result = await this.inner.request(method, params, options);
    if (method !== "eth_getLogs") return result;
    return (result as { topics: string[] }[]).filter(
      (log) => !(BigInt(log.topics[1]!) === 0n && log.topics[2] === this.#topic),
    );
  }
}
