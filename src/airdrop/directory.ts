import { constants } from "node:buffer";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";

import { InputError } from "../errors.js";
import { LEAF_ENCODING, LeafKind, MAX_UINT256, type LeafEntry } from "./merkle/proof.js";
import { LEAF_RECORD } from "./merkle/keccak.js";
import { AirdropTree, buildTreeFromRecords, findTreeFault } from "./merkle/tree.js";
import {
  DATA_RECORD,
  fetchClaims,
  INDEX_RECORD,
  isBytes32,
  dataPath,
  dataShardOf,
  indexShardOf,
  leavesUnder,
  MANIFEST_FORMAT,
  parseManifest,
  shardDepth,
  shardName,
  type AirdropManifest,
  type HolderClaim,
  type LegacyManifest,
} from "./format.js";

/** The size of a `ByteWriter`'s buffer. */
export const CHUNK = 1 << 20;

/**
 * Writes to a file descriptor through one reused buffer (also the merkle bench's, which writes
 * every proof in JSON with it for a like-for-like comparison: bench/merkle/json-layout.ts). Proof nodes are copied as bytes from the
 * tree's hex, so a million proofs make no string per node.
 */
export class ByteWriter {
  private at = 0;

  constructor(
    private readonly fd: number,
    private readonly buffer: Buffer,
  ) {}

  text(value: string): void {
    if (value.length === 1 && this.at < CHUNK) {
      this.buffer[this.at++] = value.charCodeAt(0);
      return;
    }
    if (this.at + value.length * 3 > CHUNK) this.flush();
    if (value.length * 3 > CHUNK) {
      writeSync(this.fd, value);
      return;
    }
    this.at += this.buffer.write(value, this.at, "utf8");
  }

  /** `"0x<node>"`: node `i` of the tree's hex bytes. */
  node(hex: Buffer, i: number): void {
    if (this.at + 67 > CHUNK) this.flush();
    const b = this.buffer;
    b[this.at++] = 0x22;
    b[this.at++] = 0x30;
    b[this.at++] = 0x78;
    this.at += hex.copy(b, this.at, i * 64, i * 64 + 64);
    b[this.at++] = 0x22;
  }

  flush(): void {
    if (this.at > 0) writeSync(this.fd, this.buffer, 0, this.at);
    this.at = 0;
  }
}

/** Writes `file` through a `ByteWriter` over `buffer` (at least `CHUNK` bytes). */
export function writeStreamed(file: string, buffer: Buffer, body: (out: ByteWriter) => void): void {
  const fd = openSync(file, "w");
  try {
    const out = new ByteWriter(fd, buffer);
    body(out);
    out.flush();
  } finally {
    closeSync(fd);
  }
}

/** Writes the StandardMerkleTree dump (`format: standard-v1`) without building it in memory whole. */
export function writeTreeDump(file: string, buffer: Buffer, tree: AirdropTree, hex: Buffer): void {
  writeStreamed(file, buffer, (out) => {
    out.text(`{"format":"standard-v1","leafEncoding":${JSON.stringify(LEAF_ENCODING)},"tree":[`);
    for (let i = 0; i < tree.nodeCount; i++) {
      if (i) out.text(",");
      out.node(hex, i);
    }
    out.text(`],"values":[`);
    tree.entries.forEach((e, i) => {
      out.text(
        `${i ? "," : ""}{"value":["${i}","${e.kind}","${e.holder}","${e.amount}"],"treeIndex":${tree.treeIndex[i]}}`,
      );
    });
    out.text("]}\n");
  });
}

/** Called as shards are written. */
export type WriteProgress = (done: number, total: number) => void;

/** What `writeAirdrop` writes besides the manifest and the shards. */
export interface WriteOptions {
  /** Also `tree.json`, the dump `StandardMerkleTree.load` accepts. */
  ozDump?: boolean;
}

