// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleCalldata} from "contracts/libraries/MerkleCalldata.sol";

/// @title The least a distributor with TokenSwapDistributor's tree can do per claim
/// @notice A measuring stick for `npm run bench -- claim`, never deployed anywhere else: the
/// "minimal distributor" of issue 16. The same double-hashed leaf `(index, kind 0, account,
/// amount)`, the same proof loop (`MerkleCalldata`), the same bitmap, the same `Claimed` event
/// and a plain `transfer` whose result is checked, compiled the same way (the IR pipeline); the
/// 8-node level three below the root, compared without branches. No pause, no activation, no
/// window, no roles, no legacy path.
contract MinimalDistributor {
    event Claimed(uint256 index);

    address private immutable _token;
    bytes32 private immutable _root;
    bytes32 private immutable _top0;
    bytes32 private immutable _top1;
    bytes32 private immutable _top2;
    bytes32 private immutable _top3;
    bytes32 private immutable _top4;
    bytes32 private immutable _top5;
    bytes32 private immutable _top6;
    bytes32 private immutable _top7;

    mapping(uint256 word => uint256 bits) private _claimedBitmap;

    /// @param token The token paid out.
    /// @param root The Merkle root.
    /// @param top Eight nodes of one level (a smaller level repeats its first node).
    constructor(address token, bytes32 root, bytes32[8] memory top) {
        _token = token;
        _root = root;
        (_top0, _top1, _top2, _top3) = (top[0], top[1], top[2], top[3]);
        (_top4, _top5, _top6, _top7) = (top[4], top[5], top[6], top[7]);
    }

    /// @notice Pays an EVM leaf; reverts with no reason on anything wrong.
    function claim(uint256 index, address account, uint256 amount, bytes32[] calldata proof) external {
        uint256 slot;
        uint256 bits;
        uint256 bit;
        bytes32 leaf;
        // solhint-disable-next-line no-inline-assembly
        assembly {
            mstore(0x00, shr(8, index))
            mstore(0x20, _claimedBitmap.slot)
            slot := keccak256(0x00, 0x40)
            bits := sload(slot)
            bit := shl(and(index, 0xff), 1)
            if and(bits, bit) {
                revert(0, 0)
            }
            let m := mload(0x40)
            mstore(m, index)
            mstore(add(m, 0x20), 0)
            mstore(add(m, 0x40), account)
            mstore(add(m, 0x60), amount)
            mstore(0x00, keccak256(m, 0x80))
            leaf := keccak256(0x00, 0x20)
        }
        if (!_isTop(MerkleCalldata.processProof(proof, leaf))) revert();
        address token = _token;
        // solhint-disable-next-line no-inline-assembly
        assembly {
            sstore(slot, or(bits, bit))
            mstore(0x00, index)
            log1(0x00, 0x20, 0x7a355715549cfe7c1cba26304350343fbddc4b4f72d3ce3e7c27117dd20b5cb8)
            let m := mload(0x40)
            mstore(m, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x04), account)
            mstore(add(m, 0x24), amount)
            // `transfer(account, amount)` must return true.
            if iszero(and(eq(mload(0x00), 1), call(gas(), token, 0, m, 0x44, 0x00, 0x20))) {
                revert(0, 0)
            }
        }
    }

    function _isTop(bytes32 node) private view returns (bool found) {
        (bytes32 t0, bytes32 t1, bytes32 t2, bytes32 t3) = (_top0, _top1, _top2, _top3);
        (bytes32 t4, bytes32 t5, bytes32 t6, bytes32 t7) = (_top4, _top5, _top6, _top7);
        bytes32 root = _root;
        // solhint-disable-next-line no-inline-assembly
        assembly {
            found := or(
                or(or(eq(node, t0), eq(node, t1)), or(eq(node, t2), eq(node, t3))),
                or(or(or(eq(node, t4), eq(node, t5)), or(eq(node, t6), eq(node, t7))), eq(node, root))
            )
        }
    }
}
