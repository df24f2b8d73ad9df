// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFeeCollector} from "./IFeeCollector.sol";

/// @title Buyback emission ("destroy equals mining")
/// @notice Holds TFT's production-mining reserve and receives the protocol fees of the lease
/// escrow. A keeper buys TFT back with the fees on a Uniswap V2 pool, guarded by a TWAP, and the
/// contract burns and releases by phase:
/// - **Phase one**, while the reserve lasts: burn all `a` TFT bought, release
///   `min(80 % × a, reserve)` from the reserve.
/// - **Phase two**, reserve exhausted: burn 50 % of `a`, release the other 50 %.
/// - **Floor**, supply at 100,000,000 TFT: burn nothing, release all of `a`.
/// A buyback that crosses a boundary is split at it exactly. Every release is split between the
/// mining-reward pool (`minerShareBps`) and the operations treasury. What reaches the pool during
/// epoch `e` is shared among providers pro rata to their work points of epoch `e - 1`.
/// @dev The contract's TFT balance is accounted in three buckets: `reserveLeft`,
/// `minerRewardsUnclaimed` and `pendingTftFees`. TFT above their sum (a stray transfer) is never
/// spent: it is neither reserve nor fee.
interface IBuybackEmission is IFeeCollector {
    /// @notice Where the supply is on its path to the floor.
    enum Phase {
        /// The reserve has not been funded yet: nothing can be bought back.
        Unfunded,
        /// Burns release from the reserve.
        One,
        /// The reserve is exhausted: half of each buyback is burned.
        Two,
        /// Supply is at the floor: nothing is burned.
        Floor
    }

    /// @notice How one buyback of `amount` TFT divides between the phases.
    /// @param burned TFT burned.
    /// @param fromReserve TFT released from the reserve (phase one).
    /// @param fromBuyback Bought TFT released rather than burned (phase two and the floor).
    /// @param inPhaseOne The part of `amount` that fell in phase one.
    /// @param inPhaseTwo The part of `amount` that fell in phase two.
    /// @param atFloor The part of `amount` that fell at the floor.
    struct Split {
        uint256 burned;
        uint256 fromReserve;
        uint256 fromBuyback;
        uint256 inPhaseOne;
        uint256 inPhaseTwo;
        uint256 atFloor;
    }

    /// @notice A cumulative-price observation of a pair.
    /// @param timestamp When it was taken; zero for an empty slot.
    /// @param price0Cumulative The pair's counterfactual `price0CumulativeLast` at `timestamp`.
    /// @param price1Cumulative The pair's counterfactual `price1CumulativeLast` at `timestamp`.
    struct Observation {
        uint64 timestamp;
        uint256 price0Cumulative;
        uint256 price1Cumulative;
    }

    /// @notice A constructor or function argument that must be a real address was zero.
    /// @param field The name of the argument.
    error ZeroAddress(string field);

    /// @notice `fundReserve` was called a second time.
    error ReserveAlreadyFunded();

    /// @notice A buyback was attempted before `fundReserve`.
    error ReserveNotFunded();

    /// @notice A parameter was set outside its bounds.
    /// @param field The parameter's name.
    /// @param value The value asked for.
    /// @param min The smallest allowed value.
    /// @param max The largest allowed value.
    error ParameterOutOfBounds(string field, uint256 value, uint256 min, uint256 max);

    /// @notice The buyback's deadline has passed.
    /// @param deadline The deadline given.
    /// @param timestamp The current block timestamp.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);

    /// @notice A buyback of zero.
    error ZeroAmount();

    /// @notice A TFT buyback asked to burn more TFT fees than are waiting.
    /// @param amount The amount asked for.
    /// @param pending The TFT fees waiting (`pendingTftFees`).
    error ExceedsPendingTftFees(uint256 amount, uint256 pending);

