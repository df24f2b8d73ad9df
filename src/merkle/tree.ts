import { createKeccakEngine, type KeccakEngine } from "./keccak.js";
import { HashPool, type HashJob } from "./pool.js";

/** The leaf types, in the order `abi.encode` takes them: `(index, kind, holder, amount)`. */
export const LEAF_ENCODING = ["uint256", "uint8", "address", "uint256"] as const;

/**
 * What a leaf's `holder` is. `Evm`: an EVM account, paid by `claim`. `Legacy`: the HASH160 of an
 * old-chain P2PKH key as an address, paid by `claimLegacy` (token swap part 2).
 */
export const LeafKind = { Evm: 0, Legacy: 1 } as const;
export type LeafKind = (typeof LeafKind)[keyof typeof LeafKind];

/** One holder of the airdrop. Its index in the tree is its position in the list given to the builder. */
export interface LeafEntry {
  kind: LeafKind;
  /** A 20-byte hex address, `0x`-prefixed (any case; the builder does not check EIP-55). */
  holder: string;
  /** In wei, > 0. */
  amount: bigint;
}

/** Called as the builder goes, so a command line can draw a progress bar. */
export type BuildProgress = (stage: "leaves" | "sort" | "nodes", done: number, total: number) => void;

const MAX_UINT256 = (1n << 256n) - 1n;
/** The distributor keeps up to 2^3 = 8 top nodes (TokenSwapDistributor.MAX_TOP_NODES). */
const TOP_DEPTH = 3;

/**
 * A built airdrop tree in OpenZeppelin StandardMerkleTree's layout: a complete binary tree in
 * one array (node `i` has children `2i + 1` and `2i + 2`, the root is node 0), leaves sorted by
 * hash and stored from the end. It is exactly what `StandardMerkleTree.of(values, LEAF_ENCODING)`
 * builds, with the nodes in one flat buffer instead of one hex string each, so proofs are index
 * arithmetic over bytes.
 */
export class AirdropTree {
  private _hex: string | undefined;

  constructor(
    /** The holders, in index order. */
    readonly entries: readonly LeafEntry[],
    /** Every node, 32 bytes each, in StandardMerkleTree's array order: `(2 × count − 1) × 32` bytes. */
    readonly nodes: Uint8Array,
    /** `treeIndex[index]`: where the leaf of holder `index` sits in `nodes`. */
    readonly treeIndex: Uint32Array,
    /** The sum of every amount. */
    readonly total: bigint,
  ) {}

  get count(): number {
    return this.entries.length;
  }

  get nodeCount(): number {
    return this.nodes.length / 32;
  }

  get root(): string {
    return this.node(0);
  }

  /** Node `i` as `0x`-prefixed lowercase hex. */
  node(i: number): string {
    return "0x" + this.hex.slice(i * 64, i * 64 + 64);
  }

