/**
 * The depth below the root of the tree level the distributor keeps: up to 2^TOP_DEPTH nodes, so a
 * proof may stop that many levels short. Set here only: the tree builder reads it, the tests read
 * it, and scripts/top-nodes.ts writes it into contracts/base/TokenSwapDistributorTopLevel.sol
 * (`TOP_DEPTH`, `MAX_TOP_NODES`) with one immutable per node. 256 nodes is as many as fit the
 * 24,576-byte code limit (24,196 bytes with the IR pipeline; 512 would not).
 * No imports: `node scripts/top-nodes.ts` loads this file as it is.
 */
export const TOP_DEPTH = 8;
