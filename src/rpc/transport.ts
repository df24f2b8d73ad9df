/** Options for one request. */
export interface RequestOptions {
  /** Gives up on the request (and any wait before it) when aborted. */
  signal?: AbortSignal;
}

/**
 * The one thing the tooling needs from an Ethereum node: send a JSON-RPC call, get its result.
 * {@link HttpTransport} speaks HTTP to a URL; {@link Eip1193Transport} wraps a provider such as
 * Hardhat's `connection.provider` or a wallet's `window.ethereum`; {@link RetryingTransport}
 * adds retries with backoff around either.
 */
export interface RpcTransport {
  /** A name for messages, safe to print: it never holds a URL path or query (API keys live there). */
  readonly endpoint: string;
  request(method: string, params: readonly unknown[], options?: RequestOptions): Promise<unknown>;
}

/**
 * Shortens a URL to what is safe to print: scheme, host and port. Providers put API keys in the
 * path (`/v2/<key>`), the query (`?apikey=`) or the user info, so those are dropped and an
 * ellipsis marks that something was.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<invalid URL>";
  }
  const hidden = (parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search !== "" || parsed.hash !== "";
  const credentials = parsed.username !== "" || parsed.password !== "";
  return `${parsed.protocol}//${credentials ? "…@" : ""}${parsed.host}${hidden ? "/…" : ""}`;
}
