export { createKeccakEngine, keccak256, type KeccakEngine } from "./keccak.js";
export {
  AirdropTree,
  buildTree,
  LEAF_ENCODING,
  LeafKind,
  processProof,
  type BuildOptions,
  type BuildProgress,
  type LeafEntry,
} from "./tree.js";
