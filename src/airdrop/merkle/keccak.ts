import {
  Code,
  compile,
  emitModule,
  I32,
  I64,
  instantiate,
  op,
  sharedMemory,
  simd,
  V128,
  type WasmModule,
} from "./wasm.js";

/**
 * A keccak-256 engine that hashes in place: write up to `input.length` bytes into `input`, call
 * `hash(length)`, and the digest is in `input[0..32]`. Hashing a digest again is `hash(32)`,
 * with no copy. No allocation per hash, which matters at millions of hashes.
 */
export interface KeccakEngine {
  readonly input: Buffer;
  hash(length: number): void;
  /**
   * `hash` again, of a message no longer than the last one (under 32 bytes past it is not
   * touched) and of the same length: its padding, laid by that `hash`, is still in place.
   */
  rehash(): void;
  /**
   * keccak-256 of each of `count` 40-byte messages at `input[64 k … 64 k + 40]` (the lower-case
   * hex of an address, as EIP-55 hashes it), two at a time; digest `k` replaces the first 32 bytes
   * of message `k`. At most `input.length / 64` messages. It writes over the padding `rehash`
   * relies on: `hash` again before the next `rehash`.
   */
  hashAddresses(count: number): void;
}

/** What the keccak module exports. Offsets are into its memory; `state` is `STATE_BYTES` of scratch. */
export interface KeccakExports {
  /** keccak-256 of `blocks` padded 136-byte blocks at `ptr`; the digest goes to `ptr[0..32]`. */
  sponge(ptr: number, blocks: number, state: number): void;
  /**
   * For each `i` in `[from, to)`: the leaf `keccak256(keccak256(abi.encode(i, kind, holder,
   * amount)))` of the 64-byte record at `packed + 64 i` (see `LEAF_RECORD`), to `out + 32 i`.
   */
  leaves(packed: number, out: number, from: number, to: number, state: number): void;
  /**
   * For each node `i` in `[from, to)` of a StandardMerkleTree array of 32-byte nodes at `tree`:
   * the hash of its children `2i + 1` and `2i + 2`, smaller first, to node `i`.
   */
  nodes(tree: number, from: number, to: number, state: number): void;
  /** For each `i` in `[from, to)`: keccak-256 of the 40 bytes at `text + 64 i`, to `text + 64 i`. */
  addresses(text: number, from: number, to: number, state: number): void;
}

/**
 * The 64-byte leaf record `leaves` reads: the last two words of the leaf's `abi.encode`, with
 * the kind in byte 0 (bytes 1 to 11 stay zero).
 */
export const LEAF_RECORD = { size: 64, kind: 0, holder: 12, amount: 32 } as const;

/** Bytes of scratch one hashing thread needs: two 200-byte keccak states side by side. */
export const STATE_BYTES = 400;

const RATE = 136;
const ROUNDS = 24;

