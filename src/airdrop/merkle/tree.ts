import {
  keccakEngine,
  keccakModule,
  LEAF_RECORD,
  STATE_BYTES,
  type KeccakEngine,
  type KeccakExports,
} from "./keccak.js";
import { HashPool, type HashJob } from "./pool.js";
import { LeafKind, MAX_UINT256, type LeafEntry } from "./proof.js";
import { TOP_DEPTH } from "./top-level.js";
import { instantiate, sharedMemory } from "./wasm.js";

/** Called as the builder goes, so a command line can draw a progress bar. */
export type BuildProgress = (stage: "leaves" | "sort" | "nodes", done: number, total: number) => void;

/** Bytes of nodes hex-encoded at a time by `hexBytes`. */
const HEX_SLICE = 1 << 24;

/**
 * A built airdrop tree in OpenZeppelin StandardMerkleTree's layout: a complete binary tree in
 * one array (node `i` has children `2i + 1` and `2i + 2`, the root is node 0), leaves sorted by
 * hash and stored from the end. It is exactly what `StandardMerkleTree.of(values, LEAF_ENCODING)`
 * builds, with the nodes in one flat buffer instead of one hex string each, so proofs are index
 * arithmetic over bytes.
 */
export class AirdropTree {
  private readonly _bytes: Buffer;
  private _entries: readonly LeafEntry[] | undefined;
  private _records: Buffer | undefined;

  constructor(
    /**
     * The holders, in index order; or undefined when `records` holds them (a tree built straight
     * from a CSV's packed records makes no object per holder unless a caller asks for `entries`).
     */
    entries: readonly LeafEntry[] | undefined,
    /** Every node, 32 bytes each, in StandardMerkleTree's array order: `(2 × count − 1) × 32` bytes. */
    readonly nodes: Uint8Array,
    /** `treeIndex[index]`: where the leaf of holder `index` sits in `nodes`. */
    readonly treeIndex: Uint32Array,
    /** The sum of every amount. */
    readonly total: bigint,
    /** The holders as leaf records (`LEAF_RECORD`, 64 bytes each, index order), if the builder kept them. */
    records?: Uint8Array,
  ) {
    this._bytes = Buffer.from(nodes.buffer, nodes.byteOffset, nodes.byteLength);
    this._entries = entries;
    this._records =
      records === undefined ? undefined : Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    if (entries === undefined && records === undefined) throw new RangeError("a tree needs its entries or records");
  }

  /** The holders, in index order (decoded from the records on first use when built from them). */
  get entries(): readonly LeafEntry[] {
    this._entries ??= decodeRecords(this._records!, this.treeIndex.length);
    return this._entries;
  }

  /** The holders as 64-byte leaf records (`LEAF_RECORD`) in index order: what the writers copy out. */
  records(): Buffer {
    if (this._records === undefined) {
      const count = this.treeIndex.length;
      const packed = Buffer.alloc(count * LEAF_RECORD.size);
      const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
      this.entries.forEach((entry, i) => packEntry(entry, i, packed, view));
      this._records = packed;
    }
    return this._records;
  }

  get count(): number {
    return this.treeIndex.length;
  }

  get nodeCount(): number {
    return this.nodes.length / 32;
  }

  get root(): string {
    return this.node(0);
  }

  /** Node `i` as `0x`-prefixed lowercase hex. */
  node(i: number): string {
    return "0x" + this._bytes.toString("hex", i * 32, i * 32 + 32);
  }

  /**
   * Every node in lowercase hex as bytes (latin1), 64 a node, for writers that copy them out.
   * Encoded a slice at a time: one string of a tree over 4.2 million holders would pass V8's
   * limit on string length.
   */
  hexBytes(): Buffer {
    const out = Buffer.allocUnsafe(this._bytes.length * 2);
    for (let at = 0; at < this._bytes.length; at += HEX_SLICE) {
      out.write(this._bytes.toString("hex", at, Math.min(this._bytes.length, at + HEX_SLICE)), at * 2, "latin1");
    }
    return out;
  }

  /** The leaf hash of holder `index`. */
  leaf(index: number): string {
    return this.node(this.treeIndex[this.checkIndex(index)]!);
  }

