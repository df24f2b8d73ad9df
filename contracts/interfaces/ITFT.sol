// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title TuringFog Token (TFT)
/// @notice The work token. The deployment mints the whole nominal supply of 1,000,000,000 TFT:
/// the circulating allocation (650,000,000 by default) and the rest as the production-mining
/// reserve, held by the emission contract. There is no mint after deployment, and no burn may take
/// `totalSupply` below the floor of 100,000,000 TFT.
/// @dev The token has no privileged role at all: nothing about it can be changed after deployment.
interface ITFT is IERC20, IERC20Metadata, IERC20Permit {
    /// @notice A burn would take `totalSupply` below `SUPPLY_FLOOR`.
    /// @param amount The amount the caller tried to burn.
    /// @param burnable What can still be burned: `totalSupply() - SUPPLY_FLOOR`.
    error BurnBelowFloor(uint256 amount, uint256 burnable);

    /// @notice The circulating allocation asked for at deployment exceeds the nominal supply.
    /// @param circulating The circulating amount asked for.
    /// @param maxCirculating The nominal supply, the largest allowed value.
    error InvalidAllocation(uint256 circulating, uint256 maxCirculating);

    /// @notice A constructor argument that must be a real address was zero.
    /// @param field The name of the argument.
    error ZeroAddress(string field);

    /// @notice The nominal supply, all minted at deployment: 1,000,000,000 TFT.
    function INITIAL_SUPPLY() external view returns (uint256);

    /// @notice The supply floor: no burn takes `totalSupply` below 100,000,000 TFT.
    function SUPPLY_FLOOR() external view returns (uint256);

    /// @notice The amount minted to the circulating allocation at deployment.
    function circulatingAllocation() external view returns (uint256);

    /// @notice The amount minted to the production-mining reserve at deployment:
    /// `INITIAL_SUPPLY - circulatingAllocation()`.
    function reserveAllocation() external view returns (uint256);

    /// @notice What can still be burned before the floor: `totalSupply() - SUPPLY_FLOOR`.
    function burnable() external view returns (uint256);
}
