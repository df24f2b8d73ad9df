// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A test token for the snapshot tooling. `batch` applies many balance changes in one
/// transaction, each through ERC-20 `_update` and so each with its own `Transfer` log: mints
/// (from 0), burns (to 0), transfers between any two holders and self-transfers. `drift` changes
/// what `balanceOf` and `totalSupply` report without a log, like a token whose events do not
/// match its state, so that the snapshot's verification has something to catch.
contract MockTransferLog is ERC20 {
    mapping(address holder => int256 delta) private _balanceDrift;
    int256 private _supplyDrift;

    error LengthMismatch(uint256 from, uint256 to, uint256 amount);

    constructor() ERC20("Mock Transfer Log", "MTL") {}

    function batch(address[] calldata from, address[] calldata to, uint256[] calldata amount) external {
        if (from.length != to.length || from.length != amount.length) {
            revert LengthMismatch(from.length, to.length, amount.length);
        }
        for (uint256 i = 0; i < from.length; ++i) {
            _update(from[i], to[i], amount[i]);
        }
    }

    function drift(address holder, int256 balanceDelta, int256 supplyDelta) external {
        _balanceDrift[holder] += balanceDelta;
        _supplyDrift += supplyDelta;
    }

    function balanceOf(address account) public view override returns (uint256) {
        return uint256(int256(super.balanceOf(account)) + _balanceDrift[account]);
    }

    function totalSupply() public view override returns (uint256) {
        return uint256(int256(super.totalSupply()) + _supplyDrift);
    }
}
