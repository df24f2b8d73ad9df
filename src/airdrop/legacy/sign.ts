import { secp256k1 } from "@noble/curves/secp256k1.js";
import { decodeBase64, encodeBase64 } from "ethers";

import { convertKey, fromHex, hash160, toHex, type KeyForm } from "./keys.js";
import { DEFAULT_LEGACY_MAGIC, legacyMessageHash } from "./message.js";

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;

/**
 * Signs `message` in the chain's signed-message format, as its wallet's `signmessage` does:
 * a 65-byte compact signature (header `27 + recovery id`, plus 4 for a compressed key; then r
 * and s), low s, in base64. `form` is the key form the holder's address was made from.
 */
export function signLegacyMessage(
  message: string,
  privateKey: Uint8Array,
  form: KeyForm,
  magic = DEFAULT_LEGACY_MAGIC,
): string {
  const hash = legacyMessageHash(message, magic);
  // "recovered" is recovery id ‖ r ‖ s; noble signs deterministically (RFC 6979) with low s.
  const signature = secp256k1.sign(hash, privateKey, { prehash: false, format: "recovered" });
  const out = Uint8Array.from(signature);
  out[0] = 27 + signature[0]! + (form === "compressed" ? 4 : 0);
  return encodeBase64(out);
}

/** A decoded compact signature. */
export interface CompactSignature {
  bytes: Uint8Array;
  header: number;
  recovery: number;
  /** The key form the header names (31..34: compressed). */
  form: KeyForm;
  r: bigint;
  s: bigint;
}

/**
 * The bytes of a signature as pasted: `0x` hex, or standard base64. Node's base64 decoder skips
 * characters it does not know, so a mistyped or truncated paste is refused here, by position,
 * rather than decoded into some other signature.
 */
function signatureBytes(text: string): Uint8Array {
  if (text.startsWith("0x")) {
    const bad = text.slice(2).search(/[^0-9a-fA-F]/);
    if (bad >= 0)
      throw new RangeError(`the signature has "${text[bad + 2]}" at character ${bad + 3}, which is not hex`);
    if (text.length % 2 !== 0) throw new RangeError("the signature's hex has an odd number of digits");
    return fromHex(text, "the signature");
  }
  const bad = text.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) throw new RangeError(`the signature has "${text[bad]}" at character ${bad + 1}, which is not base64`);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new RangeError(
      `the signature's base64 is cut or padded wrongly (${text.length} characters; "=" only at the end, a multiple of 4 in all)`,
    );
  }
  return Uint8Array.from(decodeBase64(text));
}

/**
 * Decodes a base64 (or `0x` hex) compact signature. Throws a RangeError saying what the contract
 * would refuse: the length, a header outside 27..34 (segwit headers 35..42 included), recovery id
 * 2 or 3, r or s zero, an r that is no point's x, high s.
 */
export function parseCompactSignature(signature: string): CompactSignature {
  const bytes = signatureBytes(signature.trim());
  if (bytes.length !== 65) {
    throw new RangeError(`the signature is ${bytes.length} bytes; a compact signature is 65 (88 base64 characters)`);
  }
  const header = bytes[0]!;
  if (header < 27 || header > 34) {
    const segwit = header >= 35 && header <= 42 ? " (a segwit signature: only P2PKH addresses can claim)" : "";
    throw new RangeError(`the signature's header byte is ${header}, not 27..34${segwit}`);
  }
  const recovery = (header - 27) & 3;
  if (recovery > 1)
    throw new RangeError(`the signature uses recovery id ${recovery}, which ecrecover cannot use; sign again`);
  const r = BigInt(toHex(bytes.subarray(1, 33)));
  const s = BigInt(toHex(bytes.subarray(33, 65)));
  if (r === 0n || s === 0n) throw new RangeError("the signature's r or s is zero");
  // A damaged r recovers no key at all; say so here rather than fail inside the curve library.
  if (r >= N) throw new RangeError("the signature's r is not below the curve order");
  try {
    secp256k1.Point.fromBytes(Uint8Array.of(2, ...bytes.subarray(1, 33)));
  } catch {
    throw new RangeError("the signature's r is the x of no curve point: the paste is damaged");
  }
  if (s > HALF_N)
    throw new RangeError("the signature has a high s (above n/2); the contract only takes low-s signatures");
  return { bytes, header, recovery, form: header > 30 ? "compressed" : "uncompressed", r, s };
}

/** Who signed a message: the key in the form the signature's header names, and its HASH160. */
export interface RecoveredSigner {
  pubkey: Uint8Array;
  form: KeyForm;
  hash160: string;
}

/** Recovers the signer of `message` from a compact signature (see `parseCompactSignature`). */
export function recoverLegacySigner(
  message: string,
  signature: string | CompactSignature,
  magic = DEFAULT_LEGACY_MAGIC,
): RecoveredSigner {
  const sig = typeof signature === "string" ? parseCompactSignature(signature) : signature;
  const recovered = Uint8Array.from(sig.bytes);
  recovered[0] = sig.recovery;
  const key = secp256k1.recoverPublicKey(recovered, legacyMessageHash(message, magic), { prehash: false });
  const pubkey = convertKey(key, sig.form);
  return { pubkey, form: sig.form, hash160: toHex(hash160(pubkey)) };
}

/** Whether `signature` is a valid signature of `message` by the key whose HASH160 is `expected` (0x hex). */
export function verifyLegacyMessage(
  message: string,
  expected: string,
  signature: string,
  magic = DEFAULT_LEGACY_MAGIC,
): boolean {
  try {
    return recoverLegacySigner(message, signature, magic).hash160 === expected.toLowerCase();
  } catch {
    return false;
  }
}
