// Quotes for the market's forms. For now they come from the local quote service of `npm run app`
// (app/local.mjs, signed with the story providers' keys), the stand-in for the provider agent's
// quote API at each node's endpoint; the answer is the package's quote file format, checked to be
// for this chain, this escrow, this node and this customer before anything is signed.
import { checkDomain, escrowDomain, parseSignedQuote, type SignedQuote } from "gpufog";
import { type Address, isAddressEqual } from "viem";

import type { AppConfig } from "./config.ts";

export async function fetchQuote(
  app: AppConfig,
  nodeId: bigint,
  customer: Address,
  window?: { start: bigint; duration: bigint },
): Promise<SignedQuote> {
  if (!app.localQuotes) throw new Error("this deployment names no quote service (config.json localQuotes)");
  const url = new URL(app.localQuotes);
  url.searchParams.set("node", String(nodeId));
  url.searchParams.set("customer", customer);
  if (window) {
    url.searchParams.set("start", String(window.start));
    url.searchParams.set("duration", String(window.duration));
  }
  const response = await fetch(url);
  const body = (await response.json()) as { error?: string };
  if (!response.ok) throw new Error(`the quote service refused: ${body.error ?? `HTTP ${response.status}`}`);
  const signed = parseSignedQuote(body, "the quote service's answer");
  checkDomain(signed, escrowDomain(BigInt(app.chain.id), app.contracts.escrow), "the quote service's answer");
  if (signed.quote.nodeId !== nodeId || !isAddressEqual(signed.quote.customer as Address, customer)) {
    throw new Error(`the quote service answered a quote of node ${signed.quote.nodeId} for ${signed.quote.customer}`);
  }
  return signed;
}

/** A quote as the escrow's `Quote` tuple for viem. */
export const quoteArg = ({ quote }: SignedQuote) => ({
  ...quote,
  customer: quote.customer as Address,
  token: quote.token as Address,
});
