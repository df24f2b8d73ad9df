import { expect } from "chai";

import { AbiCoder, concat, hexlify, keccak256 as ethersKeccak } from "ethers";

import {
  createKeccakEngine,
  keccak256,
  keccakModule,
  LEAF_RECORD,
  STATE_BYTES,
  type KeccakExports,
} from "../../src/airdrop/merkle/keccak.js";
import { instantiate, sharedMemory } from "../../src/airdrop/merkle/wasm.js";
import { Random } from "../utils/random.js";

const coder = AbiCoder.defaultAbiCoder();

/** The keccak module on a fresh 1 MiB memory, with a Buffer over all of it. */
function module() {
  const memory = sharedMemory(1 << 20);
  return { hash: instantiate<KeccakExports>(keccakModule(), memory), bytes: Buffer.from(memory.buffer) };
}

const SCRATCH = 0;
const RECORDS = 4096;
const OUT = 65536;
const TREE = 131072;

describe("keccak", function () {
  describe("keccak256", function () {
    it("matches ethers at every length up to three blocks and at the 16 KiB limit", async function () {
      const random = new Random(1);
      for (const length of [...Array.from({ length: 3 * 136 + 2 }, (_, i) => i), 16 * 1024]) {
        const data = random.bytes(length);
        expect("0x" + (await keccak256(data)).toString("hex"), `length ${length}`).to.equal(ethersKeccak(data));
      }
    });

    it("hashes a digest again in place", async function () {
      const engine = await createKeccakEngine();
      engine.input.write("gpufog", "latin1");
      engine.hash(6);
      engine.hash(32);
      expect(hexlify(engine.input.subarray(0, 32))).to.equal(ethersKeccak(ethersKeccak(Buffer.from("gpufog"))));
    });

    it("refuses more than 16 KiB", async function () {
      let error: unknown;
      await keccak256(new Uint8Array(16 * 1024 + 1)).catch((e: unknown) => (error = e));
      expect((error as Error).message).to.equal("keccak256 takes at most 16384 bytes");
    });
  });

  describe("leaves", function () {
    function leafOf(index: number, kind: number, holder: string, amount: bigint): string {
      return ethersKeccak(
        ethersKeccak(coder.encode(["uint256", "uint8", "address", "uint256"], [index, kind, holder, amount])),
      );
    }

    function records(bytes: Buffer, count: number, seed: number) {
      const random = new Random(seed);
      return Array.from({ length: count }, (_, i) => {
        const kind = i % 2;
        const holder = hexlify(random.bytes(20));
        const amount = i === 0 ? (1n << 256n) - 1n : random.below(1n << BigInt(8 + 31 * i)) + 1n;
        const at = RECORDS + i * LEAF_RECORD.size;
        bytes[at + LEAF_RECORD.kind] = kind;
        bytes.write(holder.slice(2), at + LEAF_RECORD.holder, "hex");
        bytes.write(amount.toString(16).padStart(64, "0"), at + LEAF_RECORD.amount, "hex");
        return { kind, holder, amount };
      });
    }

    it("hashes each record as keccak256(keccak256(abi.encode(index, kind, holder, amount))), odd counts too", async function () {
      for (const count of [1, 2, 5, 8]) {
        const { hash, bytes } = module();
        const leaves = records(bytes, count, count);
        hash.leaves(RECORDS, OUT, 0, count, SCRATCH);
        leaves.forEach(({ kind, holder, amount }, i) => {
          expect(hexlify(bytes.subarray(OUT + 32 * i, OUT + 32 * i + 32)), `leaf ${i} of ${count}`).to.equal(
            leafOf(i, kind, holder, amount),
          );
        });
      }
    });

    it("puts every byte of a large index in its place", async function () {
      // The module addresses record `i` at `packed + 64 i` with 32-bit arithmetic, so a base that
      // wraps around makes index 0x01020304 (and the next three) read the records written above.
      const { hash, bytes } = module();
      const leaves = records(bytes, 4, 9);
      const index = 0x01020304;
      const packed = (RECORDS - index * LEAF_RECORD.size) | 0;
      const out = (OUT - index * 32) | 0;
      hash.leaves(packed, out, index, index + 3, SCRATCH);
      leaves.slice(0, 3).forEach(({ kind, holder, amount }, i) => {
        expect(hexlify(bytes.subarray(OUT + 32 * i, OUT + 32 * i + 32))).to.equal(
          leafOf(index + i, kind, holder, amount),
        );
      });
      expect(bytes.subarray(OUT + 96, OUT + 128).every((b) => b === 0)).to.equal(true);
    });
  });

  describe("nodes", function () {
    const node = (bytes: Buffer, i: number) => bytes.subarray(TREE + 32 * i, TREE + 32 * i + 32);
    const expected = (bytes: Buffer, i: number) => {
      const [a, b] = [node(bytes, 2 * i + 1), node(bytes, 2 * i + 2)];
      return ethersKeccak(Buffer.compare(a, b) <= 0 ? concat([a, b]) : concat([b, a]));
    };

    it("hashes a range that spans levels, children before parents, as sorted pairs", async function () {
      for (const leaves of [2, 3, 4, 7, 16]) {
        const { hash, bytes } = module();
        const random = new Random(leaves);
        for (let i = leaves - 1; i < 2 * leaves - 1; i++) node(bytes, i).set(random.bytes(32));
        hash.nodes(TREE, 0, leaves - 1, SCRATCH);
        for (let i = leaves - 2; i >= 0; i--)
          expect(hexlify(node(bytes, i)), `node ${i} of ${leaves}`).to.equal(expected(bytes, i));
      }
    });

    it("orders children that are equal up to their last byte, in either position", async function () {
      const { hash, bytes } = module();
      const random = new Random(4);
      // Nodes 7..14 are four pairs of children: equal in 8, 16, 24 and 31 leading bytes, each
      // pair stored larger first, so every comparison has to look past its first words.
      for (const [pair, shared] of [8, 16, 24, 31].entries()) {
        const [left, right] = [7 + 2 * pair, 8 + 2 * pair];
        const low = random.bytes(32);
        const high = Buffer.from(low);
        high[shared] = (low[shared]! + 1) & 0xff;
        if (high[shared] === 0) low[shared] = 0xfe;
        node(bytes, left).set(Buffer.compare(low, high) < 0 ? high : low);
        node(bytes, right).set(Buffer.compare(low, high) < 0 ? low : high);
      }
      const equal = random.bytes(32);
      node(bytes, 15).set(equal);
      node(bytes, 16).set(equal);
      hash.nodes(TREE, 3, 8, SCRATCH + STATE_BYTES);
      for (let i = 3; i < 8; i++) expect(hexlify(node(bytes, i)), `node ${i}`).to.equal(expected(bytes, i));
    });
  });
});
