// The airdrop tree's leaf and proof rules, without the builder: what a claim page needs to check a
// proof before sending it. Browser-safe (no Node built-ins, no Buffer, no WebAssembly).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

/** The largest amount, and total, a `uint256` holds. */
export const MAX_UINT256 = (1n << 256n) - 1n;

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

/** Writes `value` as a 32-byte big-endian word into `out` at `offset`. */
function writeWord(out: Uint8Array, offset: number, value: bigint): void {
  if (value < 0n || value > MAX_UINT256) throw new RangeError(`${value} is not a uint256`);
  for (let at = offset + 31, v = value; v > 0n; v >>= 8n, at--) out[at] = Number(v & 0xffn);
}

/** 32 bytes of `0x`-prefixed hex; a RangeError naming `what` otherwise. */
function bytes32(hex: string, what: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`${what} ${hex} is not 32 bytes`);
  return hexToBytes(hex.slice(2));
}

/** The leaf of `entry` at `index` as bytes: `keccak256(keccak256(abi.encode(index, kind, holder, amount)))`. */
function leafBytes(index: bigint | number, entry: LeafEntry): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(entry.holder))
    throw new RangeError(`holder ${entry.holder} is not a 20-byte address`);
  const encoded = new Uint8Array(128);
  writeWord(encoded, 0, BigInt(index));
  encoded[63] = entry.kind;
  encoded.set(hexToBytes(entry.holder.slice(2)), 76);
  writeWord(encoded, 96, entry.amount);
  return keccak_256(keccak_256(encoded));
}

/** The leaf hash of `entry` at `index` as 32 bytes (see `leafHash`). */
export function leafDigest(index: bigint | number, entry: LeafEntry): Uint8Array {
  return leafBytes(index, entry);
}

/** The parent of two nodes: keccak256 of the pair, the smaller first (sorted pairs). */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  const [low, high] = lessOrEqual(a, b) ? [a, b] : [b, a];
  pair.set(low, 0);
  pair.set(high, 32);
  return keccak_256(pair);
}

/** The EIP-55 form of a 20-byte hex address (any case, `0x`-prefixed; not validated here). */
export function checksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = i & 1 ? hash[i >> 1]! & 0x0f : hash[i >> 1]! >> 4;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}

/** The leaf hash of `entry` at `index`, as the distributor and `StandardMerkleTree` compute it. */
export function leafHash(index: bigint | number, entry: LeafEntry): string {
  return "0x" + bytesToHex(leafBytes(index, entry));
}

/** Whether `a` sorts before or equal to `b`, byte by byte. */
function lessOrEqual(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return true;
}

/**
 * The root a proof leads to from the leaf `(index, kind, holder, amount)`, computed the way the
 * contract does (double-hashed leaf, sorted pairs). A dApp can check a proof before sending it.
 */
export function processProof(index: bigint | number, entry: LeafEntry, proof: readonly string[]): string {
  let node = leafBytes(index, entry);
  const pair = new Uint8Array(64);
  for (const hex of proof) {
    const sibling = bytes32(hex, "proof node");
    const [a, b] = lessOrEqual(node, sibling) ? [node, sibling] : [sibling, node];
    pair.set(a, 0);
    pair.set(b, 32);
    node = keccak_256(pair);
  }
  return "0x" + bytesToHex(node);
}

/**
 * Whether `proof` leads from the leaf to `root`. With a short proof (the distributor's `claim`
 * takes one up to its kept level), give the manifest's `topNodes` as `root`: any of them will do.
 */
export function verifyProof(
  root: string | readonly string[],
  index: bigint | number,
  entry: LeafEntry,
  proof: readonly string[],
): boolean {
  const reached = processProof(index, entry, proof);
  const roots = typeof root === "string" ? [root] : root;
  return roots.some((r) => r.toLowerCase() === reached);
}
