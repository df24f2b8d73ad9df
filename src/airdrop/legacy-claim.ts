import { getAddress, type ContractRunner, type Signer } from "ethers";

import { TokenSwapDistributor__factory } from "../../types/factories/TokenSwapDistributor__factory.js";
import { distributorToken } from "./claim.js";
import { ERC20_ABI, type TokenInfo } from "../erc20.js";
import { InputError } from "../errors.js";
import { findClaims, readManifest } from "./directory.js";
import { type HolderClaim } from "./format.js";
import { LeafKind } from "./merkle/proof.js";
import { encodeLegacyAddress } from "./legacy/address.js";
import { convertKey, fromHex, hash160, keyForm, toHex, type KeyForm } from "./legacy/keys.js";
import { parseLegacyHolder } from "./legacy-lookup.js";
import { claimMessage } from "./legacy/message.js";
import { parseCompactSignature, recoverLegacySigner, type CompactSignature } from "./legacy/sign.js";
import { decodeRevert } from "../revert.js";

/** What `airdrop:claim-legacy` is given. */
export interface LegacyClaimRequest {
  /** The airdrop directory (from `airdrop:build --legacy`). */
  dir: string;
  distributor: string;
  /** The EVM account the holder signed for. */
  recipient: string;
  /** The compact signature, base64 as the old wallet's `signmessage` prints it (or 0x hex). */
  signature: string;
  /** The holder's public key, hex (33 or 65 bytes); recovered from the signature when absent. */
  pubkey?: string;
  /** The holder's base58 address or HASH160; taken from the key when absent. */
  holder?: string;
  /** Where the request came from, for errors (a task name). */
  source?: string;
}

/** A checked legacy claim: every argument of `claimLegacy` except the leaf's. */
export interface LegacyClaimPlan {
  message: string;
  chainId: bigint;
  magic: string;
  version: number;
  recipient: string;
  pubkey: string;
  form: KeyForm;
  hash160: string;
  address: string;
  signature: string;
  /** The token the distributor pays out. */
  token: TokenInfo;
  /** The holder's kind 1 leaves. */
  claims: HolderClaim[];
}

/** Chain ids a signature made for the wrong chain was most likely made for. */
const LIKELY_CHAINS = [1n, 10n, 56n, 137n, 8453n, 42161n, 17000n, 11155111n, 31337n];

function samePoint(a: Uint8Array, b: Uint8Array): boolean {
  return toHex(convertKey(a, "uncompressed")) === toHex(convertKey(b, "uncompressed"));
}

/**
 * Explains why a signature over `message` does not come from the key of `expectedHash160`: the
 * chain it was signed for, when it verifies for one of the usual chains; otherwise the message it
 * should have signed.
 */
function wrongSignature(
  sig: CompactSignature,
  expectedHash160: string,
  request: LegacyClaimRequest,
  plan: { message: string; magic: string; chainId: bigint; address: string },
): string {
  const signedBy = (message: string) => {
    const k = recoverLegacySigner(message, sig, plan.magic).pubkey;
    return [toHex(hash160(convertKey(k, "compressed"))), toHex(hash160(convertKey(k, "uncompressed")))].includes(
      expectedHash160,
    );
  };
  for (const chainId of LIKELY_CHAINS) {
    if (chainId === plan.chainId) continue;
    if (signedBy(claimMessage({ recipient: request.recipient, distributor: request.distributor, chainId }))) {
      return `the signature is for chain ${chainId}, but this distributor is on chain ${plan.chainId}: sign again with --chain-id ${plan.chainId}`;
    }
  }
  return (
    `the signature does not come from the key of ${plan.address} over the message the distributor expects:\n` +
    `  "${plan.message}"\n` +
    `either another key signed it, or it was made for another recipient, chain id or distributor, or with another magic than ${JSON.stringify(plan.magic)}. ` +
    `Sign exactly that text (airdrop:sign-legacy --recipient ${request.recipient} --chain-id ${plan.chainId} --distributor ${request.distributor})`
  );
}

/**
 * Checks a legacy claim against the distributor (read-only: its magic, version, chain id and
 * message) and the airdrop directory, and says precisely what is wrong: an unreadable signature
 * or key, a key of another address, the other key form, a signature for another chain,
 * recipient or distributor, a holder with no leaf. Each is an `InputError`.
 */