/** keccak-f[1600]'s round constants and rho rotations, derived as FIPS 202 defines them. */
function constants(): { roundConstants: bigint[]; rotations: number[] } {
  const roundConstants: bigint[] = [];
  let lfsr = 1;
  for (let round = 0; round < ROUNDS; round++) {
    let constant = 0n;
    for (let j = 0; j < 7; j++) {
      if (lfsr & 1) constant |= 1n << BigInt((1 << j) - 1);
      lfsr = ((lfsr << 1) ^ (lfsr & 0x80 ? 0x71 : 0)) & 0xff;
    }
    roundConstants.push(constant);
  }
  const rotations = new Array<number>(25).fill(0);
  for (let t = 0, x = 1, y = 0; t < ROUNDS; t++) {
    rotations[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return { roundConstants, rotations };
}

// Function indices in the module, in the order `keccakModuleBytes` lists them.
const PERMUTE = 0;
const PERMUTE_TWO = 1;
const BIG_ENDIAN = 2;

/**
 * keccak-f[1600] on the 25 lanes at `state`, fully unrolled with the lanes in locals. Rho and pi
 * rotate each lane in its own local and only rename locals (`at` follows which local holds which
 * lane), so few values are live at once. `two`: two independent states side by side, lane `k`
 * of each in one v128 at `state + 16 k` (SIMD has no 64-bit rotate, but and-not saves a step),
 * for about a third less work per hash; otherwise one state, lane `k` at `state + 8 k`.
 */
function permute(two: boolean): Code {
  const { roundConstants, rotations } = constants();
  const code = new Code();
  const xor = () => (two ? code.simd(simd.v128Xor) : code.emit(op.i64Xor));
  const rotl = (local: number, by: number) => {
    if (two)
      code
        .get(local)
        .i32(by)
        .simd(simd.i64x2Shl)
        .get(local)
        .i32(64 - by)
        .simd(simd.i64x2ShrU)
        .simd(simd.v128Or);
    else code.get(local).i64(BigInt(by)).emit(op.i64Rotl);
  };
  const at = Array.from({ length: 25 }, (_, lane) => 1 + lane);
  const a = (x: number, y: number) => at[x + 5 * y]!;
  const c = (x: number) => 26 + x;
  const [d, first, second] = [31, 32, 33];
  for (let k = 0; k < 25; k++) {
    code.get(0);
    if (two) code.load128(16 * k);
    else code.load(8 * k);
    code.set(1 + k);
  }
  for (const constant of roundConstants) {
    for (let x = 0; x < 5; x++) {
      code.get(a(x, 0));
      for (let y = 1; y < 5; y++) {
        code.get(a(x, y));
        xor();
      }
      code.set(c(x));
    }
    for (let x = 0; x < 5; x++) {
      code.get(c((x + 4) % 5));
      rotl(c((x + 1) % 5), 1);
      xor().set(d);
      for (let y = 0; y < 5; y++) {
        code.get(a(x, y)).get(d);
        xor().set(a(x, y));
      }
    }
    const renamed = new Array<number>(25);
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        const rotation = rotations[x + 5 * y]!;
        if (rotation !== 0) {
          rotl(a(x, y), rotation);
          code.set(a(x, y));
        }
        renamed[y + 5 * ((2 * x + 3 * y) % 5)] = a(x, y);
      }
    }
    at.splice(0, 25, ...renamed);
    for (let y = 0; y < 5; y++) {
      code.get(a(0, y)).set(first).get(a(1, y)).set(second);
      const lane = (x: number) => (x === 5 ? first : x === 6 ? second : a(x, y));
      for (let x = 0; x < 5; x++) {
        // a[x] ^= ~a[x + 1] & a[x + 2]
        code.get(a(x, y));
        if (two)
          code
            .get(lane(x + 2))
            .get(lane(x + 1))
            .simd(simd.v128AndNot);
        else
          code
            .get(lane(x + 1))
            .i64(-1n)
            .emit(op.i64Xor)
            .get(lane(x + 2))
            .emit(op.i64And);
        xor().set(a(x, y));
      }
    }
    code.get(a(0, 0));
    if (two) code.v128(constant);
    else code.i64(constant);
    xor().set(a(0, 0));
  }
  for (let k = 0; k < 25; k++) {
    code.get(0).get(at[k]!);
    if (two) code.store128(16 * k);
    else code.store(8 * k);
  }
  return code;
}

/** The 64-bit word read as big-endian: lanes load little-endian, hashes compare big-endian. */
function bigEndian(): Code {
  const code = new Code();
  code.get(0).i64(8n).emit(op.i64ShrU).i64(0x00ff00ff00ff00ffn).emit(op.i64And);
  code.get(0).i64(0x00ff00ff00ff00ffn).emit(op.i64And).i64(8n).emit(op.i64Shl, op.i64Or).set(0);
  code.get(0).i64(16n).emit(op.i64ShrU).i64(0x0000ffff0000ffffn).emit(op.i64And);
  code.get(0).i64(0x0000ffff0000ffffn).emit(op.i64And).i64(16n).emit(op.i64Shl, op.i64Or);
  return code.i64(32n).emit(op.i64Rotl);
}

/**
 * Where lane `k` of a state goes: one state (`slot` 0, 8 bytes a lane) or slot 0 or 1 of two
 * side by side (16 bytes a lane).
 */
interface Slot {
  two: boolean;
  slot: 0 | 1;
}

const ONE: Slot = { two: false, slot: 0 };
const PAIR: Slot[] = [
  { two: true, slot: 0 },
  { two: true, slot: 1 },
];

