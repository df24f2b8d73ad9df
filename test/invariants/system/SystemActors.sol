// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev The accounts of the system campaign. Every one of them is in the conservation sum, so a
/// handler must never send a token anywhere else.
library SystemActors {
    uint256 internal constant PROVIDERS = 3;
    uint256 internal constant CUSTOMERS = 3;

    address internal constant TRADER = address(0x7AD3);
    address internal constant OPS_TREASURY = address(0x0975);
    address internal constant AIRDROP_ONLY = address(0xA1D0);
    address internal constant STRANGER = address(0x5714);

    function provider(uint256 seed) internal pure returns (address) {
        return address(uint160(0xB100 + (seed % PROVIDERS)));
    }

    function customer(uint256 seed) internal pure returns (address) {
        return address(uint160(0xC100 + (seed % CUSTOMERS)));
    }
}
