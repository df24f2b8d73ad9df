export { createKeccakEngine, keccak256, type KeccakEngine } from "./keccak.js";
export {
  AirdropTree,
  buildTree,
  findTreeFault,
  LEAF_ENCODING,
  LeafKind,
  MAX_HOLDERS,
  processProof,
  type BuildOptions,
  type BuildProgress,
  type LeafEntry,
  type TreeFault,
} from "./tree.js";
export {
  findClaims,
  MANIFEST_FORMAT,
  readManifest,
  readTreeDump,
  shardOf,
  shardPrefixLength,
  writeAirdrop,
  type AirdropManifest,
  type HolderClaim,
  type LegacyManifest,
  type WriteProgress,
} from "./output.js";
