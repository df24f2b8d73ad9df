// The package's root entry, `gpufog`: what a dApp imports in a browser. Contract handles over an
// address book passed in, the Merkle proof tools of a claim page (leaf, proof check, shard
// lookup), the old chain's address, message and signature codec, formatting and parsing, and the
// market's arithmetic. Nothing here, nor anything it imports, uses a Node built-in or Buffer (CI
// bundles it for a browser to prove it); file-system tooling is `gpufog/node`.

export {
  abiHash,
  ADDRESS_BOOK_FORMAT,
  type AddressBook,
  connectDeployment,
  CONTRACT_NAMES,
  type ContractName,
  getContracts,
  type GetContractsOptions,
  type GpufogContracts,
  parseAddressBook,
} from "./deployments.js";
export {
  balanceOf,
  ensureAllowance,
  ERC20_ABI,
  preparePayment,
  tokenInfo,
  type TokenInfo,
  tokenLabel,
} from "./erc20.js";
export { GpufogError, InputError, RpcError } from "./errors.js";
export {
  acceptAdminOperation,
  executeOperation,
  GOVERNED_CONTRACTS,
  handoverOperation,
  operationId,
  scheduleOperation,
  type TimelockCall,
  timelockCalldata,
  type TimelockOperation,
  timelockOperation,
} from "./governance.js";
export { decodeRevert, type DecodedRevert, dryRun, type RevertContext, revertLine } from "./revert.js";
export { formatToken } from "./format.js";
export { mined, receiptEvent, receiptEvents } from "./receipts.js";
export {
  parseAddress,
  parseAmount,
  parseDuration,
  parseId,
  parseIds,
  parseInteger,
  parseStart,
  type Source,
} from "./parse.js";
export { type PermitToken, permitTypedData, type PermitTypedData, type SignedPermit, signPermit } from "./permit.js";
export {
  type CatalogEntry,
  connectRegistry,
  formatTable,
  formatTu,
  type HeartbeatAgentOptions,
  listNodes,
  modelId,
  modelName,
  NODE_STATUSES,
  NODE_TABLE_HEADER,
  nodeRows,
  type NodeStatus,
  type NodeView,
  parseStatus,
  parseTu,
  readCatalog,
  registerNode,
  type RegisterParams,
  runHeartbeatAgent,
  statusName,
  toNodeView,
} from "./registry.js";
export {
  cancelReservation,
  checkLease,
  closeLease,
  type CloseResult,
  connectEscrow,
  type EscrowHandle,
  feeOf,
  keeperSweep,
  LEASE_STATUS,
  type LeaseReport,
  leaseReport,
  type NodeQuote,
  nodeQuote,
  nodeToken,
  openLease,
  owedAt,
  providerLeases,
  RATE_DIVISOR,
  RESERVATION_STATUS,
  reserve,
  runsOutAt,
  startReservation,
  type SweepReport,
  topUp,
  type Withdrawal,
  withdrawAll,
} from "./escrow.js";
export {
  applyBuyback,
  BPS,
  BURN_BPS,
  closedForm,
  type ClosedForm,
  DEFAULT_RESERVE,
  DEFAULT_STREAM,
  INITIAL_SUPPLY,
  initialState,
  Phase,
  phaseName,
  phaseOf,
  projectBuybackVolume,
  RELEASE_BPS,
  revenueOn,
  type RevenueStream,
  simulate,
  type Simulation,
  type SimulationPoint,
  split,
  type Split,
  SUPPLY_FLOOR,
  type SupplyState,
  TFT_UNIT,
} from "./emission/model.js";
export {
  type BucketRef,
  type BucketReport,
  type BuybackOptions,
  type BuybackResult,
  type BuybackRound,
  buybackEndedBuckets,
  claimRewards,
  connectEmission,
  type EmissionStats,
  endedBuckets,
  feeBuckets,
  type LogRange,
  prepareBuyback,
  type PreparedBuyback,
  type ProviderBucket,
  providerBuckets,
  readBuckets,
  readEmissionStats,
  sendBuyback,
} from "./emission/client.js";
export {
  type CumulativeObservation,
  currentCumulative,
  getAmountOut,
  minTftOut,
  type PairState,
  readPairState,
  twapQuoteHop,
} from "./uniswap.js";
export {
  LEAF_ENCODING,
  type LeafEntry,
  leafHash,
  LeafKind,
  MAX_UINT256,
  processProof,
  verifyProof,
} from "./merkle/proof.js";
export {
  type AirdropManifest,
  claimsInShard,
  type HolderClaim,
  type LegacyManifest,
  MANIFEST_FORMAT,
  parseManifest,
  shardOf,
  shardPath,
  shardPrefixLength,
} from "./airdrop/format.js";
export { DISTRIBUTOR_ABI } from "./airdrop/abi.js";
export {
  addressOfKey,
  decodeLegacyAddress,
  encodeLegacyAddress,
  GUT_P2PKH_VERSION,
  type LegacyAddress,
  LegacyAddressError,
} from "./legacy/address.js";
export {
  convertKey,
  decodeWif,
  encodeWif,
  evmAddressOfKey,
  fromHex,
  hash160,
  type KeyForm,
  keyForm,
  publicKeyOf,
  sha256d,
  toHex,
  type WifKey,
} from "./legacy/keys.js";
export { claimMessage, type ClaimTarget, DEFAULT_LEGACY_MAGIC, legacyMessageHash, varint } from "./legacy/message.js";
export {
  type CompactSignature,
  parseCompactSignature,
  type RecoveredSigner,
  recoverLegacySigner,
  signLegacyMessage,
  verifyLegacyMessage,
} from "./legacy/sign.js";
export { HttpStatusError, JsonRpcError, RpcResponseError, RpcTimeoutError } from "./rpc/errors.js";
export { SnapshotError } from "./snapshot/errors.js";
