// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IFeeCollector} from "../interfaces/IFeeCollector.sol";

/// @notice A hostile fee collector that, when the escrow reports a fee, calls the escrow back
/// with prepared calldata, bubbling the revert.
contract ReentrantFeeCollector is IFeeCollector {
    address public target;
    bytes public payload;

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function recordFee(address, address, uint256, uint256) external {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = target.call(payload);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }
}
