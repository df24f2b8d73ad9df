export {
  addressOfKey,
  decodeLegacyAddress,
  encodeLegacyAddress,
  GUT_P2PKH_VERSION,
  LegacyAddressError,
  type LegacyAddress,
} from "./address.js";
export {
  claimLegacyAirdrop,
  planLegacyClaim,
  type LegacyClaimOutcome,
  type LegacyClaimPlan,
  type LegacyClaimRequest,
} from "../airdrop/legacy-claim.js";
export {
  LEGACY_DECIMALS,
  LEGACY_HEADER,
  LEGACY_SCALE,
  legacyEntries,
  parseLegacyCsv,
  readLegacyCsv,
  type LegacyRow,
} from "../airdrop/legacy-csv.js";
export { readWifFile, signLegacyClaim, type SignedClaim, type SignRequest, type WifOrigin } from "../airdrop/legacy-holder.js";
export {
  convertKey,
  decodeWif,
  encodeWif,
  evmAddressOfKey,
  hash160,
  keyForm,
  publicKeyOf,
  type KeyForm,
  type WifKey,
} from "./keys.js";
export { findLegacyClaims, parseLegacyHolder } from "../airdrop/legacy-lookup.js";
export { claimMessage, DEFAULT_LEGACY_MAGIC, legacyMessageHash, varint, type ClaimTarget } from "./message.js";
export {
  parseCompactSignature,
  recoverLegacySigner,
  signLegacyMessage,
  verifyLegacyMessage,
  type CompactSignature,
  type RecoveredSigner,
} from "./sign.js";
