// The airdrop directory format (manifest.json and the proof shards) as a dApp reads it: types,
// the shard of a holder, and checks of fetched JSON. Browser-safe; the Node reader and writer of
// whole directories are in ./directory.ts.
import { InputError } from "../errors.js";

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

/** Where the shard of `holder` is, relative to the manifest (a path or a URL suffix). */
export function shardPath(manifest: AirdropManifest, holder: string): string {
  return manifest.proofs.path.replace("{prefix}", shardOf(holder, manifest.proofs.prefixLength));
}

/**
 * Checks a parsed `manifest.json` (from a file or a `fetch`): every field a reader relies on.
 * `file` names it in the `InputError` that anything wrong throws.
 */
export function parseManifest(manifest: unknown, file: string): AirdropManifest {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new InputError(file, undefined, undefined, "is not a JSON object");
  }
  const m = manifest as AirdropManifest;
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (m.format !== MANIFEST_FORMAT) {
    throw bad("format", `expected "${MANIFEST_FORMAT}", found ${JSON.stringify(m.format)}`);
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
  if (typeof m.tree !== "string" || m.tree === "") throw bad("tree", "is not a file name");
  const proofs = m.proofs as Partial<AirdropManifest["proofs"]> | undefined;
  if (typeof proofs !== "object" || proofs === null) throw bad("proofs", "is missing");
  if (!Number.isSafeInteger(proofs.prefixLength) || proofs.prefixLength! < 1 || proofs.prefixLength! > 40) {
    throw bad("proofs.prefixLength", `${JSON.stringify(proofs.prefixLength)} is not a whole number from 1 to 40`);
  }
  if (typeof proofs.path !== "string" || !proofs.path.includes("{prefix}")) {
    throw bad("proofs.path", `${JSON.stringify(proofs.path)} does not contain "{prefix}"`);
  }
  return m;
}

/** The checked claims of `holder` (any case) in a parsed proof shard; empty if it has none. */
export function claimsInShard(shard: unknown, holder: string, file: string): HolderClaim[] {
  if (typeof shard !== "object" || shard === null || Array.isArray(shard)) {
    throw new InputError(file, undefined, undefined, "is not a JSON object of holders");
  }
  const key = holder.toLowerCase();
  const claims = (shard as Record<string, unknown>)[key] ?? [];
  if (!Array.isArray(claims)) throw new InputError(file, undefined, key, "is not a list of claims");
  claims.forEach((claim, i) => checkClaim(file, `${key}[${i}]`, claim));
  return claims as HolderClaim[];
}

export function isBytes32(value: unknown): value is string {
  return typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value);
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