    /// @notice No Uniswap V2 pair exists for a hop of the route.
    /// @param tokenA One side of the hop.
    /// @param tokenB The other side.
    error PairNotFound(address tokenA, address tokenB);

    /// @notice No observation of `pair` is at least one TWAP window old.
    /// @param pair The pair.
    /// @param oldestAge The age of its oldest observation in seconds (zero when it has none).
    /// @param window The TWAP window.
    error ObservationTooYoung(address pair, uint256 oldestAge, uint256 window);

    /// @notice The newest observation of `pair` that is one window old is older than twice the
    /// window: the TWAP would describe a stale price.
    /// @param pair The pair.
    /// @param age Its age in seconds.
    /// @param maxAge The largest accepted age, `2 × window`.
    error ObservationStale(address pair, uint256 age, uint256 maxAge);

    /// @notice The keeper's `minTftOut` is below what the TWAP allows.
    /// @param minTftOut The keeper's minimum.
    /// @param minAllowed `twapQuote × (1 − maxSlippageBps)`.
    error BelowTwapQuote(uint256 minTftOut, uint256 minAllowed);

    /// @notice The swap returned more than the TWAP allows: the spot price was moved within the
    /// block, and the release must not depend on it.
    /// @param tftOut The TFT the swap returned.
    /// @param maxAllowed `twapQuote × (1 + maxSlippageBps)`.
    error AboveTwapQuote(uint256 tftOut, uint256 maxAllowed);

    /// @notice The escrow recorded a TFT fee that the contract does not hold.
    /// @param fee The fee recorded.
    /// @param unaccounted The TFT the contract holds beyond its buckets.
    error FeeNotReceived(uint256 fee, uint256 unaccounted);

    /// @notice A claim named an epoch whose pool is still growing.
    /// @param epoch The epoch named.
    /// @param current The current epoch; claims are open for epochs up to `current - 2`.
    error EpochNotFinal(uint256 epoch, uint256 current);

    /// @notice A claim would pay nothing.
    /// @param provider The caller.
    error NothingToClaim(address provider);

    /// @notice Emitted once, when the reserve arrives.
    /// @param from The account it was pulled from.
    /// @param amount `tft.reserveAllocation()`.
    event ReserveFunded(address indexed from, uint256 amount);

    /// @notice Emitted when the escrow records a fee.
    /// @param provider The provider credited.
    /// @param token The fee token.
    /// @param epoch The epoch credited.
    /// @param fee The fee amount.
    /// @param workPoints The points credited.
    event FeeRecorded(
        address indexed provider,
        address indexed token,
        uint256 indexed epoch,
        uint256 fee,
        uint256 workPoints
    );

    /// @notice Emitted when a pair observation is recorded.
    /// @param pair The pair.
    /// @param timestamp The observation's timestamp.
    event Observed(address indexed pair, uint256 timestamp);

    /// @notice Emitted for each buyback, before its burn and release.
    /// @param keeper The keeper.
    /// @param tokenIn The fee token sold (TFT itself for a TFT fee, with no swap).
    /// @param amountIn The amount sold.
    /// @param tftOut The TFT bought.
    /// @param twapQuote The TWAP quote for `amountIn` (equal to `amountIn` for TFT).
    event BoughtBack(
        address indexed keeper,
        address indexed tokenIn,
        uint256 amountIn,
        uint256 tftOut,
        uint256 twapQuote
    );

    /// @notice Emitted when the contract burns TFT.
    /// @param amount The amount burned.
    /// @param totalBurned Everything this contract has burned so far.
    event Burned(uint256 amount, uint256 totalBurned);

    /// @notice Emitted when a buyback releases TFT.
    /// @param rewardEpoch The epoch whose points the miners' part is for: the one before the
    /// current epoch (zero in epoch 0); when it has no points, or in epoch 0, `toMiners` is
    /// carried over instead (see `RolledOver`).
    /// @param fromReserve Released from the reserve.
    /// @param fromBuyback Released from the bought TFT.
    /// @param toMiners The mining-reward pool's part.
    /// @param toOperations The operations treasury's part.
    event Released(
        uint256 indexed rewardEpoch,
        uint256 fromReserve,
        uint256 fromBuyback,
        uint256 toMiners,
        uint256 toOperations
    );

