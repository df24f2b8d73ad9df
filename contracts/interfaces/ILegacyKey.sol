// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Old-chain key errors
/// @notice The refusals of {LegacyKey}: checks of a secp256k1 public key as the old GUT
/// distribution chain (a Bitcoin-family chain) encodes it, and of a signature in that chain's
/// signed-message format (Bitcoin's compact 65-byte signature).
interface ILegacyKey {
    /// @notice The public key is not a point of secp256k1 in SEC1 form: its length is neither 33
    /// (compressed, prefix 0x02 or 0x03) nor 65 (uncompressed, prefix 0x04), its prefix is
    /// another byte, a coordinate is not below the field prime, or the point is not on the curve.
    /// @param pubkey The key as given.
    error InvalidPublicKey(bytes pubkey);

    /// @notice The signature is not 65 bytes (one header byte, then r and s).
    /// @param length The length given.
    error InvalidSignatureLength(uint256 length);

    /// @notice The header byte is not 27..34 (27..30 uncompressed key, 31..34 compressed key), or it
    /// asks for recovery id 2 or 3, which `ecrecover` cannot use (the nonce point's x at or above
    /// the group order; a chance of about 2^-128 per signature). Segwit headers (35..42) are
    /// refused: only P2PKH addresses claim.
    /// @param header The header byte given.
    error InvalidSignatureHeader(uint8 header);

    /// @notice r or s is zero, or r is not a valid x coordinate, so nothing can be recovered.
    /// @param r The signature's r.
    /// @param s The signature's s.
    error InvalidSignature(bytes32 r, bytes32 s);

    /// @notice s is in the upper half of the group order. Bitcoin Core and libsecp256k1 only produce
    /// low-s signatures; refusing the other half makes every signature non-malleable.
    /// @param s The signature's s.
    error HighS(uint256 s);
}
