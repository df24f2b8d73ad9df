export { permitTypedData, signPermit, type PermitToken, type PermitTypedData, type SignedPermit } from "./permit.js";
export { formatToken } from "./format.js";
export { InputError, RpcError } from "./errors.js";
export { toJson, writeFileAtomic, writeJsonAtomic } from "./io.js";
export {
  cancelReservation,
  closeLease,
  connectEscrow,
  ensureAllowance,
  feeOf,
  keeperSweep,
  LEASE_STATUS,
  leaseReport,
  NODE_STATUS,
  nodeToken,
  openLease,
  owedAt,
  providerLeases,
  RATE_DIVISOR,
  RESERVATION_STATUS,
  reserve,
  runsOutAt,
  startReservation,
  tokenInfo,
  topUp,
  withdrawAll,
  type CloseResult,
  type EscrowHandle,
  type LeaseReport,
  type SweepReport,
  type Withdrawal,
} from "./escrow.js";
export { parseAddress, parseAmount, parseDuration, parseId, parseIds, parseStart } from "./escrowInput.js";