  /** The tree indices of the siblings from the leaf of holder `index` up to the root. */
  proofNodes(index: number): number[] {
    const path: number[] = [];
    for (let j = this.treeIndex[this.checkIndex(index)]!; j > 0; j = (j - 1) >> 1) {
      path.push(j & 1 ? j + 1 : j - 1);
    }
    return path;
  }

  /** The full proof of holder `index`, up to the root: what `StandardMerkleTree.getProof` gives. */
  proof(index: number): string[] {
    return this.proofNodes(index).map((j) => this.node(j));
  }

  /**
   * The depth of the level the distributor keeps (`Config.topNodes`): `TOP_DEPTH` levels below
   * the root, or less in a tree too small to have them. Every leaf is at least that deep.
   */
  get topDepth(): number {
    return Math.min(TOP_DEPTH, Math.floor(Math.log2(this.count)));
  }

  /** The nodes of level `topDepth`, left to right: the distributor's `Config.topNodes`. */
  get topNodes(): string[] {
    const first = 2 ** this.topDepth - 1;
    return Array.from({ length: first + 1 }, (_, i) => this.node(first + i));
  }

  /** The proof of holder `index` up to the level of `topNodes`: `topDepth` elements shorter. */
  shortProof(index: number): string[] {
    const path = this.proofNodes(index);
    return path.slice(0, path.length - this.topDepth).map((j) => this.node(j));
  }

  private checkIndex(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`index ${index} is not in the tree (0..${this.count - 1})`);
    }
    return index;
  }
}

/**
 * The EIP-55 form of the 20 bytes at `bytes[at..at + 20]`: a hex letter is upper case when the
 * matching nibble of keccak256(lower-case hex) is 8 or more.
 */
export function checksumOf(engine: KeccakEngine, bytes: Uint8Array, at: number): string {
  const lower = Buffer.from(bytes.buffer, bytes.byteOffset + at, 20).toString("hex");
  const input = engine.input;
  input.write(lower, 0, 40, "latin1");
  engine.hash(40);
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const c = lower.charCodeAt(i);
    const nibble = i & 1 ? input[i >> 1]! & 0x0f : input[i >> 1]! >> 4;
    out += String.fromCharCode(c >= 0x61 && nibble >= 8 ? c - 0x20 : c);
  }
  return out;
}

/**
 * The entries of `count` leaf records: EVM holders in EIP-55 (as the snapshot reader gives them),
 * old-chain holders (HASH160s) in lower case (as the legacy reader gives them).
 */
export function decodeRecords(records: Buffer, count: number): LeafEntry[] {
  const engine = keccakEngine();
  const entries: LeafEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * LEAF_RECORD.size;
    const kind = records[at + LEAF_RECORD.kind] as LeafKind;
    const holder =
      kind === LeafKind.Evm
        ? checksumOf(engine, records, at + LEAF_RECORD.holder)
        : "0x" + records.toString("hex", at + LEAF_RECORD.holder, at + LEAF_RECORD.holder + 20);
    const amount = BigInt("0x" + records.toString("hex", at + LEAF_RECORD.amount, at + LEAF_RECORD.size));
    entries[i] = { kind, holder, amount };
  }
  return entries;
}

/**
 * Packs entry `index` into its leaf record (`LEAF_RECORD`) in `packed`, which starts zeroed;
 * `view` is a DataView of the same bytes.
 */
function packEntry(entry: LeafEntry, index: number, packed: Buffer, view: DataView): void {
  const record = index * LEAF_RECORD.size;
  if (entry.kind !== LeafKind.Evm && entry.kind !== LeafKind.Legacy) {
    throw new RangeError(`entry ${index}: kind ${String(entry.kind)} is neither 0 (EVM) nor 1 (legacy)`);
  }
  packed[record + LEAF_RECORD.kind] = entry.kind;
  const holder = entry.holder;
  // Hex decoding stops at the first character that is not hex, so 20 bytes means all 40 were.
  if (
    holder.length !== 42 ||
    !holder.startsWith("0x") ||
    packed.write(holder.slice(2), record + LEAF_RECORD.holder, 20, "hex") !== 20
  ) {
    throw new RangeError(`entry ${index}: holder ${holder} is not a 20-byte address`);
  }
  if (entry.amount <= 0n || entry.amount > MAX_UINT256) {
    throw new RangeError(`entry ${index}: amount ${entry.amount} is not in 1..2^256-1`);
  }
  for (let v = entry.amount, at = record + LEAF_RECORD.amount + 24; v > 0n; v >>= 64n, at -= 8) {
    view.setBigUint64(at, BigInt.asUintN(64, v));
  }
}

