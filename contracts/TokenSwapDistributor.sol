// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ITokenSwapDistributor} from "./interfaces/ITokenSwapDistributor.sol";
import {LegacyKey} from "./libraries/LegacyKey.sol";
import {MerkleCalldata} from "./libraries/MerkleCalldata.sol";

/// @title TokenSwapDistributor
/// @notice The GUT token-swap airdrop. See {ITokenSwapDistributor}.
/// @dev Everything a claim reads is immutable except two storage slots: the bitmap word of its
/// index, and the slot Pausable's `_paused` shares with `activated` (declared right after it, so
/// the compiler packs them; a test checks it), read once for both. That keeps a claim
/// to one cold SLOAD more than a bare distributor, and the top nodes, immutables too, pay that
/// back several times over in shorter proofs. The proof loop, the leaf hash, the bitmap and the
/// signed message are written in assembly: see docs/airdrop.md for why and how it is tested.
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

    // `legacyClaimMessage`'s last 40 characters: this contract's address in lower-case hex.
    bytes32 private immutable _selfHex0;
    bytes32 private immutable _selfHex1;

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
        (_selfHex0, _selfHex1) = _lowerHexWords(address(this));
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
    function legacyClaimMessage(address recipient) external view returns (string memory message) {
        uint256 ptr;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            message := mload(0x40)
            ptr := add(message, 0x20)
            // Reserved before the writer runs, so nothing it calls can allocate over the text: the
            // length word, under 253 bytes of text and the 32 bytes the writer spills into.
            mstore(0x40, add(message, 0x140))
        }
        uint256 length = _writeLegacyMessage(ptr, recipient);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(message, length)
        }
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

    function _prefixBytes() private view returns (bytes memory prefix) {
        prefix = new bytes(_magicPrefixLength);
        bytes32 word = _magicPrefix;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // `new bytes(n ≤ 32)` reserves a whole word after the length, so this stays inside it.
            mstore(add(prefix, 0x20), word)
        }
    }

    /// @dev `sha256(sha256(varint(len(magic)) ‖ magic ‖ varint(len(message)) ‖ message))` of
    /// `legacyClaimMessage(recipient)`, built once in free memory (not kept) rather than
    /// concatenated piece by piece. The message is under 253 bytes, so its varint is one byte.
    function _legacyMessageHash(address recipient) private view returns (bytes32 hash) {
        bytes32 prefix = _magicPrefix;
        uint256 prefixLength = _magicPrefixLength;
        uint256 ptr;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ptr := mload(0x40)
            // Reserved, as in `legacyClaimMessage`: the prefix (at most 32 bytes), the length byte,
            // the text and the writer's spill.
            mstore(0x40, add(ptr, 0x160))
            mstore(ptr, prefix)
        }
        uint256 length = _writeLegacyMessage(ptr + prefixLength + 1, recipient);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore8(add(ptr, prefixLength), length)
            // SHA-256 is precompile 2; it fails only by running out of gas.
            if iszero(staticcall(gas(), 0x02, ptr, add(add(prefixLength, 1), length), 0x00, 0x20)) {
                revert(0x00, 0x00)
            }
            if iszero(staticcall(gas(), 0x02, 0x00, 0x20, 0x00, 0x20)) {
                revert(0x00, 0x00)
            }
            hash := mload(0x00)
        }
    }

    /// @dev Writes `legacyClaimMessage(recipient)` at `ptr` and returns its length: under 253
    /// bytes whatever the chain id (139 + its digits). Each piece is one MSTORE whose spill the
    /// next one overwrites, so up to 32 bytes past the end are written too.
    function _writeLegacyMessage(uint256 ptr, address recipient) private view returns (uint256 length) {
        (bytes32 recipient0, bytes32 recipient1) = _lowerHexWords(recipient);
        bytes32 self0 = _selfHex0;
        bytes32 self1 = _selfHex1;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(ptr, "gpufog token swap: claim to 0x")
            mstore(add(ptr, 30), recipient0)
            mstore(add(ptr, 62), recipient1)
            mstore(add(ptr, 70), " on chain ")
            let id := chainid()
            let digits := 1
            for {
                let v := div(id, 10)
            } v {
                v := div(v, 10)
            } {
                digits := add(digits, 1)
            }
            let end := add(add(ptr, 80), digits)
            for {
                let p := end
            } 1 {} {
                p := sub(p, 1)
                mstore8(p, add(48, mod(id, 10)))
                id := div(id, 10)
                if iszero(id) {
                    break
                }
            }
            mstore(end, " via distributor 0x")
            mstore(add(end, 19), self0)
            mstore(add(end, 51), self1)
            length := add(139, digits)
        }
    }

    /// @dev The 40 lower-case hex digits of an address, left-aligned in two words (32 + 8).
    function _lowerHexWords(address account) private pure returns (bytes32 head, bytes32 tail) {
        head = _lowerHex16(uint160(account) >> 32);
        tail = _lowerHex16((uint160(account) & 0xffffffff) << 96);
    }

    /// @dev The 32 lower-case hex digits of a 128-bit value, all in one word without a loop: each
    /// step moves the upper half of every lane into a lane of its own, until every nibble sits in
    /// a byte; then `'0' + n`, plus `'a' - '0' - 10` where `n + 6` carries into bit 4 (n ≥ 10).
    function _lowerHex16(uint256 value) private pure returns (bytes32 out) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let x := and(or(shl(64, value), value), 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
            x := and(or(shl(32, x), x), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
            x := and(or(shl(16, x), x), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
            x := and(or(shl(8, x), x), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
            x := and(or(shl(4, x), x), 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f)
            let letters := shr(
                4,
                and(
                    add(x, 0x0606060606060606060606060606060606060606060606060606060606060606),
                    0x1010101010101010101010101010101010101010101010101010101010101010
                )
            )
            out := add(add(x, 0x3030303030303030303030303030303030303030303030303030303030303030), mul(letters, 0x27))
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
