// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "../../utils/Vm.sol";

/// @dev The accounts of the system campaign. Every one of them is in the conservation sum, so a
/// handler must never send a token anywhere else. Providers, their operators, customers and
/// session keys are derived from private keys, since quotes and receipts are signed with
/// `vm.sign`; an account that never signs is a plain constant.
library SystemActors {
    Vm private constant _VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant PROVIDERS = 3;
    uint256 internal constant CUSTOMERS = 3;
    /// @dev Session keys are shared out at random among leases; a lease's customer may name any.
    uint256 internal constant SESSION_KEYS = 4;

    address internal constant TRADER = address(0x7AD3);
    address internal constant OPS_TREASURY = address(0x0975);
    address internal constant PENALTY_TREASURY = address(0x7EA5);
    address internal constant AIRDROP_ONLY = address(0xA1D0);
    address internal constant STRANGER = address(0x5714);
    /// @dev A key that is nobody's: its quotes and receipts must always be refused.
    uint256 internal constant STRANGER_KEY = 0x5714;

    function providerKey(uint256 seed) internal pure returns (uint256) {
        return 0xB100 + (seed % PROVIDERS);
    }

    function operatorKey(uint256 seed) internal pure returns (uint256) {
        return 0x0B00 + (seed % PROVIDERS);
    }

    function customerKey(uint256 seed) internal pure returns (uint256) {
        return 0xC100 + (seed % CUSTOMERS);
    }

    function sessionKey(uint256 seed) internal pure returns (uint256) {
        return 0x5E55 + (seed % SESSION_KEYS);
    }

    function provider(uint256 seed) internal pure returns (address) {
        return _VM.addr(providerKey(seed));
    }

    function operator(uint256 seed) internal pure returns (address) {
        return _VM.addr(operatorKey(seed));
    }

    function customer(uint256 seed) internal pure returns (address) {
        return _VM.addr(customerKey(seed));
    }
}
