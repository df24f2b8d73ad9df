export { DISTRIBUTOR_ABI } from "./abi.js";
export { buildAirdrop, type AirdropProgress, type LegacySource } from "./build.js";
export { claimAirdrop, type ClaimOutcome } from "./claim.js";
export { verifyAirdrop, type Check, type Verification } from "./verify.js";
