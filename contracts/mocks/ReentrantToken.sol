// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A hostile token that, once armed, calls a target with prepared calldata in the middle
/// of every transfer, bubbling the target's revert. It stands for any token with transfer hooks
/// (ERC-777 style) used to re-enter the escrow.
contract ReentrantToken is ERC20 {
    address public victim;
    bytes public payload;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address victim_, bytes calldata payload_) external {
        victim = victim_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = victim;
        if (t == address(0) || from == address(0)) return;
        victim = address(0);
        Address.functionCall(t, payload);
    }
}