/** Buckets of more leaves than this (ground hash prefixes, not chance) are sorted in n log n. */
const INSERTION_LIMIT = 32;

/**
 * Leaf order: ascending by hash, as StandardMerkleTree sorts them. One counting pass buckets the
 * leaves by their top bits, as many bits as it takes for about one leaf a bucket; each bucket is
 * then ordered by the first 32-bit word, and in full where that ties.
 */
export function sortLeaves(leaves: Buffer, count: number): Uint32Array {
  const bits = Math.min(24, Math.max(1, Math.ceil(Math.log2(count))));
  const shift = 32 - bits;
  const top = new Uint32Array(count);
  const next = new Uint32Array((1 << bits) + 1);
  for (let i = 0; i < count; i++) {
    const word = leaves.readUInt32BE(i * 32);
    top[i] = word;
    next[(word >>> shift) + 1]!++;
  }
  for (let b = 1; b < next.length; b++) next[b]! += next[b - 1]!;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[next[top[i]! >>> shift]!++] = i;
  const before = (x: number, y: number) =>
    top[x] !== top[y] ? top[x]! < top[y]! : leaves.compare(leaves, y * 32, y * 32 + 32, x * 32, x * 32 + 32) < 0;
  // After the scatter, next[b] is where bucket b ends.
  for (let b = 0, from = 0; b < 1 << bits; from = next[b++]!) {
    const to = next[b]!;
    if (to - from <= 1) continue;
    if (to - from > INSERTION_LIMIT) {
      const bucket = Array.from(order.subarray(from, to)).sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
      order.set(bucket, from);
      continue;
    }
    for (let i = from + 1; i < to; i++) {
      const leaf = order[i]!;
      let j = i;
      for (; j > from && before(leaf, order[j - 1]!); j--) order[j] = order[j - 1]!;
      order[j] = leaf;
    }
  }
  return order;
}

/**
 * Copies the leaves into the tree's last `count` nodes, the smallest last (`order` is by rank),
 * as StandardMerkleTree places them; returns where each holder's leaf went.
 */
function placeLeaves(order: Uint32Array, leafWords: Int32Array, nodeWords: Int32Array): Uint32Array {
  const count = order.length;
  const last = nodeWords.length / 8 - 1;
  const treeIndex = new Uint32Array(count);
  for (let rank = 0; rank < count; rank++) {
    const index = order[rank]!;
    const at = last - rank;
    treeIndex[index] = at;
    for (let k = 0; k < 8; k++) nodeWords[at * 8 + k] = leafWords[index * 8 + k]!;
  }
  return treeIndex;
}

/** How the builder runs. */
export interface BuildOptions {
  onProgress?: BuildProgress;
  /** Worker threads that hash: a pool of its own, closed after. Default: the shared pool, one per core. */
  threads?: number;
}

/** Leaf jobs of this many entries, so packing and hashing overlap and progress moves. */
const JOB_SIZE = 1 << 13;

/**
 * The builder works in one 32-bit WebAssembly memory (4 GiB at most), 160 bytes per holder (its
 * leaf record, its leaf and two tree nodes): 2.5 GiB at this many holders.
 */
export const MAX_HOLDERS = 2 ** 24;

/**
 * Builds the tree of `entries`, holder `i` getting index `i`. The root is the one
 * `StandardMerkleTree.of(values, LEAF_ENCODING)` gives for the values `[i, kind, holder, amount]`.
 * Leaves and the wide lower levels are hashed on worker threads in one shared WebAssembly memory;
 * the main thread packs the entries and sorts. Throws a RangeError on an entry that cannot be a
 * leaf (the readers validate input before this).
 */
export async function buildTree(entries: readonly LeafEntry[], options: BuildOptions = {}): Promise<AirdropTree> {
  let total = 0n;
  const tree = await build(
    entries.length,
    (packed, view, from, to) => {
      for (let i = from; i < to; i++) {
        const entry = entries[i]!;
        packEntry(entry, i, packed, view);
        total += entry.amount;
      }
      if (total > MAX_UINT256) throw new RangeError("the amounts add up to more than 2^256 - 1");
    },
    options,
  );
  return new AirdropTree(entries, tree.nodes, tree.treeIndex, total, tree.records);
}

