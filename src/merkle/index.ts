export { createKeccakEngine, keccak256, type KeccakEngine } from "./keccak.js";
export {
  AirdropTree,
  buildTree,
  LEAF_ENCODING,
  LeafKind,
  MAX_HOLDERS,
  processProof,
  type BuildOptions,
  type BuildProgress,
  type LeafEntry,
} from "./tree.js";
export {
  findClaims,
  MANIFEST_FORMAT,
  readManifest,
  shardOf,
  shardPrefixLength,
  writeAirdrop,
  type AirdropManifest,
  type HolderClaim,
  type LegacyManifest,
  type WriteProgress,
} from "../airdrop/directory.js";
