// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {ITFT} from "./interfaces/ITFT.sol";

/// @title TFT
/// @notice TuringFog Token. See {ITFT}.
contract TFT is ERC20, ERC20Permit, ERC20Burnable, ITFT {
    /// @inheritdoc ITFT
    uint256 public constant INITIAL_SUPPLY = 1_000_000_000e18;

    /// @inheritdoc ITFT
    uint256 public constant SUPPLY_FLOOR = 100_000_000e18;

    /// @inheritdoc ITFT
    uint256 public immutable circulatingAllocation;

    /// @param circulatingRecipient Receives the circulating allocation.
    /// @param circulatingAmount The circulating allocation (650,000,000 TFT in the design).
    /// @param reserveHolder Receives the production-mining reserve, `INITIAL_SUPPLY - circulatingAmount`.
    constructor(
        address circulatingRecipient,
        uint256 circulatingAmount,
        address reserveHolder
    ) ERC20("TuringFog Token", "TFT") ERC20Permit("TuringFog Token") {
        if (circulatingRecipient == address(0)) revert ZeroAddress("circulatingRecipient");
        if (reserveHolder == address(0)) revert ZeroAddress("reserveHolder");
        if (circulatingAmount > INITIAL_SUPPLY) revert InvalidAllocation(circulatingAmount, INITIAL_SUPPLY);
        circulatingAllocation = circulatingAmount;
        _mint(circulatingRecipient, circulatingAmount);
        _mint(reserveHolder, INITIAL_SUPPLY - circulatingAmount);
    }

    /// @inheritdoc ITFT
    function reserveAllocation() external view returns (uint256) {
        return INITIAL_SUPPLY - circulatingAllocation;
    }

    /// @inheritdoc ITFT
    function burnable() external view returns (uint256) {
        return totalSupply() - SUPPLY_FLOOR;
    }

    /// @dev Every burn path (`burn`, `burnFrom`) ends here with `to == address(0)`. Mints only
    /// happen in the constructor, where the supply only grows, so the floor check is for burns.
    function _update(address from, address to, uint256 value) internal override {
        if (to == address(0)) {
            uint256 left = totalSupply() - SUPPLY_FLOOR;
            if (value > left) revert BurnBelowFloor(value, left);
        }
        super._update(from, to, value);
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }
}
