// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {TokenSwapDistributorTopLevel} from "./base/TokenSwapDistributorTopLevel.sol";
import {ITokenSwapDistributor} from "./interfaces/ITokenSwapDistributor.sol";
import {LegacyKey} from "./libraries/LegacyKey.sol";
import {LegacyMessage} from "./libraries/LegacyMessage.sol";
import {MerkleCalldata} from "./libraries/MerkleCalldata.sol";

/// @title TokenSwapDistributor
/// @notice The GUT token-swap airdrop. See {ITokenSwapDistributor}.
/// @dev Everything a claim reads is immutable except two storage slots: the bitmap word of its
/// index, and the slot Pausable's `_paused` shares with `activated` (declared right after it, so
/// the compiler packs them; a test checks it), read once for both. That keeps a claim to one cold
/// SLOAD more than a bare distributor, and the kept level ({TokenSwapDistributorTopLevel},
/// immutables too) pays that back several times over in shorter proofs. The proof loop, the leaf
/// hash and the bitmap are written in assembly, and so is the signed message
/// ({LegacyMessage}): see docs/airdrop.md for why and how it is tested.
contract TokenSwapDistributor is TokenSwapDistributorTopLevel, AccessControlDefaultAdminRules, Pausable {
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
    uint8 public immutable legacyAddressVersion;

    // `varint(len(magic)) ‖ magic`, left-aligned, and its length: the signed message's fixed head.
    bytes32 private immutable _magicPrefix;
    uint256 private immutable _magicPrefixLength;

    // `legacyClaimMessage`'s last 40 characters: this contract's address in lower-case hex.
    bytes32 private immutable _selfHex0;
    bytes32 private immutable _selfHex1;

    /// @inheritdoc ITokenSwapDistributor
    bool public activated;

    mapping(uint256 word => uint256 bits) private _claimedBitmap;

    /// @param config The token, root, total, claim window, sweep target, kept level and legacy
    /// message parameters.
    /// @param adminDelay The delay of a default-admin transfer (two steps).
    /// @param admin The default admin, who also gets `PAUSER_ROLE`.
    constructor(
        Config memory config,
        uint48 adminDelay,
        address admin
    )
        TokenSwapDistributorTopLevel(config.topNodes, config.merkleRoot)
        AccessControlDefaultAdminRules(adminDelay, admin)
    {
        if (address(config.token) == address(0)) revert ZeroAddress("token");
        if (config.total == 0) revert ZeroTotal();
        // The window [start, deadline) must not be empty.
        // solhint-disable-next-line gas-strict-inequalities
        if (config.deadline <= config.start) revert InvalidWindow(config.start, config.deadline);
        bytes memory magic = bytes(config.legacyMagic);
        if (magic.length == 0 || magic.length > 31) revert InvalidLegacyMagic(magic.length);
        token = config.token;
        merkleRoot = config.merkleRoot;
        total = config.total;
        start = config.start;
        deadline = config.deadline;
        sweepTarget = config.sweepTarget;
        legacyAddressVersion = config.legacyVersion;
        (_magicPrefix, _magicPrefixLength) = LegacyMessage.prefix(magic);
        (_selfHex0, _selfHex1) = LegacyMessage.lowerHexWords(address(this));
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
    function claimLegacy(
        uint256 index,
        bytes20 hash160,
        uint256 amount,
        bytes32[] calldata proof,
        address recipient,
        bytes calldata pubkey,
        bytes calldata signature
    ) external {
        if (recipient == address(0)) revert ZeroAddress("recipient");
        _checkLegacySignature(hash160, recipient, pubkey, signature);
        _verifyAndMark(index, KIND_LEGACY, address(hash160), amount, proof);
        emit LegacyClaimed(index, hash160, recipient, amount);
        token.safeTransfer(recipient, amount);
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
    function legacyMagic() external view returns (string memory) {
        return LegacyMessage.magicOf(_magicPrefix, _magicPrefixLength);
    }

    /// @inheritdoc ITokenSwapDistributor
    function legacyClaimMessage(address recipient) external view returns (string memory) {
        return LegacyMessage.text(recipient, _selfHex0, _selfHex1);
    }

    /// @inheritdoc ITokenSwapDistributor
    function legacyMessageHash(address recipient) external view returns (bytes32) {
        return _legacyMessageHash(recipient);
    }

    /// @inheritdoc ITokenSwapDistributor
    function isClaimed(uint256 index) external view returns (bool) {
        return _claimedBitmap[index >> 8] & (1 << (index & 0xff)) != 0;
    }

    /// @dev The one gate every kind of claim goes through: the pause, the window, the funding,
    /// the bitmap and the proof of the leaf `(index, kind, holder, amount)`. It marks the index
    /// paid before the caller moves any token.
    function _verifyAndMark(
        uint256 index,
        uint8 kind,
        address holder,
        uint256 amount,
        bytes32[] calldata proof
    ) private {
        uint256 pausedFlag;
        uint256 activatedFlag;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // One cold SLOAD for both flags. Pausable's `_paused` is private, so it is read as the
            // low byte of `activated`'s slot, where the compiler packs it (checked by a test
            // against the storage itself, and by the pause tests).
            let state := sload(activated.slot)
            pausedFlag := and(state, 0xff)
            activatedFlag := and(shr(mul(8, activated.offset), state), 0xff)
        }
        if (pausedFlag != 0) revert EnforcedPause();
        if (block.timestamp < start) revert NotStarted(start);
        // The deadline itself is outside the window.
        // solhint-disable-next-line gas-strict-inequalities
        if (block.timestamp >= deadline) revert DeadlinePassed(deadline);
        if (activatedFlag == 0) _activate();
        uint256 slot;
        uint256 bits;
        uint256 bit = 1 << (index & 0xff);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // `_claimedBitmap[index >> 8]`, its slot computed once for the read and the write.
            mstore(0x00, shr(8, index))
            mstore(0x20, _claimedBitmap.slot)
            slot := keccak256(0x00, 0x40)
            bits := sload(slot)
        }
        if (bits & bit != 0) revert AlreadyClaimed(index);
        if (!_isTopNode(MerkleCalldata.processProof(proof, _leaf(index, kind, holder, amount))))
            revert InvalidProof(index, holder, amount);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(slot, or(bits, bit))
        }
    }

    /// @dev The key checks of `claimLegacy`, in the order that names the first thing wrong: the
    /// key is a point, it hashes to the leaf's HASH160, and the signature recovers it, made for
    /// the same key form.
    function _checkLegacySignature(
        bytes20 hash160,
        address recipient,
        bytes calldata pubkey,
        bytes calldata signature
    ) private view {
        (uint256 x, uint256 y) = LegacyKey.toPoint(pubkey);
        bytes20 computed = LegacyKey.hash160(pubkey);
        if (computed != hash160) revert PublicKeyMismatch(hash160, computed);
        (address recovered, bool signatureCompressed) = LegacyKey.recover(_legacyMessageHash(recipient), signature);
        bool keyCompressed = pubkey.length == 33;
        if (signatureCompressed != keyCompressed) revert CompressionMismatch(signatureCompressed, keyCompressed);
        address expected = LegacyKey.evmAddress(x, y);
        if (recovered != expected) revert SignatureMismatch(expected, recovered);
    }

    /// @dev `keccak256(bytes.concat(keccak256(abi.encode(index, kind, holder, amount))))`, the
    /// inner hash's input in free memory (not kept), the outer one in scratch space.
    function _leaf(uint256 index, uint8 kind, address holder, uint256 amount) private pure returns (bytes32 leaf) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, index)
            mstore(add(m, 0x20), and(kind, 0xff))
            mstore(add(m, 0x40), and(holder, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(m, 0x60), amount)
            mstore(0x00, keccak256(m, 0x80))
            leaf := keccak256(0x00, 0x20)
        }
    }

    function _legacyMessageHash(address recipient) private view returns (bytes32) {
        return LegacyMessage.hash(_magicPrefix, _magicPrefixLength, recipient, _selfHex0, _selfHex1);
    }

    /// @dev A proof may end at a kept node or, in full, at the root.
    function _isTopNode(bytes32 node) internal view returns (bool) {
        return _isKeptNode(node) || node == merkleRoot;
    }

    function _activate() private {
        uint256 balance = token.balanceOf(address(this));
        if (balance < total) revert Underfunded(balance, total);
        activated = true;
        emit Activated(msg.sender, balance);
    }
}
