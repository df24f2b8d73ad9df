// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILegacyKey} from "../interfaces/ILegacyKey.sol";

/// @title Old-chain keys and signed messages
/// @notice The cryptography of the old GUT distribution chain, a Bitcoin-family chain, with the
/// EVM's precompiles: a SEC1 public key (compressed or not) to its curve point, decompressed with
/// the modexp precompile; HASH160 (`ripemd160(sha256(key))`, the payload of a P2PKH address); the
/// signed-message hash; and recovery of a compact signature with `ecrecover`.
library LegacyKey {
    /// @notice The field prime of secp256k1.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;

    /// @notice Half the group order of secp256k1: the largest s a low-s signature has.
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @dev p ≡ 3 (mod 4), so a square root of a is a^((p + 1) / 4) when a is a square.
    uint256 private constant _SQRT_EXPONENT = (P + 1) / 4;

    uint256 private constant _MODEXP = 0x05;

    /// @notice The curve point of a SEC1 public key: `0x02`/`0x03 ‖ x` (33 bytes, the prefix
    /// giving the parity of y) or `0x04 ‖ x ‖ y` (65 bytes).
    /// @dev Reverts with `InvalidPublicKey` on any other length or prefix, a coordinate not below
    /// p, or a point off the curve. A compressed key's y is `(x³ + 7)^((p + 1) / 4) mod p`, checked
    /// by squaring it back, since half the x below p have no point.
    function toPoint(bytes calldata pubkey) internal view returns (uint256 x, uint256 y) {
        uint256 length = pubkey.length;
        uint8 prefix = length > 0 ? uint8(pubkey[0]) : 0;
        if (length == 33 && (prefix == 2 || prefix == 3)) {
            x = uint256(bytes32(pubkey[1:33]));
            if (x > P - 1) revert ILegacyKey.InvalidPublicKey(pubkey);
            uint256 rhs = _curveRhs(x);
            y = _modexp(rhs, _SQRT_EXPONENT);
            if (mulmod(y, y, P) != rhs) revert ILegacyKey.InvalidPublicKey(pubkey);
            if (y & 1 != prefix & 1) y = P - y;
        } else if (length == 65 && prefix == 4) {
            x = uint256(bytes32(pubkey[1:33]));
            y = uint256(bytes32(pubkey[33:65]));
            if (x > P - 1 || y > P - 1 || mulmod(y, y, P) != _curveRhs(x)) revert ILegacyKey.InvalidPublicKey(pubkey);
        } else {
            revert ILegacyKey.InvalidPublicKey(pubkey);
        }
    }

    /// @notice HASH160 of the key bytes as given: compressed and uncompressed forms of one key
    /// have different HASH160s, hence different addresses.
    /// @dev The key is copied to free memory (not kept) and both digests stay in scratch space;
    /// a precompile call fails only by running out of gas.
    function hash160(bytes calldata pubkey) internal view returns (bytes20 digest) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, pubkey.offset, pubkey.length)
            if iszero(staticcall(gas(), 0x02, m, pubkey.length, 0x00, 0x20)) {
                revert(0x00, 0x00)
            }
            // RIPEMD-160 (precompile 3) returns its 20 bytes right-aligned in a word.
            if iszero(staticcall(gas(), 0x03, 0x00, 0x20, 0x00, 0x20)) {
                revert(0x00, 0x00)
            }
            digest := shl(96, mload(0x00))
        }
    }

    /// @notice The EVM address of the key `(x, y)`: the last 20 bytes of `keccak256(x ‖ y)`.
    function evmAddress(uint256 x, uint256 y) internal pure returns (address account) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, x)
            mstore(0x20, y)
            account := and(keccak256(0x00, 0x40), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// @notice Recovers a compact signature: header byte (27 + recovery id, plus 4 when the key is
    /// compressed), r, s.
    /// @dev Reverts with `InvalidSignatureLength`, `InvalidSignatureHeader`, `InvalidSignature` or
    /// `HighS`; never returns the zero address.
    /// @return signer The EVM address of the recovered key.
    /// @return compressed Whether the header says the signer's address was made from the
    /// compressed key.
    function recover(bytes32 hash, bytes calldata signature) internal pure returns (address signer, bool compressed) {
        if (signature.length != 65) revert ILegacyKey.InvalidSignatureLength(signature.length);
        uint8 header = uint8(signature[0]);
        if (header < 27 || header > 34) revert ILegacyKey.InvalidSignatureHeader(header);
        uint8 recoveryId = (header - 27) & 3;
        if (recoveryId > 1) revert ILegacyKey.InvalidSignatureHeader(header);
        compressed = header > 30;
        bytes32 r = bytes32(signature[1:33]);
        bytes32 s = bytes32(signature[33:65]);
        if (r == 0 || s == 0) revert ILegacyKey.InvalidSignature(r, s);
        if (uint256(s) > HALF_N) revert ILegacyKey.HighS(uint256(s));
        signer = ecrecover(hash, 27 + recoveryId, r, s);
        if (signer == address(0)) revert ILegacyKey.InvalidSignature(r, s);
    }

    /// @notice `x³ + 7 mod p`, the square of y on the curve.
    function _curveRhs(uint256 x) private pure returns (uint256) {
        return addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
    }

    /// @dev `base^exponent mod p` by the modexp precompile (EIP-198): 32-byte lengths, then base,
    /// exponent and modulus. The call can only fail by running out of gas; the result is then the
    /// first length word (32), and `toPoint` squares whatever comes back, so it never accepts a
    /// wrong y.
    function _modexp(uint256 base, uint256 exponent) private view returns (uint256 result) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x20)
            mstore(add(m, 0x20), 0x20)
            mstore(add(m, 0x40), 0x20)
            mstore(add(m, 0x60), base)
            mstore(add(m, 0x80), exponent)
            mstore(add(m, 0xa0), P)
            pop(staticcall(gas(), _MODEXP, m, 0xc0, m, 0x20))
            result := mload(m)
        }
    }
}
