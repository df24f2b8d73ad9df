// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ITokenSwapDistributor} from "./interfaces/ITokenSwapDistributor.sol";

/// @title TokenSwapDistributor
/// @notice The GUT token-swap airdrop. See {ITokenSwapDistributor}.
/// @dev Everything a claim reads is immutable except two storage slots: the bitmap word of its
/// index, and the slot Pausable's `_paused` shares with `_activated` (declared right after it, so
/// the compiler packs them). That keeps a claim to one cold SLOAD more than a bare distributor.
contract TokenSwapDistributor is AccessControlDefaultAdminRules, Pausable, ITokenSwapDistributor {
    using SafeERC20 for IERC20;

    /// @inheritdoc ITokenSwapDistributor
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @inheritdoc ITokenSwapDistributor
    uint8 public constant KIND_EVM = 0;

    /// @inheritdoc ITokenSwapDistributor
    uint8 public constant KIND_LEGACY = 1;

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
        if (config.deadline <= config.start) revert InvalidWindow(config.start, config.deadline);
        token = config.token;
        merkleRoot = config.merkleRoot;
        total = config.total;
        start = config.start;
        deadline = config.deadline;
        sweepTarget = config.sweepTarget;
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
        if (block.timestamp >= deadline) revert DeadlinePassed(deadline);
        if (!activated) _activate();
        uint256 word = index >> 8;
        uint256 bit = 1 << (index & 0xff);
        uint256 bits = _claimedBitmap[word];
        if (bits & bit != 0) revert AlreadyClaimed(index);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(index, kind, holder, amount))));
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf)) revert InvalidProof(index, holder, amount);
        _claimedBitmap[word] = bits | bit;
    }

    function _activate() private {
        uint256 balance = token.balanceOf(address(this));
        if (balance < total) revert Underfunded(balance, total);
        activated = true;
        emit Activated(msg.sender, balance);
    }
}
