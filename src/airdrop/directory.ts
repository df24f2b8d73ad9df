import { constants } from "node:buffer";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";

import { InputError } from "../errors.js";
import { LEAF_ENCODING, LeafKind, MAX_UINT256, type LeafEntry } from "../merkle/proof.js";
import { AirdropTree, findTreeFault } from "../merkle/tree.js";
import {
  claimsInShard,
  isBytes32,
  MANIFEST_FORMAT,
  parseManifest,
  shardOf,
  shardPath,
  shardPrefixLength,
  type AirdropManifest,
  type HolderClaim,
  type LegacyManifest,
} from "./format.js";

const CHUNK = 1 << 20;

/**
 * Writes to a file descriptor through one reused buffer. Proof nodes are copied as bytes from the
 * tree's hex, so a million proofs make no string per node.
 */
class ByteWriter {
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

function writeStreamed(file: string, buffer: Buffer, body: (out: ByteWriter) => void): void {
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
function writeTreeDump(file: string, buffer: Buffer, tree: AirdropTree, hex: Buffer): void {
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

/**
 * Writes an airdrop directory: `manifest.json`, `tree.json` (a dump that
 * `StandardMerkleTree.load` accepts and `validate()` passes) and `proofs/<prefix>.json`, each shard
 * an object from lower-case holder to that holder's claims. Everything is written to a sibling
 * temporary directory that then replaces `dir`, so readers see the old output or the new one,
 * never a mix; a failure leaves `dir` as it was. `dir` must not exist, be empty, or hold an
 * earlier output (a `manifest.json`): anything else is refused before any work.
 */
export function writeAirdrop(
  tree: AirdropTree,
  dir: string,
  onProgress?: WriteProgress,
  legacy?: LegacyManifest,
): AirdropManifest {
  // "airdrop/" and "airdrop" are one directory: without the trailing separator, so the sibling
  // temporary and old directories are beside it, not inside it (a rename into itself is EINVAL).
  checkOutputDir(dir);
  dir = path.resolve(dir);
  const prefixLength = shardPrefixLength(tree.count);
  const shards = new Map<string, number[]>();
  // Shards are keyed and ordered by lower-case holder: computed once, not per comparison.
  const keys = tree.entries.map((e) => e.holder.toLowerCase());
  keys.forEach((key, i) => {
    const prefix = shardOf(key, prefixLength);
    const list = shards.get(prefix);
    if (list === undefined) shards.set(prefix, [i]);
    else list.push(i);
  });

  const manifest: AirdropManifest = {
    format: MANIFEST_FORMAT,
    root: tree.root,
    total: tree.total.toString(),
    count: tree.count,
    leafEncoding: [...LEAF_ENCODING],
    topDepth: tree.topDepth,
    topNodes: tree.topNodes,
    tree: "tree.json",
    proofs: { prefixLength, path: "proofs/{prefix}.json", shards: shards.size },
    ...(legacy === undefined ? {} : { legacy }),
  };

  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.join(tmp, "proofs"), { recursive: true });
  try {
    const hex = tree.hexBytes();
    const buffer = Buffer.allocUnsafe(CHUNK);
    writeTreeDump(path.join(tmp, manifest.tree), buffer, tree, hex);
    const keep = tree.topDepth;
    let done = 0;
    onProgress?.(0, tree.count);
    for (const [prefix, indices] of shards) {
      if (indices.some((i, k) => k > 0 && keys[indices[k - 1]!]! > keys[i]!)) {
        indices.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
      }
      writeStreamed(path.join(tmp, "proofs", `${prefix}.json`), buffer, (out) => {
        out.text("{");
        let previous = "";
        indices.forEach((i, k) => {
          const e = tree.entries[i]!;
          const key = keys[i]!;
          // A holder in the tree twice (two kinds) gets both claims under one key.
          if (key === previous) out.text(",");
          else out.text(`${k ? "]," : ""}"${key}":[`);
          previous = key;
          out.text(`{"index":${i},"kind":${e.kind},"holder":"${e.holder}","amount":"${e.amount}","proof":[`);
          const path = tree.proofNodes(i);
          for (let p = 0; p < path.length - keep; p++) {
            if (p) out.text(",");
            out.node(hex, path[p]!);
          }
          out.text("]}");
        });
        out.text("]}\n");
      });
      done += indices.length;
      onProgress?.(done, tree.count);
    }
    writeStreamed(path.join(tmp, "manifest.json"), buffer, (out) => out.text(JSON.stringify(manifest, null, 2) + "\n"));
    replaceDir(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return manifest;
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

/** The claims of `holder` (any case) from an airdrop directory: one shard read. Empty if none. */
export async function findClaims(dir: string, holder: string): Promise<HolderClaim[]> {
  const manifest = await readManifest(dir);
  const file = path.join(dir, shardPath(manifest, holder));
  if (!existsSync(file)) return [];
  let shard: unknown;
  try {
    shard = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not a readable proof shard: ${(error as Error).message}`);
  }
  return claimsInShard(shard, holder, file);
}
