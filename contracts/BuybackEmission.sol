// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {BuybackEmissionSettings} from "./base/BuybackEmissionSettings.sol";
import {IBuybackEmission} from "./interfaces/IBuybackEmission.sol";
import {IFeeCollector} from "./interfaces/IFeeCollector.sol";
import {ITFT} from "./interfaces/ITFT.sol";
import {IUniswapV2Factory} from "./interfaces/uniswap/IUniswapV2Factory.sol";
import {IUniswapV2Router02} from "./interfaces/uniswap/IUniswapV2Router02.sol";
import {EmissionMath} from "./libraries/EmissionMath.sol";
import {TwapOracle} from "./libraries/TwapOracle.sol";

/// @title BuybackEmission
/// @notice Buyback-and-burn with reserve releases and mining rewards per bucket of fees (epoch,
/// token). See {IBuybackEmission}.
contract BuybackEmission is BuybackEmissionSettings, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using TwapOracle for TwapOracle.Ring;

    /// @inheritdoc IBuybackEmission
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    /// @inheritdoc IBuybackEmission
    bytes32 public constant ESCROW_ROLE = keccak256("ESCROW_ROLE");
    /// @inheritdoc IBuybackEmission
    uint256 public constant RELEASE_BPS = EmissionMath.RELEASE_BPS;
    /// @inheritdoc IBuybackEmission
    uint256 public constant BURN_BPS = EmissionMath.BURN_BPS;

    uint256 private constant _BPS = EmissionMath.BPS;

    /// @inheritdoc IBuybackEmission
    address public immutable router;
    /// @inheritdoc IBuybackEmission
    address public immutable factory;
    /// @inheritdoc IBuybackEmission
    uint256 public immutable epochLength;
    /// @inheritdoc IBuybackEmission
    uint256 public immutable genesis;

    /// @inheritdoc IBuybackEmission
    uint256 public reserveLeft;
    /// @inheritdoc IBuybackEmission
    uint256 public minerRewardsUnclaimed;
    /// @inheritdoc IBuybackEmission
    mapping(address token => uint256 amount) public pendingFees;
    /// @inheritdoc IBuybackEmission
    uint256 public totalBurned;
    /// @inheritdoc IBuybackEmission
    uint256 public totalReleased;
    /// @inheritdoc IBuybackEmission
    uint256 public totalDistributed;
    /// @inheritdoc IBuybackEmission
    uint256 public totalBoughtBack;

    bool private _funded;
    mapping(address pair => TwapOracle.Ring) private _observations;
    mapping(uint256 epoch => mapping(address token => Bucket)) private _buckets;
    mapping(uint256 epoch => mapping(address token => mapping(address provider => EmissionMath.Share))) private _shares;

    /// @param adminDelay The delay of a default-admin transfer.
    /// @param admin The default admin (governance).
    /// @param tft_ The TFT token.
    /// @param router_ The Uniswap V2 Router02.
    /// @param treasury_ The operations treasury.
    /// @param epochLength_ The epoch length in seconds (1 hour to 30 days).
    constructor(
        uint48 adminDelay,
        address admin,
        address tft_,
        address router_,
        address treasury_,
        uint256 epochLength_
    ) BuybackEmissionSettings(adminDelay, admin, tft_, treasury_) {
        if (router_ == address(0)) revert ZeroAddress("router");
        if (epochLength_ < 1 hours || epochLength_ > 30 days) {
            revert ParameterOutOfRange("epochLength", epochLength_, 1 hours, 30 days);
        }
        router = router_;
        factory = IUniswapV2Router02(router_).factory();
        epochLength = epochLength_;
        genesis = block.timestamp;
    }

    /// @inheritdoc IBuybackEmission
    function fundReserve() external {
        if (_funded) revert ReserveAlreadyFunded();
        uint256 amount = ITFT(tft).reserveAllocation();
        _funded = true;
        reserveLeft = amount;
        IERC20(tft).safeTransferFrom(msg.sender, address(this), amount);
        emit ReserveFunded(msg.sender, amount);
    }

    /// @inheritdoc IFeeCollector
    function recordFee(address provider, address token, uint256 fee) external onlyRole(ESCROW_ROLE) {
        if (provider == address(0)) revert ZeroAddress("provider");
        if (fee == 0) revert ZeroAmount();
        uint256 accounted = pendingFees[token];
        if (token == tft) accounted += reserveLeft + minerRewardsUnclaimed;
        uint256 held = IERC20(token).balanceOf(address(this));
        uint256 unaccounted = held > accounted ? held - accounted : 0;
        if (fee > unaccounted) revert FeeNotReceived(token, fee, unaccounted);
        pendingFees[token] += fee;
        uint256 epoch = currentEpoch();
        uint128 fee128 = SafeCast.toUint128(fee);
        _buckets[epoch][token].fees += fee128;
        _shares[epoch][token][provider].fee += fee128;
        emit FeeRecorded(provider, token, epoch, fee);
    }

    /// @inheritdoc IBuybackEmission
    function observe(address tokenIn) external {
        address[] memory path = routeOf(tokenIn);
        for (uint256 i; i + 1 < path.length; ++i) {
            address pair = _pairOf(path[i], path[i + 1]);
            if (_observations[pair].record(pair, _params.twapWindow / 2)) emit Observed(pair, block.timestamp);
        }
    }

    /// @inheritdoc IBuybackEmission
    function buyback(
        address tokenIn,
        uint256 epoch,
        uint256 amountIn,
        uint256 minTftOut,
        uint256 deadline
    ) external onlyRole(KEEPER_ROLE) nonReentrant returns (uint256 tftOut) {
        if (!_funded) revert ReserveNotFunded();
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
        if (amountIn == 0) revert ZeroAmount();
        uint256 current = currentEpoch();
        if (!(epoch < current)) revert BucketNotEnded(epoch, current);
        Bucket storage b = _buckets[epoch][tokenIn];
        uint256 unsold = b.fees - b.sold;
        if (amountIn > unsold) revert ExceedsBucket(epoch, tokenIn, amountIn, unsold);
        // amountIn <= unsold < 2^128.
        b.sold += uint128(amountIn);
        pendingFees[tokenIn] -= amountIn;
        uint256 quote;
        if (tokenIn == tft) {
            (tftOut, quote) = (amountIn, amountIn);
        } else {
            quote = twapQuote(tokenIn, amountIn);
            uint256 slippage = _params.maxSlippageBps;
            uint256 minAllowed = (quote * (_BPS - slippage)) / _BPS;
            if (minTftOut < minAllowed) revert BelowTwapQuote(minTftOut, minAllowed);
            tftOut = _swap(tokenIn, amountIn, minTftOut, deadline);
            uint256 maxAllowed = (quote * (_BPS + slippage)) / _BPS;
            if (tftOut > maxAllowed) revert AboveTwapQuote(tftOut, maxAllowed);
        }
        totalBoughtBack += tftOut;
        emit BoughtBack(msg.sender, tokenIn, epoch, amountIn, tftOut, quote);
        _settle(epoch, tokenIn, b, tftOut);
    }

    /// @inheritdoc IBuybackEmission
    function claim(BucketId[] calldata buckets) external nonReentrant returns (uint256 amount) {
        for (uint256 i; i < buckets.length; ++i) {
            (uint256 epoch, address token) = (buckets[i].epoch, buckets[i].token);
            EmissionMath.Share storage share = _shares[epoch][token][msg.sender];
            Bucket storage b = _buckets[epoch][token];
            (uint256 owed, uint128 entitled) = EmissionMath.owed(b.rewards, b.fees, share.fee, share.claimed);
            if (owed == 0) continue;
            share.claimed = entitled;
            amount += owed;
            emit RewardClaimed(msg.sender, epoch, token, owed);
        }
        if (amount == 0) revert NothingToClaim(msg.sender);
        minerRewardsUnclaimed -= amount;
        IERC20(tft).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IBuybackEmission
    function currentEpoch() public view returns (uint256) {
        return (block.timestamp - genesis) / epochLength;
    }

    /// @inheritdoc IBuybackEmission
    function bucket(uint256 epoch, address token) external view returns (Bucket memory) {
        return _buckets[epoch][token];
    }

    /// @inheritdoc IBuybackEmission
    function feeOf(uint256 epoch, address token, address provider) external view returns (uint256) {
        return _shares[epoch][token][provider].fee;
    }

    /// @inheritdoc IBuybackEmission
    function claimedOf(uint256 epoch, address token, address provider) external view returns (uint256) {
        return _shares[epoch][token][provider].claimed;
    }

    /// @inheritdoc IBuybackEmission
    function claimable(address provider, BucketId[] calldata buckets) external view returns (uint256 amount) {
        for (uint256 i; i < buckets.length; ++i) {
            (uint256 epoch, address token) = (buckets[i].epoch, buckets[i].token);
            bool seen;
            for (uint256 j; j < i && !seen; ++j) seen = buckets[j].epoch == epoch && buckets[j].token == token;
            if (seen) continue;
            Bucket storage b = _buckets[epoch][token];
            EmissionMath.Share storage share = _shares[epoch][token][provider];
            (uint256 owed, ) = EmissionMath.owed(b.rewards, b.fees, share.fee, share.claimed);
            amount += owed;
        }
    }

    /// @inheritdoc IBuybackEmission
    function phase() external view returns (Phase) {
        if (!_funded) return Phase.Unfunded;
        if (ITFT(tft).burnable() == 0) return Phase.Floor;
        return reserveLeft > 0 ? Phase.One : Phase.Two;
    }

    /// @inheritdoc IBuybackEmission
    function maxCirculatingSupply() external view returns (uint256) {
        return IERC20(tft).totalSupply() - reserveLeft;
    }

    /// @inheritdoc IBuybackEmission
    function observationsOf(address pair) external view returns (Observation[4] memory) {
        return _observations[pair].slots;
    }

    /// @inheritdoc IBuybackEmission
    function twapQuote(address tokenIn, uint256 amountIn) public view returns (uint256 quote) {
        address[] memory path = routeOf(tokenIn);
        quote = amountIn;
        for (uint256 i; i + 1 < path.length; ++i) {
            address pair = _pairOf(path[i], path[i + 1]);
            quote = _observations[pair].consult(pair, path[i], quote, _params.twapWindow);
        }
    }

    /// @inheritdoc IBuybackEmission
    function previewSplit(uint256 amount) external view returns (Split memory) {
        return EmissionMath.split(amount, reserveLeft, ITFT(tft).burnable());
    }

    function _swap(address tokenIn, uint256 amountIn, uint256 minTftOut, uint256 deadline) private returns (uint256) {
        uint256 before = IERC20(tft).balanceOf(address(this));
        IERC20(tokenIn).forceApprove(router, amountIn);
        IUniswapV2Router02(router).swapExactTokensForTokens(
            amountIn,
            minTftOut,
            routeOf(tokenIn),
            address(this),
            deadline
        );
        return IERC20(tft).balanceOf(address(this)) - before;
    }

    /// @dev Burns and releases `amount` TFT bought with fees of bucket `b` (`epoch`, `token`), and
    /// credits the miners' part of the release to that bucket.
    function _settle(uint256 epoch, address token, Bucket storage b, uint256 amount) private {
        Split memory s = EmissionMath.split(amount, reserveLeft, ITFT(tft).burnable());
        Params memory p = _params;
        uint256 released = s.fromReserve + s.fromBuyback;
        uint256 toMiners = (released * p.minerShareBps) / _BPS;
        uint256 toOperations = released - toMiners;

        reserveLeft -= s.fromReserve;
        totalReleased += s.fromReserve;
        totalDistributed += s.fromBuyback;
        totalBurned += s.burned;
        minerRewardsUnclaimed += toMiners;
        b.bought += SafeCast.toUint128(amount);
        // toMiners < amount (phase one releases at most 80 % of it), so it fits when amount does.
        b.rewards += uint128(toMiners);

        if (s.burned > 0) {
            ERC20Burnable(tft).burn(s.burned);
            emit Burned(s.burned, totalBurned);
        }
        if (toOperations > 0) IERC20(tft).safeTransfer(p.treasury, toOperations);
        if (released > 0) emit Released(epoch, token, s.fromReserve, s.fromBuyback, toMiners, toOperations);
    }

    function _pairOf(address tokenA, address tokenB) private view returns (address pair) {
        pair = IUniswapV2Factory(factory).getPair(tokenA, tokenB);
        if (pair == address(0)) revert PairNotFound(tokenA, tokenB);
    }
}
