/** The part of TokenSwapDistributor's ABI the tooling and a dApp use, human-readable. */
export const DISTRIBUTOR_ABI = [
  "function token() view returns (address)",
  "function merkleRoot() view returns (bytes32)",
  "function total() view returns (uint256)",
  "function start() view returns (uint256)",
  "function deadline() view returns (uint256)",
  "function topNodes() view returns (bytes32[])",
  "function activated() view returns (bool)",
  "function paused() view returns (bool)",
  "function isClaimed(uint256 index) view returns (bool)",
  "function claim(uint256 index, address account, uint256 amount, bytes32[] proof)",
  "error AlreadyClaimed(uint256 index)",
  "error InvalidProof(uint256 index, address holder, uint256 amount)",
  "error NotStarted(uint256 start)",
  "error DeadlinePassed(uint256 deadline)",
  "error Underfunded(uint256 balance, uint256 total)",
  "error EnforcedPause()",
  "event Claimed(uint256 indexed index, address indexed account, uint256 amount)",
] as const;

export const ERC20_ABI = ["function balanceOf(address) view returns (uint256)"] as const;
