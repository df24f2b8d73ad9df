// `gpufog/node`: the tooling that needs Node (the file system, worker threads, WebAssembly over
// shared memory): address books on disk, snapshots over JSON-RPC and their CSV, the bulk tree
// builder and the airdrop directory writer and reader, the claim and verify commands' library,
// the keeper's explicit buyback, and the operators' agents (the keeper's round among them). Use
// it beside the browser-safe root entry `gpufog`; docs/package.md lists every name, and
// .ci/package checks the built entry.

export {
  addressBookPath,
  deploymentsDir,
  loadAddressBook,
  loadDeployment,
  writeAddressBook,
} from "./deployments-fs.js";
export { readInputFile, toJson, writeFileAtomic, writeJsonAtomic } from "./io.js";
export { type AirdropProgress, buildAirdrop, type LegacySource } from "./airdrop/build.js";
export {
  type BuybackOptions,
  type BuybackResult,
  prepareBuyback,
  type PreparedBuyback,
  sendBuyback,
} from "./emission/client.js";
export { claimAirdrop, type AirdropClaims, type ClaimOutcome } from "./airdrop/claim.js";
export {
  findClaims,
  readAirdropTree,
  readManifest,
  readTreeDump,
  writeAirdrop,
  type WriteOptions,
  type WriteProgress,
} from "./airdrop/directory.js";
export { type Check, type Verification, verifyAirdrop } from "./airdrop/verify.js";
export {
  claimLegacyAirdrop,
  type LegacyClaimOutcome,
  type LegacyClaimPlan,
  type LegacyClaimRequest,
  planLegacyClaim,
} from "./airdrop/legacy-claim.js";
export {
  LEGACY_DECIMALS,
  LEGACY_HEADER,
  LEGACY_SCALE,
  legacyEntries,
  type LegacyRow,
  parseLegacyCsv,
  readLegacyCsv,
} from "./airdrop/legacy-csv.js";
export {
  readWifFile,
  type SignedClaim,
  signLegacyClaim,
  type SignRequest,
  type WifOrigin,
} from "./airdrop/legacy-holder.js";
export { findLegacyClaims, parseLegacyHolder } from "./airdrop/legacy-lookup.js";
export {
  formatSnapshotCsv,
  holderAmount,
  holderFields,
  holderLines,
  parseSnapshotCsv,
  readSnapshotCsv,
  SNAPSHOT_HEADER,
  snapshotEntries,
  type SnapshotRow,
  readSnapshotRecords,
  SnapshotScanner,
  type SnapshotRecords,
  snapshotRecordsOf,
  snapshotRows,
  toChecksumAddress,
} from "./airdrop/snapshot-csv.js";
export {
  AirdropTree,
  type BuildOptions,
  type BuildProgress,
  buildTree,
  buildTreeFromPacker,
  buildTreeFromRecords,
  findTreeFault,
  MAX_HOLDERS,
  type TreeFault,
} from "./airdrop/merkle/tree.js";
export { createKeccakEngine, keccak256, type KeccakEngine } from "./airdrop/merkle/keccak.js";
export { classifyRpcError, type ErrorKind, logsSpan } from "./rpc/classify.js";
export { type Eip1193Provider, Eip1193Transport } from "./rpc/eip1193.js";
export { HttpTransport, type HttpTransportOptions } from "./rpc/http.js";
export { RetryingTransport, type RetryOptions } from "./rpc/retry.js";
export { redactUrl, type RequestOptions, type RpcTransport } from "./rpc/transport.js";
export {
  type Checkpoint,
  type CheckpointKey,
  parseCheckpoint,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
} from "./airdrop/snapshot/checkpoint.js";
export {
  type EvmSnapshot,
  type EvmSnapshotOptions,
  snapshotEvm,
  type SnapshotProgress,
  TRANSFER_TOPIC,
} from "./airdrop/snapshot/evm.js";
export { SnapshotError } from "./airdrop/snapshot/errors.js";
export { parseExclusions, readExclusionFile } from "./airdrop/snapshot/exclude.js";
export {
  type CommonConfig,
  type KeeperConfig,
  type ProviderConfig,
  readAnyConfig,
  readKeeperConfig,
  readProviderConfig,
} from "./agent/config.js";
export { createKeystore, loadKey } from "./agent/keystore.js";
export { jsonLogger, type Logger } from "./agent/log.js";
export { Metrics, serveMetrics } from "./agent/metrics.js";
export { FallbackRpcProvider, type FallbackOptions } from "./agent/rpc.js";
export { type AgentState, loadState, type PendingTx } from "./agent/state.js";
export { JobSkipped, type SendRequest, TxSender } from "./agent/sender.js";
export {
  buybackRound,
  Keeper,
  KEEPER_DEFAULTS,
  type KeeperJob,
  type KeeperOutcome,
  type KeeperPolicy,
  keeperRound,
  type KeeperRoundOptions,
  type KeeperRuntime,
  runKeeper,
} from "./agent/keeper.js";
export { ProviderAgent, runProviderAgent } from "./agent/provider.js";
export { keeperStatus, providerStatus } from "./agent/status.js";
export { CustomerClient, runCustomer } from "./customer/client.js";
export { type CustomerConfig, readCustomerConfig } from "./customer/config.js";
