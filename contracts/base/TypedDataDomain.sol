// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title TypedDataDomain
/// @notice An EIP-712 domain (name, version, chain id, this contract): the separator is cached at
/// deployment and rebuilt when the chain id differs (a fork), as OpenZeppelin's EIP712 does.
/// @dev OpenZeppelin's EIP712 also serves ERC-5267's `eip712Domain()`; the escrow's clients build
/// its domain from the address book and never read it, and leaving it out saves 337 bytes of the
/// escrow's code, which is near the 24,576-byte limit.
abstract contract TypedDataDomain {
    // The type string's hash is a compile-time constant: its length costs no gas.
    // solhint-disable-next-line gas-small-strings
    bytes32 private constant _DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    bytes32 private immutable _hashedName;
    bytes32 private immutable _hashedVersion;
    bytes32 private immutable _cachedSeparator;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;

    constructor(string memory name, string memory version) {
        _hashedName = keccak256(bytes(name));
        _hashedVersion = keccak256(bytes(version));
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedSeparator = _buildSeparator();
    }

    /// @dev The EIP-712 digest of a struct hash in this domain.
    function _hashTypedDataV4(bytes32 structHash) internal view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_domainSeparatorV4(), structHash);
    }

    /// @dev The domain separator, rebuilt on a chain other than the deployment's.
    function _domainSeparatorV4() internal view returns (bytes32) {
        if (address(this) == _cachedThis && block.chainid == _cachedChainId) return _cachedSeparator;
        return _buildSeparator();
    }

    function _buildSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _hashedName, _hashedVersion, block.chainid, address(this)));
    }
}
