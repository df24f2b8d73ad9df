// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TokenSwapDistributor} from "../../contracts/TokenSwapDistributor.sol";
import {ILegacyKey} from "../../contracts/interfaces/ILegacyKey.sol";
import {ITokenSwapDistributor} from "../../contracts/interfaces/ITokenSwapDistributor.sol";
import {LegacyKey} from "../../contracts/libraries/LegacyKey.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {Test} from "../utils/Test.sol";

/// @dev The library's internal functions behind external ones, so calldata arguments can be fuzzed.
contract LegacyKeyHarness {
    function toPoint(bytes calldata pubkey) external view returns (uint256 x, uint256 y) {
        return LegacyKey.toPoint(pubkey);
    }

    function hash160(bytes calldata pubkey) external view returns (bytes20) {
        return LegacyKey.hash160(pubkey);
    }

    function recover(bytes32 hash, bytes calldata signature) external pure returns (address, bool) {
        return LegacyKey.recover(hash, signature);
    }
}

contract TokenSwapDistributorLegacyTest is Test {
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant P = LegacyKey.P;
    uint256 internal constant GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798;
    uint256 internal constant GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8;

    struct Vector {
        uint256 privateKey;
        uint256 x;
        uint256 y;
        bytes20 hash160Compressed;
        bytes20 hash160Uncompressed;
    }

    LegacyKeyHarness internal harness;
    MockERC20 internal token;

    function setUp() public {
        harness = new LegacyKeyHarness();
        token = new MockERC20("Token", "TKN", 18);
    }

    function _compressed(uint256 x, uint256 y) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(2 + (y & 1)), x);
    }

    function _uncompressed(uint256 x, uint256 y) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(4), x, y);
    }

    /// @dev Keys computed with @noble/curves (k·G, and Bitcoin's HASH160 of each form): k = 1, 2,
    /// n − 1 (G's x with the other y), and two arbitrary scalars.
    function _vector(uint256 seed) internal pure returns (Vector memory) {
        Vector[5] memory vectors = [
            Vector(
                1,
                GX,
                GY,
                hex"751e76e8199196d454941c45d1b3a323f1433bd6",
                hex"91b24bf9f5288532960ac687abb035127b1d28a5"
            ),
            Vector(
                2,
                0xc6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5,
                0x1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a,
                hex"06afd46bcdfd22ef94ac122aa11f241244a37ecc",
                hex"d6c8e828c1eca1bba065e1b83e1dc2a36e387a42"
            ),
            Vector(
                N - 1,
                GX,
                0xb7c52588d95c3b9aa25b0403f1eef75702e84bb7597aabe663b82f6f04ef2777,
                hex"adde4c73c7b9cee17da6c7b3e2b2eea1a0dcbe67",
                hex"bec08011c9e76dcc42e739a2d7752c2e3ac86e6e"
            ),
            Vector(
                0x3f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0,
                0x630c452e64a927da3658205dfa88bd80c1fe769fb1dd6d6b9bfec17122cd8913,
                0x7db0e57e267dea8da181d78ea75419fa3979c34ba6938a2c724abe42f58dd5e0,
                hex"d049cb13b0fb1615c6c2aa4341fea5b9f94b94b6",
                hex"d711e19ba1521d007efdb71bde6f66f69a144b2d"
            ),
            Vector(
                0xdeadbeef,
                0x76d2fdf1302d1fa9556f4df94ec84cefba6d482e54f47c6c2a238c1baa560f0e,
                0xb754ac7e7a3e09c44184cb451a4f5fb557f32053eb015dffebb655b5cfd54d8a,
                hex"3cb82382e846d6bbdbbf118f6e2119d84b0662fe",
                hex"c99432d583a087f51085b5a2c293cda3216884d9"
            )
        ];
        return vectors[seed % vectors.length];
    }

    function test_ToPoint_MatchesKnownVectors() public view {
        for (uint256 i = 0; i < 5; ++i) {
            Vector memory v = _vector(i);
            (uint256 x, uint256 y) = harness.toPoint(_compressed(v.x, v.y));
            assertEq(x, v.x, "x");
            assertEq(y, v.y, "y from x and the parity");
            (, y) = harness.toPoint(_uncompressed(v.x, v.y));
            assertEq(y, v.y, "uncompressed y");
            assertEq(LegacyKey.evmAddress(x, y), vm.addr(v.privateKey), "evm address");
            assertEq(
                bytes32(harness.hash160(_compressed(v.x, v.y))),
                bytes32(v.hash160Compressed),
                "hash160 compressed"
            );
            assertEq(
                bytes32(harness.hash160(_uncompressed(v.x, v.y))),
                bytes32(v.hash160Uncompressed),
                "hash160 uncompressed"
            );
            (, y) = harness.toPoint(abi.encodePacked(uint8(3 - (v.y & 1)), v.x));
            assertEq(y, P - v.y, "other prefix, other root");
        }
    }

    function testFuzz_ToPoint_AcceptsExactlyTheXOnTheCurve(uint256 x, bool odd) public view {
        bytes memory pubkey = abi.encodePacked(uint8(odd ? 3 : 2), x);
        bool onCurve = x < P && _isSquare(addmod(mulmod(mulmod(x, x, P), x, P), 7, P));
        try harness.toPoint(pubkey) returns (uint256 px, uint256 py) {
            assertTrue(onCurve, "accepted an x with no point");
            assertEq(px, x, "x");
            assertEq(mulmod(py, py, P), addmod(mulmod(mulmod(x, x, P), x, P), 7, P), "on the curve");
            assertEq(py & 1, odd ? 1 : 0, "the prefix's parity");
        } catch (bytes memory reason) {
            assertTrue(!onCurve, "refused a point on the curve");
            assertEq(
                keccak256(reason),
                keccak256(abi.encodeWithSelector(ILegacyKey.InvalidPublicKey.selector, pubkey)),
                "error"
            );
        }
    }

    function testFuzz_ToPoint_RevertsOnAnyOtherPrefix(uint8 prefix, uint256 x) public {
        vm.assume(prefix != 2 && prefix != 3);
        bytes memory pubkey = abi.encodePacked(prefix, x);
        vm.expectRevert(abi.encodeWithSelector(ILegacyKey.InvalidPublicKey.selector, pubkey));
        harness.toPoint(pubkey);
    }

    function testFuzz_Recover_GivesTheSignerAndRefusesHighS(uint256 privateKey, bytes32 digest) public view {
        privateKey = bound(privateKey, 1, N - 1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        if (uint256(s) > N / 2) {
            s = bytes32(N - uint256(s));
            v = v == 27 ? 28 : 27;
        }
        (address signer, bool compressed) = harness.recover(digest, abi.encodePacked(v + 4, r, s));
        assertEq(signer, vm.addr(privateKey), "signer");
        assertTrue(compressed, "header 31..32 is compressed");
        (, compressed) = harness.recover(digest, abi.encodePacked(v, r, s));
        assertTrue(!compressed, "header 27..28 is uncompressed");
        bytes memory high = abi.encodePacked(v == 27 ? uint8(28) : uint8(27), r, bytes32(N - uint256(s)));
        try harness.recover(digest, high) {
            assertTrue(false, "a high-s signature was accepted");
        } catch (bytes memory reason) {
            assertEq(
                keccak256(reason),
                keccak256(abi.encodeWithSelector(ILegacyKey.HighS.selector, N - uint256(s))),
                "HighS"
            );
        }
    }

    /// @dev A one-leaf tree (the root is the leaf) for a known key in a random form, signed with
    /// the VM over the distributor's own message hash, claimed to a random recipient; the other
    /// form of the key and a signature for another recipient are refused.
    function testFuzz_ClaimLegacy_PaysTheKeysSignedRecipient(uint256 seed, address recipient, bool compressed) public {
        vm.assume(recipient != address(0) && recipient != address(this));
        Vector memory v = _vector(seed);
        bytes memory pubkey = compressed ? _compressed(v.x, v.y) : _uncompressed(v.x, v.y);
        bytes20 hash160 = compressed ? v.hash160Compressed : v.hash160Uncompressed;
        TokenSwapDistributor distributor = _oneLeaf(hash160);
        bytes memory signature = _signCompact(v.privateKey, distributor.legacyMessageHash(recipient), compressed);
        _expectRefusals(distributor, v, compressed, signature);
        uint256 before = token.balanceOf(recipient);
        distributor.claimLegacy(0, hash160, 7e18, new bytes32[](0), recipient, pubkey, signature);
        assertEq(token.balanceOf(recipient) - before, 7e18, "paid the recipient");
        assertTrue(distributor.isClaimed(0), "marked");
    }

    /// @dev The other form of the same key, and the same signature for another recipient.
    function _expectRefusals(
        TokenSwapDistributor distributor,
        Vector memory v,
        bool compressed,
        bytes memory signature
    ) internal {
        bytes20 hash160 = compressed ? v.hash160Compressed : v.hash160Uncompressed;
        bytes memory otherForm = compressed ? _uncompressed(v.x, v.y) : _compressed(v.x, v.y);
        bytes20 otherHash = compressed ? v.hash160Uncompressed : v.hash160Compressed;
        vm.expectRevert(abi.encodeWithSelector(ITokenSwapDistributor.PublicKeyMismatch.selector, hash160, otherHash));
        distributor.claimLegacy(0, hash160, 7e18, new bytes32[](0), address(1), otherForm, signature);
        bytes memory pubkey = compressed ? _compressed(v.x, v.y) : _uncompressed(v.x, v.y);
        address recovered = _recover(distributor.legacyMessageHash(address(this)), signature);
        vm.expectRevert(
            abi.encodeWithSelector(ITokenSwapDistributor.SignatureMismatch.selector, vm.addr(v.privateKey), recovered)
        );
        distributor.claimLegacy(0, hash160, 7e18, new bytes32[](0), address(this), pubkey, signature);
    }

    function _oneLeaf(bytes20 hash160) internal returns (TokenSwapDistributor distributor) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(uint256(0), uint8(1), address(hash160), 7e18))));
        distributor = new TokenSwapDistributor(
            ITokenSwapDistributor.Config({
                token: token,
                merkleRoot: leaf,
                total: 7e18,
                start: uint64(block.timestamp),
                deadline: uint64(block.timestamp + 1 days),
                sweepTarget: address(this),
                topNodes: new bytes32[](0),
                legacyMagic: "GPUnion Signed Message:\n",
                legacyVersion: 38
            }),
            0,
            address(this)
        );
        token.mint(address(distributor), 7e18);
    }

    /// @dev The chain's compact form of a VM signature, normalised to low s.
    function _signCompact(uint256 privateKey, bytes32 hash, bool compressed) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, hash);
        if (uint256(s) > N / 2) {
            s = bytes32(N - uint256(s));
            v = v == 27 ? 28 : 27;
        }
        return abi.encodePacked(compressed ? v + 4 : v, r, s);
    }

    function _recover(bytes32 hash, bytes memory signature) internal pure returns (address) {
        (bytes32 r, bytes32 s) = abi.decode(_slice(signature, 1), (bytes32, bytes32));
        uint8 header = uint8(signature[0]);
        return ecrecover(hash, header > 30 ? header - 4 : header, r, s);
    }

    function _slice(bytes memory data, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(data.length - from);
        for (uint256 i = 0; i < out.length; ++i) out[i] = data[from + i];
    }

    /// @dev Euler's criterion, by square-and-multiply in Solidity (independent of the precompile).
    function _isSquare(uint256 a) internal pure returns (bool) {
        if (a == 0) return true;
        uint256 result = 1;
        uint256 base = a;
        for (uint256 e = (P - 1) / 2; e > 0; e >>= 1) {
            if (e & 1 == 1) result = mulmod(result, base, P);
            base = mulmod(base, base, P);
        }
        return result == 1;
    }
}
