// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ReentrancyLock
/// @notice A reentrancy guard in a transient state variable: cleared at the end of each guarded
/// call, and cheap (no storage write). The language's `transient` keyword does what
/// OpenZeppelin's ReentrancyGuardTransient does through inline assembly, without the compiler's
/// warning about assembly `tstore`, which would print on every fresh compile.
abstract contract ReentrancyLock {
    bool private transient _entered;

    /// @notice A guarded function was entered again before its first call returned. The name is
    /// OpenZeppelin's, so tools that know it decode it.
    error ReentrancyGuardReentrantCall();

    modifier nonReentrant() {
        if (_entered) revert ReentrancyGuardReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }
}
