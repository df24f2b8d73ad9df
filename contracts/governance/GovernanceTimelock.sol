// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title GovernanceTimelock
/// @notice OpenZeppelin's `TimelockController`, unchanged, under the project's name: the `System`
/// module puts it in front of every contract's admin (see docs/deployment.md). Being a contract of
/// this project, it is compiled, typed and exported with the others.
contract GovernanceTimelock is TimelockController {
    /// @param minDelay The least delay between scheduling an operation and executing it.
    /// @param proposers Who may schedule and cancel (the governance multisig).
    /// @param executors Who may execute once the delay has passed.
    /// @param admin An optional admin of the timelock's own roles; zero, so that only the
    /// timelock itself changes them, through the delay.
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