/**
 * Builds the tree of `count` holders already packed as leaf records (`LEAF_RECORD`, 64 bytes
 * each, index order, checked by the reader that packed them, with their sum `total`): the fast
 * path from a CSV, which makes no object per holder. See `buildTree`.
 */
export async function buildTreeFromRecords(
  records: Uint8Array,
  count: number,
  total: bigint,
  options: BuildOptions = {},
): Promise<AirdropTree> {
  if (records.length < count * LEAF_RECORD.size) throw new RangeError(`${count} records need ${count * 64} bytes`);
  if (total > MAX_UINT256) throw new RangeError("the amounts add up to more than 2^256 - 1");
  const tree = await build(
    count,
    (packed, _view, from, to) =>
      packed.set(records.subarray(from * LEAF_RECORD.size, to * LEAF_RECORD.size), from * LEAF_RECORD.size),
    options,
  );
  return new AirdropTree(undefined, tree.nodes, tree.treeIndex, total, tree.records);
}

/**
 * Builds the tree of `count` holders that `pack(records, from, to)` writes as leaf records
 * (`LEAF_RECORD`) into the builder's zeroed memory, a job at a time and in order, while the
 * workers hash the jobs before: a reader packs the next rows as the last ones hash. `pack` may
 * throw to abandon the build; `total()` is asked once every row is packed. See `buildTree`.
 */
export async function buildTreeFromPacker(
  count: number,
  pack: (records: Buffer, from: number, to: number) => void,
  total: () => bigint,
  options: BuildOptions = {},
): Promise<AirdropTree> {
  const tree = await build(count, (packed, _view, from, to) => pack(packed, from, to), options);
  const sum = total();
  if (sum > MAX_UINT256) throw new RangeError("the amounts add up to more than 2^256 - 1");
  return new AirdropTree(undefined, tree.nodes, tree.treeIndex, sum, tree.records);
}

/**
 * The builder: `pack(packed, view, from, to)` fills the leaf records `[from, to)` of the shared
 * memory (zeroed), a job at a time.
 */
