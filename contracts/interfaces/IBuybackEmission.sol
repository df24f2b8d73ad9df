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
/// providers (`minerShareBps`) and the operations treasury.
///
/// **Mining rewards follow the fees that bought them.** Each forwarded fee is booked, with its
/// provider, into a bucket: (epoch of forwarding, token). A buyback sells fees of one bucket whose
/// epoch has ended, so the bucket's fees and providers are fixed before any of it is sold; the
/// miners' part of what that TFT releases is credited to that bucket, and its providers claim it
/// pro rata to their fee in the bucket. A provider's reward is therefore at most
/// `RELEASE_BPS × minerShare` (phase one), `(1 − BURN_BPS) × minerShare` (phase two) or
/// `minerShare` (floor) of the TFT its own fees bought, whatever the timing, the keeper's
/// schedule, the token or its price: leasing one's own node never pays.
/// @dev The contract's balance of each token is accounted: `pendingFees(token)` (fees received,
/// not yet sold) and, for TFT, also `reserveLeft` and `minerRewardsUnclaimed`. Tokens above that
/// sum (a stray transfer) are never spent and cannot be recorded as a fee twice.
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

    /// @notice The fees of one (epoch, token) bucket and what they bought. Two storage slots.
    /// @param fees Every fee recorded into the bucket, in token units.
    /// @param sold The part of `fees` sold (or, for TFT, burned) by buybacks so far.
    /// @param bought The TFT those sales bought (for TFT, equal to `sold`).
    /// @param rewards The miners' part of the releases of those buybacks: what the bucket's
    /// providers share pro rata to their fee.
    struct Bucket {
        uint128 fees;
        uint128 sold;
        uint128 bought;
        uint128 rewards;
    }

    /// @notice Names a bucket: the epoch its fees were forwarded in and their token.
    /// @param epoch The epoch.
    /// @param token The fee token.
    struct BucketId {
        uint64 epoch;
        address token;
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

    /// @notice A parameter outside its bounds.
    /// @param name The parameter: "epochLength", "window", "maxSlippageBps" or "minerShareBps".
    /// @param value The value given.
    /// @param min The smallest value accepted.
    /// @param max The largest value accepted.
    error ParameterOutOfRange(string name, uint256 value, uint256 min, uint256 max);

    /// @notice The buyback's deadline has passed.
    /// @param deadline The deadline given.
    /// @param timestamp The current block timestamp.
    error DeadlineExpired(uint256 deadline, uint256 timestamp);

    /// @notice A buyback, or a recorded fee, of zero.
    error ZeroAmount();

    /// @notice A buyback named a bucket whose epoch has not ended: its fees and providers are not
    /// fixed yet.
    /// @param epoch The bucket's epoch.
    /// @param current The current epoch; buckets of epochs up to `current - 1` can be sold.
    error BucketNotEnded(uint256 epoch, uint256 current);

    /// @notice A buyback asked to sell more of a bucket than is left unsold.
    /// @param epoch The bucket's epoch.
    /// @param token The bucket's token.
    /// @param amount The amount asked for.
    /// @param unsold `fees − sold` of the bucket.
    error ExceedsBucket(uint256 epoch, address token, uint256 amount, uint256 unsold);

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

    /// @notice The escrow recorded a fee that the contract does not hold.
    /// @param token The fee token.
    /// @param fee The fee recorded.
    /// @param unaccounted What the contract holds of `token` beyond what is already accounted.
    error FeeNotReceived(address token, uint256 fee, uint256 unaccounted);

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
    /// @param epoch The bucket's epoch: the epoch the fee was forwarded in.
    /// @param fee The fee amount, in `token` units.
    event FeeRecorded(address indexed provider, address indexed token, uint256 indexed epoch, uint256 fee);

    /// @notice Emitted when a pair observation is recorded.
    /// @param pair The pair.
    /// @param timestamp The observation's timestamp.
    event Observed(address indexed pair, uint256 timestamp);

    /// @notice Emitted for each buyback, before its burn and release.
    /// @param keeper The keeper.
    /// @param tokenIn The fee token sold (TFT itself for a TFT fee, with no swap).
    /// @param epoch The bucket's epoch.
    /// @param amountIn The amount of the bucket sold.
    /// @param tftOut The TFT bought.
    /// @param twapQuote The TWAP quote for `amountIn` (equal to `amountIn` for TFT).
    event BoughtBack(
        address indexed keeper,
        address indexed tokenIn,
        uint256 indexed epoch,
        uint256 amountIn,
        uint256 tftOut,
        uint256 twapQuote
    );

    /// @notice Emitted when the contract burns TFT.
    /// @param amount The amount burned.
    /// @param totalBurned Everything this contract has burned so far.
    event Burned(uint256 amount, uint256 totalBurned);

    /// @notice Emitted when a buyback releases TFT.
    /// @param epoch The epoch of the bucket sold, whose providers the miners' part is for.
    /// @param token The token of that bucket.
    /// @param fromReserve Released from the reserve.
    /// @param fromBuyback Released from the bought TFT.
    /// @param toMiners The bucket's providers' part, added to the bucket's `rewards`.
    /// @param toOperations The operations treasury's part.
    event Released(
        uint256 indexed epoch,
        address indexed token,
        uint256 fromReserve,
        uint256 fromBuyback,
        uint256 toMiners,
        uint256 toOperations
    );

    /// @notice Emitted for each bucket a provider claims from.
    /// @param provider The provider.
    /// @param epoch The bucket's epoch.
    /// @param token The bucket's token.
    /// @param amount The TFT paid for it by this claim.
    event RewardClaimed(address indexed provider, uint256 indexed epoch, address indexed token, uint256 amount);

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

    /// @notice TFT owed to providers: credited to buckets, not yet claimed.
    function minerRewardsUnclaimed() external view returns (uint256);

    /// @notice Fees of `token` received and not yet sold (for TFT, not yet burned), over all
    /// buckets.
    function pendingFees(address token) external view returns (uint256);

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

    /// @notice The bucket of fees of `token` forwarded in `epoch`: its fees, what is sold, what it
    /// bought and its providers' rewards.
    function bucket(uint256 epoch, address token) external view returns (Bucket memory);

    /// @notice The fee `provider` put into the bucket (`epoch`, `token`).
    function feeOf(uint256 epoch, address token, address provider) external view returns (uint256);

    /// @notice The TFT `provider` has claimed from the bucket (`epoch`, `token`) so far.
    function claimedOf(uint256 epoch, address token, address provider) external view returns (uint256);

    /// @notice What `provider` would get by claiming `buckets` now: for each bucket,
    /// `rewards × feeOf / fees − claimedOf` (a bucket named twice counts once).
    function claimable(address provider, BucketId[] calldata buckets) external view returns (uint256 amount);

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

    /// @notice Sells `amountIn` of the bucket (`epoch`, `tokenIn`) for TFT along the token's route,
    /// then burns and releases by phase, crediting the miners' part of the release to that bucket.
    /// With `tokenIn == tft` it burns that much of the bucket's TFT fees with no swap. A bucket
    /// can be sold in several slices.
    /// @dev Only `KEEPER_ROLE`. Reverts with `BucketNotEnded` unless `epoch < currentEpoch()`, and
    /// with `ExceedsBucket` above the bucket's unsold fees. `minTftOut` must be at least
    /// `twapQuote × (1 − maxSlippageBps)` and the swap must return at most
    /// `twapQuote × (1 + maxSlippageBps)`.
    /// @param tokenIn The fee token.
    /// @param epoch The bucket's epoch.
    /// @param amountIn The amount to sell, at most `fees − sold` of the bucket.
    /// @param minTftOut The least TFT the swap may return.
    /// @param deadline The swap's deadline.
    /// @return tftOut The TFT bought.
    function buyback(
        address tokenIn,
        uint256 epoch,
        uint256 amountIn,
        uint256 minTftOut,
        uint256 deadline
    ) external returns (uint256 tftOut);

    /// @notice Pays the caller, for each bucket in `buckets`, its share of the bucket's rewards not
    /// claimed yet: `rewards × feeOf / fees − claimedOf`. A bucket can be claimed again as more of
    /// it is sold. Reverts with `NothingToClaim` when the total is zero.
    /// @param buckets The buckets to claim from.
    /// @return amount The TFT paid.
    function claim(BucketId[] calldata buckets) external returns (uint256 amount);

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
