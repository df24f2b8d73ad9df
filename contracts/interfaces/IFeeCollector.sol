// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Fee collector
/// @notice Where the lease escrow sends protocol fees: the buyback-and-burn emission contract, or
/// any contract that accepts the same call.
interface IFeeCollector {
    /// @notice Credits `workPoints` to `provider` in the current epoch.
    /// @dev The escrow calls this right after transferring `fee` of `token` to the collector, in
    /// the same transaction. `workPoints` is the fee weighted by the escrow's per-token weight.
    /// @param provider The provider whose leases paid the fee.
    /// @param token The token the fee was paid in.
    /// @param fee The fee amount transferred, in `token` units.
    /// @param workPoints The work points the fee earns.
    function recordFee(address provider, address token, uint256 fee, uint256 workPoints) external;
}
