// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Sorted-pair Merkle proofs read straight from calldata
/// @notice The same computation as OpenZeppelin's `MerkleProof.processProofCalldata` with
/// `Hashes.commutativeKeccak256` (each step hashes the smaller node first), written as one
/// assembly loop: no bounds check per element (the ABI decoder already checked the array lies in
/// calldata), no function call per level, and the pair hashed in scratch space. A fuzz test
/// (`test/contracts/TokenSwapDistributorProof.t.sol`) checks it against OpenZeppelin on random trees and
/// proofs, wrong and odd-length ones included.
library MerkleCalldata {
    /// @notice The node `proof` leads to from `leaf`: the root (or a kept upper node) when the
    /// proof is right.
    /// @param proof The sibling hashes, from the leaf's level upwards.
    /// @param leaf The leaf hash.
    function processProof(bytes32[] calldata proof, bytes32 leaf) internal pure returns (bytes32 node) {
        node = leaf;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Two levels a turn, so the loop's test and jump are paid once for both; an odd
            // proof's last level is done after the loop. The pair hash is spelled out at each use:
            // as a Yul function it is not inlined, and the calls cost about 170 gas a claim.
            let at := proof.offset
            let end := add(at, shl(5, proof.length))
            for {
                let pairsEnd := add(at, shl(6, shr(1, proof.length)))
            } lt(at, pairsEnd) {
                at := add(at, 0x40)
            } {
                // The larger of the two goes to 0x20, the smaller to 0x00: `commutativeKeccak256`.
                let sibling := calldataload(at)
                let high := shl(5, gt(node, sibling))
                mstore(high, node)
                mstore(xor(high, 0x20), sibling)
                node := keccak256(0x00, 0x40)
                sibling := calldataload(add(at, 0x20))
                high := shl(5, gt(node, sibling))
                mstore(high, node)
                mstore(xor(high, 0x20), sibling)
                node := keccak256(0x00, 0x40)
            }
            if lt(at, end) {
                let sibling := calldataload(at)
                let high := shl(5, gt(node, sibling))
                mstore(high, node)
                mstore(xor(high, 0x20), sibling)
                node := keccak256(0x00, 0x40)
            }
        }
    }
}
