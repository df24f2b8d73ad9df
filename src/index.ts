// The package's root entry, `gpufog`: what a dApp calls in a browser. Contract access over an
// address book passed in (typed contracts, the market's writes and reads, the registry's, the
// emission's, governance's timelock operations), the market's quote, receipt, typed-data,
// calldata and lease arithmetic helpers, a claim page's tools (leaf, proof check, the airdrop
// directory's lookup) and the old chain's address, message and signature codec, formatting and
// parsing of a person's input, and the errors. What a Node tool calls (files, snapshots, the tree
// builder, the keeper's buyback and sweep, the agents) is `gpufog/node`; the command line's wording
// is in tasks/, the emission's simulation in src/emission/model.ts for tasks/ and harness/.
// docs/package.md lists every name by audience, and .ci/package checks the built entry against it.
// Nothing here, nor anything it imports, uses a Node built-in or Buffer (CI bundles it for a
// browser to prove it).

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
export { decodeRevert, type DecodedRevert, dryRun, type RevertContext, type RevertHint, revertLine } from "./revert.js";
export { formatSpan, formatTime, formatToken } from "./format.js";
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
  addStake,
  type CatalogEntry,
  CHECK_IN_BATCH,
  checkIn,
  connectRegistry,
  formatTable,
  formatTu,
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
  statusName,
  toNodeView,
  withdrawStake,
} from "./registry.js";
export {
  acceptStart,
  cancelReservation,
  checkQuote,
  closeLease,
  type CloseResult,
  collect,
  type CollectResult,
  connectEscrow,
  escrowDomainOf,
  type EscrowHandle,
  expireReservation,
  failReservation,
  finalize,
  type FinalResult,
  type LeaseReport,
  leaseReport,
  makeQuote,
  makeReceipt,
  type NodeListing,
  nodeListing,
  nodeToken,
  openLease,
  type PayOptions,
  type ProviderHistory,
  providerHistory,
  providerLeases,
  receiptKeyUntil,
  renewLease,
  type ReservationEnd,
  reserve,
  setSessionKey,
  startReservation,
  topUp,
  type Withdrawal,
  withdrawAll,
} from "./escrow.js";
export {
  BPS as LEASE_BPS,
  collectableAt,
  feeOf,
  LEASE_STATUS,
  type LeaseStatusName,
  type LeaseTermsForPay,
  owedAt,
  RATE_DIVISOR,
  rateOf,
  reservationFeeAt,
  reservationFeeSplit,
  RESERVATION_STATUS,
  type ReservationStatusName,
  runsOutAt,
  windowFeeEarned,
} from "./market/lease-math.js";
export {
  buildQuote,
  checkDomain,
  DEFAULT_QUOTE_TTL,
  isReservationQuote,
  nextQuoteNonce,
  parseSignedQuote,
  parseSignedReceipt,
  QUOTE_FORMAT,
  type QuoteTerms,
  quoteToJson,
  RECEIPT_FORMAT,
  receiptToJson,
  type SignedQuote,
  type SignedReceipt,
} from "./market/quote.js";
export {
  encodeMulticall,
  encodeOpenLease,
  encodeRenewLease,
  encodeReserve,
  encodeSelfPermit,
  type Hex,
  openLeaseCalldata,
  type PermitSignature,
  renewLeaseCalldata,
  reserveCalldata,
} from "./market/calldata.js";
export {
  type EscrowDomain,
  escrowDomain,
  type Quote,
  QUOTE_TYPES,
  quoteTypedData,
  type Receipt,
  RECEIPT_TYPES,
  receiptTypedData,
  signQuote,
  signReceipt,
  type TypedDataSigner,
} from "./market/typed-data.js";
export {
  BPS,
  BURN_BPS,
  DEFAULT_RESERVE,
  INITIAL_SUPPLY,
  Phase,
  phaseName,
  RELEASE_BPS,
  split,
  type Split,
  SUPPLY_FLOOR,
  TFT_UNIT,
} from "./emission/model.js";
export {
  type BucketRef,
  type BucketReport,
  buybackTiming,
  type BuybackTiming,
  claimRewards,
  connectEmission,
  type EmissionStats,
  endedBuckets,
  feeBuckets,
  type LogRange,
  type PairTiming,
  type ProviderBucket,
  providerBuckets,
  readBuckets,
  readEmissionStats,
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
  checksumAddress,
  hashPair,
  LEAF_ENCODING,
  leafDigest,
  type LeafEntry,
  leafHash,
  LeafKind,
  MAX_UINT256,
  processProof,
  verifyProof,
} from "./airdrop/merkle/proof.js";
export {
  type AirdropManifest,
  fetchClaims,
  type HolderClaim,
  type LegacyManifest,
  MANIFEST_FORMAT,
  parseManifest,
} from "./airdrop/format.js";
export {
  addressOfKey,
  decodeLegacyAddress,
  encodeLegacyAddress,
  GUT_P2PKH_VERSION,
  type LegacyAddress,
  LegacyAddressError,
} from "./airdrop/legacy/address.js";
export {
  decodeWif,
  encodeWif,
  evmAddressOfKey,
  fromHex,
  hash160,
  publicKeyOf,
  sha256d,
  toHex,
  type WifKey,
} from "./airdrop/legacy/keys.js";
export {
  claimMessage,
  type ClaimTarget,
  DEFAULT_LEGACY_MAGIC,
  legacyMessageHash,
  varint,
} from "./airdrop/legacy/message.js";
export {
  type CompactSignature,
  parseCompactSignature,
  type RecoveredSigner,
  recoverLegacySigner,
  signLegacyMessage,
  verifyLegacyMessage,
} from "./airdrop/legacy/sign.js";
export { HttpStatusError, JsonRpcError, RpcResponseError, RpcTimeoutError } from "./rpc/errors.js";
export { inRanges } from "./rpc/ranges.js";
export * from "./session/index.js";
