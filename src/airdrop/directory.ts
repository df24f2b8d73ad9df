import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { InputError } from "../errors.js";
import { LEAF_ENCODING, type AirdropTree } from "../merkle/tree.js";

/** The format name in `manifest.json`. */
export const MANIFEST_FORMAT = "gpufog-airdrop-v1";

/** What a holder needs to claim: the leaf and its proof up to the distributor's kept level. */
export interface HolderClaim {
  index: number;
  kind: number;
  /** The holder as the leaf has it (EIP-55 for EVM holders). */
  holder: string;
  /** In wei, as a decimal string. */
  amount: string;
  /** The short proof (to `manifest.topNodes`), what `claim` takes. */
  proof: string[];
}

/** `manifest.json`: the small file a dApp fetches first. */
export interface AirdropManifest {
  format: typeof MANIFEST_FORMAT;
  root: string;
  /** The sum of every amount, in wei, as a decimal string. */
  total: string;
  count: number;
  leafEncoding: string[];
  /** The level the distributor keeps (`Config.topNodes`) and its depth below the root. */
  topDepth: number;
  topNodes: string[];
  /** The OpenZeppelin `StandardMerkleTree` dump, relative to the manifest. */
  tree: string;
  proofs: {
    /** Holders are sharded by the first `prefixLength` hex digits of the address, lower case. */
    prefixLength: number;
    /** Where the shard of a prefix is: replace `{prefix}`. */
    path: string;
    shards: number;
  };
  /** Present when the tree has old-chain (kind 1) holders: sharded by their HASH160 like EVM holders. */
  legacy?: LegacyManifest;
}

/** The old-chain part of an airdrop: how a dApp turns a base58 address into a shard key. */
export interface LegacyManifest {
  /** The P2PKH version byte of the addresses in the balance list (the distributor's `legacyAddressVersion`). */
  version: number;
  /** How many kind 1 leaves the tree holds. */
  holders: number;
}

/** Shards hold about this many holders at most on average, so one fetch stays small. */
const HOLDERS_PER_SHARD = 256;
const CHUNK = 1 << 20;

/** The shard prefix length for `count` holders: the fewest hex digits giving ≤ 256 holders a shard on average. */
export function shardPrefixLength(count: number): number {
  let length = 1;
  while (count / 16 ** length > HOLDERS_PER_SHARD) length++;
  return length;
}

/** The shard a holder's proof is in. */
export function shardOf(holder: string, prefixLength: number): string {
  return holder.slice(2, 2 + prefixLength).toLowerCase();
}

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
  checkOutputDir(dir);
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
  let manifest: AirdropManifest;
  try {
    manifest = JSON.parse(await readFile(file, "utf8")) as AirdropManifest;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not a readable airdrop manifest: ${(error as Error).message}`);
  }
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new InputError(file, undefined, undefined, "is not a JSON object");
  }
  if (manifest.format !== MANIFEST_FORMAT) {
    throw bad("format", `expected "${MANIFEST_FORMAT}", found ${JSON.stringify(manifest.format)}`);
  }
  if (!isBytes32(manifest.root)) throw bad("root", `${JSON.stringify(manifest.root)} is not a 32-byte hex hash`);
  if (typeof manifest.total !== "string" || !/^[0-9]+$/.test(manifest.total)) {
    throw bad("total", `${JSON.stringify(manifest.total)} is not a decimal string of wei`);
  }
  if (!Number.isSafeInteger(manifest.count) || manifest.count < 1) {
    throw bad("count", `${JSON.stringify(manifest.count)} is not a positive whole number`);
  }
  if (!Array.isArray(manifest.topNodes) || !manifest.topNodes.every(isBytes32)) {
    throw bad("topNodes", "is not a list of 32-byte hex hashes");
  }
  if (typeof manifest.tree !== "string" || manifest.tree === "") throw bad("tree", "is not a file name");
  const proofs = manifest.proofs as Partial<AirdropManifest["proofs"]> | undefined;
  if (typeof proofs !== "object" || proofs === null) throw bad("proofs", "is missing");
  if (!Number.isSafeInteger(proofs.prefixLength) || proofs.prefixLength! < 1 || proofs.prefixLength! > 40) {
    throw bad("proofs.prefixLength", `${JSON.stringify(proofs.prefixLength)} is not a whole number from 1 to 40`);
  }
  if (typeof proofs.path !== "string" || !proofs.path.includes("{prefix}")) {
    throw bad("proofs.path", `${JSON.stringify(proofs.path)} does not contain "{prefix}"`);
  }
  return manifest;
}

function isBytes32(value: unknown): value is string {
  return typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value);
}

/** The claims of `holder` (any case) from an airdrop directory: one shard read. Empty if none. */
export async function findClaims(dir: string, holder: string): Promise<HolderClaim[]> {
  const manifest = await readManifest(dir);
  const prefix = shardOf(holder, manifest.proofs.prefixLength);
  const file = path.join(dir, manifest.proofs.path.replace("{prefix}", prefix));
  if (!existsSync(file)) return [];
  let shard: Record<string, unknown>;
  try {
    shard = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not a readable proof shard: ${(error as Error).message}`);
  }
  if (typeof shard !== "object" || shard === null || Array.isArray(shard)) {
    throw new InputError(file, undefined, undefined, "is not a JSON object of holders");
  }
  const key = holder.toLowerCase();
  const claims = shard[key] ?? [];
  if (!Array.isArray(claims)) throw new InputError(file, undefined, key, "is not a list of claims");
  claims.forEach((claim, i) => checkClaim(file, `${key}[${i}]`, claim));
  return claims as HolderClaim[];
}

/** A claim as a shard holds it; anything else is an `InputError` naming the field. */
function checkClaim(file: string, where: string, claim: unknown): void {
  const bad = (field: string, problem: string) => new InputError(file, undefined, `${where}.${field}`, problem);
  const c = (typeof claim === "object" && claim !== null ? claim : {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(c.index) || (c.index as number) < 0) {
    throw bad("index", `${JSON.stringify(c.index)} is not a leaf index`);
  }
  if (c.kind !== 0 && c.kind !== 1) throw bad("kind", `${JSON.stringify(c.kind)} is not a leaf kind (0 or 1)`);
  if (typeof c.holder !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(c.holder)) {
    throw bad("holder", `${JSON.stringify(c.holder)} is not a 20-byte hex address`);
  }
  if (typeof c.amount !== "string" || !/^[0-9]+$/.test(c.amount)) {
    throw bad("amount", `${JSON.stringify(c.amount)} is not a decimal string of wei`);
  }
  if (!Array.isArray(c.proof) || !c.proof.every(isBytes32)) throw bad("proof", "is not a list of 32-byte hex hashes");
}
