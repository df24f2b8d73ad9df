import { Contract, type ContractRunner, type Signer } from "ethers";

import { InputError } from "./errors.js";
import { formatToken } from "./format.js";
import type { Source } from "./parse.js";

/**
 * The part of ERC-20 the tooling reads and the allowance it sets, human-readable, with
 * OpenZeppelin's errors so that a token's revert decodes by name.
 */
export const ERC20_ABI = [
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function balanceOf(address owner) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
] as const;

/** What amounts of a token are parsed and printed with. */
export interface TokenInfo {
  symbol: string;
  decimals: number;
}

function erc20(token: string, runner: ContractRunner): Contract {
  return new Contract(token, ERC20_ABI, runner);
}

/** A token's symbol and decimals; throws if the token does not answer them. */
export async function tokenInfo(token: string, runner: ContractRunner): Promise<TokenInfo> {
  const t = erc20(token, runner);
  const [symbol, decimals] = await Promise.all([t.getFunction("symbol")(), t.getFunction("decimals")()]);
  return { symbol: String(symbol), decimals: Number(decimals) };
}

/** {@link tokenInfo}, or a short address and 18 decimals for a token without metadata (for tables). */
export async function tokenLabel(token: string, runner: ContractRunner): Promise<TokenInfo> {
  try {
    return await tokenInfo(token, runner);
  } catch {
    return { symbol: `${token.slice(0, 8)}…`, decimals: 18 };
  }
}

/** What `owner` holds of `token`. */
export async function balanceOf(token: string, owner: string, runner: ContractRunner): Promise<bigint> {
  return (await erc20(token, runner).getFunction("balanceOf")(owner)) as bigint;
}

/** Approves `spender` to take `amount` of `token` from `signer` if the allowance is short. */
export async function ensureAllowance(token: string, signer: Signer, spender: string, amount: bigint): Promise<void> {
  const t = erc20(token, signer);
  const allowance = (await t.getFunction("allowance")(await signer.getAddress(), spender)) as bigint;
  if (allowance >= amount) return;
  await (await t.getFunction("approve")(spender, amount)).wait();
}

/**
 * Readies a payment of `amount` of `token` from `signer` to `spender`: refuses, before anything
 * is sent, a payer who does not hold the amount (an `InputError` naming `field`), then approves
 * what the allowance lacks. So a payer without the funds never leaves an approval behind.
 */
export async function preparePayment(
  token: string,
  signer: Signer,
  spender: string,
  amount: bigint,
  source: Source,
  field: string,
): Promise<void> {
  const owner = await signer.getAddress();
  const held = await balanceOf(token, owner, signer);
  if (held < amount) {
    const { symbol, decimals } = await tokenLabel(token, signer);
    throw new InputError(
      source,
      undefined,
      field,
      `${formatToken(amount, symbol, decimals)} needed; ${owner} holds ${formatToken(held, symbol, decimals)}`,
    );
  }
  await ensureAllowance(token, signer, spender, amount);
}