/**
 * Writes an airdrop directory (`AirdropManifest`): `manifest.json` with
 * the shard roots, `data/<s>.bin` (the leaves under each node of the cut level, by tree position)
 * and `index/<s>.bin` (holder → leaf position, by the address's top bits); with `ozDump`, also
 * `tree.json`, a dump that `StandardMerkleTree.load` accepts and `validate()` passes. The records
 * are copied as bytes from the builder's packed leaves: no string per holder. Everything is
 * written to a sibling temporary directory that then replaces `dir`, so readers see the old output
 * or the new one, never a mix; a failure leaves `dir` as it was. `dir` must not exist, be empty, or
 * hold an earlier output (a `manifest.json`): anything else is refused before any work.
 */
export function writeAirdrop(
  tree: AirdropTree,
  dir: string,
  onProgress?: WriteProgress,
  legacy?: LegacyManifest,
  options: WriteOptions = {},
): AirdropManifest {
  // "airdrop/" and "airdrop" are one directory: without the trailing separator, so the sibling
  // temporary and old directories are beside it, not inside it (a rename into itself is EINVAL).
  checkOutputDir(dir);
  dir = path.resolve(dir);
  const count = tree.count;
  const depth = shardDepth(count);
  const shards = 2 ** depth;
  const firstRoot = shards - 1;
  const manifest: AirdropManifest = {
    format: MANIFEST_FORMAT,
    root: tree.root,
    total: tree.total.toString(),
    count,
    leafEncoding: [...LEAF_ENCODING],
    topDepth: tree.topDepth,
    topNodes: tree.topNodes,
    ...(options.ozDump === true ? { tree: "tree.json" } : {}),
    shards: {
      depth,
      data: "data/{shard}.bin",
      index: "index/{shard}.bin",
      roots: Array.from({ length: shards }, (_, s) => tree.node(firstRoot + s)),
    },
    ...(legacy === undefined ? {} : { legacy }),
  };

  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, "data"), { recursive: true });
  mkdirSync(path.join(tmp, "index"));
  try {
    onProgress?.(0, count);
    const records = wordsOf(tree.records());
    const treeIndex = tree.treeIndex;

    // Data: each shard's leaves in ascending tree position, one buffer for all, one write a shard.
    const data = new Int32Array(count * (DATA_RECORD.size / 4));
    const dataBytes = Buffer.from(data.buffer);
    const leafAt = new Uint32Array(count);
    for (let i = 0; i < count; i++) leafAt[treeIndex[i]! - (count - 1)] = i;
    let at = 0;
    for (let s = 0; s < shards; s++) {
      const start = at;
      at = fillDataShard(data, at, firstRoot + s, count, records, leafAt);
      writeFileSync(path.join(tmp, "data", `${shardName(s, depth)}.bin`), dataBytes.subarray(start * 4, at * 4));
    }
    if (at !== data.length) throw new Error(`the data shards hold ${at / 16} leaves, not ${count}`);
    onProgress?.(count >> 1, count);

    const { index, ends } = indexRecords(records, treeIndex, depth);
    const indexBytes = Buffer.from(index.buffer);
    for (let s = 0, from = 0; s < shards; from = ends[s++]!) {
      // An empty index shard is left out: a holder whose shard is missing has no claim.
      if (ends[s]! > from) {
        const part = indexBytes.subarray(from * INDEX_RECORD.size, ends[s]! * INDEX_RECORD.size);
        writeFileSync(path.join(tmp, "index", `${shardName(s, depth)}.bin`), part);
      }
    }
    if (options.ozDump === true)
      writeTreeDump(path.join(tmp, "tree.json"), Buffer.allocUnsafe(CHUNK), tree, tree.hexBytes());
    writeFileSync(path.join(tmp, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    onProgress?.(count, count);
    replaceDir(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return manifest;
}

/** Whether this machine stores 32-bit words little-end first (then a big-endian field is swapped). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** `value` as the 32-bit word whose bytes in memory are `value` big-endian. */
function bigEndianWord(value: number): number {
  if (!LITTLE_ENDIAN) return value | 0;
  return (value >>> 24) | ((value >>> 8) & 0xff00) | ((value & 0xff00) << 8) | (value << 24) | 0;
}

/** The bytes as 32-bit words: a view when they start on a word, else a copy. */
function wordsOf(bytes: Buffer): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  return new Int32Array(Uint8Array.from(bytes).buffer);
}

/**
 * Writes the data records (`DATA_RECORD`) of the leaves under node `root`, ascending by tree
 * position (see `leavesUnder`), into `data` from word `at`; returns the word after the last.
 * Word by word from the leaf records (`LEAF_RECORD`: same kind, holder and amount words).
 */
function fillDataShard(
  data: Int32Array,
  at: number,
  root: number,
  count: number,
  records: Int32Array,
  leafAt: Uint32Array,
): number {
  const firstLeaf = count - 1;
  const end = 2 * count - 1;
  for (let d = 0; (root + 1) * 2 ** d - 1 < end; d++) {
    const from = (root + 1) * 2 ** d - 1;
    const to = Math.min((root + 2) * 2 ** d - 1, end);
    for (let t = Math.max(from, firstLeaf); t < to; t++) {
      const i = leafAt[t - firstLeaf]!;
      const r = i * 16;
      data[at] = records[r]!;
      data[at + DATA_RECORD.treeIndex / 4] = bigEndianWord(t);
      data[at + DATA_RECORD.index / 4] = bigEndianWord(i);
      for (let k = DATA_RECORD.holder / 4; k < 16; k++) data[at + k] = records[r + k]!;
      at += 16;
    }
    if (from >= firstLeaf) break;
  }
  return at;
}

/**
 * The index records (`INDEX_RECORD`) of every holder, ordered by index shard (the top `depth`
 * bits of the address: a counting sort, holders in index order within), and where each shard's
 * records end.
 */
function indexRecords(
  records: Int32Array,
  treeIndex: Uint32Array,
  depth: number,
): { index: Int32Array; ends: Uint32Array } {
  const count = treeIndex.length;
  const words = INDEX_RECORD.size / 4;
  const holderWord = LEAF_RECORD.holder / 4;
  const bucket = new Uint32Array(2 ** depth + 1);
  const shardOfHolder = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const top = depth === 0 ? 0 : bigEndianWord(records[i * 16 + holderWord]!) >>> (32 - depth);
    shardOfHolder[i] = top;
    bucket[top + 1]!++;
  }
  for (let b = 1; b < bucket.length; b++) bucket[b]! += bucket[b - 1]!;
  const ends = bucket.slice(1);
  const index = new Int32Array(count * words);
  for (let i = 0; i < count; i++) {
    const to = bucket[shardOfHolder[i]!]!++ * words;
    const from = i * 16 + holderWord;
    for (let k = 0; k < 5; k++) index[to + k] = records[from + k]!;
    index[to + INDEX_RECORD.treeIndex / 4] = bigEndianWord(treeIndex[i]!);
  }
  return { index, ends };
}

function checkOutputDir(dir: string): void {
  if (!existsSync(dir)) return;
  const names = readdirSync(dir);
  if (names.length > 0 && !names.includes("manifest.json")) {
    throw new InputError(
      dir,
      undefined,
      undefined,
      "exists and is not an airdrop output (no manifest.json); refusing to replace it",
    );
  }
}

function replaceDir(from: string, to: string): void {
  if (!existsSync(to)) {
    renameSync(from, to);
    return;
  }
  const old = `${to}.${process.pid}.old`;
  renameSync(to, old);
  renameSync(from, to);
  rmSync(old, { recursive: true, force: true });
}

/** Reads and checks `manifest.json` of an airdrop directory: every field a reader relies on. */
export async function readManifest(dir: string): Promise<AirdropManifest> {
  const file = path.join(dir, "manifest.json");
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not a readable airdrop manifest: ${(error as Error).message}`);
  }
  return parseManifest(manifest, file);
}

/**
 * Reads a StandardMerkleTree dump (`tree.json`) and trusts none of it: every value is checked,
 * every leaf hashed again and every internal node rebuilt (`findTreeFault`), so what passes here
 * is what `StandardMerkleTree.load(dump)` accepts, and stricter: the values are in index order
 * (`value[0]` is the leaf's position, the index the contract pays), and the tree has exactly one
 * leaf slot per value, so no leaf hides in the root without a value to show it. Anything else is
 * an `InputError` naming the file and the field (`values[i]…`, `tree[j]`).
 */
export async function readTreeDump(file: string): Promise<AirdropTree> {
  // One JSON text is one string: past V8's longest (about 2 million holders), say so.
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size > constants.MAX_STRING_LENGTH) {
    throw new InputError(
      file,
      undefined,
      undefined,
      `is ${size} bytes, more than one JSON text this reader can hold (${constants.MAX_STRING_LENGTH})`,
    );
  }
  let dump: Record<string, unknown>;
  try {
    dump = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not a readable tree dump: ${(error as Error).message}`);
  }
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (typeof dump !== "object" || dump === null || Array.isArray(dump)) {
    throw new InputError(file, undefined, undefined, "is not a JSON object");
  }
  if (dump.format !== "standard-v1")
    throw bad("format", `expected "standard-v1", found ${JSON.stringify(dump.format)}`);
  if (JSON.stringify(dump.leafEncoding) !== JSON.stringify(LEAF_ENCODING)) {
    throw bad("leafEncoding", `expected ${JSON.stringify(LEAF_ENCODING)}, found ${JSON.stringify(dump.leafEncoding)}`);
  }
  const { tree, values } = dump;
  if (!Array.isArray(values) || values.length === 0) throw bad("values", "is not a non-empty list");
  const count = values.length;
  if (!Array.isArray(tree) || tree.length !== 2 * count - 1) {
    throw bad("tree", `has ${Array.isArray(tree) ? tree.length : "no"} nodes; ${count} values need ${2 * count - 1}`);
  }

  const nodes = new Uint8Array(tree.length * 32);
  const bytes = Buffer.from(nodes.buffer);
  tree.forEach((node: unknown, j) => {
    if (!isBytes32(node)) throw bad(`tree[${j}]`, `${JSON.stringify(node)} is not a 32-byte hex hash`);
    bytes.write(node.slice(2), j * 32, 32, "hex");
  });
  const entries: LeafEntry[] = [];
  const treeIndex = new Uint32Array(count);
  const taken = new Uint8Array(count);
  let total = 0n;
  values.forEach((item: unknown, i) => {
    const where = `values[${i}]`;
    const v = (typeof item === "object" && item !== null ? item : {}) as { value?: unknown; treeIndex?: unknown };
    if (!Array.isArray(v.value) || v.value.length !== 4)
      throw bad(`${where}.value`, "is not [index, kind, holder, amount]");
    const [index, kind, holder, amount] = v.value.map((x: unknown) => (typeof x === "number" ? String(x) : x));
    if (index !== String(i)) {
      throw bad(
        `${where}.value[0]`,
        `is ${JSON.stringify(index)}; the values are in index order, so it must be "${i}"`,
      );
    }
    if (kind !== "0" && kind !== "1")
      throw bad(`${where}.value[1]`, `${JSON.stringify(kind)} is not a leaf kind (0 or 1)`);
    if (typeof holder !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(holder)) {
      throw bad(`${where}.value[2]`, `${JSON.stringify(holder)} is not a 20-byte hex address`);
    }
    const wei = typeof amount === "string" && /^[0-9]+$/.test(amount) ? BigInt(amount) : 0n;
    if (wei === 0n || wei > MAX_UINT256) {
      throw bad(`${where}.value[3]`, `${JSON.stringify(amount)} is not an amount of wei from 1 to 2^256 - 1`);
    }
    const slot = (v.treeIndex as number) - (count - 1);
    if (!Number.isSafeInteger(v.treeIndex) || slot < 0 || slot >= count) {
      throw bad(
        `${where}.treeIndex`,
        `${JSON.stringify(v.treeIndex)} is not a leaf of the tree (${count - 1}..${2 * count - 2})`,
      );
    }
    if (taken[slot]) throw bad(`${where}.treeIndex`, `${v.treeIndex as number} is the leaf of an earlier value too`);
    taken[slot] = 1;
    treeIndex[i] = v.treeIndex as number;
    entries.push({ kind: Number(kind) as LeafKind, holder, amount: wei });
    total += wei;
  });
  if (total > MAX_UINT256) throw bad("values", "the amounts add up to more than 2^256 - 1");

  const fault = findTreeFault(entries, nodes, treeIndex);
  if (fault !== undefined && "leaf" in fault) {
    const at = treeIndex[fault.leaf]!;
    throw bad(
      `values[${fault.leaf}]`,
      `its leaf hash is not tree[${at}] (${hex32(bytes, at)}): the value or that node was altered`,
    );
  }
  if (fault !== undefined) {
    const j = fault.node;
    throw bad(
      `tree[${j}]`,
      `${hex32(bytes, j)} is not the hash of its children tree[${2 * j + 1}] and tree[${2 * j + 2}]`,
    );
  }
  return new AirdropTree(entries, nodes, treeIndex, total);
}

