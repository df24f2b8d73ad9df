// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFeeCollector} from "../interfaces/IFeeCollector.sol";

/// @notice A fee collector that only records what the escrow reports, standing in for the
/// emission contract: the totals per provider and token, and the last call.
contract MockFeeCollector is IFeeCollector {
    event FeeRecorded(address indexed provider, address indexed token, uint256 fee);

    uint256 public calls;
    mapping(address token => uint256) public feesOf;
    mapping(address provider => mapping(address token => uint256)) public feesBy;

    function recordFee(address provider, address token, uint256 fee) external {
        ++calls;
        feesOf[token] += fee;
        feesBy[provider][token] += fee;
        emit FeeRecorded(provider, token, fee);
    }
}
