// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {LegacyMessage} from "../../contracts/libraries/LegacyMessage.sol";
import {Test} from "../utils/Test.sol";

/// @dev The library's assembly against the same text and hash built with `abi.encodePacked` and
/// OpenZeppelin's `Strings`, on any recipient, distributor, chain id and magic; and its memory use
/// against allocations before and after it.
contract LegacyMessageTest is Test {
    string internal constant MAGIC = "GPUnion Signed Message:\n";

    /// @dev The text as the interface defines it, spelled out the slow way.
    function _reference(address recipient, address distributor) internal view returns (string memory) {
        return
            string.concat(
                "gpufog token swap: claim to ",
                Strings.toHexString(recipient),
                " on chain ",
                Strings.toString(block.chainid),
                " via distributor ",
                Strings.toHexString(distributor)
            );
    }

    function _text(address recipient, address distributor) internal view returns (string memory) {
        (bytes32 distributor0, bytes32 distributor1) = LegacyMessage.lowerHexWords(distributor);
        return LegacyMessage.text(recipient, distributor0, distributor1);
    }

    function _hash(bytes memory magic, address recipient, address distributor) internal view returns (bytes32) {
        (bytes32 prefixWord, uint256 prefixLength) = LegacyMessage.prefix(magic);
        (bytes32 distributor0, bytes32 distributor1) = LegacyMessage.lowerHexWords(distributor);
        return LegacyMessage.hash(prefixWord, prefixLength, recipient, distributor0, distributor1);
    }

    /// @dev A magic of 1 to 31 bytes cut from any bytes, as the distributor's constructor allows.
    function _magic(bytes memory seed) internal pure returns (bytes memory magic) {
        magic = bytes.concat(seed, "m");
        uint256 length = bound(seed.length, 1, 31);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(magic, length)
        }
    }

    function test_Text_OnAKnownChainAndPair() public {
        vm.chainId(31337);
        assertEq(
            keccak256(
                bytes(_text(0x00000000000000000000000000000000000000ff, 0xABcdEFABcdEFabcdEfAbCdefabcdeFABcDEFabCD))
            ),
            keccak256(
                "gpufog token swap: claim to 0x00000000000000000000000000000000000000ff on chain 31337 via distributor 0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"
            ),
            "the text, byte for byte"
        );
    }

    function testFuzz_Text_MatchesTheReference(address recipient, address distributor, uint64 chainId) public {
        vm.chainId(chainId);
        string memory text = _text(recipient, distributor);
        assertEq(keccak256(bytes(text)), keccak256(bytes(_reference(recipient, distributor))), "the text");
        assertEq(bytes(text).length, 139 + bytes(Strings.toString(chainId)).length, "139 bytes and the digits");
    }

    function testFuzz_Hash_IsTheOldChainsSignedMessageHash(
        bytes memory seed,
        address recipient,
        address distributor,
        uint64 chainId
    ) public {
        vm.chainId(chainId);
        bytes memory magic = _magic(seed);
        bytes memory text = bytes(_reference(recipient, distributor));
        bytes32 expected = sha256(
            abi.encodePacked(sha256(abi.encodePacked(uint8(magic.length), magic, uint8(text.length), text)))
        );
        assertEq(_hash(magic, recipient, distributor), expected, "sha256d of the prefixed text");
    }

    function testFuzz_MagicOf_GivesThePrefixedMagicBack(bytes memory seed) public pure {
        bytes memory magic = _magic(seed);
        (bytes32 prefixWord, uint256 prefixLength) = LegacyMessage.prefix(magic);
        assertEq(prefixLength, magic.length + 1, "the length byte and the magic");
        assertEq(uint256(uint8(prefixWord[0])), magic.length, "the length byte first");
        string memory back = LegacyMessage.magicOf(prefixWord, prefixLength);
        assertEq(keccak256(bytes(back)), keccak256(magic), "the magic back");
        // The word after the length is what the ABI encoder returns: the magic, then zeros.
        bytes32 padded;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            padded := mload(add(back, 0x20))
        }
        assertEq(padded, bytes32(magic), "zero past the magic");
    }

    function testFuzz_LowerHexWords_AreTheAddressInLowerCaseHex(address account) public pure {
        (bytes32 head, bytes32 tail) = LegacyMessage.lowerHexWords(account);
        bytes memory prefixed = bytes(Strings.toHexString(account));
        bytes memory digits = new bytes(40);
        for (uint256 i = 0; i < 40; ++i) digits[i] = prefixed[i + 2];
        assertEq(keccak256(abi.encodePacked(head, bytes8(tail))), keccak256(digits), "the 40 digits");
    }

    function _pointer(bytes memory data) internal pure returns (uint256 ptr) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ptr := data
        }
    }

    function test_Text_KeepsMemoryAllocatedBeforeAndAfterIt() public {
        vm.chainId(type(uint64).max);
        bytes memory before = abi.encodePacked(keccak256("before"), keccak256("before, second word"));
        bytes32 beforeHash = keccak256(before);
        string memory text = _text(address(type(uint160).max), address(1));
        bytes memory afterText = abi.encodePacked(bytes32(type(uint256).max), bytes32(type(uint256).max));
        assertEq(keccak256(before), beforeHash, "what was allocated before");
        assertGe(_pointer(afterText), _pointer(bytes(text)) + 32 + bytes(text).length, "allocated past the text");
        assertEq(
            keccak256(bytes(text)),
            keccak256(bytes(_reference(address(type(uint160).max), address(1)))),
            "the text, once more was allocated after it"
        );
    }

    function test_Hash_KeepsMemoryAllocatedBeforeIt() public {
        vm.chainId(type(uint64).max);
        bytes memory before = abi.encodePacked(keccak256("before"), keccak256("before, second word"));
        bytes32 beforeHash = keccak256(before);
        _hash(bytes(MAGIC), address(type(uint160).max), address(1));
        assertEq(keccak256(before), beforeHash, "what was allocated before");
    }
}
