// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The message a legacy holder signs to claim, and its hash
/// @notice `gpufog token swap: claim to 0x<recipient> on chain <chain id> via distributor 0x<distributor>`,
/// addresses in lower-case hex, the chain id in decimal, and its hash as the old chain's
/// `signmessage` computes it: `sha256(sha256(varint(len(magic)) ‖ magic ‖ varint(len(text)) ‖ text))`.
/// @dev Written in assembly because `claimLegacy` builds the text on every call: each piece is one
/// MSTORE and the hex digits come from arithmetic on whole words, with no loop but the chain id's
/// digits. The distributor's own address is passed in as its two hex words (`lowerHexWords`), which
/// it computes once, at deployment. `test/contracts/LegacyMessage.t.sol` checks every function
/// against the same text built with `abi.encodePacked` and OpenZeppelin's `Strings`.
library LegacyMessage {
    /// @notice The signed message's fixed head, `varint(len(magic)) ‖ magic`, left-aligned in one
    /// word, and its length.
    /// @dev The caller checks the magic is 1 to 31 bytes, so the head fits in a word and its varint
    /// is one byte.
    /// @param magic The old chain's magic, without its length byte.
    function prefix(bytes memory magic) internal pure returns (bytes32 word, uint256 length) {
        word = bytes32(bytes.concat(bytes1(uint8(magic.length)), magic));
        length = magic.length + 1;
    }

    /// @notice The magic back from the head `prefix` wrote.
    /// @param word The head, left-aligned.
    /// @param length The head's length, 2 to 32.
    function magicOf(bytes32 word, uint256 length) internal pure returns (string memory magic) {
        magic = new string(length - 1);
        bytes32 body = word << 8;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // `new string(n ≤ 31)` reserves a whole word after the length, and the head's bytes past
            // the magic are zero, so the text is padded as the ABI encoder expects.
            mstore(add(magic, 0x20), body)
        }
    }

    /// @notice The text a legacy holder signs to have `recipient` paid by the distributor whose hex
    /// words are `distributor0` and `distributor1`, on this chain.
    /// @param recipient The EVM account to be paid.
    /// @param distributor0 The first 32 hex digits of the distributor's address (`lowerHexWords`).
    /// @param distributor1 Its last 8, left-aligned.
    function text(
        address recipient,
        bytes32 distributor0,
        bytes32 distributor1
    ) internal view returns (string memory message) {
        uint256 ptr;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            message := mload(0x40)
            ptr := add(message, 0x20)
            // Reserved before the writer runs, so nothing it calls can allocate over the text: the
            // length word, under 253 bytes of text and the 32 bytes the writer spills into.
            mstore(0x40, add(message, 0x140))
        }
        uint256 length = _write(ptr, recipient, distributor0, distributor1);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(message, length)
        }
    }

    /// @notice The hash the holder's key signs: the text after the magic's head, both with their
    /// varint lengths, hashed twice with SHA-256. Built once in free memory (not kept) rather than
    /// concatenated piece by piece; the text is under 253 bytes, so its varint is one byte.
    /// @param prefixWord The head from `prefix`.
    /// @param prefixLength Its length.
    /// @param recipient As in `text`.
    /// @param distributor0 As in `text`.
    /// @param distributor1 As in `text`.
    function hash(
        bytes32 prefixWord,
        uint256 prefixLength,
        address recipient,
        bytes32 distributor0,
        bytes32 distributor1
    ) internal view returns (bytes32 digest) {
        uint256 ptr;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ptr := mload(0x40)
            // Reserved, as in `text`: the head (at most 32 bytes), the length byte, the text and
            // the writer's spill.
            mstore(0x40, add(ptr, 0x160))
            mstore(ptr, prefixWord)
        }
        uint256 length = _write(ptr + prefixLength + 1, recipient, distributor0, distributor1);
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
            digest := mload(0x00)
        }
    }

    /// @notice The 40 lower-case hex digits of an address, left-aligned in two words (32 + 8).
    /// @param account The address.
    function lowerHexWords(address account) internal pure returns (bytes32 head, bytes32 tail) {
        head = _lowerHex16(uint160(account) >> 32);
        tail = _lowerHex16((uint160(account) & 0xffffffff) << 96);
    }

    /// @dev Writes the text at `ptr` and returns its length: under 253 bytes whatever the chain id
    /// (139 + its digits). Each piece is one MSTORE whose spill the next one overwrites, so up to
    /// 32 bytes past the end are written too.
    function _write(
        uint256 ptr,
        address recipient,
        bytes32 distributor0,
        bytes32 distributor1
    ) private view returns (uint256 length) {
        (bytes32 recipient0, bytes32 recipient1) = lowerHexWords(recipient);
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
            mstore(add(end, 19), distributor0)
            mstore(add(end, 51), distributor1)
            length := add(139, digits)
        }
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
}
