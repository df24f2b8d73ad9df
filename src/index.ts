export { permitTypedData, signPermit, type PermitToken, type PermitTypedData, type SignedPermit } from "./permit.js";
export { formatToken } from "./format.js";
export { InputError, RpcError } from "./errors.js";
export { toJson, writeFileAtomic, writeJsonAtomic } from "./io.js";
export {
  parseSnapshotCsv,
  readSnapshotCsv,
  snapshotEntries,
  SNAPSHOT_HEADER,
  toChecksumAddress,
  type SnapshotRow,
} from "./csv.js";
export * from "./merkle/index.js";
export * from "./airdrop/index.js";
