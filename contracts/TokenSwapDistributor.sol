// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ITokenSwapDistributor} from "./interfaces/ITokenSwapDistributor.sol";
import {LegacyKey} from "./libraries/LegacyKey.sol";

/// @title TokenSwapDistributor
/// @notice The GUT token-swap airdrop. See {ITokenSwapDistributor}.
/// @dev Everything a claim reads is immutable except two storage slots: the bitmap word of its
/// index, and the slot Pausable's `_paused` shares with `activated` (declared right after it, so
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

    /// @inheritdoc ITokenSwapDistributor
    uint8 public immutable legacyAddressVersion;

    // `varint(len(magic)) ‖ magic`, left-aligned, and its length: the signed message's fixed head.
    bytes32 private immutable _magicPrefix;
    uint256 private immutable _magicPrefixLength;

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
        bytes memory magic = bytes(config.legacyMagic);
        if (magic.length == 0 || magic.length > 31) revert InvalidLegacyMagic(magic.length);
        _magicPrefix = bytes32(bytes.concat(bytes1(uint8(magic.length)), magic));
        _magicPrefixLength = magic.length + 1;
        legacyAddressVersion = config.legacyVersion;
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
    function topNodes() external view returns (bytes32[] memory nodes) {
        bytes32[8] memory all = [_top0, _top1, _top2, _top3, _top4, _top5, _top6, _top7];
        nodes = new bytes32[](_topCount);
        for (uint256 i = 0; i < _topCount; ++i) nodes[i] = all[i];
    }

    /// @inheritdoc ITokenSwapDistributor
    function legacyMagic() external view returns (string memory) {
        bytes memory prefix = _prefixBytes();
        bytes memory magic = new bytes(prefix.length - 1);
        for (uint256 i = 0; i < magic.length; ++i) magic[i] = prefix[i + 1];
        return string(magic);
    }

    /// @inheritdoc ITokenSwapDistributor
    function legacyClaimMessage(address recipient) external view returns (string memory) {
        return string(_legacyMessage(recipient));
    }

    /// @inheritdoc ITokenSwapDistributor
    function legacyMessageHash(address recipient) external view returns (bytes32) {
        return LegacyKey.messageHash(_prefixBytes(), _legacyMessage(recipient));
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
    ) private whenNotPaused {
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
        bytes32 hash = LegacyKey.messageHash(_prefixBytes(), _legacyMessage(recipient));
        (address recovered, bool signatureCompressed) = LegacyKey.recover(hash, signature);
        bool keyCompressed = pubkey.length == 33;
        if (signatureCompressed != keyCompressed) revert CompressionMismatch(signatureCompressed, keyCompressed);
        address expected = LegacyKey.evmAddress(x, y);
        if (recovered != expected) revert SignatureMismatch(expected, recovered);
    }

    function _prefixBytes() private view returns (bytes memory prefix) {
        prefix = new bytes(_magicPrefixLength);
        bytes32 word = _magicPrefix;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // `new bytes(n ≤ 32)` reserves a whole word after the length, so this stays inside it.
            mstore(add(prefix, 0x20), word)
        }
    }

    /// @dev See `legacyClaimMessage`. Under 253 bytes whatever the chain id (139 + its digits),
    /// so its varint length is one byte.
    function _legacyMessage(address recipient) private view returns (bytes memory) {
        return
            bytes.concat(
                "gpufog token swap: claim to 0x",
                _lowerHex(recipient),
                " on chain ",
                bytes(Strings.toString(block.chainid)),
                " via distributor 0x",
                _lowerHex(address(this))
            );
    }

    /// @dev The 40 lower-case hex digits of an address, a byte at a time from a 16-byte table:
    /// about a fifth of the gas of `Strings.toHexString`.
    function _lowerHex(address account) private pure returns (bytes memory out) {
        out = new bytes(40);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let table := "0123456789abcdef"
            let at := add(out, 0x20)
            let value := shl(96, account)
            for {
                let i := 0
            } lt(i, 20) {
                i := add(i, 1)
            } {
                let b := byte(i, value)
                mstore8(add(at, shl(1, i)), byte(shr(4, b), table))
                mstore8(add(at, add(shl(1, i), 1)), byte(and(b, 0x0f), table))
            }
        }
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
