// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title GPUnion Token (GUT)
/// @notice The market's payment currency. 18 decimals, a hard cap of 1,002,000,000 GUT, and a 5 %
/// premine (50,100,000 GUT) minted to the operating-expense treasury at deployment. The remaining
/// 95 % is minable by `MINTER_ROLE` only (the swap airdrop's funding, later provider-mining
/// contracts), never past the cap.
/// @dev The cap bounds the cumulative amount ever minted, not the current supply: burning GUT does
/// not make room to mint it again. `totalSupply() <= totalMinted() <= CAP` always holds.
interface IGUT is IERC20, IERC20Metadata, IERC20Permit {
    /// @notice A mint asked for more than is left under the cap.
    /// @param requested The amount the caller asked to mint.
    /// @param mintable What was still left to mint under the cap.
    error CapExceeded(uint256 requested, uint256 mintable);

    /// @notice A constructor or function argument that must be a real address was zero.
    /// @param field The name of the argument.
    error ZeroAddress(string field);

    /// @notice Emitted when a `MINTER_ROLE` holder mints from the minable 95 %.
    /// @param minter The caller holding `MINTER_ROLE`.
    /// @param to The receiver of the new tokens.
    /// @param amount The amount minted.
    event Minted(address indexed minter, address indexed to, uint256 amount);

    /// @notice The role allowed to mint the minable part of the supply.
    function MINTER_ROLE() external view returns (bytes32);

    /// @notice The hard cap on everything ever minted: 1,002,000,000 GUT.
    function CAP() external view returns (uint256);

    /// @notice The premine minted to the treasury at deployment: 50,100,000 GUT (5 % of the cap).
    function PREMINE() external view returns (uint256);

    /// @notice The treasury that received the premine.
    function treasury() external view returns (address);

    /// @notice The cumulative amount minted so far, premine included. Burns do not lower it.
    function totalMinted() external view returns (uint256);

    /// @notice What is left to mint under the cap: `CAP - totalMinted()`.
    function mintable() external view returns (uint256);

    /// @notice Mints `amount` to `to` from the minable part of the supply.
    /// @dev Only `MINTER_ROLE`. Reverts with `CapExceeded` if `amount > mintable()`, and with
    /// `ERC20InvalidReceiver(address(0))` if `to` is zero.
    /// @param to The receiver.
    /// @param amount The amount, in wei (18 decimals).
    function mint(address to, uint256 amount) external;
}
