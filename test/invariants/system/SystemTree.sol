// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {SystemActors} from "./SystemActors.sol";

/// @dev The swap airdrop of the system campaign: an eight-leaf StandardMerkleTree built in
/// Solidity (sorted pairs, double-hashed leaves). The EVM leaves pay the campaign's own actors, so
/// claimed GUT goes on to be staked, leased and traded; leaf 5 is a legacy (kind 1) leaf whose
/// holder is the HASH160 of an old-chain key, which only `claimLegacy` may pay.
contract SystemTree {
    uint256 public constant COUNT = 8;
    uint256 public constant LEGACY_INDEX = 5;
    // The old-chain key of the legacy leaf, and its uncompressed public key (derived offline with
    // the noble-curves package; a wrong one would fail every legacy claim, since the signature
    // must recover to it). Hardhat does not implement `vm.createWallet`, which would derive it here.
    uint256 public constant LEGACY_KEY = 0xA11CE;
    bytes public constant LEGACY_PUBKEY =
        hex"04a64db41e2968c849c2a5615ba0d6e816734a6d3e6ea6ecd6f3acb7d59daa9102e7af12d6e07238e7d5f5f6e9d6a529833a30f7385075fd74029db8009a5ace9a";

    bytes32[8] internal _leaves;
    bytes32[4] internal _level1;
    bytes32[2] internal _level2;
    bytes32 public root;
    uint256 public total;

    constructor() {
        for (uint256 i = 0; i < COUNT; ++i) {
            (uint8 kind, address holder, uint256 amount) = leaf(i);
            _leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(i, kind, holder, amount))));
            total += amount;
        }
        for (uint256 i = 0; i < 4; ++i) _level1[i] = Hashes.commutativeKeccak256(_leaves[2 * i], _leaves[2 * i + 1]);
        for (uint256 i = 0; i < 2; ++i) _level2[i] = Hashes.commutativeKeccak256(_level1[2 * i], _level1[2 * i + 1]);
        root = Hashes.commutativeKeccak256(_level2[0], _level2[1]);
    }

    function leaf(uint256 i) public pure returns (uint8 kind, address holder, uint256 amount) {
        amount = (i + 1) * 1_000e18;
        if (i == LEGACY_INDEX) return (1, address(ripemd160(abi.encodePacked(sha256(LEGACY_PUBKEY)))), amount);
        if (i < 3) return (0, SystemActors.provider(i), amount);
        if (i < 5) return (0, SystemActors.customer(i), amount);
        return (0, i == 6 ? SystemActors.TRADER : SystemActors.AIRDROP_ONLY, amount);
    }

    function proof(uint256 i) public view returns (bytes32[] memory p) {
        p = new bytes32[](3);
        p[0] = _leaves[i ^ 1];
        p[1] = _level1[(i >> 1) ^ 1];
        p[2] = _level2[(i >> 2) ^ 1];
    }
}
