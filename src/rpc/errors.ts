import { GpufogError } from "../errors.js";

/** The endpoint answered with a JSON-RPC error object. */
export class JsonRpcError extends GpufogError {
  override readonly name: string = "JsonRpcError";

  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** The endpoint answered with an HTTP status other than 2xx. */
export class HttpStatusError extends GpufogError {
  override readonly name: string = "HttpStatusError";

  constructor(
    readonly status: number,
    message: string,
    /** From a `Retry-After` header, when the endpoint sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** No answer within the time allowed for one attempt. */
export class RpcTimeoutError extends GpufogError {
  override readonly name: string = "RpcTimeoutError";

  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** The endpoint answered with something that is not a JSON-RPC response. */
export class RpcResponseError extends GpufogError {
  override readonly name: string = "RpcResponseError";
}
