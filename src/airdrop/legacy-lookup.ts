import { InputError } from "../errors.js";
import { findClaims, readManifest } from "./directory.js";
import { type HolderClaim } from "./format.js";
import { LeafKind } from "./merkle/proof.js";
import { decodeLegacyAddress, LegacyAddressError } from "./legacy/address.js";

/**
 * The HASH160 (`0x` hex, lower case) named by a base58 P2PKH address of `version`, or by the
 * HASH160 itself (40 hex digits, `0x` optional). An `InputError` on `source`/`field` otherwise.
 */
export function parseLegacyHolder(source: string, field: string, value: string, version: number): string {
  const text = value.trim();
  if (/^(0x)?[0-9a-fA-F]{40}$/.test(text)) return "0x" + text.replace(/^0x/, "").toLowerCase();
  try {
    return decodeLegacyAddress(text, version).hash160;
  } catch (error) {
    if (error instanceof LegacyAddressError) throw new InputError(source, undefined, field, error.message);
    throw error;
  }
}

/**
 * The legacy (kind 1) claims of an old-chain holder in an airdrop directory, by base58 address or
 * HASH160: one shard read, as for EVM holders (the shard key is the HASH160's hex). A base58
 * address is checked against the version byte the airdrop was built with.
 */
export async function findLegacyClaims(dir: string, holder: string): Promise<HolderClaim[]> {
  const manifest = await readManifest(dir);
  if (manifest.legacy === undefined) return [];
  const hash160 = parseLegacyHolder(dir, "holder", holder, manifest.legacy.version);
  return (await findClaims(dir, hash160)).filter((c) => c.kind === LeafKind.Legacy);
}
