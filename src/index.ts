export { permitTypedData, signPermit, type PermitToken, type PermitTypedData, type SignedPermit } from "./permit.js";
export { formatToken } from "./format.js";
export { InputError, RpcError } from "./errors.js";
export { toJson, writeFileAtomic, writeJsonAtomic } from "./io.js";
export {
  NODE_STATUSES,
  NODE_TABLE_HEADER,
  connectRegistry,
  formatTable,
  formatTu,
  listNodes,
  modelId,
  modelName,
  nodeRows,
  parseAddressInput,
  parseAmount,
  parseInteger,
  parseStatus,
  parseTu,
  readCatalog,
  registerNode,
  runHeartbeatAgent,
  statusName,
  toNodeView,
  tokenLabel,
  type CatalogEntry,
  type HeartbeatAgentOptions,
  type NodeStatus,
  type NodeView,
  type RegisterParams,
  type TokenLabel,
} from "./registry.js";
