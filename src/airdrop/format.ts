// The airdrop directory format (manifest.json, the data and index shards) as a dApp reads it:
// types, where a holder's shards are, and checks of what was fetched. Browser-safe; the Node
// reader and writer of whole directories are in ./directory.ts.
import { InputError } from "../errors.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { checksumAddress, hashPair, leafDigest, LeafKind, MAX_UINT256, processProof } from "./merkle/proof.js";

/**
 * The format name in `manifest.json` (see `AirdropManifest`). "v2" because a first layout (every
 * proof whole in JSON shards) came before it; it was never published, and is neither written nor read.
 */
export const MANIFEST_FORMAT = "gpufog-airdrop-v2";

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

/**
 * `manifest.json`: the small file a dApp fetches first. The tree is cut at level `shards.depth`:
 * data shard `s` holds the leaves under node `2^depth − 1 + s` (a subtree, by tree position) as `DATA_RECORD`s,
 * and `shards.roots` are those nodes, so a holder's proof is the siblings inside its shard (hashed
 * again from the shard's records) plus the siblings above (from the roots). Index shard `s` holds
 * the holders whose address starts with the `depth` bits of `s`, as `INDEX_RECORD`s pointing at
 * their leaves. A claim page fetches this file, one index shard and one data shard: no proof is
 * stored, so a million holders take about 90 MB (every proof in JSON would take 1.6 GB).
 */
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
  /** Present when the tree has old-chain (kind 1) holders: sharded by their HASH160 like EVM holders. */
  legacy?: LegacyManifest;
  /** The OpenZeppelin `StandardMerkleTree` dump, relative to the manifest, when it was written (`--oz-dump`). */
  tree?: string;
  shards: {
    /** The level the tree is cut at: `2^depth` data shards and as many index shards. */
    depth: number;
    /** Where data shard `s` is: replace `{shard}` with `shardName(s, depth)`. */
    data: string;
    /** Where index shard `s` is: the same. */
    index: string;
    /** Node `2^depth − 1 + s` of the tree for each shard `s`: the root of its subtree. */
    roots: string[];
  };
}

/**
 * A record of a data shard (binary, big-endian): the leaf record the builder hashes (kind, holder,
 * amount) with the leaf's place in the tree and its index in the bytes between. Ascending by
 * `treeIndex`.
 */
export const DATA_RECORD = { size: 64, kind: 0, treeIndex: 4, index: 8, holder: 12, amount: 32 } as const;
/** A record of an index shard: the holder's 20 bytes and where its leaf is in the tree. */
export const INDEX_RECORD = { size: 24, holder: 0, treeIndex: 20 } as const;

/**
 * Holders a data shard holds on average at most, about: ~250 kB a data shard and ~100 kB an index
 * shard, 256 of each at a million. Fewer, larger files: creating a file costs more than writing
 * 250 kB (about 0.6 ms of CPU each on this project's machines), and a claim page still fetches
 * about 350 kB and hashes about 12,000 times.
 */
const LEAVES_PER_SHARD = 4096;

/** The level `writeAirdrop` cuts a tree of `count` holders at (0: one shard of everything). */
export function shardDepth(count: number): number {
  const floor = Math.floor(Math.log2(count));
  return Math.max(0, Math.min(floor, Math.round(Math.log2(count / LEAVES_PER_SHARD))));
}

/** The file name part of shard `s` at `depth`: hex, as many digits as the largest shard needs. */
export function shardName(shard: number, depth: number): string {
  return shard.toString(16).padStart(Math.max(1, Math.ceil(depth / 4)), "0");
}

/** The index shard of a holder (`0x` + 40 hex digits, any case): the top `depth` bits of its address. */
export function indexShardOf(holder: string, depth: number): number {
  return depth === 0 ? 0 : parseInt(holder.slice(2, 10), 16) >>> (32 - depth);
}

/** The data shard of the leaf at tree position `treeIndex`: the subtree at `depth` it is under. */
export function dataShardOf(treeIndex: number, depth: number): number {
  let node = treeIndex;
  while (31 - Math.clz32(node + 1) > depth) node = (node - 1) >> 1;
  return node - (2 ** depth - 1);
}