  /** Every node as one lowercase hex string without `0x`, 64 characters a node (built once). */
  get hex(): string {
    this._hex ??= Buffer.from(this.nodes.buffer, this.nodes.byteOffset, this.nodes.byteLength).toString("hex");
    return this._hex;
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
   * The depth of the level the distributor keeps (`Config.topNodes`): three levels below the
   * root, or less in a tree too small to have them. Every leaf is at least that deep.
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

/** Hashes the leaf of `entry` at `index` into `out` at `offset`: keccak256(keccak256(abi.encode(...))). */
function hashLeaf(
  engine: KeccakEngine,
  index: bigint | number,
  entry: LeafEntry,
  out: Uint8Array,
  offset: number,
): void {
  const input = engine.input;
  input.fill(0, 0, 128);
  if (typeof index === "number") input.writeUInt32BE(index, 28);
  else input.write(index.toString(16).padStart(64, "0"), 0, 32, "hex");
  input[63] = entry.kind;
  input.write(entry.holder.slice(2), 76, 20, "hex");
  let amount = entry.amount.toString(16);
  if (amount.length & 1) amount = "0" + amount;
  input.write(amount, 128 - amount.length / 2, "hex");
  engine.hash(128);
  engine.hash(32);
  input.copy(out, offset, 0, 32);
}

/** Hashes the sorted pair of the 32-byte nodes at `a` and `b` of `nodes` into `out` at `offset`. */
function hashPair(engine: KeccakEngine, nodes: Buffer, a: number, b: number, out: Uint8Array, offset: number): void {
  const input = engine.input;
  const x = nodes.readUInt32BE(a);
  const y = nodes.readUInt32BE(b);
  const ordered = x !== y ? x < y : nodes.compare(nodes, b, b + 32, a, a + 32) <= 0;
  if (ordered) {
    nodes.copy(input, 0, a, a + 32);
    nodes.copy(input, 32, b, b + 32);
  } else {
    nodes.copy(input, 0, b, b + 32);
    nodes.copy(input, 32, a, a + 32);
  }
  engine.hash(64);
  input.copy(out, offset, 0, 32);
}

const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) {
  NIBBLE["0123456789abcdef".charCodeAt(c)] = c;
  NIBBLE["0123456789ABCDEF".charCodeAt(c)] = c;
}

/** Parses `2 × bytes` hex characters of `hex` from `at` into `out[offset..]`; false on a non-hex character. */
function hexInto(hex: string, at: number, out: Uint8Array, offset: number, bytes: number): boolean {
  for (let k = 0; k < bytes; k++) {
    const hi = NIBBLE[hex.charCodeAt(at + 2 * k)] ?? -1;
    const lo = NIBBLE[hex.charCodeAt(at + 2 * k + 1)] ?? -1;
    if ((hi | lo) < 0) return false;
    out[offset + k] = (hi << 4) | lo;
  }
  return true;
}

/** Packs entry `index` into its 64-byte record: amount (32 bytes, big-endian), holder, kind. */
function packEntry(entry: LeafEntry, index: number, packed: Uint8Array): void {
  const record = index * 64;
  if (entry.kind !== LeafKind.Evm && entry.kind !== LeafKind.Legacy) {
    throw new RangeError(`entry ${index}: kind ${String(entry.kind)} is neither 0 (EVM) nor 1 (legacy)`);
  }
  packed[record + 52] = entry.kind;
  const holder = entry.holder;
  if (holder.length !== 42 || holder[0] !== "0" || holder[1] !== "x" || !hexInto(holder, 2, packed, record + 32, 20)) {
    throw new RangeError(`entry ${index}: holder ${holder} is not a 20-byte address`);
  }
  if (entry.amount <= 0n || entry.amount > MAX_UINT256) {
    throw new RangeError(`entry ${index}: amount ${entry.amount} is not in 1..2^256-1`);
  }
  const amount = entry.amount.toString(16);
  const odd = amount.length & 1;
  const bytes = (amount.length + odd) >> 1;
  if (odd) packed[record + 32 - bytes] = NIBBLE[amount.charCodeAt(0)]!;
  hexInto(amount, odd, packed, record + 32 - bytes + odd, bytes - odd);
}

/**
 * Leaf order: ascending by hash, as StandardMerkleTree sorts them. Each key is a double holding
 * the top bits of the hash above the entry's index (53 bits in all, exact), so one native
 * typed-array sort does the work; hashes that share those top bits are then ordered in full.
 */
function sortLeaves(leaves: Buffer, count: number): Uint32Array {
  const indexBits = Math.max(1, Math.ceil(Math.log2(count)));
  const prefixBits = 53 - indexBits;
  const scale = 2 ** indexBits;
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const top = leaves.readUInt32BE(i * 32) * 2 ** 21 + (leaves.readUInt32BE(i * 32 + 4) >>> 11);
    keys[i] = Math.floor(top / 2 ** (53 - prefixBits)) * scale + i;
  }
  keys.sort();
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = keys[i]! % scale;
  for (let i = 0; i < count - 1;) {
    let end = i + 1;
    while (end < count && Math.floor(keys[end]! / scale) === Math.floor(keys[i]! / scale)) end++;
    if (end - i > 1) {
      const run = Array.from(order.subarray(i, end)).sort((a, b) =>
        leaves.compare(leaves, b * 32, b * 32 + 32, a * 32, a * 32 + 32),
      );
      order.set(run, i);
    }
    i = end;
  }
  return order;
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
 * Builds the tree of `entries`, holder `i` getting index `i`. The root is the one
 * `StandardMerkleTree.of(values, LEAF_ENCODING)` gives for the values `[i, kind, holder, amount]`.
 * Leaves and the wide lower levels are hashed on worker threads over shared memory; the main
 * thread packs the entries and sorts. Throws a RangeError on an entry that cannot be a leaf (the
 * readers validate input before this).
 */
export async function buildTree(entries: readonly LeafEntry[], options: BuildOptions = {}): Promise<AirdropTree> {
  const { onProgress } = options;
  const count = entries.length;
  if (count === 0) throw new RangeError("an airdrop tree needs at least one holder");
  if (count >= 2 ** 31) throw new RangeError(`${count} holders is more than this builder supports`);

  const own = options.threads !== undefined;
  const pool = own ? await HashPool.start(options.threads) : await HashPool.shared();
  try {
    // Entries are packed a job at a time, and each packed job goes to the workers at once, so
    // packing on this thread overlaps hashing on theirs.
    const packedMemory = new SharedArrayBuffer(count * 64);
    const packed = new Uint8Array(packedMemory);
    const leavesMemory = new SharedArrayBuffer(count * 32);
    const hashing: Promise<void>[] = [];
    let hashed = 0;
    let total = 0n;
    onProgress?.("leaves", 0, count);
    for (let from = 0; from < count; from += JOB_SIZE) {
      const to = Math.min(count, from + JOB_SIZE);
      for (let i = from; i < to; i++) {
        const entry = entries[i]!;
        packEntry(entry, i, packed);
        total += entry.amount;
      }
      if (total > MAX_UINT256) throw new RangeError("the amounts add up to more than 2^256 - 1");
      hashing.push(
        pool
          .submit({ op: "leaves", packed: packedMemory, out: leavesMemory, from, to })
          .then((items) => onProgress?.("leaves", (hashed += items), count)),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(hashing);
    const leaves = Buffer.from(leavesMemory);

    onProgress?.("sort", 0, 1);
    const order = sortLeaves(leaves, count);
    onProgress?.("sort", 1, 1);

    const nodeCount = 2 * count - 1;
    const nodesMemory = new SharedArrayBuffer(nodeCount * 32);
    const nodes = Buffer.from(nodesMemory);
    const nodeWords = new Int32Array(nodesMemory);
    const leafWords = new Int32Array(leavesMemory);
    const treeIndex = new Uint32Array(count);
    for (let rank = 0; rank < count; rank++) {
      const index = order[rank]!;
      const at = nodeCount - 1 - rank;
      treeIndex[index] = at;
      for (let k = 0; k < 8; k++) nodeWords[at * 8 + k] = leafWords[index * 8 + k]!;
    }

    // The nodes under each node of one level near the top go to the workers as whole subtrees
    // (several per worker, so uneven ones even out); the few nodes above that level come last.
    const internal = count - 1;
    let done = 0;
    onProgress?.("nodes", 0, internal);
    const split = Math.min(Math.floor(Math.log2(nodeCount)), Math.ceil(Math.log2(pool.size * 4)));
    const first = 2 ** split - 1;
    const subtrees: HashJob[] = [];
    for (let root = first; root < 2 * first + 1; root++) {
      if (root < internal) subtrees.push({ op: "subtree", nodes: nodesMemory, root, internal });
    }
    const report = (items: number) => onProgress?.("nodes", (done += items), internal);
    await pool.run(subtrees, report);
    if (first > 0)
      await pool.run([{ op: "nodes", nodes: nodesMemory, from: 0, to: Math.min(first, internal) }], report);
    return new AirdropTree(entries, nodes, treeIndex, total);
  } finally {
    if (own) await pool.close();
  }
}

/**
 * The root a proof leads to from the leaf `(index, kind, holder, amount)`, computed the way the
 * contract does (double-hashed leaf, sorted pairs). A dApp can check a proof before sending it.
 */
export async function processProof(
  index: bigint | number,
  entry: LeafEntry,
  proof: readonly string[],
): Promise<string> {
  const engine = await createKeccakEngine();
  const pair = Buffer.alloc(64);
  hashLeaf(engine, BigInt(index), entry, pair, 0);
  for (const sibling of proof) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(sibling)) throw new RangeError(`proof node ${sibling} is not 32 bytes`);
    pair.write(sibling.slice(2), 32, 32, "hex");
    hashPair(engine, pair, 0, 32, pair, 0);
  }
  return "0x" + pair.toString("hex", 0, 32);
}
