// The provider agent at a node's endpoint: the registry's URI of the node, where the provider's
// agent serves quotes, receipts and the lease's access (docs/operators.md, "The agent's API").
// Every answer is checked by the package's parsers; a refusal is shown as the agent's own line.
import { parseApiError, SESSION_ROUTES } from "gpufog";
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
  if (!/^https?:\/\/[^\s/]+/.test(node.uri)) {
    throw new Error(`node ${nodeId}'s URI ${JSON.stringify(node.uri)} is not an http(s) endpoint of a provider agent`);
  }
  return node.uri.replace(/\/+$/, "");
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
  let response: Response;
  try {
    response = await fetch(endpoint + route, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`the provider's agent at ${endpoint} cannot be reached (${(error as Error).message})`);
  }
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
