// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Lease arithmetic
/// @notice The escrow's money formulas, in exact integer arithmetic. Every division rounds down,
/// which favours the customer for what it pays and the provider for the protocol fee.
library LeaseMath {
    /// @notice A rate is `pricePerTuHour × milliTu`; one second costs `rate / RATE_DIVISOR`.
    uint256 internal constant RATE_DIVISOR = 3_600_000;

    uint256 internal constant BPS = 10_000;

    /// @notice What a lease owes its provider at `until`: the cost of the time since `start`,
    /// rounded down and capped at the deposit. Computing it from the start every time, rather
    /// than adding up increments, makes settlement idempotent: the result depends only on the
    /// inputs, never on how often it was computed before.
    /// @param rate `pricePerTuHour × milliTu`.
    /// @param start When the lease started.
    /// @param until The end of the paid time: `min(now, lastHeartbeat)`.
    /// @param deposit The lease's deposit.
    function owedAt(uint256 rate, uint256 start, uint256 until, uint256 deposit) internal pure returns (uint256) {
        if (!(until > start)) return 0;
        uint256 due = (rate * (until - start)) / RATE_DIVISOR;
        return due < deposit ? due : deposit;
    }

    /// @notice The cost of `duration` seconds at `rate`, rounded down.
    function cost(uint256 rate, uint256 duration) internal pure returns (uint256) {
        return (rate * duration) / RATE_DIVISOR;
    }

    /// @notice `bps` of `amount`, rounded down.
    function share(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return (amount * bps) / BPS;
    }
}
