import { type ContractRunner, type Signer } from "ethers";

import { tokenLabel, type TokenInfo } from "../erc20.js";
import { InputError } from "../errors.js";
import { findClaims } from "./directory.js";
import { type HolderClaim } from "./format.js";
import { LeafKind } from "./merkle/proof.js";
import { TokenSwapDistributor__factory } from "../../types/factories/TokenSwapDistributor__factory.js";

/** What `claimAirdrop` did with one claim of the account. */
export interface ClaimOutcome {
  claim: HolderClaim;
  status: "claimed" | "already claimed";
  txHash?: string;
}

/** What `claimAirdrop` did: the token it paid in, and each claim of the account. */
export interface AirdropClaims {
  token: TokenInfo;
  outcomes: ClaimOutcome[];
}

/**
 * The token a distributor pays out, with its symbol and decimals. An address that is not a
 * TokenSwapDistributor on this network is an `InputError` of `field`, found before anything is sent.
 */
export async function distributorToken(
  address: string,
  runner: ContractRunner,
  source: string,
  field: string,
): Promise<TokenInfo> {
  let token: string;
  try {
    token = await TokenSwapDistributor__factory.connect(address, runner).token();
  } catch (error) {
    throw new InputError(
      source,
      undefined,
      field,
      `${address} is not a TokenSwapDistributor on this network: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  return tokenLabel(token, runner);
}

/**
 * Claims every EVM leaf of `account` from an airdrop directory, sent by `signer` (anyone may
 * send it; the tokens go to `account`). Indices already claimed are skipped. An account with no
 * EVM leaf in the airdrop, or a `distributor` that is not one, is an `InputError` raised before
 * anything is sent. `onToken` hears the distributor's token once it is read, before anything is
 * sent, so that a caller can word a refusal's amounts in it.
 */
export async function claimAirdrop(
  dir: string,
  address: string,
  account: string,
  signer: Signer,
  onToken?: (token: TokenInfo) => void,
): Promise<AirdropClaims> {
  const claims = (await findClaims(dir, account)).filter((c) => c.kind === LeafKind.Evm);
  if (claims.length === 0) {
    throw new InputError(dir, undefined, "account", `${account} has no EVM claim in this airdrop`);
  }
  const token = await distributorToken(address, signer, dir, "distributor");
  onToken?.(token);
  const distributor = TokenSwapDistributor__factory.connect(address, signer);
  const outcomes: ClaimOutcome[] = [];
  for (const claim of claims) {
    if (await distributor.isClaimed(claim.index)) {
      outcomes.push({ claim, status: "already claimed" });
      continue;
    }
    const tx = await distributor.claim(claim.index, claim.holder, claim.amount, claim.proof);
    await tx.wait();
    outcomes.push({ claim, status: "claimed", txHash: tx.hash as string });
  }
  return { token, outcomes };
}
