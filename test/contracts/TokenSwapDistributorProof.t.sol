// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {TokenSwapDistributor} from "../../contracts/TokenSwapDistributor.sol";
import {ITokenSwapDistributor} from "../../contracts/interfaces/ITokenSwapDistributor.sol";
import {MerkleCalldata} from "../../contracts/libraries/MerkleCalldata.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {Test} from "../utils/Test.sol";

/// @dev The cheatcode the shared `Vm` interface does not declare.
interface VmStorage {
    function load(address target, bytes32 slot) external view returns (bytes32);
}

/// @dev Both verifiers behind external functions, so the proofs they read are calldata.
contract ProofHarness {
    function ours(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleCalldata.processProof(proof, leaf);
    }

    function openZeppelin(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leaf);
    }

    function openZeppelinVerify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}

/// @dev The distributor's check of a proof's last node, reachable with any node.
contract TopNodeHarness is TokenSwapDistributor {
    constructor(Config memory config) TokenSwapDistributor(config, 0, msg.sender) {}

    function isTopNode(bytes32 node) external view returns (bool) {
        return _isTopNode(node);
    }
}

/// @dev The assembly proof loop of the distributor against OpenZeppelin's `MerkleProof`: random
/// trees of any size (odd levels included), right proofs, proofs with one thing wrong, and
/// arbitrary arrays of any length.
contract TokenSwapDistributorProofTest is Test {
    ProofHarness internal harness;

    function setUp() public {
        harness = new ProofHarness();
    }

    /// @dev A sorted-pair tree over `count` random leaves, built level by level with an odd
    /// node moving up unpaired; returns the root and the proof of leaf `target`.
    function _tree(
        uint256 seed,
        uint256 count,
        uint256 target
    ) internal pure returns (bytes32 root, bytes32 leaf, bytes32[] memory proof) {
        bytes32[] memory level = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) level[i] = keccak256(abi.encode(seed, i));
        leaf = level[target];
        bytes32[] memory path = new bytes32[](256);
        uint256 depth = 0;
        uint256 position = target;
        for (uint256 width = count; width > 1; width = (width + 1) / 2) {
            if ((position ^ 1) < width) path[depth++] = level[position ^ 1];
            for (uint256 i = 0; i < width / 2; ++i)
                level[i] = Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]);
            if (width % 2 == 1) level[width / 2] = level[width - 1];
            position >>= 1;
        }
        root = level[0];
        proof = new bytes32[](depth);
        for (uint256 i = 0; i < depth; ++i) proof[i] = path[i];
    }

    function _agree(bytes32[] memory proof, bytes32 root, bytes32 leaf) internal view returns (bool accepted) {
        bytes32 ours = harness.ours(proof, leaf);
        assertEq(ours, harness.openZeppelin(proof, leaf), "same node as OpenZeppelin");
        accepted = ours == root;
        assertTrue(accepted == harness.openZeppelinVerify(proof, root, leaf), "same verdict as OpenZeppelin");
    }

    function testFuzz_ProofLoop_AcceptsEveryRightProof(uint256 seed, uint256 count, uint256 target) public view {
        count = bound(count, 1, 300);
        target = bound(target, 0, count - 1);
        (bytes32 root, bytes32 leaf, bytes32[] memory proof) = _tree(seed, count, target);
        assertTrue(_agree(proof, root, leaf), "a right proof accepted");
    }

    function testFuzz_ProofLoop_RefusesAnyWrongProof(
        uint256 seed,
        uint256 count,
        uint256 target,
        uint8 how,
        uint256 value
    ) public view {
        count = bound(count, 2, 300);
        target = bound(target, 0, count - 1);
        (bytes32 root, bytes32 leaf, bytes32[] memory proof) = _tree(seed, count, target);
        how = how % 5;
        if (how == 0) {
            // One bit of one node flipped.
            proof[value % proof.length] ^= bytes32(1 << ((value >> 8) % 256));
        } else if (how == 1) {
            // The last node dropped: a proof one level short (an odd length for even ones).
            bytes32[] memory shorter = new bytes32[](proof.length - 1);
            for (uint256 i = 0; i < shorter.length; ++i) shorter[i] = proof[i];
            proof = shorter;
        } else if (how == 2) {
            // One node too many.
            bytes32[] memory longer = new bytes32[](proof.length + 1);
            for (uint256 i = 0; i < proof.length; ++i) longer[i] = proof[i];
            longer[proof.length] = bytes32(value);
            proof = longer;
        } else if (how == 3) {
            // Another leaf.
            leaf = bytes32(uint256(leaf) ^ (value | 1));
        } else if (proof.length > 1) {
            // Two levels swapped, unless they are equal.
            uint256 i = value % (proof.length - 1);
            if (proof[i] == proof[i + 1]) return;
            (proof[i], proof[i + 1]) = (proof[i + 1], proof[i]);
        } else {
            proof = new bytes32[](0);
        }
        assertTrue(!_agree(proof, root, leaf), "a wrong proof refused");
    }

    function testFuzz_ProofLoop_MatchesOnArbitraryArrays(
        bytes32[] calldata proof,
        bytes32 leaf,
        bytes32 root
    ) public view {
        _agree(proof, root, leaf);
        // The node each prefix leads to, so a wrong array is also compared at every length.
        if (proof.length > 0) _agree(proof[:proof.length - 1], harness.ours(proof[:proof.length - 1], leaf), leaf);
    }

    function testFuzz_ProofLoop_EqualSiblings(bytes32 node, uint8 length) public view {
        bytes32[] memory proof = new bytes32[](bound(length, 0, 20));
        for (uint256 i = 0; i < proof.length; ++i) proof[i] = node;
        _agree(proof, bytes32(0), node);
    }

    /// @dev The claim path reads `_paused` as the low byte of `activated`'s slot; this pins that
    /// layout on the storage itself.
    function test_PauseFlagSharesTheActivatedSlot() public {
        MockERC20 token = new MockERC20("Token", "TKN", 18);
        bytes32[] memory top = new bytes32[](0);
        TokenSwapDistributor distributor = new TokenSwapDistributor(
            ITokenSwapDistributor.Config({
                token: token,
                merkleRoot: keccak256("root"),
                total: 1,
                start: 0,
                deadline: 1,
                sweepTarget: address(0),
                topNodes: top,
                legacyMagic: "GPUnion Signed Message:\n",
                legacyVersion: 38
            }),
            0,
            address(this)
        );
        token.mint(address(distributor), 1);
        distributor.activate();
        bytes32 activatedWord = bytes32(uint256(0x0100));
        bytes32 pausedWord = bytes32(uint256(0x0101));
        uint256 slot = type(uint256).max;
        for (uint256 i = 0; i < 32; ++i) {
            if (VmStorage(address(vm)).load(address(distributor), bytes32(i)) == activatedWord) slot = i;
        }
        assertTrue(slot != type(uint256).max, "activated is the second byte of a slot of its own");
        distributor.pause();
        assertEq(
            VmStorage(address(vm)).load(address(distributor), bytes32(slot)),
            pausedWord,
            "paused is its first byte"
        );
        distributor.unpause();
        assertEq(VmStorage(address(vm)).load(address(distributor), bytes32(slot)), activatedWord, "unpaused");
    }

    /// @dev A level of `2^depth` random nodes and the root they hash to (sorted pairs).
    function _level(uint256 seed, uint256 depth) internal pure returns (bytes32[] memory nodes, bytes32 root) {
        nodes = new bytes32[](1 << depth);
        bytes32[] memory level = new bytes32[](nodes.length);
        for (uint256 i = 0; i < nodes.length; ++i) nodes[i] = level[i] = keccak256(abi.encode(seed, i));
        for (uint256 width = nodes.length; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width / 2; ++i)
                level[i] = Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]);
        }
        root = level[0];
    }

    function _topNodeHarness(bytes32[] memory nodes, bytes32 root) internal returns (TopNodeHarness) {
        return
            new TopNodeHarness(
                ITokenSwapDistributor.Config({
                    token: new MockERC20("Token", "TKN", 18),
                    merkleRoot: root,
                    total: 1,
                    start: 0,
                    deadline: 1,
                    sweepTarget: address(0),
                    topNodes: nodes,
                    legacyMagic: "GPUnion Signed Message:\n",
                    legacyVersion: 38
                })
            );
    }

    /// @dev Every kept node and the root are found; the values just above and below each kept
    /// node (which fall in every gap of the sorted level, so every branch of the search is taken)
    /// and `stranger` are not; `topNodes()` gives the level back in the tree's order.
    function _checkTopNodes(uint256 seed, uint256 depth, bytes32 stranger) internal {
        (bytes32[] memory nodes, bytes32 root) = _level(seed, depth);
        TopNodeHarness distributor = _topNodeHarness(nodes, root);
        assertEq(keccak256(abi.encode(distributor.topNodes())), keccak256(abi.encode(nodes)), "topNodes(), in order");
        assertTrue(distributor.isTopNode(root), "the root");
        for (uint256 i = 0; i < nodes.length; ++i) {
            assertTrue(distributor.isTopNode(nodes[i]), "a kept node");
            assertTrue(!distributor.isTopNode(bytes32(uint256(nodes[i]) + 1)), "just above a kept node");
            assertTrue(!distributor.isTopNode(bytes32(uint256(nodes[i]) - 1)), "just below a kept node");
        }
        if (stranger != root) {
            for (uint256 i = 0; i < nodes.length; ++i) if (nodes[i] == stranger) return;
            assertTrue(!distributor.isTopNode(stranger), "a node not kept");
        }
    }

    /// @dev The depth the distributor is generated with, as a deployment of it reports it.
    function _topDepth() internal returns (uint256) {
        return _topNodeHarness(new bytes32[](0), keccak256("root")).TOP_DEPTH();
    }

    function test_IsTopNode_FindsExactlyAWholeKeptLevel() public {
        _checkTopNodes(1, _topDepth(), keccak256("stranger"));
    }

    function testFuzz_IsTopNode_FindsExactlyTheKeptLevel(uint256 seed, uint8 depth, bytes32 stranger) public {
        _checkTopNodes(seed, bound(depth, 0, _topDepth()), stranger);
    }

    function test_IsTopNode_FindsOnlyTheRootWithoutALevel() public {
        bytes32 root = keccak256("root");
        TopNodeHarness distributor = _topNodeHarness(new bytes32[](0), root);
        assertTrue(distributor.isTopNode(root), "the root");
        assertTrue(!distributor.isTopNode(bytes32(uint256(root) + 1)), "just above the root");
        assertTrue(!distributor.isTopNode(bytes32(uint256(root) - 1)), "just below the root");
    }
}