const laneOffset = ({ two, slot }: Slot, k: number) => (two ? 16 * k + 8 * slot : 8 * k);

/**
 * Stores the 25 lanes of a one-block message to the state at local `state`: `lane(k)` pushes
 * lane `k`, or returns false for a zero lane. `end` is the byte offset where the message ends
 * (keccak's 0x01 goes there; 0x80 ends the block).
 */
function setLanes(code: Code, state: number, at: Slot, end: number, lane: (k: number) => boolean): void {
  for (let k = 0; k < 25; k++) {
    code.get(state);
    let padding = 0n;
    if (k === end >> 3) padding |= 1n << BigInt(8 * (end & 7));
    if (k === (RATE - 1) >> 3) padding |= 0x80n << 56n;
    if (lane(k)) {
      if (padding !== 0n) code.i64(padding).emit(op.i64Xor);
    } else {
      code.i64(padding);
    }
    code.store(laneOffset(at, k));
  }
}

/** Copies the digest (lanes 0 to 3) of the state at local `state` to the 32 bytes at `target`. */
function digestTo(code: Code, state: number, at: Slot, target: (code: Code) => void): void {
  for (let k = 0; k < 4; k++) {
    target(code);
    code
      .get(state)
      .load(laneOffset(at, k))
      .store(8 * k);
  }
}

function sponge(): Code {
  const [ptr, blocks, state, cursor] = [0, 1, 2, 3];
  const code = new Code();
  for (let k = 0; k < 25; k++)
    code
      .get(state)
      .i64(0n)
      .store(8 * k);
  code.get(ptr).set(cursor);
  code.block((c) =>
    c.loop((l) => {
      l.get(blocks).emit(op.i32Eqz).brIf(1);
      for (let k = 0; k < RATE / 8; k++) {
        l.get(state)
          .get(state)
          .load(8 * k)
          .get(cursor)
          .load(8 * k)
          .emit(op.i64Xor)
          .store(8 * k);
      }
      l.get(state).call(PERMUTE);
      l.get(cursor).i32(RATE).emit(op.i32Add).set(cursor);
      l.get(blocks).i32(1).emit(op.i32Sub).set(blocks).br(0);
    }),
  );
  digestTo(code, state, ONE, (c) => c.get(ptr));
  return code;
}

/**
 * The loop over items `[i, to)` (locals `i` and `to`) that `leaves` and `addresses` share: `body`
 * emits the work of two items at slots `PAIR` with `PERMUTE_TWO` while two are left, then of the
 * last one at `ONE` with `PERMUTE` if the count is odd.
 */
function twoAtATime(
  code: Code,
  i: number,
  to: number,
  body: (code: Code, slots: readonly Slot[], permute: number) => void,
): Code {
  code.block((c) =>
    c.loop((l) => {
      l.get(i).i32(1).emit(op.i32Add).get(to).emit(op.i32GeU).brIf(1);
      body(l, PAIR, PERMUTE_TWO);
      l.get(i).i32(2).emit(op.i32Add).set(i).br(0);
    }),
  );
  return code.block((c) => {
    c.get(i).get(to).emit(op.i32GeU).brIf(0);
    body(c, [ONE], PERMUTE);
  });
}

/**
 * Leaves two at a time with the two-state permutation, then the last one alone if the count is
 * odd. Both passes share the code that lays out and hashes a leaf (`first`, `second`, `output`).
 */