    /// @notice Emitted when a miners' part finds no points in its epoch and waits for the next
    /// epoch that has points.
    /// @param epoch The epoch without points.
    /// @param amount The amount carried.
    /// @param carried Everything carried now.
    event RolledOver(uint256 indexed epoch, uint256 amount, uint256 carried);

    /// @notice Emitted for each epoch a provider claims.
    /// @param provider The provider.
    /// @param epoch The epoch.
    /// @param amount The TFT paid for it.
    event RewardClaimed(address indexed provider, uint256 indexed epoch, uint256 amount);

    /// @notice Emitted when the admin changes the TWAP guard.
    /// @param window The TWAP window in seconds.
    /// @param maxSlippageBps The tolerance around the TWAP quote.
    event TwapParamsSet(uint256 window, uint256 maxSlippageBps);

    /// @notice Emitted when the admin changes the miners' share of releases.
    /// @param minerShareBps The new share.
    event MinerShareSet(uint256 minerShareBps);

    /// @notice Emitted when the admin changes the operations treasury.
    /// @param treasury The new treasury.
    event TreasurySet(address indexed treasury);

    /// @notice Emitted when the admin sets the route a fee token is sold along.
    /// @param tokenIn The fee token.
    /// @param via The intermediate token (WETH, say), or zero for the direct pair with TFT.
    event RouteSet(address indexed tokenIn, address indexed via);

    /// @notice The role that runs buybacks.
    function KEEPER_ROLE() external view returns (bytes32);

    /// @notice The role that records fees: the lease escrow.
    function ESCROW_ROLE() external view returns (bytes32);

    /// @notice The share of each phase-one burn released from the reserve: 8,000 bps.
    function RELEASE_BPS() external view returns (uint256);

    /// @notice The share of each phase-two buyback burned: 5,000 bps.
    function BURN_BPS() external view returns (uint256);

    /// @notice The TFT token.
    function tft() external view returns (address);

    /// @notice The Uniswap V2 Router02 the buybacks trade through.
    function router() external view returns (address);

    /// @notice The router's factory, where pairs are looked up.
    function factory() external view returns (address);

    /// @notice Where the operations part of each release goes.
    function treasury() external view returns (address);

    /// @notice The length of an epoch in seconds.
    function epochLength() external view returns (uint256);

    /// @notice The start of epoch zero (the deployment's timestamp).
    function genesis() external view returns (uint256);

    /// @notice The TWAP window in seconds (default 30 minutes).
    function twapWindow() external view returns (uint256);

    /// @notice The tolerance around the TWAP quote in bps.
    function maxSlippageBps() external view returns (uint256);

    /// @notice The mining-reward pool's share of each release in bps; the rest goes to operations.
    function minerShareBps() external view returns (uint256);

    /// @notice The reserve not yet released.
    function reserveLeft() external view returns (uint256);

    /// @notice TFT owed to miners: assigned to epochs or carried over, not yet claimed.
    function minerRewardsUnclaimed() external view returns (uint256);

    /// @notice TFT fees received and not yet bought back (burned).
    function pendingTftFees() external view returns (uint256);

    /// @notice Miners' TFT waiting for an epoch with points.
    function carriedOver() external view returns (uint256);

    /// @notice Everything this contract has burned. Burns by anyone else are not counted.
    function totalBurned() external view returns (uint256);

    /// @notice Everything released from the reserve.
    function totalReleased() external view returns (uint256);

    /// @notice Everything bought back and released instead of burned (phase two and the floor).
    function totalDistributed() external view returns (uint256);