/** Where the index shard of `holder` is, relative to the manifest. */
export function indexPath(manifest: AirdropManifest, holder: string): string {
  const { depth, index } = manifest.shards;
  return index.replace("{shard}", shardName(indexShardOf(holder, depth), depth));
}

/** Where data shard `shard` is, relative to the manifest. */
export function dataPath(manifest: AirdropManifest, shard: number): string {
  return manifest.shards.data.replace("{shard}", shardName(shard, manifest.shards.depth));
}

/** The leaf positions of the subtree under `root` in a tree of `count` leaves, ascending. */
export function leavesUnder(root: number, count: number): number[] {
  const out: number[] = [];
  const firstLeaf = count - 1;
  const end = 2 * count - 1;
  for (let d = 0; (root + 1) * 2 ** d - 1 < end; d++) {
    const from = Math.max((root + 1) * 2 ** d - 1, firstLeaf);
    const to = Math.min((root + 2) * 2 ** d - 1, end);
    for (let t = from; t < to; t++) {
      // A leaf's own descendants would be past `end`, so a position is listed once.
      if (t >= firstLeaf) out.push(t);
    }
    if ((root + 1) * 2 ** d - 1 >= firstLeaf) break;
  }
  return out;
}

/** The old-chain part of an airdrop: how a dApp turns a base58 address into a shard key. */
export interface LegacyManifest {
  /** The P2PKH version byte of the addresses in the balance list (the distributor's `legacyAddressVersion`). */
  version: number;
  /** How many kind 1 leaves the tree holds. */
  holders: number;
}

/**
 * Checks a parsed `manifest.json` (from a file or a `fetch`): every field a reader relies on, and
 * that the shard roots hash up to `root`, so a shard checked against its root is checked against
 * the tree. `file` names it in the `InputError` that anything wrong throws.
 */
export function parseManifest(manifest: unknown, file: string): AirdropManifest {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new InputError(file, undefined, undefined, "is not a JSON object");
  }
  const m = manifest as AirdropManifest;
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (m.format !== MANIFEST_FORMAT) {
    const found = JSON.stringify((manifest as { format?: unknown }).format);
    throw bad("format", `expected "${MANIFEST_FORMAT}", found ${found}`);
  }
  if (!isBytes32(m.root)) throw bad("root", `${JSON.stringify(m.root)} is not a 32-byte hex hash`);
  if (typeof m.total !== "string" || !/^[0-9]+$/.test(m.total)) {
    throw bad("total", `${JSON.stringify(m.total)} is not a decimal string of wei`);
  }
  if (!Number.isSafeInteger(m.count) || m.count < 1) {
    throw bad("count", `${JSON.stringify(m.count)} is not a positive whole number`);
  }
  if (!Array.isArray(m.topNodes) || !m.topNodes.every(isBytes32)) {
    throw bad("topNodes", "is not a list of 32-byte hex hashes");
  }
  return checkShards(m, bad);
}

/** The `shards` of a manifest, checked, the roots hashed up to the root. */
function checkShards(m: AirdropManifest, bad: (field: string, problem: string) => InputError): AirdropManifest {
  if (m.tree !== undefined && (typeof m.tree !== "string" || m.tree === "")) throw bad("tree", "is not a file name");
  const shards = m.shards as Partial<AirdropManifest["shards"]> | undefined;
  if (typeof shards !== "object" || shards === null) throw bad("shards", "is missing");
  const depth = shards.depth!;
  if (!Number.isSafeInteger(depth) || depth < 0 || 2 ** depth > m.count || depth > 24) {
    throw bad("shards.depth", `${JSON.stringify(depth)} is not a level of a tree of ${m.count} leaves`);
  }
  for (const key of ["data", "index"] as const) {
    if (typeof shards[key] !== "string" || !shards[key].includes("{shard}")) {
      throw bad(`shards.${key}`, `${JSON.stringify(shards[key])} does not contain "{shard}"`);
    }
  }
  const roots = shards.roots;
  if (!Array.isArray(roots) || roots.length !== 2 ** depth) {
    throw bad("shards.roots", `is not a list of ${2 ** depth} nodes (one per shard)`);
  }
  roots.forEach((r, i) => {
    if (!isBytes32(r)) throw bad(`shards.roots[${i}]`, `${JSON.stringify(r)} is not a 32-byte hex hash`);
  });
  let level: Uint8Array[] = roots.map((r) => hexToBytes(r.slice(2)));
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(hashPair(level[i]!, level[i + 1]!));
    level = up;
  }
  if ("0x" + bytesToHex(level[0]!) !== m.root.toLowerCase()) {
    throw bad("shards.roots", `do not hash up to root ${m.root}: the manifest was altered`);
  }
  return m;
}

