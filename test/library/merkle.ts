import { expect } from "chai";

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, hexlify, keccak256 as ethersKeccak } from "ethers";
import keccak256 from "keccak256";
import { MerkleTree } from "merkletreejs";

import { buildAirdrop } from "../../src/airdrop/build.js";
import {
  parseSnapshotCsv,
  SnapshotScanner,
  snapshotRecordsOf,
  toChecksumAddress,
} from "../../src/airdrop/snapshot-csv.js";
import { InputError } from "../../src/errors.js";
import { TOP_DEPTH } from "../../src/airdrop/merkle/top-level.js";
import { findClaims, readAirdropTree, readManifest, writeAirdrop } from "../../src/airdrop/directory.js";
import { dataPath, dataShardOf, indexShardOf, leavesUnder, shardDepth, shardName } from "../../src/airdrop/format.js";
import { LEAF_ENCODING, LeafKind, processProof, type LeafEntry } from "../../src/airdrop/merkle/proof.js";
import { keccakEngine } from "../../src/airdrop/merkle/keccak.js";
import { AirdropTree, buildTree, MAX_HOLDERS } from "../../src/airdrop/merkle/tree.js";
import { Random } from "../utils/random.js";

function entriesOf(count: number, seed: number): LeafEntry[] {
  const random = new Random(seed);
  return Array.from({ length: count }, (_, i) => ({
    kind: i % 5 === 3 ? LeafKind.Legacy : LeafKind.Evm,
    holder: getAddress(hexlify(random.bytes(20))),
    amount: random.below(10n ** 27n) + 1n,
  }));
}

function ozValues(entries: readonly LeafEntry[]): string[][] {
  return entries.map((e, i) => [String(i), String(e.kind), e.holder, e.amount.toString()]);
}

function csvOf(entries: readonly LeafEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.holder.toLowerCase() < b.holder.toLowerCase() ? -1 : 1));
  return "address,amount\n" + sorted.map((e) => `${e.holder},${e.amount}\n`).join("");
}

