// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IFeeCollector} from "../interfaces/IFeeCollector.sol";

/// @notice A hostile fee collector that, when the escrow reports a fee, calls the escrow back
/// with prepared calldata, bubbling the revert.
contract ReentrantFeeCollector is IFeeCollector {
    address public victim;
    bytes public payload;

    function arm(address victim_, bytes calldata payload_) external {
        victim = victim_;
        payload = payload_;
    }

    function recordFee(address, address, uint256) external {
        Address.functionCall(victim, payload);
    }
}