/**
 * The leaf positions of `holder` (any case) in a fetched index shard; empty
 * if it has none. `file` names the shard in the `InputError` a malformed one throws.
 */
export function leavesInIndex(manifest: AirdropManifest, bytes: Uint8Array, holder: string, file: string): number[] {
  if (bytes.length % INDEX_RECORD.size !== 0) {
    throw new InputError(
      file,
      undefined,
      "records",
      `is ${bytes.length} bytes, not a whole number of ${INDEX_RECORD.size}-byte records`,
    );
  }
  const want = hexToBytes(holder.slice(2).toLowerCase());
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: number[] = [];
  for (let at = 0, r = 0; at < bytes.length; at += INDEX_RECORD.size, r++) {
    let same = true;
    for (let k = 0; k < 20 && same; k++) same = bytes[at + k] === want[k];
    if (!same) continue;
    const t = view.getUint32(at + INDEX_RECORD.treeIndex);
    if (t < manifest.count - 1 || t > 2 * manifest.count - 2) {
      throw new InputError(file, undefined, `records[${r}].treeIndex`, `${t} is not a leaf of the tree`);
    }
    found.push(t);
  }
  return found;
}

/**
 * Checks a fetched data shard whole against `manifest` (every record, and
 * that their leaves hash to the shard's root in the manifest) and returns the claim at each of
 * the leaf positions `at`, its proof derived: siblings inside the shard, then from the roots,
 * cut to the distributor's kept level. Anything altered is an `InputError` naming `file` and
 * the field (`records[k].amount`, `records`…).
 */
