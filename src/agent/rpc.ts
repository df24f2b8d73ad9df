// One ethers provider over the agent's JSON-RPC URLs: the package's FallbackTransport (src/rpc/)
// does the rotation, timeouts and back-off; this only maps ethers' payloads onto it and the
// node's JSON-RPC errors back into answers, so that ethers decodes reverts as usual.
import { JsonRpcApiProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from "ethers";

import { JsonRpcError as NodeError } from "../rpc/errors.js";
import { FallbackTransport, type FallbackTransportOptions } from "../rpc/fallback.js";
import { HttpTransport } from "../rpc/http.js";

export interface FallbackOptions extends FallbackTransportOptions {
  chainId: number;
}

export class FallbackRpcProvider extends JsonRpcApiProvider {
  private readonly transport: FallbackTransport;

  constructor(
    readonly urls: readonly string[],
    options: FallbackOptions,
  ) {
    const network = Network.from(options.chainId);
    super(network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
    this.transport = new FallbackTransport(
      urls.map((url) => new HttpTransport(url)),
      options,
    );
  }

  // Requests go out at once: there is no connection to wait for, and the network is static.
  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    this._start();
    return super.send(method, params);
  }

  /** The endpoints as they may be logged (credentials and API keys in URLs hidden). */
  get endpoints(): string[] {
    return this.transport.transports.map((t) => t.endpoint);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const answers: (JsonRpcResult | JsonRpcError)[] = [];
    for (const { id, method, params } of Array.isArray(payload) ? payload : [payload]) {
      try {
        const result = await this.transport.request(method, Array.isArray(params) ? params : [params]);
        answers.push({ id, result });
      } catch (error) {
        if (!(error instanceof NodeError)) throw error;
        answers.push({ id, error: { code: error.code, message: error.message, data: error.data } });
      }
    }
    return answers;
  }
}
