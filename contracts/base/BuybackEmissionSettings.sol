// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

import {IBuybackEmission} from "../interfaces/IBuybackEmission.sol";

/// @title BuybackEmissionSettings
/// @notice The admin's side of the emission contract: the operations treasury, the miners' share,
/// the TWAP guard's window and slippage, and the swap route of each fee token. See
/// {BuybackEmission}.
abstract contract BuybackEmissionSettings is IBuybackEmission, AccessControlDefaultAdminRules {
    /// @inheritdoc IBuybackEmission
    address public immutable tft;

    /// @dev The admin's parameters, packed in one slot that every buyback reads.
    struct Params {
        address treasury;
        uint32 twapWindow;
        uint16 maxSlippageBps;
        uint16 minerShareBps;
    }

    Params internal _params;

    mapping(address tokenIn => address via) private _via;

    /// @dev Starts with a 30-minute TWAP window, a 2 % slippage bound and 90 % to miners.
    constructor(
        uint48 adminDelay,
        address admin,
        address tft_,
        address treasury_
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (tft_ == address(0)) revert ZeroAddress("tft");
        if (treasury_ == address(0)) revert ZeroAddress("treasury");
        tft = tft_;
        _params = Params(treasury_, 30 minutes, 200, 9_000);
    }

    /// @inheritdoc IBuybackEmission
    function setTwapParams(uint256 window, uint256 maxSlippageBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (window < 5 minutes || window > 1 days) revert ParameterOutOfRange("window", window, 5 minutes, 1 days);
        if (maxSlippageBps_ < 1 || maxSlippageBps_ > 2_000) {
            revert ParameterOutOfRange("maxSlippageBps", maxSlippageBps_, 1, 2_000);
        }
        (_params.twapWindow, _params.maxSlippageBps) = (uint32(window), uint16(maxSlippageBps_));
        emit TwapParamsSet(window, maxSlippageBps_);
    }

    /// @inheritdoc IBuybackEmission
    function setMinerShare(uint256 minerShareBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (minerShareBps_ < 5_000 || minerShareBps_ > 9_900) {
            revert ParameterOutOfRange("minerShareBps", minerShareBps_, 5_000, 9_900);
        }
        _params.minerShareBps = uint16(minerShareBps_);
        emit MinerShareSet(minerShareBps_);
    }

    /// @inheritdoc IBuybackEmission
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress("treasury");
        _params.treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc IBuybackEmission
    function setRoute(address tokenIn, address via) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (tokenIn == address(0)) revert ZeroAddress("tokenIn");
        _via[tokenIn] = via;
        emit RouteSet(tokenIn, via);
    }

    /// @inheritdoc IBuybackEmission
    function treasury() external view returns (address) {
        return _params.treasury;
    }

    /// @inheritdoc IBuybackEmission
    function twapWindow() external view returns (uint256) {
        return _params.twapWindow;
    }

    /// @inheritdoc IBuybackEmission
    function maxSlippageBps() external view returns (uint256) {
        return _params.maxSlippageBps;
    }

    /// @inheritdoc IBuybackEmission
    function minerShareBps() external view returns (uint256) {
        return _params.minerShareBps;
    }

    /// @inheritdoc IBuybackEmission
    function routeOf(address tokenIn) public view returns (address[] memory path) {
        address via = _via[tokenIn];
        path = new address[](via == address(0) ? 2 : 3);
        path[0] = tokenIn;
        if (via != address(0)) path[1] = via;
        path[path.length - 1] = tft;
    }
}
