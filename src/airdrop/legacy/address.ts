import bs58check from "bs58check";

import { GpufogError } from "../../errors.js";
import { fromHex, hash160, toHex } from "./keys.js";

/**
 * The P2PKH version byte of the GUT distribution chain: its addresses start with `G` (the seed's
 * donation address `GKKbPHko3174TL7PGqqYbZJxDtXbfyg9Yp` decodes to version 38).
 */
export const GUT_P2PKH_VERSION = 38;

/** A base58check address that is not a P2PKH address of the expected chain, and why. */
export class LegacyAddressError extends GpufogError {
  override readonly name: string = "LegacyAddressError";
}

/** A decoded P2PKH address. */
export interface LegacyAddress {
  version: number;
  /** The 20-byte HASH160 as `0x` hex: the leaf's `holder`. */
  hash160: string;
}

/** The base58check P2PKH address of a HASH160 (20 bytes, as bytes or hex) under `version`. */
export function encodeLegacyAddress(payload: Uint8Array | string, version: number): string {
  const bytes = typeof payload === "string" ? fromHex(payload, "HASH160") : payload;
  if (bytes.length !== 20) throw new RangeError(`a HASH160 is 20 bytes, not ${bytes.length}`);
  if (!Number.isInteger(version) || version < 0 || version > 255)
    throw new RangeError(`version ${version} is not a byte`);
  const body = new Uint8Array(21);
  body[0] = version;
  body.set(bytes, 1);
  return bs58check.encode(body);
}

/** The P2PKH address of a public key (the bytes as given: each form has its own address). */
export function addressOfKey(pubkey: Uint8Array, version: number): string {
  return encodeLegacyAddress(hash160(pubkey), version);
}

/**
 * Decodes a base58check P2PKH address and checks its version byte. Throws a `LegacyAddressError`
 * naming the problem: not base58, a bad checksum, a payload that is not 21 bytes, or another
 * version byte (a P2SH address, or another chain's).
 */
export function decodeLegacyAddress(address: string, version: number): LegacyAddress {
  if (!/^[1-9A-HJ-NP-Za-km-z]+$/.test(address)) {
    throw new LegacyAddressError(`"${address}" is not base58 (characters 1-9, A-Z, a-z without 0, O, I, l)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = bs58check.decode(address);
  } catch {
    throw new LegacyAddressError(`"${address}" has a wrong checksum (a typo, or a truncated address)`);
  }
  if (bytes.length !== 21) {
    throw new LegacyAddressError(
      `"${address}" carries ${bytes.length - 1} bytes after its version byte; a P2PKH address carries a 20-byte HASH160`,
    );
  }
  if (bytes[0] !== version) {
    throw new LegacyAddressError(
      `"${address}" has version byte ${bytes[0]}, not the chain's P2PKH version ${version}: a P2SH (script) address or another chain's address cannot claim, since no single key signs for it`,
    );
  }
  return { version, hash160: toHex(bytes.subarray(1)) };
}
