import { Contract, type Signer } from "ethers";

import { InputError } from "../errors.js";
import { findClaims } from "./directory.js";
import { type HolderClaim } from "./format.js";
import { LeafKind } from "../merkle/proof.js";
import { DISTRIBUTOR_ABI } from "./abi.js";

/** What `claimAirdrop` did with one claim of the account. */
export interface ClaimOutcome {
  claim: HolderClaim;
  status: "claimed" | "already claimed";
  txHash?: string;
}

/**
 * Claims every EVM leaf of `account` from an airdrop directory, sent by `signer` (anyone may
 * send it; the tokens go to `account`). Indices already claimed are skipped. An account with no
 * EVM leaf in the airdrop is an `InputError`.
 */
export async function claimAirdrop(
  dir: string,
  address: string,
  account: string,
  signer: Signer,
): Promise<ClaimOutcome[]> {
  const claims = (await findClaims(dir, account)).filter((c) => c.kind === LeafKind.Evm);
  if (claims.length === 0) {
    throw new InputError(dir, undefined, "account", `${account} has no EVM claim in this airdrop`);
  }
  const distributor = new Contract(address, DISTRIBUTOR_ABI, signer);
  const outcomes: ClaimOutcome[] = [];
  for (const claim of claims) {
    if ((await distributor.getFunction("isClaimed")(claim.index)) as boolean) {
      outcomes.push({ claim, status: "already claimed" });
      continue;
    }
    const tx = await distributor.getFunction("claim")(claim.index, claim.holder, claim.amount, claim.proof);
    await tx.wait();
    outcomes.push({ claim, status: "claimed", txHash: tx.hash as string });
  }
  return outcomes;
}
