import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import bs58check from "bs58check";

import { checksumAddress } from "../merkle/proof.js";

/** A secp256k1 key as the old chain uses it: the SEC1 bytes, in the form an address was made from. */
export type KeyForm = "compressed" | "uncompressed";

/** `0x`-prefixed lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return "0x" + bytesToHex(bytes);
}

/** Bytes of `0x`-prefixed (or bare) hex; a RangeError on anything else. */
export function fromHex(hex: string, what = "value"): Uint8Array {
  const bare = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (bare.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(bare)) throw new RangeError(`${what} "${hex}" is not hex`);
  return hexToBytes(bare);
}

/** HASH160: `ripemd160(sha256(bytes))`, the payload of a P2PKH address. */
export function hash160(pubkey: Uint8Array): Uint8Array {
  return ripemd160(sha256(pubkey));
}

/** `sha256(sha256(bytes))`. */
export function sha256d(bytes: Uint8Array): Uint8Array {
  return sha256(sha256(bytes));
}

/** The form of SEC1 key bytes; a RangeError when they are not a point of secp256k1. */
export function keyForm(pubkey: Uint8Array): KeyForm {
  secp256k1.Point.fromBytes(pubkey);
  return pubkey.length === 33 ? "compressed" : "uncompressed";
}

/** The same key in the given form. */
export function convertKey(pubkey: Uint8Array, form: KeyForm): Uint8Array {
  return secp256k1.Point.fromBytes(pubkey).toBytes(form === "compressed");
}

/** The public key of a private key, in the given form. */
export function publicKeyOf(privateKey: Uint8Array, form: KeyForm): Uint8Array {
  return secp256k1.getPublicKey(privateKey, form === "compressed");
}

/** The EVM address (EIP-55) of a key in either form: the last 20 bytes of keccak256 of the uncompressed x ‖ y. */
export function evmAddressOfKey(pubkey: Uint8Array): string {
  const point = secp256k1.Point.fromBytes(pubkey).toBytes(false);
  return checksumAddress(toHex(keccak_256(point.subarray(1)).subarray(12)));
}

/** A decoded WIF private key. */
export interface WifKey {
  privateKey: Uint8Array;
  /** The form of the key the WIF was exported for: its trailing 0x01 means compressed. */
  form: KeyForm;
  /** The WIF's version byte (Bitcoin's is 0x80; forks usually use their address version + 0x80). */
  version: number;
}

/**
 * Decodes a WIF private key: base58check of `version ‖ key (32 bytes) [‖ 0x01 when compressed]`.
 * Throws a RangeError saying what is wrong (checksum, length, a key out of range); the message
 * never contains the key.
 */
export function decodeWif(wif: string): WifKey {
  let bytes: Uint8Array;
  try {
    bytes = bs58check.decode(wif.trim());
  } catch (error) {
    throw new RangeError(`the WIF key is not valid base58check (${(error as Error).message})`, { cause: error });
  }
  const compressed = bytes.length === 34 && bytes[33] === 0x01;
  if (bytes.length !== 33 && !compressed) {
    throw new RangeError(
      `the WIF key decodes to ${bytes.length} bytes; expected 33 (uncompressed) or 34 ending in 0x01 (compressed)`,
    );
  }
  const privateKey = bytes.slice(1, 33);
  if (!secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new RangeError("the WIF key is not a valid secp256k1 private key (zero or not below the group order)");
  }
  return { privateKey, form: compressed ? "compressed" : "uncompressed", version: bytes[0]! };
}

/** Encodes a private key as WIF (for tests and key export). */
export function encodeWif(privateKey: Uint8Array, form: KeyForm, version: number): string {
  const body = new Uint8Array(form === "compressed" ? 34 : 33);
  body[0] = version;
  body.set(privateKey, 1);
  if (form === "compressed") body[33] = 0x01;
  return bs58check.encode(body);
}