function leaves(): Code {
  const [packed, out, i, to, state, index] = [0, 1, 2, 3, 4, 5];
  const code = new Code();
  // The leaf of index `i + slot`: abi.encode(index, kind, holder, amount) is four words: the
  // index's low 4 bytes end word 0 (lane 3), the kind ends word 1 (lane 7), the record holds
  // words 2 and 3 (lanes 8 to 15). Then the second hash, of the digest in lanes 0 to 3.
  const record = (c: Code, slot: number) =>
    c
      .get(packed)
      .get(i)
      .i32(6)
      .emit(op.i32Shl, op.i32Add)
      .i32(slot * LEAF_RECORD.size)
      .emit(op.i32Add);
  const first = (c: Code, at: Slot) => {
    c.get(i).i32(at.slot).emit(op.i32Add, op.i64ExtendI32U).set(index);
    setLanes(c, state, at, 128, (k) => {
      if (k === 3) {
        for (const [mask, shift] of [
          [0xffn, 56n],
          [0xff00n, 40n],
          [0xff0000n, 24n],
          [0xff000000n, 8n],
        ] as const) {
          c.get(index).i64(mask).emit(op.i64And).i64(shift).emit(op.i64Shl);
          if (mask !== 0xffn) c.emit(op.i64Or);
        }
        return true;
      }
      if (k === 7) {
        record(c, at.slot).load8(LEAF_RECORD.kind).i64(56n).emit(op.i64Shl);
        return true;
      }
      if (k > 8 && k < 16) {
        record(c, at.slot).load(8 * (k - 8));
        return true;
      }
      return false;
    });
  };
  const second = (c: Code, at: Slot) => {
    for (let k = 4; k < 25; k++)
      c.get(state)
        .i64(k === 4 ? 1n : k === 16 ? 0x80n << 56n : 0n)
        .store(laneOffset(at, k));
  };
  const output = (c: Code, at: Slot) =>
    digestTo(c, state, at, (t) => t.get(out).get(i).i32(at.slot).emit(op.i32Add).i32(5).emit(op.i32Shl, op.i32Add));
  return twoAtATime(code, i, to, (c, slots, permute) => {
    for (const at of slots) first(c, at);
    c.get(state).call(permute);
    for (const at of slots) second(c, at);
    c.get(state).call(permute);
    for (const at of slots) output(c, at);
  });
}

/**
 * Internal nodes from the top of the range down (children before parents, so a range may span
 * levels), two at a time with the two-state permutation, then one at a time.
 */
function nodes(): Code {
  const [tree, from, i, state, left, right, x, y, swap, low, high] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const code = new Code();
  // Node `i - 1 - slot`: its children in order, big-endian word by word (past the first word
  // only for equal prefixes), as the message; its hash goes back into the node.
  const node = (c: Code, slot: number) =>
    c
      .get(i)
      .i32(1 + slot)
      .emit(op.i32Sub);
  const input = (c: Code, at: Slot) => {
    c.get(tree);
    node(c, at.slot)
      .i32(6)
      .emit(op.i32Shl, op.i32Add)
      .i32(32)
      .emit(op.i32Add)
      .tee(left)
      .i32(32)
      .emit(op.i32Add)
      .set(right);
    c.block((cmp) => {
      for (let k = 0; k < 4; k++) {
        cmp
          .get(left)
          .load(8 * k)
          .call(BIG_ENDIAN)
          .set(x);
        cmp
          .get(right)
          .load(8 * k)
          .call(BIG_ENDIAN)
          .set(y);
        cmp.get(y).get(x).emit(op.i64LtU).set(swap);
        cmp.get(x).get(y).emit(op.i64Ne).brIf(0);
      }
    });
    c.get(right).get(left).get(swap).emit(op.select).set(low);
    c.get(left).get(right).get(swap).emit(op.select).set(high);
    setLanes(c, state, at, 64, (k) => {
      if (k >= 8) return false;
      c.get(k < 4 ? low : high).load(8 * (k & 3));
      return true;
    });
  };
  const output = (c: Code, at: Slot) =>
    digestTo(c, state, at, (t) => node(t.get(tree), at.slot).i32(5).emit(op.i32Shl, op.i32Add));
  // Two at a time while at least two are left, except nodes 1 and 0: the root is the parent.
  code.block((c) =>
    c.loop((l) => {
      l.get(from).i32(2).emit(op.i32Add).get(i).emit(op.i32GtU).brIf(1);
      l.get(i).i32(3).emit(op.i32LtU).brIf(1);
      for (const at of PAIR) input(l, at);
      l.get(state).call(PERMUTE_TWO);
      for (const at of PAIR) output(l, at);
      l.get(i).i32(2).emit(op.i32Sub).set(i).br(0);
    }),
  );
  code.block((c) =>
    c.loop((l) => {
      l.get(i).get(from).emit(op.i32LeU).brIf(1);
      input(l, ONE);
      l.get(state).call(PERMUTE);
      output(l, ONE);
      l.get(i).i32(1).emit(op.i32Sub).set(i).br(0);
    }),
  );
  return code;
}