async function build(
  count: number,
  pack: (packed: Buffer, view: DataView, from: number, to: number) => void,
  options: BuildOptions,
): Promise<{ nodes: Buffer; treeIndex: Uint32Array; records: Buffer }> {
  const { onProgress } = options;
  if (count === 0) throw new RangeError("an airdrop tree needs at least one holder");
  if (count > MAX_HOLDERS) {
    throw new RangeError(`${count} holders is more than this builder supports (${MAX_HOLDERS})`);
  }

  // The workers may still be starting: this thread packs the first jobs meanwhile, and each job
  // goes to them once they are up. Their scratch is laid out for the size the pool will have.
  const own = options.threads !== undefined;
  const starting = own ? HashPool.start(options.threads) : HashPool.shared();
  const threads = HashPool.sizeFor(options.threads);
  try {
    const nodeCount = 2 * count - 1;
    const scratch = 0;
    const packedAt = Math.ceil((threads * STATE_BYTES) / 64) * 64;
    const leavesAt = packedAt + count * LEAF_RECORD.size;
    const nodesAt = leavesAt + count * 32;
    const memory = sharedMemory(nodesAt + nodeCount * 32);
    const packed = Buffer.from(memory.buffer, packedAt, count * LEAF_RECORD.size);
    const view = new DataView(memory.buffer, packedAt, count * LEAF_RECORD.size);

    // Entries are packed a job at a time, and each packed job goes to the workers at once, so
    // packing on this thread overlaps hashing on theirs.
    const hashing: Promise<void>[] = [];
    let hashed = 0;
    onProgress?.("leaves", 0, count);
    for (let from = 0; from < count; from += JOB_SIZE) {
      const to = Math.min(count, from + JOB_SIZE);
      pack(packed, view, from, to);
      const job = starting
        .then((pool) => pool.submit({ op: "leaves", memory, scratch, packed: packedAt, out: leavesAt, from, to }))
        .then((items) => onProgress?.("leaves", (hashed += items), count));
      // Awaited below with the others; if packing throws first, a failed job is not left unhandled.
      job.catch(() => undefined);
      hashing.push(job);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(hashing);
    const pool = await starting;
    const leaves = Buffer.from(memory.buffer, leavesAt, count * 32);

    onProgress?.("sort", 0, 1);
    const order = sortLeaves(leaves, count);
    onProgress?.("sort", 1, 1);

    const nodes = Buffer.from(memory.buffer, nodesAt, nodeCount * 32);
    const treeIndex = placeLeaves(
      order,
      new Int32Array(memory.buffer, leavesAt, count * 8),
      new Int32Array(memory.buffer, nodesAt, nodeCount * 8),
    );

    // The nodes under each node of one level near the top go to the workers as whole subtrees
    // (several per worker, so uneven ones even out); the few nodes above that level come last.
    const internal = count - 1;
    let done = 0;
    onProgress?.("nodes", 0, internal);
    const split = Math.min(Math.floor(Math.log2(nodeCount)), Math.ceil(Math.log2(pool.size * 4)));
    const first = 2 ** split - 1;
    const subtrees: HashJob[] = [];
    for (let root = first; root < 2 * first + 1; root++) {
      if (root < internal) subtrees.push({ op: "subtree", memory, scratch, tree: nodesAt, root, internal });
    }
    const report = (items: number) => onProgress?.("nodes", (done += items), internal);
    await pool.run(subtrees, report);
    if (first > 0) {
      const to = Math.min(first, internal);
      await pool.run([{ op: "nodes", memory, scratch, tree: nodesAt, from: 0, to }], report);
    }
    return { nodes, treeIndex, records: packed };
  } finally {
    if (own) await starting.then((pool) => pool.close()).catch(() => undefined);
  }
}

/** Where a tree's nodes disagree with its entries: see {@link findTreeFault}. */
export type TreeFault = { leaf: number } | { node: number };

/**
 * Hashes every leaf and every internal node of a tree again, as a reader must before trusting a
 * dump it did not build: `{ leaf: i }` for the first entry whose leaf is not node `treeIndex[i]`,
 * else `{ node: j }` for the deepest internal node that is not the hash of its two children
 * (its children then hold, so `j` is the node that is wrong, not one of its ancestors), else
 * undefined. The caller has checked the entries and that `treeIndex` gives each its own leaf slot.
 * One thread, through the keccak module's batch exports (`leaves`, `nodes`): 100,000 holders in
 * a fraction of a second, with no worker to share the machine's cores with.
 */
export function findTreeFault(
  entries: readonly LeafEntry[],
  nodes: Uint8Array,
  treeIndex: Uint32Array,
): TreeFault | undefined {
  const count = entries.length;
  const nodeCount = 2 * count - 1;
  const packedAt = Math.ceil(STATE_BYTES / 64) * 64;
  const leavesAt = packedAt + count * LEAF_RECORD.size;
  const treeAt = leavesAt + count * 32;
  const memory = sharedMemory(treeAt + nodeCount * 32);
  const hash = instantiate<KeccakExports>(keccakModule(), memory);
  const packed = Buffer.from(memory.buffer, packedAt, count * LEAF_RECORD.size);
  const view = new DataView(memory.buffer, packedAt, count * LEAF_RECORD.size);
  entries.forEach((entry, i) => packEntry(entry, i, packed, view));
  hash.leaves(packedAt, leavesAt, 0, count, 0);
  const leaves = Buffer.from(memory.buffer, leavesAt, count * 32);
  const given = Buffer.from(nodes.buffer, nodes.byteOffset, nodes.byteLength);
  for (let i = 0; i < count; i++) {
    const at = treeIndex[i]! * 32;
    if (leaves.compare(given, at, at + 32, i * 32, i * 32 + 32) !== 0) return { leaf: i };
  }
  // Rebuilt from the given leaves up; a node that differs with all of its descendants equal is
  // one that is not the hash of its children as given.
  const rebuilt = Buffer.from(memory.buffer, treeAt, nodeCount * 32);
  rebuilt.set(given);
  hash.nodes(treeAt, 0, count - 1, 0);
  for (let j = count - 2; j >= 0; j--) {
    if (rebuilt.compare(given, j * 32, j * 32 + 32, j * 32, j * 32 + 32) !== 0) return { node: j };
  }
  return undefined;
}
