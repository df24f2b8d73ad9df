// The provider agent at a node's endpoint: the registry's URI of the node, where the provider's
// agent serves quotes, receipts and the lease's access (docs/operators.md, "The agent's API").
// Every answer is checked by the package's parsers; a refusal is shown as the agent's own line.
import { parseApiError, parseReceiptAnswer, receiptPath, SESSION_ROUTES, type SignedReceipt } from "gpufog";
import { ProviderRegistry } from "gpufog/abi";
import type { Config } from "wagmi";

import { client } from "./chain.ts";
import type { AppConfig } from "./config.ts";

/** How long one request to an agent may take before it counts as failed. */
const TIMEOUT_MS = 15_000;

/** The node's endpoint (its URI in the registry), or why it has none the browser can call. */
export async function nodeEndpoint(app: AppConfig, config: Config, nodeId: bigint): Promise<string> {
  const node = await client(config).readContract({
    address: app.contracts.registry,
    abi: ProviderRegistry,
    functionName: "node",
    args: [nodeId],
  });
  return endpointOf(nodeId, node.uri);
}

/** The agent's endpoint from a node's registry URI (read already), or why the browser cannot call it. */
export function endpointOf(nodeId: bigint, uri: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(uri)) {
    throw new Error(`node ${nodeId}'s URI ${JSON.stringify(uri)} is not an http(s) endpoint of a provider agent`);
  }
  return uri.replace(/\/+$/, "");
}

/**
 * The best receipt the node's agent holds for lease `leaseId` (`GET /receipts/<leaseId>`), checked
 * to be that lease's; `undefined` when the agent holds none (404). Fails with the agent's refusal
 * or with why it could not be reached.
 */
export async function agentReceipt(endpoint: string, leaseId: bigint): Promise<SignedReceipt | undefined> {
  const response = await reach(endpoint, receiptPath(leaseId), {});
  if (response.status === 404) return undefined;
  const json = await answerOf(response);
  return parseReceiptAnswer(json, leaseId, `the agent's receipt of lease ${leaseId}`);
}

/**
 * POSTs `body` to the agent's `route`; resolves with the answer's JSON, or fails with the agent's
 * refusal (its status and line) or with why it could not be reached.
 */
export async function agentPost(
  endpoint: string,
  route: (typeof SESSION_ROUTES)[keyof typeof SESSION_ROUTES],
  body: unknown,
): Promise<unknown> {
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  return answerOf(await reach(endpoint, route, init));
}

/** The agent's response to one request, or why it could not be reached within the timeout. */
async function reach(endpoint: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(endpoint + path, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`the provider's agent at ${endpoint} cannot be reached (${(error as Error).message})`);
  }
}

/** The answer's JSON, or the agent's refusal (its line) as an error. */
async function answerOf(response: Response): Promise<unknown> {
  const json = (await response.json().catch(() => undefined)) as unknown;
  if (response.ok) return json;
  let line = `HTTP ${response.status}`;
  try {
    line = parseApiError(json).error;
  } catch {
    // Not the agent's error format: the status says enough.
  }
  throw new Error(`the provider's agent refused: ${line}`);
}
