// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Fee collector
/// @notice Where the lease escrow sends protocol fees: the buyback-and-burn emission contract, or
/// any contract that accepts the same call.
interface IFeeCollector {
    /// @notice Books `fee` of `token`, paid by `provider`'s leases, into the bucket (current
    /// epoch, `token`).
    /// @dev The escrow calls this right after transferring `fee` of `token` to the collector, in
    /// the same transaction; the collector refuses a fee it has not received.
    /// @param provider The provider whose leases paid the fee.
    /// @param token The token the fee was paid in.
    /// @param fee The fee amount transferred, in `token` units.
    function recordFee(address provider, address token, uint256 fee) external;
}
