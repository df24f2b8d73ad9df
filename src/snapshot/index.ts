export { parseCheckpoint, readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointKey } from "./checkpoint.js";
export { SnapshotError } from "./errors.js";
export {
  snapshotEvm,
  TRANSFER_TOPIC,
  type EvmSnapshot,
  type EvmSnapshotOptions,
  type SnapshotProgress,
} from "./evm.js";
export { parseExclusions, readExclusionFile } from "./exclude.js";
export { formatSnapshotCsv, snapshotRows, type SnapshotRow } from "./output.js";