    /// @notice Everything bought back: the TFT out of every swap plus the TFT fees burned.
    function totalBoughtBack() external view returns (uint256);

    /// @notice The current epoch: `(block.timestamp - genesis) / epochLength`.
    function currentEpoch() external view returns (uint256);

    /// @notice The unclaimed work points of `provider` in `epoch` (zero once claimed).
    function pointsOf(uint256 epoch, address provider) external view returns (uint256);

    /// @notice All work points recorded in `epoch`.
    function totalPoints(uint256 epoch) external view returns (uint256);

    /// @notice The TFT assigned to the points of `epoch`.
    function epochRewards(uint256 epoch) external view returns (uint256);

    /// @notice The pool that becomes claimable next: the epoch whose points receive what is
    /// released now (`currentEpoch() - 1`), and what it has received so far.
    function pendingPool() external view returns (uint256 rewardEpoch, uint256 amount);

    /// @notice What `provider` would get by claiming `epochs` now (final epochs only).
    function claimable(address provider, uint256[] calldata epochs) external view returns (uint256 amount);

    /// @notice The phase the next buyback starts in.
    function phase() external view returns (Phase);

    /// @notice The largest circulating supply (total supply minus the locked reserve) still
    /// reachable. Every buyback lowers circulating supply (a phase-one burn of `x` releases only
    /// `0.8 x`; later half or none is burned and nothing is added), so this is the current value.
    function maxCirculatingSupply() external view returns (uint256);

    /// @notice The route `tokenIn` is sold along, ending in TFT.
    function routeOf(address tokenIn) external view returns (address[] memory path);

    /// @notice The stored observations of `pair`.
    function observationsOf(address pair) external view returns (Observation[4] memory);

    /// @notice The TWAP value of `amountIn` of `tokenIn` in TFT along its route. Reverts when a
    /// hop has no observation at least one window old, or when it is stale.
    function twapQuote(address tokenIn, uint256 amountIn) external view returns (uint256);

    /// @notice How a buyback of `amount` TFT would divide between the phases now.
    function previewSplit(uint256 amount) external view returns (Split memory);

    /// @notice Pulls the reserve, `tft.reserveAllocation()`, from the caller. Once only.
    function fundReserve() external;

    /// @notice Records an observation of every pair on the route of `tokenIn`, for each pair
    /// whose newest observation is at least half a window old. Anyone may call it.
    function observe(address tokenIn) external;

    /// @notice Sells `amountIn` of fee token `tokenIn` for TFT along its route, then burns and
    /// releases by phase. With `tokenIn == tft` it burns that much of the TFT fees with no swap.
    /// @dev Only `KEEPER_ROLE`. `minTftOut` must be at least `twapQuote × (1 − maxSlippageBps)`
    /// and the swap must return at most `twapQuote × (1 + maxSlippageBps)`.
    /// @return tftOut The TFT bought.
    function buyback(
        address tokenIn,
        uint256 amountIn,
        uint256 minTftOut,
        uint256 deadline
    ) external returns (uint256 tftOut);

    /// @notice Pays the caller its share of every epoch in `epochs` (each at most `currentEpoch() - 2`).
    /// @return amount The TFT paid.
    function claim(uint256[] calldata epochs) external returns (uint256 amount);

    /// @notice Sets the TWAP window (5 minutes to 1 day) and slippage tolerance (1 to 2,000 bps).
    function setTwapParams(uint256 window, uint256 maxSlippageBps_) external;

    /// @notice Sets the miners' share of releases (5,000 to 9,900 bps). It stays below 100 % so
    /// that wash leasing loses money in every phase.
    function setMinerShare(uint256 minerShareBps_) external;

    /// @notice Sets the operations treasury.
    function setTreasury(address treasury_) external;

    /// @notice Sets the route of `tokenIn`: through `via` then TFT, or direct when `via` is zero.
    function setRoute(address tokenIn, address via) external;
}
