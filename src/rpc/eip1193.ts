import { JsonRpcError } from "./errors.js";
import type { RequestOptions, RpcTransport } from "./transport.js";

/** The EIP-1193 `request` method: Hardhat's `connection.provider`, ethers' `BrowserProvider` source, `window.ethereum`. */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown>;
}

/**
 * Adapts an EIP-1193 provider to {@link RpcTransport}. Provider errors that carry a numeric
 * `code` (EIP-1193 and EIP-1474 both require one) become {@link JsonRpcError}, so they are
 * classified like the same error over HTTP. A provider request cannot be cancelled, so the
 * signal is only checked before sending; {@link RetryingTransport} stops waiting on its own.
 */
export class Eip1193Transport implements RpcTransport {
  constructor(
    readonly provider: Eip1193Provider,
    readonly endpoint = "EIP-1193 provider",
  ) {}

  async request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    options.signal?.throwIfAborted();
    try {
      return await this.provider.request({ method, params: [...params] });
    } catch (error) {
      throw toJsonRpcError(error);
    }
  }
}

function toJsonRpcError(error: unknown): unknown {
  if (error instanceof JsonRpcError || typeof error !== "object" || error === null) return error;
  const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof code !== "number") return error;
  return new JsonRpcError(code, String(message ?? "unknown error"), data);
}
