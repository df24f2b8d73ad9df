import { HttpStatusError, JsonRpcError, RpcResponseError } from "./errors.js";
import { redactUrl, type RequestOptions, type RpcTransport } from "./transport.js";

export interface HttpTransportOptions {
  /** Extra headers, e.g. an `Authorization` header some providers want. */
  headers?: Record<string, string>;
  /** The `fetch` to use; the global one by default. */
  fetch?: typeof fetch;
}

/**
 * JSON-RPC over HTTP POST with `fetch`. Failures come out as {@link HttpStatusError} (a non-2xx
 * status), {@link JsonRpcError} (an error object in the answer), {@link RpcResponseError} (an
 * answer that is not JSON-RPC) or fetch's own network error; it does not retry or time out by
 * itself, {@link RetryingTransport} does.
 */
export class HttpTransport implements RpcTransport {
  readonly endpoint: string;
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  #id = 0;

  constructor(url: string, options: HttpTransportOptions = {}) {
    this.endpoint = redactUrl(url);
    this.#url = url;
    this.#headers = { "content-type": "application/json", ...options.headers };
    this.#fetch = options.fetch ?? fetch;
  }

  async request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    const id = ++this.#id;
    const response = await this.#fetch(this.#url, {
      method: "POST",
      headers: this.#headers,
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
      signal: options.signal,
    });
    const text = await response.text();
    if (!response.ok) {
      throw new HttpStatusError(
        response.status,
        `HTTP ${response.status} ${response.statusText}`.trim(),
        retryAfterMs(response.headers.get("retry-after")),
      );
    }
    let body: { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RpcResponseError(`the answer to ${method} is not JSON (${text.length} bytes)`);
    }
    if (typeof body !== "object" || body === null) {
      throw new RpcResponseError(`the answer to ${method} is not a JSON-RPC response`);
    }
    if (body.error !== undefined) {
      const { code, message, data } = body.error;
      throw new JsonRpcError(typeof code === "number" ? code : 0, String(message ?? "unknown error"), data);
    }
    if (!("result" in body)) throw new RpcResponseError(`the answer to ${method} has neither result nor error`);
    return body.result;
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
