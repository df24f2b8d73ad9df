// Quotes for the market's forms, asked of the provider's agent at the node's endpoint (the
// registry's URI): the package's quote request and answer formats, the answer checked to be for
// this chain, this escrow, this node, this customer and the window asked for before anything is
// signed.
import {
  checkDomain,
  escrowDomain,
  parseQuoteAnswer,
  quoteRequestToJson,
  SESSION_ROUTES,
  type SignedQuote,
} from "gpufog";
import { type Address, isAddressEqual } from "viem";
import type { Config } from "wagmi";

import { agentPost, nodeEndpoint } from "./agent.ts";
import type { AppConfig } from "./config.ts";

export async function fetchQuote(
  app: AppConfig,
  config: Config,
  nodeId: bigint,
  customer: Address,
  window?: { start: bigint; duration: bigint },
): Promise<SignedQuote> {
  const endpoint = await nodeEndpoint(app, config, nodeId);
  const request = quoteRequestToJson({
    nodeId,
    customer,
    ...(window ? { windowStart: window.start, windowDuration: window.duration } : {}),
  });
  const where = `the quote of ${endpoint}`;
  const signed = parseQuoteAnswer(await agentPost(endpoint, SESSION_ROUTES.quote, request), where);
  checkDomain(signed, escrowDomain(BigInt(app.chain.id), app.contracts.escrow), where);
  const { quote } = signed;
  if (quote.nodeId !== nodeId || !isAddressEqual(quote.customer as Address, customer)) {
    throw new Error(`${where} is of node ${quote.nodeId} for ${quote.customer}`);
  }
  if (window && (quote.windowStart !== window.start || quote.windowDuration !== window.duration)) {
    throw new Error(`${where} is for another window than the one asked for`);
  }
  return signed;
}

/** A quote as the escrow's `Quote` tuple for viem. */
export const quoteArg = ({ quote }: SignedQuote) => ({
  ...quote,
  customer: quote.customer as Address,
  token: quote.token as Address,
});
