// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IBuybackEmission} from "../interfaces/IBuybackEmission.sol";

/// @title Phase and bucket arithmetic of the buyback emission
/// @notice How a buyback of `amount` TFT divides into burn and release, given the reserve left and
/// what can still be burned before the floor, and what a provider's fee in a bucket is owed of the
/// bucket's rewards. Pure, so it can be fuzzed on its own and mirrored exactly by the TypeScript
/// model (`src/emission.ts`).
library EmissionMath {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant RELEASE_BPS = 8_000;
    uint256 internal constant BURN_BPS = 5_000;

    /// @dev One provider's part of one bucket, in one slot: its fee and the TFT it has claimed.
    struct Share {
        uint128 fee;
        uint128 claimed;
    }

    /// @dev What a provider with `fee` of a bucket's `fees` is owed of the bucket's `rewards` after
    /// claiming `claimed`: its pro-rata part rounded down (`entitled`), less `claimed`. Rewards only
    /// grow, so `entitled` never falls below an earlier `entitled`, and the parts of all the
    /// bucket's providers add up to at most `rewards`.
    function owed(
        uint256 rewards,
        uint256 fees,
        uint128 fee,
        uint128 claimed
    ) internal pure returns (uint256 amount, uint128 entitled) {
        if (fee == 0) return (0, claimed);
        // rewards and fee are below 2^128, so the product fits; entitled <= rewards fits 128 bits.
        entitled = uint128((rewards * fee) / fees);
        amount = entitled - claimed;
    }

    /// @dev Phase one ends at the smallest burn `x` with `floor(x × 0.8) >= reserve`, that is
    /// `ceil(reserve / 0.8)`; the floor can cut it shorter. Past it, phase two burns half of what
    /// remains until the floor; the part of phase two that fits is `ceil(burnable / 0.5)`, so a
    /// burn of exactly `burnable` ends it, and the remainder is released whole. Because each
    /// segment only depends on the state at its start, one buyback across a boundary gives the
    /// same totals as two buybacks cut at the boundary.
    function split(
        uint256 amount,
        uint256 reserve,
        uint256 burnable
    ) internal pure returns (IBuybackEmission.Split memory s) {
        if (reserve > 0) {
            uint256 toExhaust = Math.ceilDiv(reserve * BPS, RELEASE_BPS);
            s.inPhaseOne = Math.min(amount, Math.min(toExhaust, burnable));
            s.fromReserve = Math.min((s.inPhaseOne * RELEASE_BPS) / BPS, reserve);
            s.burned = s.inPhaseOne;
        }
        uint256 rest = amount - s.inPhaseOne;
        if (rest == 0) return s;
        uint256 burnableLeft = burnable - s.burned;
        if (s.fromReserve < reserve || burnableLeft == 0) {
            // The floor came first (or was already there): nothing more burns.
            s.atFloor = rest;
            s.fromBuyback = rest;
            return s;
        }
        uint256 half = (rest * BURN_BPS) / BPS;
        if (half > burnableLeft) {
            s.inPhaseTwo = Math.ceilDiv(burnableLeft * BPS, BURN_BPS);
            s.atFloor = rest - s.inPhaseTwo;
            s.burned += burnableLeft;
            s.fromBuyback = rest - burnableLeft;
        } else {
            s.inPhaseTwo = rest;
            s.burned += half;
            s.fromBuyback = rest - half;
        }
    }
}
