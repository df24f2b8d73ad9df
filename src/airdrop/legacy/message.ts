import { concatBytes } from "@noble/hashes/utils.js";
import { getAddress } from "ethers";

import { sha256d } from "./keys.js";

/** The default signed-message magic of the GUT distribution chain (Bitcoin's is "Bitcoin Signed Message:\n"). */
export const DEFAULT_LEGACY_MAGIC = "GPUnion Signed Message:\n";

/** What a legacy claim signature binds: the recipient, the chain and the distributor. */
export interface ClaimTarget {
  /** The EVM account to pay. */
  recipient: string;
  /** The EVM chain id the distributor is on. */
  chainId: bigint | number;
  /** The TokenSwapDistributor's address. */
  distributor: string;
}

/**
 * The text a legacy holder signs, exactly as `TokenSwapDistributor.legacyClaimMessage` builds it:
 * `gpufog token swap: claim to 0x<recipient> on chain <chain id> via distributor 0x<distributor>`,
 * addresses in lower-case hex, the chain id in decimal, no final newline.
 */
export function claimMessage({ recipient, chainId, distributor }: ClaimTarget): string {
  const lower = (a: string) => getAddress(a).toLowerCase();
  return `gpufog token swap: claim to ${lower(recipient)} on chain ${BigInt(chainId)} via distributor ${lower(distributor)}`;
}

/** Bitcoin's varint (CompactSize). */
export function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  const out = new Uint8Array(5);
  out[0] = 0xfe;
  new DataView(out.buffer).setUint32(1, n, true);
  return out;
}

/**
 * The chain's signed-message hash: `sha256(sha256(varint(len(magic)) ‖ magic ‖ varint(len(message)) ‖ message))`,
 * both as UTF-8. The magic is given without its length byte.
 */
export function legacyMessageHash(message: string, magic = DEFAULT_LEGACY_MAGIC): Uint8Array {
  const m = new TextEncoder().encode(magic);
  const text = new TextEncoder().encode(message);
  return sha256d(concatBytes(varint(m.length), m, varint(text.length), text));
}