function hex32(bytes: Buffer, node: number): string {
  return "0x" + bytes.toString("hex", node * 32, node * 32 + 32);
}

/**
 * The claims of `holder` (any case) from an airdrop directory: its index shard and the data shard
 * of each of its leaves read, the data shard checked whole against the manifest's shard root and
 * the proof derived, as `fetchClaims` does in a browser. Empty if none.
 */
export async function findClaims(dir: string, holder: string): Promise<HolderClaim[]> {
  const manifest = await readManifest(dir);
  const load = async (p: string) => {
    const file = path.join(dir, p);
    if (!existsSync(file)) return undefined;
    return readFile(file);
  };
  return fetchClaims(manifest, holder, load, (p) => path.join(dir, p));
}

/**
 * Reads every shard of an airdrop directory and trusts none of it: each data shard's
 * records must be the leaves under its node, each holder index appear once, the tree built again
 * from the records must have the manifest's root and shard roots and put every leaf where its
 * record says, and the index shards must list each holder once, in its shard, at its leaf. What
 * passes is the tree the manifest describes; anything else is an `InputError` naming the file and
 * the field.
 */
export async function readAirdropTree(dir: string, manifest: AirdropManifest): Promise<AirdropTree> {
  const { count } = manifest;
  const { depth } = manifest.shards;
  const records = Buffer.alloc(count * LEAF_RECORD.size);
  const treeIndex = new Uint32Array(count);
  const seen = new Uint8Array(count);
  let total = 0n;
  for (let s = 0; s < 2 ** depth; s++) {
    const file = path.join(dir, dataPath(manifest, s));
    const bytes = await readFile(file).catch(() => {
      throw new InputError(file, undefined, undefined, "is missing or cannot be read");
    });
    const positions = leavesUnder(2 ** depth - 1 + s, count);
    const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
    if (bytes.length !== positions.length * DATA_RECORD.size) {
      throw bad("records", `is ${bytes.length} bytes; shard ${s} holds ${positions.length} records of 64 bytes`);
    }
    positions.forEach((t, k) => {
      const r = k * DATA_RECORD.size;
      if (bytes.readUInt32BE(r + DATA_RECORD.treeIndex) !== t) {
        throw bad(
          `records[${k}].treeIndex`,
          `is ${bytes.readUInt32BE(r + DATA_RECORD.treeIndex)}; leaf ${k} of this shard is ${t}`,
        );
      }
      const kind = bytes[r]!;
      if (kind > 1 || bytes.readUIntBE(r + 1, 3) !== 0)
        throw bad(`records[${k}].kind`, `${kind} is not a leaf kind (0 or 1)`);
      const i = bytes.readUInt32BE(r + DATA_RECORD.index);
      if (i >= count) throw bad(`records[${k}].index`, `${i} is not below the manifest's count ${count}`);
      if (seen[i]) throw bad(`records[${k}].index`, `${i} is the index of another record too`);
      seen[i] = 1;
      const amount = BigInt("0x" + bytes.toString("hex", r + DATA_RECORD.amount, r + DATA_RECORD.size));
      if (amount === 0n) throw bad(`records[${k}].amount`, "is zero");
      total += amount;
      const to = i * LEAF_RECORD.size;
      records[to + LEAF_RECORD.kind] = kind;
      bytes.copy(records, to + LEAF_RECORD.holder, r + DATA_RECORD.holder, r + DATA_RECORD.size);
      treeIndex[i] = t;
    });
  }
  const manifestFile = path.join(dir, "manifest.json");
  if (total > MAX_UINT256 || total.toString() !== manifest.total) {
    throw new InputError(manifestFile, undefined, "total", `is ${manifest.total}; the records add up to ${total}`);
  }
  const tree = await buildTreeFromRecords(records, count, total);
  if (tree.root !== manifest.root) {
    throw new InputError(manifestFile, undefined, "root", `is ${manifest.root}; the records give ${tree.root}`);
  }
  for (let i = 0; i < count; i++) {
    if (tree.treeIndex[i] !== treeIndex[i]) {
      const file = path.join(dir, dataPath(manifest, dataShardOf(treeIndex[i]!, depth)));
      throw new InputError(
        file,
        undefined,
        "records",
        `put index ${i} at ${treeIndex[i]}; its leaf sorts to ${tree.treeIndex[i]}`,
      );
    }
  }
  const listed = new Uint8Array(count);
  for (let s = 0; s < 2 ** depth; s++) {
    const file = path.join(dir, manifest.shards.index.replace("{shard}", shardName(s, depth)));
    if (!existsSync(file)) continue;
    const bytes = await readFile(file);
    if (bytes.length % INDEX_RECORD.size !== 0) {
      throw new InputError(
        file,
        undefined,
        "records",
        `is ${bytes.length} bytes, not a whole number of 24-byte records`,
      );
    }
    for (let at = 0; at < bytes.length; at += INDEX_RECORD.size) {
      const field = `records[${at / INDEX_RECORD.size}]`;
      const holder = "0x" + bytes.toString("hex", at, at + 20);
      const t = bytes.readUInt32BE(at + INDEX_RECORD.treeIndex);
      const i = t >= count - 1 && t < 2 * count - 1 ? leafIndexAt(tree, t) : -1;
      if (i < 0) throw new InputError(file, undefined, `${field}.treeIndex`, `${t} is not a leaf of the tree`);
      const own = "0x" + tree.records().toString("hex", i * 64 + LEAF_RECORD.holder, i * 64 + 32);
      if (own !== holder || indexShardOf(holder, depth) !== s || listed[i]) {
        throw new InputError(
          file,
          undefined,
          `${field}`,
          `${holder} → leaf ${t} is not that holder's leaf in its shard, once`,
        );
      }
      listed[i] = 1;
    }
  }
  const missing = listed.indexOf(0);
  if (missing >= 0) {
    throw new InputError(path.join(dir, "index"), undefined, undefined, `index ${missing} is in no index shard`);
  }
  return tree;
}

let inverse: WeakMap<AirdropTree, Int32Array> | undefined;
/** The holder index whose leaf is at position `t` (cached per tree). */
function leafIndexAt(tree: AirdropTree, t: number): number {
  inverse ??= new WeakMap();
  let map = inverse.get(tree);
  if (map === undefined) {
    map = new Int32Array(tree.count);
    for (let i = 0; i < tree.count; i++) map[tree.treeIndex[i]! - (tree.count - 1)] = i;
    inverse.set(tree, map);
  }
  return map[t - (tree.count - 1)]!;
}
