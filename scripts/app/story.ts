// The story's side of a lease session for `npm run app` and its browser tests, where quotes and
// receipts come from the story's own keys (the provider agent's API that serves them is the next
// issue's): a provider's quote for a node, a customer's session key, its receipts, and the escrow
// calls that use them. Imported by scripts/app/setup.ts and buyback.ts.
import { id, Wallet } from "ethers";

import { mined, receiptEvent } from "../../src/receipts.js";
import type { GUT } from "../../types/GUT.js";
import type { LeaseEscrow } from "../../types/LeaseEscrow.js";
import type { ProviderRegistry } from "../../types/ProviderRegistry.js";
import { escrowDomain, type EscrowDomain, type Quote, signQuote, signReceipt } from "../../src/market/typed-data.js";

type Signer = Parameters<typeof signQuote>[0] & { address: string };

export interface Story {
  escrow: LeaseEscrow;
  registry: ProviderRegistry;
  gut: GUT;
  domain: EscrowDomain;
  /** The chain's time: the latest block's timestamp. */
  now: () => Promise<bigint>;
}

export async function storyOf(
  contracts: { escrow: LeaseEscrow; registry: ProviderRegistry; gut: GUT },
  now: () => Promise<bigint>,
): Promise<Story> {
  const { chainId } = await contracts.escrow.runner!.provider!.getNetwork();
  return { ...contracts, domain: escrowDomain(chainId, await contracts.escrow.getAddress()), now };
}

/** `customer`'s approval of `amount` of GUT to the escrow (the story pays in GUT). */
async function approve(story: Story, customer: Signer, amount: bigint) {
  await mined(story.gut.connect(customer as never).approve(await story.escrow.getAddress(), amount));
}

let nonce = BigInt(Date.now()) * 1000n;

/**
 * The provider's quote of `nodeId` for `customer` at the node's listed price and token, valid for
 * the escrow's longest quote age; a reservation's when `window` is given.
 */
export async function quoteOf(
  story: Story,
  provider: Signer,
  nodeId: bigint,
  customer: string,
  window: { start: bigint; duration: bigint } = { start: 0n, duration: 0n },
) {
  const node = await story.registry.node(nodeId);
  const quote: Quote = {
    nodeId,
    customer,
    token: node.paymentToken,
    pricePerTuHour: node.pricePerTuHour,
    windowStart: window.start,
    windowDuration: window.duration,
    expiry: (await story.now()) + (await story.escrow.maxQuoteAge()),
    nonce: nonce++,
  };
  return { quote, signature: await signQuote(provider, story.domain, quote) };
}

/** The story's session key of a customer: a fixed key per name, so a rerun names the same one. */
export const sessionKeyOf = (name: string) => new Wallet(id(`gpufog app story session key of ${name}`));

/** A receipt of `leaseId` up to `paidThrough`, signed by `key`. */
export const receiptOf = (story: Story, key: Signer, leaseId: bigint, paidThrough: bigint) =>
  signReceipt(key, story.domain, { leaseId, paidThrough });

/** Opens a lease with `provider`'s quote; `customer` approves the deposit first. Returns its id. */
export async function leaseWithQuote(
  story: Story,
  provider: Signer,
  customer: Signer,
  nodeId: bigint,
  deposit: bigint,
  sessionKey: string,
): Promise<bigint> {
  const { quote, signature } = await quoteOf(story, provider, nodeId, customer.address);
  await approve(story, customer, deposit);
  const escrow = story.escrow.connect(customer as never);
  const receipt = await mined(escrow.openLease(quote, signature, deposit, sessionKey));
  return receiptEvent(escrow, receipt, "LeaseOpened").args.leaseId as bigint;
}

/** Reserves `nodeId` for the window with `provider`'s quote; returns the reservation's id. */
export async function reserveWithQuote(
  story: Story,
  provider: Signer,
  customer: Signer,
  nodeId: bigint,
  window: { start: bigint; duration: bigint },
  deposit: bigint,
): Promise<bigint> {
  const { quote, signature } = await quoteOf(story, provider, nodeId, customer.address, window);
  await approve(story, customer, deposit);
  const escrow = story.escrow.connect(customer as never);
  const receipt = await mined(escrow.reserve(quote, signature, deposit));
  return receiptEvent(escrow, receipt, "Reserved").args.reservationId as bigint;
}
