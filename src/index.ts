export { permitTypedData, signPermit, type PermitToken, type PermitTypedData, type SignedPermit } from "./permit.js";
export { formatToken } from "./format.js";
export { InputError, RpcError } from "./errors.js";
export { toJson, writeFileAtomic, writeJsonAtomic } from "./io.js";
export {
  classifyRpcError,
  Eip1193Transport,
  HttpStatusError,
  HttpTransport,
  JsonRpcError,
  redactUrl,
  RetryingTransport,
  RpcResponseError,
  RpcTimeoutError,
  type Eip1193Provider,
  type ErrorKind,
  type HttpTransportOptions,
  type RequestOptions,
  type RetryOptions,
  type RpcTransport,
} from "./rpc/index.js";
export {
  formatSnapshotCsv,
  parseCheckpoint,
  parseExclusions,
  readExclusionFile,
  snapshotEvm,
  snapshotRows,
  SnapshotError,
  TRANSFER_TOPIC,
  type EvmSnapshot,
  type EvmSnapshotOptions,
  type SnapshotProgress,
  type SnapshotRow,
} from "./snapshot/index.js";
