// The escrow's two signed messages, quotes and receipts, as EIP-712 typed data that any client
// signs as it is: ethers' `signer.signTypedData(domain, types, message)` and viem's
// `walletClient.signTypedData({ domain, types, primaryType, message })` take these objects.
// Browser-safe: no client library is imported here.

/** The escrow's EIP-712 domain: its name and version are fixed by the contract. */
export interface EscrowDomain {
  name: "gpufog LeaseEscrow";
  version: "1";
  chainId: bigint;
  verifyingContract: string;
}

/** A provider's offer to one customer (the contract's `ILeaseEscrow.Quote`). */
export interface Quote {
  nodeId: bigint;
  customer: string;
  token: string;
  pricePerTuHour: bigint;
  /** For a reservation, when the window starts; 0n for a lease. */
  windowStart: bigint;
  /** For a reservation, the window's length in seconds; 0n for a lease. */
  windowDuration: bigint;
  /** The last second the quote may be used at. */
  expiry: bigint;
  /** Used once per provider, in any order. */
  nonce: bigint;
}

/** A customer's cumulative receipt: the lease is paid up to `paidThrough` (unix seconds). */
export interface Receipt {
  leaseId: bigint;
  paidThrough: bigint;
}

export const QUOTE_TYPES = {
  Quote: [
    { name: "nodeId", type: "uint256" },
    { name: "customer", type: "address" },
    { name: "token", type: "address" },
    { name: "pricePerTuHour", type: "uint256" },
    { name: "windowStart", type: "uint256" },
    { name: "windowDuration", type: "uint256" },
    { name: "expiry", type: "uint256" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

export const RECEIPT_TYPES = {
  Receipt: [
    { name: "leaseId", type: "uint256" },
    { name: "paidThrough", type: "uint256" },
  ],
} as const;

/** The domain of the escrow at `escrow` on chain `chainId`. */
export function escrowDomain(chainId: bigint, escrow: string): EscrowDomain {
  return { name: "gpufog LeaseEscrow", version: "1", chainId, verifyingContract: escrow };
}

/** A quote as typed data, for any client's `signTypedData`. */
export function quoteTypedData(domain: EscrowDomain, quote: Quote) {
  return { domain, types: QUOTE_TYPES, primaryType: "Quote" as const, message: quote };
}

/** A receipt as typed data, for any client's `signTypedData`. */
export function receiptTypedData(domain: EscrowDomain, receipt: Receipt) {
  return { domain, types: RECEIPT_TYPES, primaryType: "Receipt" as const, message: receipt };
}

/**
 * What an ethers `Signer` (or any object with its `signTypedData(domain, types, value)`) needs to
 * sign the escrow's messages. viem's wallet clients take `quoteTypedData`'s object instead.
 */
export interface TypedDataSigner {
  signTypedData(
    domain: EscrowDomain,
    types: Record<string, readonly { name: string; type: string }[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** Signs a quote with the provider's or its operator's key. */
export function signQuote(signer: TypedDataSigner, domain: EscrowDomain, quote: Quote): Promise<string> {
  return signer.signTypedData(domain, QUOTE_TYPES, { ...quote });
}

/** Signs a receipt with the customer's key or the lease's session key. */
export function signReceipt(signer: TypedDataSigner, domain: EscrowDomain, receipt: Receipt): Promise<string> {
  return signer.signTypedData(domain, RECEIPT_TYPES, { ...receipt });
}