describe("merkle", function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-merkle-"));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("buildTree", function () {
    for (const count of [1, 2, 3, 5, 8, 9, 33, 257]) {
      it(`matches StandardMerkleTree.of, root and every proof, for ${count} holders`, async function () {
        const entries = entriesOf(count, count);
        const tree = await buildTree(entries, { threads: 2 });
        const oz = StandardMerkleTree.of(ozValues(entries), [...LEAF_ENCODING]);
        expect(tree.root).to.equal(oz.root);
        expect(tree.total).to.equal(entries.reduce((s, e) => s + e.amount, 0n));
        for (let i = 0; i < count; i++) expect(tree.proof(i)).to.deep.equal(oz.getProof(i));
      });
    }

    it("gives proofs that merkletreejs + keccak256 verifies independently", async function () {
      const entries = entriesOf(300, 7);
      const tree = await buildTree(entries);
      for (let i = 0; i < entries.length; i++) {
        const ok = MerkleTree.verify(tree.proof(i), tree.leaf(i), tree.root, keccak256, { sortPairs: true });
        expect(ok, `proof ${i}`).to.equal(true);
      }
      const wrong = MerkleTree.verify(tree.proof(1), tree.leaf(0), tree.root, keccak256, { sortPairs: true });
      expect(wrong).to.equal(false);
    });

    it("builds the same tree on one thread and on four", async function () {
      const entries = entriesOf(5000, 11);
      const one = await buildTree(entries, { threads: 1 });
      const four = await buildTree(entries, { threads: 4 });
      expect(Buffer.from(four.nodes).equals(Buffer.from(one.nodes))).to.equal(true);
    });

    it("reads the root and the nodes' hex of a tree too big for one hex string", function () {
      // (2 × 4,194,305 − 1) nodes are 536,870,976 hex digits, past V8's longest string.
      const count = 2 ** 22 + 1;
      const nodes = new Uint8Array((2 * count - 1) * 32);
      nodes[0] = 0xab;
      nodes[nodes.length - 1] = 0xcd;
      const tree = new AirdropTree(new Array<LeafEntry>(count), nodes, new Uint32Array(0), 0n);
      expect(tree.root).to.equal("0xab" + "00".repeat(31));
      expect(tree.node(2 * count - 2)).to.equal("0x" + "00".repeat(31) + "cd");
      const hex = tree.hexBytes();
      expect(hex.length).to.equal(nodes.length * 2);
      expect(hex.toString("latin1", 0, 2) + hex.toString("latin1", hex.length - 2)).to.equal("abcd");
    });

    it("keeps the level TOP_DEPTH below the root and proves leaves up to it", async function () {
      const width = 2 ** TOP_DEPTH;
      const entries = entriesOf(2 * width + 4, 3);
      const tree = await buildTree(entries);
      expect(tree.topDepth).to.equal(TOP_DEPTH);
      expect(tree.topNodes).to.deep.equal(Array.from({ length: width }, (_, i) => tree.node(width - 1 + i)));
      for (let i = 0; i < entries.length; i++) {
        expect(await processProof(i, entries[i]!, tree.proof(i))).to.equal(tree.root);
        expect(tree.topNodes).to.include(await processProof(i, entries[i]!, tree.shortProof(i)));
      }
      const small = await buildTree(entriesOf(3, 4));
      expect(small.topDepth).to.equal(1);
      expect(small.topNodes).to.have.length(2);
    });

    it("reports progress up to the end of every stage", async function () {
      const seen = new Map<string, [number, number]>();
      await buildTree(entriesOf(100, 5), { onProgress: (stage, done, total) => seen.set(stage, [done, total]) });
      expect(Object.fromEntries(seen)).to.deep.equal({ leaves: [100, 100], sort: [1, 1], nodes: [99, 99] });
    });

    it("refuses entries that cannot be leaves", async function () {
      const good = entriesOf(2, 1);
      const cases: [LeafEntry, string][] = [
        [{ ...good[0]!, amount: 0n }, "entry 0: amount 0 is not in 1..2^256-1"],
        [{ ...good[0]!, holder: "0x1234" }, "entry 0: holder 0x1234 is not a 20-byte address"],
        [{ ...good[0]!, kind: 2 as LeafKind }, "entry 0: kind 2 is neither 0 (EVM) nor 1 (legacy)"],
      ];
      for (const [bad, message] of cases) {
        let error: unknown;
        await buildTree([bad, good[1]!]).catch((e: unknown) => (error = e));
        expect((error as Error).message).to.equal(message);
      }
      let empty: unknown;
      await buildTree([]).catch((e: unknown) => (empty = e));
      expect((empty as Error).message).to.equal("an airdrop tree needs at least one holder");
      let tooMany: unknown;
      const huge = { length: MAX_HOLDERS + 1 } as unknown as LeafEntry[];
      await buildTree(huge).catch((e: unknown) => (tooMany = e));
      expect((tooMany as Error).message).to.equal(
        `${MAX_HOLDERS + 1} holders is more than this builder supports (${MAX_HOLDERS})`,
      );
    });
  });

  describe("writeAirdrop", function () {
    it("writes, with ozDump, a dump that StandardMerkleTree.load accepts and validates", async function () {
      const entries = entriesOf(200, 21);
      const tree = await buildTree(entries);
      const out = path.join(dir, "airdrop");
      const manifest = writeAirdrop(tree, out, undefined, undefined, { ozDump: true });
      const dump = JSON.parse(readFileSync(path.join(out, manifest.tree!), "utf8")) as Parameters<
        typeof StandardMerkleTree.load<string[]>
      >[0];
      const loaded = StandardMerkleTree.load(dump);
      loaded.validate();
      expect(loaded.root).to.equal(tree.root);
      for (let i = 0; i < entries.length; i += 17) expect(loaded.getProof(i)).to.deep.equal(tree.proof(i));
      expect(StandardMerkleTree.of(ozValues(entries), [...LEAF_ENCODING]).dump()).to.deep.equal(dump);
      expect(writeAirdrop(tree, out).tree).to.equal(undefined);
      expect(existsSync(path.join(out, "tree.json"))).to.equal(false);
    });

    for (const count of [1, 2, 3, 7, 500, 5000, 6000]) {
      it(`derives every holder's short proof from the shards (${count} holders)`, async function () {
        const entries = entriesOf(count, 22 + count);
        const tree = await buildTree(entries);
        const out = path.join(dir, "airdrop");
        writeAirdrop(tree, out);
        const manifest = await readManifest(out);
        expect(manifest).to.deep.include({
          format: "gpufog-airdrop-v2",
          root: tree.root,
          total: tree.total.toString(),
          count,
          topDepth: tree.topDepth,
        });
        expect(manifest.topNodes).to.deep.equal(tree.topNodes);
        expect(manifest.shards.depth).to.equal(shardDepth(count));
        expect(readdirSync(path.join(out, "data")).length).to.equal(2 ** manifest.shards.depth);
        // A claim hashes its whole data shard again (the browser's keccak): fewer samples of big ones.
        const step = Math.max(1, Math.floor(count / (count > 1000 ? 8 : 60)));
        for (let i = 0; i < count; i += step) {
          const claims = await findClaims(out, entries[i]!.holder.toLowerCase());
          expect(claims).to.deep.equal([
            {
              index: i,
              kind: entries[i]!.kind,
              // EVM holders in EIP-55; old-chain ones (HASH160s) in lower case, as the legacy reader gives them.
              holder:
                entries[i]!.kind === LeafKind.Evm ? getAddress(entries[i]!.holder) : entries[i]!.holder.toLowerCase(),
              amount: entries[i]!.amount.toString(),
              proof: tree.shortProof(i),
            },
          ]);
        }
        expect(await findClaims(out, "0x" + "00".repeat(20))).to.deep.equal([]);
        const tree2 = await readAirdropTree(out, manifest);
        expect(tree2.root).to.equal(tree.root);
      });
    }

    it("cuts a million holders into 256 shards of about 4,000", function () {
      expect(shardDepth(1)).to.equal(0);
      expect(shardDepth(4000)).to.equal(0);
      expect(shardDepth(100_000)).to.equal(5);
      expect(shardDepth(1_000_000)).to.equal(8);
      expect(shardName(5, 10)).to.equal("005");
      expect(indexShardOf("0xFFC0000000000000000000000000000000000000", 10)).to.equal(1023);
      expect(leavesUnder(0, 5)).to.deep.equal([4, 5, 6, 7, 8]);
      expect(leavesUnder(1, 5)).to.deep.equal([4, 7, 8]);
    });

    it("refuses a tampered shard with one line naming the file and the field", async function () {
      const entries = entriesOf(3000, 26);
      const tree = await buildTree(entries);
      const out = path.join(dir, "airdrop");
      const manifest = writeAirdrop(tree, out);
      const holder = entries[10]!.holder;
      const t = tree.treeIndex[10]!;
      const data = path.join(out, dataPath(manifest, dataShardOf(t, manifest.shards.depth)));
      const original = readFileSync(data);
      const k = leavesUnder(2 ** manifest.shards.depth - 1 + dataShardOf(t, manifest.shards.depth), 3000).indexOf(t);

      const amount = Buffer.from(original);
      amount[k * 64 + 63] ^= 1;
      writeFileSync(data, amount);
      const shardRoot = manifest.shards.roots[dataShardOf(t, manifest.shards.depth)]!;
      let error = await findClaims(out, holder).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.equal(
        `${data}, field "records": do not hash to shard root ${shardRoot} (manifest.json shards.roots[${dataShardOf(t, manifest.shards.depth)}]): the shard was altered`,
      );
      expect((error as Error).message).to.not.include("\n");

      const kind = Buffer.from(original);
      kind[k * 64] = 7;
      writeFileSync(data, kind);
      error = await findClaims(out, holder).catch((e: unknown) => e);
      expect((error as Error).message).to.equal(`${data}, field "records[${k}].kind": 7 is not a leaf kind (0 or 1)`);

      writeFileSync(data, original.subarray(0, original.length - 1));
      error = await findClaims(out, holder).catch((e: unknown) => e);
      expect((error as Error).message).to.match(
        new RegExp(`^${data}, field "records": is ${original.length - 1} bytes;`),
      );

      writeFileSync(data, original);
      const file = path.join(out, "manifest.json");
      const altered = JSON.parse(readFileSync(file, "utf8")) as { shards: { roots: string[] } };
      altered.shards.roots[0] = "0x" + "11".repeat(32);
      writeFileSync(file, JSON.stringify(altered));
      error = await readManifest(out).catch((e: unknown) => e);
      expect((error as Error).message).to.equal(
        `${file}, field "shards.roots": do not hash up to root ${tree.root}: the manifest was altered`,
      );
    });

    it("groups a holder that is in the tree under both kinds", async function () {
      const entries = entriesOf(10, 23);
      entries[6] = { ...entries[2]!, kind: LeafKind.Legacy, amount: 5n };
      const tree = await buildTree(entries);
      const out = path.join(dir, "airdrop");
      writeAirdrop(tree, out);
      const claims = await findClaims(out, entries[2]!.holder);
      expect(claims.map((c) => [c.index, c.kind])).to.deep.equal([
        [2, 0],
        [6, 1],
      ]);
    });

    it("replaces an earlier output whole and refuses a directory that is not one", async function () {
      const out = path.join(dir, "airdrop");
      writeAirdrop(await buildTree(entriesOf(300, 24)), out);
      const second = await buildTree(entriesOf(20, 25));
      writeAirdrop(second, out);
      expect((await readManifest(out)).root).to.equal(second.root);
      expect(readdirSync(dir)).to.deep.equal(["airdrop"]);

      const other = path.join(dir, "other");
      mkdirSync(other);
      writeFileSync(path.join(other, "notes.txt"), "keep me");
      expect(() => writeAirdrop(second, other)).to.throw(
        InputError,
        `${other}: exists and is not an airdrop output (no manifest.json); refusing to replace it`,
      );
      expect(readdirSync(other)).to.deep.equal(["notes.txt"]);
    });

    it("replaces an earlier output named with a trailing slash (the README's --out airdrop/)", async function () {
      const out = path.join(dir, "airdrop") + path.sep;
      writeAirdrop(await buildTree(entriesOf(30, 26)), out);
      const second = await buildTree(entriesOf(20, 27));
      writeAirdrop(second, out);
      expect((await readManifest(out)).root).to.equal(second.root);
      expect(readdirSync(dir)).to.deep.equal(["airdrop"]);
      expect(readdirSync(out).sort()).to.deep.equal(["data", "index", "manifest.json"]);
    });
  });

  describe("buildAirdrop", function () {
    it("turns a snapshot CSV into an airdrop directory", async function () {
      const entries = entriesOf(50, 31).map((e) => ({ ...e, kind: LeafKind.Evm }));
      const csv = path.join(dir, "snapshot.csv");
      writeFileSync(csv, csvOf(entries));
      const out = path.join(dir, "airdrop");
      const { manifest, tree } = await buildAirdrop(csv, out);
      const sorted = [...entries].sort((a, b) => (a.holder.toLowerCase() < b.holder.toLowerCase() ? -1 : 1));
      expect(manifest.root).to.equal(StandardMerkleTree.of(ozValues(sorted), [...LEAF_ENCODING]).root);
      expect(tree.entries.map((e) => e.holder)).to.deep.equal(sorted.map((e) => e.holder));
    });

    const holder = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const other = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
    const bad: [string, string, string][] = [
      ["an empty file", "", 'the file is empty; expected the header "address,amount" and one line per holder'],
      ["a wrong header", "holder,amount\n", 'line 1, field "header": expected "address,amount", found "holder,amount"'],
      ["no holders", "address,amount\n", "line 2: no holders: expected at least one line after the header"],
      ["a missing column", `address,amount\n${holder}\n`, 'line 2, field "amount": missing column "amount"'],
      ["an extra column", `address,amount\n${holder},1,2\n`, "line 2: expected 2 columns (address,amount), found 3"],
      [
        "a short address",
        "address,amount\n0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA,1\n",
        'line 2, field "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA" is not a 0x-prefixed 20-byte hex address',
      ],
      [
        "a wrong checksum",
        "address,amount\n0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD,1\n",
        'line 2, field "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD" has a wrong EIP-55 checksum (expected 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed)',
      ],
      ["a negative amount", `address,amount\n${holder},-5\n`, 'line 2, field "amount": "-5" is negative'],
      [
        "a decimal amount",
        `address,amount\n${holder},1.5\n`,
        'line 2, field "amount": "1.5" is not a whole number of wei (digits only: no sign, decimal point or exponent)',
      ],
      [
        "an exponent",
        `address,amount\n${holder},1e18\n`,
        'line 2, field "amount": "1e18" is not a whole number of wei (digits only: no sign, decimal point or exponent)',
      ],
      [
        "a zero amount",
        `address,amount\n${holder},0\n`,
        'line 2, field "amount": is zero; holders without a balance must be left out',
      ],
      [
        "an amount over uint256",
        `address,amount\n${holder},${1n << 256n}\n`,
        `line 2, field "amount": "${1n << 256n}" does not fit in a uint256`,
      ],
      [
        "amounts adding up past uint256",
        `address,amount\n${holder},${(1n << 255n) + 1n}\n${other},${1n << 255n}\n`,
        'line 3, field "amount": the amounts add up to more than a uint256 holds',
      ],
      [
        "a duplicate holder",
        `address,amount\n${holder},1\n${other},2\n${holder.toLowerCase()},3\n`,
        `line 4, field "address": duplicate holder ${holder}, first on line 2`,
      ],
      ["an empty line", `address,amount\n${holder},1\n\n${other},2\n`, "line 3: empty line"],
    ];
    for (const [what, text, message] of bad) {
      it(`refuses ${what} with file, line and field, and writes nothing`, async function () {
        const csv = path.join(dir, "snapshot.csv");
        writeFileSync(csv, text);
        const out = path.join(dir, "airdrop");
        let error: unknown;
        await buildAirdrop(csv, out).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(InputError);
        expect((error as InputError).message).to.equal(
          `${csv}${message.startsWith("the file") ? ": " : ", "}${message}`,
        );
        expect(existsSync(out)).to.equal(false);
        expect(readdirSync(dir)).to.deep.equal(["snapshot.csv"]);
      });
    }

    it("refuses a file that cannot be read", async function () {
      const missing = path.join(dir, "missing.csv");
      let error: unknown;
      await buildAirdrop(missing, path.join(dir, "airdrop")).catch((e: unknown) => (error = e));
      expect((error as InputError).message).to.match(new RegExp(`^${missing}: cannot be read: ENOENT`));
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  });

  describe("parseSnapshotCsv", function () {
    it("accepts checksummed, lower-case and upper-case addresses, CRLF, a BOM and no final newline", async function () {
      const text =
        "\ufeffaddress,amount\r\n0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,10\r\n" +
        "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359,20\r\n0xDBF03B407C01E7CD3CBEA99509D93F8DDDC8C6FB,30";
      expect(await parseSnapshotCsv(text, "s.csv")).to.deep.equal([
        { address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", amount: 10n },
        { address: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", amount: 20n },
        { address: "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", amount: 30n },
      ]);
    });

    it("finds a duplicate in a file that is not sorted", async function () {
      const text =
        "address,amount\n0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359,1\n0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,2\n0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359,3\n";
      let error: unknown;
      await parseSnapshotCsv(text, "s.csv").catch((e: unknown) => (error = e));
      expect((error as Error).message).to.equal(
        's.csv, line 4, field "address": duplicate holder 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359, first on line 2',
      );
    });

    it("checksums like ethers", async function () {
      const random = new Random(99);
      for (let i = 0; i < 200; i++) {
        const address = hexlify(random.bytes(20));
        expect(await toChecksumAddress(address)).to.equal(getAddress(address));
      }
    });
  });

  describe("SnapshotScanner", function () {
    /** A sorted snapshot of `count` checksummed holders; `amount(i)` gives row i's amount text. */
    function snapshot(count: number, amount: (i: number) => string): Buffer {
      const random = new Random(count);
      const holders = Array.from({ length: count }, () => hexlify(random.bytes(20))).sort();
      return Buffer.from("address,amount\n" + holders.map((h, i) => `${getAddress(h)},${amount(i)}\n`).join(""));
    }

    function scan(bytes: Buffer): { records: Buffer; total: bigint | undefined } | undefined {
      const scanner = SnapshotScanner.start(bytes)!;
      const records = Buffer.alloc(scanner.count * 64);
      return scanner.rows(records, 0, scanner.count) ? { records, total: scanner.total() } : undefined;
    }

    it("reads amounts of every length up to 78 digits as parseSnapshotCsv does", async function () {
      // Row i has i + 1 digits (10^i + i; their sum stays in a uint256), two leading zeros on some
      // (the scan takes 78 characters at most).
      const amount = (i: number) => (i % 7 === 0 && i < 76 ? "00" : "") + (10n ** BigInt(i) + BigInt(i)).toString();
      const bytes = snapshot(78, amount);
      const expected = snapshotRecordsOf(await parseSnapshotCsv(bytes.toString("utf8"), "s.csv"));
      const scanned = scan(bytes)!;
      expect(scanned.records.equals(expected.records)).to.equal(true);
      expect(scanned.total).to.equal(expected.total);
    });

    it("declines a wrong checksum in any row of a batch, so parseSnapshotCsv names it", function () {
      const good = snapshot(600, (i) => String(i + 1));
      expect(scan(good)).to.not.equal(undefined);
      for (const row of [0, 255, 256, 599]) {
        const bad = Buffer.from(good);
        let at = good.indexOf("\n") + 1;
        for (let r = 0; r < row; r++) at = good.indexOf("\n", at) + 1;
        at += 2;
        // A letter of the case the address has more of: flipped, the address stays mixed case.
        const hex = [...bad.subarray(at, at + 40)];
        const lower = hex.filter((c) => c >= 0x61).length >= hex.filter((c) => c >= 0x41 && c < 0x61).length;
        bad[at + hex.findIndex((c) => (lower ? c >= 0x61 : c >= 0x41 && c < 0x61))]! ^= 0x20;
        expect(scan(bad), `row ${row}`).to.equal(undefined);
      }
    });

    it("declines an amount of 2^256 or more", function () {
      const max = (1n << 256n) - 1n;
      expect(scan(snapshot(1, () => max.toString()))?.total).to.equal(max);
      expect(scan(snapshot(1, () => (max + 1n).toString()))).to.equal(undefined);
      expect(scan(snapshot(1, () => "9".repeat(78)))).to.equal(undefined);
    });
  });

  describe("KeccakEngine", function () {
    describe("hashAddresses", function () {
      it("hashes each 40-byte message like keccak256, an odd count and a full batch", function () {
        const engine = keccakEngine();
        const random = new Random(5);
        for (const count of [1, 3, 256]) {
          const messages = Array.from({ length: count }, () => Buffer.from(hexlify(random.bytes(20)).slice(2)));
          messages.forEach((m, k) => engine.input.set(m, k * 64));
          engine.hashAddresses(count);
          messages.forEach((m, k) => {
            expect("0x" + engine.input.toString("hex", k * 64, k * 64 + 32)).to.equal(ethersKeccak(m));
          });
        }
        expect(() => engine.hashAddresses(257)).to.throw(RangeError);
      });
    });
  });
});
