// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Market errors
/// @notice The errors the market's contracts share, so that one selector means one thing
/// wherever it is raised. Errors whose arguments name different things (a node id, a lease id)
/// have distinct names in each contract's interface.
interface IMarketErrors {
    /// @notice A constructor or function argument that must be a real address was zero.
    /// @param field The name of the argument.
    error ZeroAddress(string field);

    /// @notice An admin-set parameter outside its bounds.
    /// @param name The parameter's name, as its setter spells it.
    /// @param value The value given.
    /// @param min The smallest value accepted.
    /// @param max The largest value accepted.
    error ParameterOutOfRange(string name, uint256 value, uint256 min, uint256 max);

    /// @notice An amount that must be positive was zero.
    error ZeroAmount();

    /// @notice A token moved a different amount than it was asked to (a fee-on-transfer or
    /// otherwise non-standard token would break the accounting).
    /// @param token The token.
    /// @param expected The amount asked for.
    /// @param received The contract's balance change.
    error TransferMismatch(address token, uint256 expected, uint256 received);
}
