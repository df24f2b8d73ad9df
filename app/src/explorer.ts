// Block explorers: where a transaction can be looked at, when the chain has one. The configured
// chain's own `blockExplorers` first (viem's chain field), else the public explorers of the chains
// the system is deployed on (deploy/parameters); a local node has none, and the page shows the
// hash alone.
import type { Chain, Hash } from "viem";

const KNOWN: Record<number, string> = {
  1: "https://etherscan.io",
  10: "https://optimistic.etherscan.io",
  8453: "https://basescan.org",
  42161: "https://arbiscan.io",
  11155111: "https://sepolia.etherscan.io",
  11155420: "https://sepolia-optimism.etherscan.io",
  84532: "https://sepolia.basescan.org",
};

/** The explorer's base URL for `chain`, or `undefined` when it has none. */
export function explorerOf(chain: Pick<Chain, "id" | "blockExplorers">): string | undefined {
  const url = chain.blockExplorers?.default.url ?? KNOWN[chain.id];
  return url?.replace(/\/+$/, "");
}

/** The explorer's page of a transaction, or `undefined` when the chain has no explorer. */
export function txUrl(chain: Pick<Chain, "id" | "blockExplorers">, hash: Hash): string | undefined {
  const base = explorerOf(chain);
  return base && `${base}/tx/${hash}`;
}

/** A hash as people read it: "0x1234ab…cdef". */
export const shortHash = (hash: string) => `${hash.slice(0, 8)}…${hash.slice(-6)}`;