/** 40-byte messages (an address's hex) two at a time, as `leaves` does; then the last one if odd. */
function addresses(): Code {
  const [text, i, to, state] = [0, 1, 2, 3];
  const code = new Code();
  const message = (c: Code, slot: number) =>
    c.get(text).get(i).i32(slot).emit(op.i32Add).i32(6).emit(op.i32Shl, op.i32Add);
  const input = (c: Code, at: Slot) =>
    setLanes(c, state, at, 40, (k) => {
      if (k >= 5) return false;
      message(c, at.slot).load(8 * k);
      return true;
    });
  const output = (c: Code, at: Slot) => digestTo(c, state, at, (t) => message(t, at.slot));
  return twoAtATime(code, i, to, (c, slots, permute) => {
    for (const at of slots) input(c, at);
    c.get(state).call(permute);
    for (const at of slots) output(c, at);
  });
}

let moduleBytes: Uint8Array | undefined;

/** The keccak WebAssembly module (see `KeccakExports`), emitted once per process. */
export function keccakModuleBytes(): Uint8Array {
  moduleBytes ??= emitModule([
    { params: [I32], results: [], locals: new Array(33).fill(I64), body: permute(false) },
    { params: [I32], results: [], locals: new Array(33).fill(V128), body: permute(true) },
    { params: [I64], results: [I64], locals: [], body: bigEndian() },
    { export: "sponge", params: [I32, I32, I32], results: [], locals: [I32], body: sponge() },
    { export: "leaves", params: [I32, I32, I32, I32, I32], results: [], locals: [I64], body: leaves() },
    {
      export: "nodes",
      params: [I32, I32, I32, I32],
      results: [],
      locals: [I32, I32, I64, I64, I32, I32, I32],
      body: nodes(),
    },
    { export: "addresses", params: [I32, I32, I32, I32], results: [], locals: [], body: addresses() },
  ]);
  return moduleBytes;
}

let compiled: WasmModule | undefined;

/** The compiled keccak module, compiled once per thread. */
export function keccakModule(): WasmModule {
  compiled ??= compile(keccakModuleBytes());
  return compiled;
}

const INPUT_SIZE = 16 * 1024;
/** The engine's memory: the input, room to pad it to whole blocks, then the state. */
const STATE_OFFSET = INPUT_SIZE + RATE;

/** A keccak-256 engine on a memory of its own. */
export async function createKeccakEngine(): Promise<KeccakEngine> {
  return keccakEngine();
}

/** `createKeccakEngine`, synchronously: the module is compiled synchronously once per thread anyway. */
export function keccakEngine(): KeccakEngine {
  const memory = sharedMemory(STATE_OFFSET + STATE_BYTES);
  const { sponge, addresses } = instantiate<KeccakExports>(keccakModule(), memory);
  const padded = Buffer.from(memory.buffer, 0, STATE_OFFSET);
  let last = 1;
  return {
    input: padded.subarray(0, INPUT_SIZE),
    hash(length) {
      const blocks = Math.floor(length / RATE) + 1;
      const end = blocks * RATE;
      padded.fill(0, length, end);
      padded[length] = 0x01;
      padded[end - 1]! ^= 0x80;
      last = blocks;
      sponge(0, blocks, STATE_OFFSET);
    },
    rehash() {
      sponge(0, last, STATE_OFFSET);
    },
    hashAddresses(count) {
      if (count > INPUT_SIZE / 64) throw new RangeError(`at most ${INPUT_SIZE / 64} addresses a call`);
      addresses(0, 0, count, STATE_OFFSET);
    },
  };
}

let shared: Promise<KeccakEngine> | undefined;

/** keccak-256 of `data` (at most 16 KiB) as a new 32-byte buffer, on a shared engine. */
export async function keccak256(data: Uint8Array): Promise<Buffer> {
  shared ??= createKeccakEngine();
  const engine = await shared;
  if (data.length > INPUT_SIZE) throw new RangeError(`keccak256 takes at most ${INPUT_SIZE} bytes`);
  engine.input.set(data, 0);
  engine.hash(data.length);
  return Buffer.from(engine.input.subarray(0, 32));
}