export async function planLegacyClaim(request: LegacyClaimRequest, runner: ContractRunner): Promise<LegacyClaimPlan> {
  const source = request.source ?? "claim-legacy";
  const fail = (field: string | undefined, problem: string): never => {
    throw new InputError(source, undefined, field, problem);
  };
  const recipient = getAddress(request.recipient);
  const distributor = TokenSwapDistributor__factory.connect(request.distributor, runner);
  let magic: string, version: number, message: string;
  try {
    magic = await distributor.legacyMagic();
    version = Number(await distributor.legacyAddressVersion());
    message = await distributor.legacyClaimMessage(recipient);
  } catch (error) {
    return fail(
      "--distributor",
      `${request.distributor} is not a TokenSwapDistributor with legacy claims on this network: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const chainId = (await runner.provider!.getNetwork()).chainId;
  const manifest = await readManifest(request.dir);
  if (manifest.legacy !== undefined && manifest.legacy.version !== version) {
    fail(
      "--airdrop",
      `the airdrop was built for address version ${manifest.legacy.version}, the distributor expects ${version}`,
    );
  }

  let sig: CompactSignature;
  try {
    sig = parseCompactSignature(request.signature);
  } catch (error) {
    return fail("--signature", (error as Error).message);
  }
  const expected =
    request.holder === undefined ? undefined : parseLegacyHolder(source, "--holder", request.holder, version);
  const addressOf = (h: string) => encodeLegacyAddress(h, version);
  const base = { message, magic, chainId };

  let pubkey: Uint8Array;
  if (request.pubkey !== undefined) {
    try {
      pubkey = fromHex(request.pubkey, "the public key");
      keyForm(pubkey);
    } catch {
      return fail(
        "--pubkey",
        `"${request.pubkey}" is not a secp256k1 public key (33 bytes from 02/03, or 65 from 04, on the curve)`,
      );
    }
    const own = toHex(hash160(pubkey));
    if (expected !== undefined && own !== expected) {
      const other = toHex(hash160(convertKey(pubkey, pubkey.length === 33 ? "uncompressed" : "compressed")));
      if (other === expected) {
        fail(
          "--pubkey",
          `this is the key of ${addressOf(expected)}, but in the ${pubkey.length === 33 ? "compressed" : "uncompressed"} form; that address was made from the other form: pass --pubkey ${toHex(convertKey(pubkey, pubkey.length === 33 ? "uncompressed" : "compressed"))}`,
        );
      }
      fail("--pubkey", `this key's address is ${addressOf(own)}, not ${addressOf(expected)}: wrong key`);
    }
    const recovered = recoverLegacySigner(message, sig, magic);
    if (!samePoint(recovered.pubkey, pubkey)) {
      fail("--signature", wrongSignature(sig, own, request, { ...base, address: addressOf(own) }));
    }
    if (sig.form !== (pubkey.length === 33 ? "compressed" : "uncompressed")) {
      fail(
        "--signature",
        `the signature's header says a ${sig.form} key, but ${addressOf(own)} is the address of the ${pubkey.length === 33 ? "compressed" : "uncompressed"} key: sign again in that form`,
      );
    }
  } else {
    const recovered = recoverLegacySigner(message, sig, magic);
    pubkey = recovered.pubkey;
    if (expected !== undefined && recovered.hash160 !== expected) {
      const other = toHex(hash160(convertKey(pubkey, sig.form === "compressed" ? "uncompressed" : "compressed")));
      if (other === expected) {
        fail(
          "--signature",
          `the signature is by the key of ${addressOf(expected)}, but its header says the ${sig.form} key while that address was made from the other form: sign again with the other form (airdrop:sign-legacy --address ${addressOf(expected)} picks it)`,
        );
      }
      fail("--signature", wrongSignature(sig, expected, request, { ...base, address: addressOf(expected) }));
    }
  }

  const own = toHex(hash160(pubkey));
  const claims = (await findClaims(request.dir, own)).filter((c) => c.kind === LeafKind.Legacy);
  if (claims.length === 0) {
    const other = toHex(hash160(convertKey(pubkey, pubkey.length === 33 ? "uncompressed" : "compressed")));
    const otherClaims = (await findClaims(request.dir, other)).filter((c) => c.kind === LeafKind.Legacy);
    if (otherClaims.length > 0) {
      fail(
        undefined,
        `${addressOf(own)} has no claim, but ${addressOf(other)}, the ${pubkey.length === 33 ? "uncompressed" : "compressed"} form of the same key, does: sign again in that form`,
      );
    }
    fail(
      request.pubkey === undefined && expected === undefined ? "--signature" : undefined,
      `${addressOf(own)} has no legacy claim in this airdrop` +
        (request.pubkey === undefined && expected === undefined
          ? ` (that is the key the signature recovers to over "${message}": if it is not yours, the signature was made for another recipient, chain id or distributor; pass --holder <your address> for a precise diagnosis)`
          : ""),
    );
  }
  return {
    message,
    chainId,
    magic,
    version,
    recipient,
    pubkey: toHex(pubkey),
    form: pubkey.length === 33 ? "compressed" : "uncompressed",
    hash160: own,
    address: addressOf(own),
    signature: toHex(sig.bytes),
    token: await distributorToken(request.distributor, runner, source, "--distributor"),
    claims,
  };
}

/** What `claimLegacyAirdrop` did with one leaf. */
export interface LegacyClaimOutcome {
  claim: HolderClaim;
  status: "claimed" | "already claimed";
  txHash?: string;
}

/**
 * Submits every unclaimed kind 1 leaf of the holder to `claimLegacy`, sent by `signer` (anyone:
 * the tokens go to the signed recipient). Each is run by `eth_call` first, so a refusal is
 * reported with the contract's custom error, decoded in words with its amounts in the
 * distributor's token, before any gas is spent.
 */
export async function claimLegacyAirdrop(
  request: LegacyClaimRequest,
  signer: Signer,
): Promise<{ plan: LegacyClaimPlan; outcomes: LegacyClaimOutcome[] }> {
  const plan = await planLegacyClaim(request, signer);
  const distributor = TokenSwapDistributor__factory.connect(request.distributor, signer);
  const outcomes: LegacyClaimOutcome[] = [];
  for (const claim of plan.claims) {
    if (await distributor.isClaimed(claim.index)) {
      outcomes.push({ claim, status: "already claimed" });
      continue;
    }
    const args = [
      claim.index,
      claim.holder,
      claim.amount,
      claim.proof,
      plan.recipient,
      plan.pubkey,
      plan.signature,
    ] as const;
    try {
      await distributor.claimLegacy.staticCall(...args);
    } catch (error) {
      const abis = [distributor.interface, ERC20_ABI];
      const reason = decodeRevert(error, abis, { token: plan.token })?.message ?? (error as Error).message;
      throw new InputError(
        request.source ?? "claim-legacy",
        undefined,
        undefined,
        `the distributor refuses index ${claim.index}: ${reason}`,
      );
    }
    const tx = await distributor.claimLegacy(...args);
    await tx.wait();
    outcomes.push({ claim, status: "claimed", txHash: tx.hash as string });
  }
  return { plan, outcomes };
}
