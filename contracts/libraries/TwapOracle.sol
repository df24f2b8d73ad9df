// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IBuybackEmission} from "../interfaces/IBuybackEmission.sol";
import {IUniswapV2Pair} from "../interfaces/uniswap/IUniswapV2Pair.sol";

/// @title TWAP oracle over Uniswap V2 cumulative prices
/// @notice Keeps a ring of a few observations per pair and quotes the time-weighted average price
/// between the newest observation at least one window old and now.
/// @dev Observations are at least half a window apart, so spamming `record` cannot push out every
/// observation that is old enough: the ring of four always spans at least 1.5 windows once full.
library TwapOracle {
    uint256 internal constant SLOTS = 4;

    struct Ring {
        IBuybackEmission.Observation[SLOTS] slots;
        uint256 next;
    }

    /// @dev Records an observation unless the newest is younger than `minSpacing`. Returns whether
    /// it recorded.
    function record(Ring storage ring, address pair, uint256 minSpacing) internal returns (bool) {
        uint256 newest = ring.slots[(ring.next + SLOTS - 1) % SLOTS].timestamp;
        if (newest != 0 && block.timestamp - newest < minSpacing) return false;
        (uint256 c0, uint256 c1) = currentCumulative(pair);
        ring.slots[ring.next] = IBuybackEmission.Observation(uint64(block.timestamp), c0, c1);
        ring.next = (ring.next + 1) % SLOTS;
        return true;
    }

    /// @dev The TWAP value of `amountIn` of `tokenIn` in the pair's other token, from the newest
    /// observation at least `window` old, which must not be older than `2 × window`.
    function consult(
        Ring storage ring,
        address pair,
        address tokenIn,
        uint256 amountIn,
        uint256 window
    ) internal view returns (uint256) {
        uint256 bestAge = type(uint256).max;
        uint256 oldestAge;
        IBuybackEmission.Observation memory best;
        for (uint256 i; i < SLOTS; ++i) {
            IBuybackEmission.Observation memory o = ring.slots[i];
            if (o.timestamp == 0) continue;
            uint256 age = block.timestamp - o.timestamp;
            if (age > oldestAge) oldestAge = age;
            if (age < window) continue;
            if (age < bestAge) (bestAge, best) = (age, o);
        }
        if (bestAge == type(uint256).max) revert IBuybackEmission.ObservationTooYoung(pair, oldestAge, window);
        if (bestAge > 2 * window) revert IBuybackEmission.ObservationStale(pair, bestAge, 2 * window);
        (uint256 c0, uint256 c1) = currentCumulative(pair);
        bool zeroForOne = tokenIn == IUniswapV2Pair(pair).token0();
        uint256 average;
        // Cumulative prices wrap around 2**256 by design; the difference is still right.
        unchecked {
            average = zeroForOne ? (c0 - best.price0Cumulative) / bestAge : (c1 - best.price1Cumulative) / bestAge;
        }
        return Math.mulDiv(average, amountIn, 1 << 112);
    }

    /// @dev The pair's cumulative prices as they would be if it were updated now, as in Uniswap's
    /// UniswapV2OracleLibrary. Reserves changed in this block add no weight, which is what keeps a
    /// price moved within the block out of the average.
    function currentCumulative(address pair) internal view returns (uint256 c0, uint256 c1) {
        IUniswapV2Pair p = IUniswapV2Pair(pair);
        c0 = p.price0CumulativeLast();
        c1 = p.price1CumulativeLast();
        (uint112 r0, uint112 r1, uint32 last) = p.getReserves();
        unchecked {
            uint32 elapsed = uint32(block.timestamp) - last;
            if (elapsed > 0 && r0 > 0 && r1 > 0) {
                c0 += ((uint256(r1) << 112) / r0) * elapsed;
                c1 += ((uint256(r0) << 112) / r1) * elapsed;
            }
        }
    }
}
