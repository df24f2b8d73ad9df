// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ITokenSwapDistributor} from "./interfaces/ITokenSwapDistributor.sol";

/// @title TokenSwapDistributor
/// @notice The GUT token-swap airdrop. See {ITokenSwapDistributor}.
/// @dev Everything a claim reads is immutable except two storage slots: the bitmap word of its
/// index, and the slot Pausable's `_paused` shares with `_activated` (declared right after it, so
/// the compiler packs them). That keeps a claim to one cold SLOAD more than a bare distributor,
/// and the top nodes, immutables too, pay that back several times over in shorter proofs.
contract TokenSwapDistributor is AccessControlDefaultAdminRules, Pausable, ITokenSwapDistributor {
    using SafeERC20 for IERC20;

    /// @inheritdoc ITokenSwapDistributor
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @inheritdoc ITokenSwapDistributor
    uint8 public constant KIND_EVM = 0;

    /// @inheritdoc ITokenSwapDistributor
    uint8 public constant KIND_LEGACY = 1;

    /// @inheritdoc ITokenSwapDistributor
    uint256 public constant MAX_TOP_NODES = 8;

    /// @inheritdoc ITokenSwapDistributor
    IERC20 public immutable token;

    /// @inheritdoc ITokenSwapDistributor
    bytes32 public immutable merkleRoot;

    /// @inheritdoc ITokenSwapDistributor
    uint256 public immutable total;

    /// @inheritdoc ITokenSwapDistributor
    uint256 public immutable start;

    /// @inheritdoc ITokenSwapDistributor
    uint256 public immutable deadline;

    /// @inheritdoc ITokenSwapDistributor
    address public immutable sweepTarget;

    // One level of the tree; slots past `_topCount` repeat the first node.
    bytes32 private immutable _top0;
    bytes32 private immutable _top1;
    bytes32 private immutable _top2;
    bytes32 private immutable _top3;
    bytes32 private immutable _top4;
    bytes32 private immutable _top5;
    bytes32 private immutable _top6;
    bytes32 private immutable _top7;
    uint256 private immutable _topCount;

    /// @inheritdoc ITokenSwapDistributor
    bool public activated;

    mapping(uint256 word => uint256 bits) private _claimedBitmap;

    /// @param config The token, root, total, claim window and sweep target.
    /// @param adminDelay The delay of a default-admin transfer (two steps).
    /// @param admin The default admin, who also gets `PAUSER_ROLE`.
    constructor(
        Config memory config,
        uint48 adminDelay,
        address admin
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (address(config.token) == address(0)) revert ZeroAddress("token");
        if (config.merkleRoot == bytes32(0)) revert ZeroRoot();
        if (config.total == 0) revert ZeroTotal();
        // The window [start, deadline) must not be empty.
        // solhint-disable-next-line gas-strict-inequalities
        if (config.deadline <= config.start) revert InvalidWindow(config.start, config.deadline);
        token = config.token;
        merkleRoot = config.merkleRoot;
        total = config.total;
        start = config.start;
        deadline = config.deadline;
        sweepTarget = config.sweepTarget;
        bytes32[] memory top = _checkTopNodes(config.topNodes, config.merkleRoot);
        _topCount = top.length;
        _top0 = top[0];
        _top1 = top[1 % top.length];
        _top2 = top[2 % top.length];
        _top3 = top[3 % top.length];
        _top4 = top[4 % top.length];
        _top5 = top[5 % top.length];
        _top6 = top[6 % top.length];
        _top7 = top[7 % top.length];
        _grantRole(PAUSER_ROLE, admin);
    }

    /// @inheritdoc ITokenSwapDistributor
    function activate() external {
        if (!activated) _activate();
    }

    /// @inheritdoc ITokenSwapDistributor
    function claim(uint256 index, address account, uint256 amount, bytes32[] calldata proof) external {
        _verifyAndMark(index, KIND_EVM, account, amount, proof);
        emit Claimed(index, account, amount);
        token.safeTransfer(account, amount);
    }

    /// @inheritdoc ITokenSwapDistributor
    function sweep() external {
        if (block.timestamp < deadline) revert DeadlineNotReached(deadline);
        uint256 amount = token.balanceOf(address(this));
        if (amount == 0) revert NothingToSweep();
        emit Swept(sweepTarget, amount);
        if (sweepTarget == address(0)) ERC20Burnable(address(token)).burn(amount);
        else token.safeTransfer(sweepTarget, amount);
    }

    /// @inheritdoc ITokenSwapDistributor
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ITokenSwapDistributor
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc ITokenSwapDistributor
    function topNodes() external view returns (bytes32[] memory nodes) {
        bytes32[8] memory all = [_top0, _top1, _top2, _top3, _top4, _top5, _top6, _top7];
        nodes = new bytes32[](_topCount);
        for (uint256 i = 0; i < _topCount; ++i) nodes[i] = all[i];
    }

    /// @inheritdoc ITokenSwapDistributor
    function isClaimed(uint256 index) external view returns (bool) {
        return _claimedBitmap[index >> 8] & (1 << (index & 0xff)) != 0;
    }

    /// @dev The one gate every kind of claim goes through: the window, the pause, the funding,
    /// the bitmap and the proof of the leaf `(index, kind, holder, amount)`. It marks the index
    /// paid before the caller moves any token.
    function _verifyAndMark(
        uint256 index,
        uint8 kind,
        address holder,
        uint256 amount,
        bytes32[] calldata proof
    ) internal whenNotPaused {
        if (block.timestamp < start) revert NotStarted(start);
        // The deadline itself is outside the window.
        // solhint-disable-next-line gas-strict-inequalities
        if (block.timestamp >= deadline) revert DeadlinePassed(deadline);
        if (!activated) _activate();
        uint256 word = index >> 8;
        uint256 bit = 1 << (index & 0xff);
        uint256 bits = _claimedBitmap[word];
        if (bits & bit != 0) revert AlreadyClaimed(index);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(index, kind, holder, amount))));
        if (!_isTopNode(MerkleProof.processProofCalldata(proof, leaf))) revert InvalidProof(index, holder, amount);
        _claimedBitmap[word] = bits | bit;
    }

    function _isTopNode(bytes32 node) private view returns (bool) {
        return
            node == _top0 ||
            node == _top1 ||
            node == _top2 ||
            node == _top3 ||
            node == _top4 ||
            node == _top5 ||
            node == _top6 ||
            node == _top7 ||
            node == merkleRoot;
    }

    /// @dev Hashes the level up to the root; an empty level stands for the root alone.
    function _checkTopNodes(bytes32[] memory nodes, bytes32 root) private pure returns (bytes32[] memory) {
        uint256 count = nodes.length;
        if (count == 0) {
            nodes = new bytes32[](1);
            nodes[0] = root;
            return nodes;
        }
        if (count > MAX_TOP_NODES || count & (count - 1) != 0) revert InvalidTopNodes(count, bytes32(0));
        bytes32[] memory level = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) level[i] = nodes[i];
        for (uint256 width = count; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width / 2; ++i)
                level[i] = Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]);
        }
        if (level[0] != root) revert InvalidTopNodes(count, level[0]);
        return nodes;
    }

    function _activate() private {
        uint256 balance = token.balanceOf(address(this));
        if (balance < total) revert Underfunded(balance, total);
        activated = true;
        emit Activated(msg.sender, balance);
    }
}
