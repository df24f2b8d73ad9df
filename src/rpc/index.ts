export { classifyRpcError, logsSpan, type ErrorKind } from "./classify.js";
export { Eip1193Transport, type Eip1193Provider } from "./eip1193.js";
export { HttpStatusError, JsonRpcError, RpcResponseError, RpcTimeoutError } from "./errors.js";
export { HttpTransport, type HttpTransportOptions } from "./http.js";
export { RetryingTransport, type RetryOptions } from "./retry.js";
export { redactUrl, type RequestOptions, type RpcTransport } from "./transport.js";