export function claimsInDataShard(
  manifest: AirdropManifest,
  bytes: Uint8Array,
  shard: number,
  at: readonly number[],
  file: string,
): HolderClaim[] {
  const { count, topDepth } = manifest;
  const depth = manifest.shards.depth;
  const top = 2 ** depth - 1 + shard;
  const positions = leavesUnder(top, count);
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (bytes.length !== positions.length * DATA_RECORD.size) {
    throw bad("records", `is ${bytes.length} bytes; shard ${shard} holds ${positions.length} records of 64 bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nodes = new Map<number, Uint8Array>();
  const claims = new Map<number, Omit<HolderClaim, "proof">>();
  positions.forEach((t, k) => {
    const r = k * DATA_RECORD.size;
    const field = (name: string) => `records[${k}].${name}`;
    if (view.getUint32(r + DATA_RECORD.treeIndex) !== t) {
      throw bad(field("treeIndex"), `is ${view.getUint32(r + DATA_RECORD.treeIndex)}; this shard's leaf ${k} is ${t}`);
    }
    const kind = bytes[r + DATA_RECORD.kind]!;
    if ((kind !== LeafKind.Evm && kind !== LeafKind.Legacy) || view.getUint16(r + 1) !== 0 || bytes[r + 3] !== 0) {
      throw bad(field("kind"), `${kind} is not a leaf kind (0 or 1)`);
    }
    const index = view.getUint32(r + DATA_RECORD.index);
    if (index >= count) throw bad(field("index"), `${index} is not below the manifest's count ${count}`);
    const lower = "0x" + bytesToHex(bytes.subarray(r + DATA_RECORD.holder, r + DATA_RECORD.holder + 20));
    const holder = kind === LeafKind.Evm ? checksumAddress(lower) : lower;
    const amount = BigInt("0x" + bytesToHex(bytes.subarray(r + DATA_RECORD.amount, r + DATA_RECORD.size)));
    if (amount === 0n || amount > MAX_UINT256) throw bad(field("amount"), "is zero");
    nodes.set(t, leafDigest(index, { kind: kind as LeafKind, holder: lower, amount }));
    if (at.includes(t)) claims.set(t, { index, kind, holder, amount: amount.toString() });
  });
  // Inner nodes of the subtree from the deepest up: children before parents.
  const inner: number[] = [];
  for (let d = 0, from = top; from < count - 1; d++, from = (top + 1) * 2 ** d - 1) {
    for (let t = from; t < Math.min((top + 2) * 2 ** d - 1, count - 1); t++) inner.push(t);
  }
  for (let i = inner.length - 1; i >= 0; i--) {
    const t = inner[i]!;
    nodes.set(t, hashPair(nodes.get(2 * t + 1)!, nodes.get(2 * t + 2)!));
  }
  const root = manifest.shards.roots[shard]!.toLowerCase();
  if ("0x" + bytesToHex(nodes.get(top)!) !== root) {
    throw bad(
      "records",
      `do not hash to shard root ${root} (manifest.json shards.roots[${shard}]): the shard was altered`,
    );
  }
  // Above the shard: the levels over the roots, which parseManifest has checked lead to `root`.
  manifest.shards.roots.forEach((r, s) => nodes.set(2 ** depth - 1 + s, hexToBytes(r.slice(2))));
  for (let t = 2 ** depth - 2; t >= 0; t--) nodes.set(t, hashPair(nodes.get(2 * t + 1)!, nodes.get(2 * t + 2)!));
  return [...claims].map(([t, claim]) => {
    const proof: string[] = [];
    for (let j = t; j > 0; j = (j - 1) >> 1) proof.push("0x" + bytesToHex(nodes.get(j & 1 ? j + 1 : j - 1)!));
    const short = proof.slice(0, proof.length - topDepth);
    const entry = { kind: claim.kind as LeafKind, holder: claim.holder, amount: BigInt(claim.amount) };
    if (!manifest.topNodes.some((n) => n.toLowerCase() === processProof(claim.index, entry, short))) {
      throw new InputError(
        "manifest.json",
        undefined,
        "topNodes",
        `do not include the node the proof of index ${claim.index} reaches`,
      );
    }
    return { ...claim, proof: short };
  });
}

/**
 * The claims of `holder` (any case) in an airdrop, browser-safe: `load(path)` fetches a
 * file relative to the manifest (undefined if there is none, e.g. a 404) and `name(path)` is
 * what errors call it. Two fetches: the holder's index shard, then the data shard of its leaf
 * (a holder with two leaves may need two). In index order.
 */
export async function fetchClaims(
  manifest: AirdropManifest,
  holder: string,
  load: (path: string) => Promise<Uint8Array | undefined>,
  name: (path: string) => string = (p) => p,
): Promise<HolderClaim[]> {
  if (!/^0x[0-9a-fA-F]{40}$/.test(holder)) throw new RangeError(`${holder} is not a 20-byte hex address`);
  const where = indexPath(manifest, holder);
  const index = await load(where);
  if (index === undefined) return [];
  const leaves = leavesInIndex(manifest, index, holder, name(where));
  const byShard = new Map<number, number[]>();
  for (const t of leaves) {
    const s = dataShardOf(t, manifest.shards.depth);
    byShard.set(s, [...(byShard.get(s) ?? []), t]);
  }
  const claims: HolderClaim[] = [];
  for (const [s, at] of byShard) {
    const file = dataPath(manifest, s);
    const bytes = await load(file);
    if (bytes === undefined)
      throw new InputError(name(file), undefined, undefined, "is missing (the index shard points into it)");
    const found = claimsInDataShard(manifest, bytes, s, at, name(file));
    const want = holder.toLowerCase();
    for (const c of found) {
      if (c.holder.toLowerCase() !== want) {
        throw new InputError(name(where), undefined, "records", `point at leaf ${c.index}, which is not ${holder}'s`);
      }
      claims.push(c);
    }
  }
  return claims.sort((a, b) => a.index - b.index);
}

export function isBytes32(value: unknown): value is string {
  return typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value);
}
