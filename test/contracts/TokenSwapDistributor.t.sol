// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {TokenSwapDistributor} from "../../contracts/TokenSwapDistributor.sol";
import {ITokenSwapDistributor} from "../../contracts/interfaces/ITokenSwapDistributor.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {Test} from "../utils/Test.sol";

/// @dev An eight-leaf tree built in Solidity the way the TypeScript builder lays out a perfect
/// tree (sorted pairs, double-hashed leaves). Leaf 5 is a legacy (kind 1) leaf.
contract SmallTree {
    uint256 public constant COUNT = 8;
    uint256 public constant LEGACY_INDEX = 5;

    bytes32[8] internal _leaves;
    bytes32[4] internal _level1;
    bytes32[2] internal _level2;
    bytes32 public root;
    uint256 public total;

    constructor() {
        for (uint256 i = 0; i < COUNT; ++i) {
            (uint8 kind, address holder, uint256 amount) = leaf(i);
            _leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(i, kind, holder, amount))));
            total += amount;
        }
        for (uint256 i = 0; i < 4; ++i) _level1[i] = Hashes.commutativeKeccak256(_leaves[2 * i], _leaves[2 * i + 1]);
        for (uint256 i = 0; i < 2; ++i) _level2[i] = Hashes.commutativeKeccak256(_level1[2 * i], _level1[2 * i + 1]);
        root = Hashes.commutativeKeccak256(_level2[0], _level2[1]);
    }

    function leaf(uint256 i) public pure returns (uint8 kind, address holder, uint256 amount) {
        kind = i == LEGACY_INDEX ? 1 : 0;
        holder = address(uint160(0x1000 + i));
        amount = (i + 1) * 1e18;
    }

    function proof(uint256 i) public view returns (bytes32[] memory p) {
        p = new bytes32[](3);
        p[0] = _leaves[i ^ 1];
        p[1] = _level1[(i >> 1) ^ 1];
        p[2] = _level2[(i >> 2) ^ 1];
    }

    function innerNode() external view returns (bytes32 left, bytes32 right, bytes32[] memory p) {
        (left, right) = _leaves[0] < _leaves[1] ? (_leaves[0], _leaves[1]) : (_leaves[1], _leaves[0]);
        p = new bytes32[](2);
        p[0] = _level1[1];
        p[1] = _level2[1];
    }
}

/// @dev Random claims against the distributor: valid ones (by anyone, for the leaf's account),
/// and claims with one thing tampered (amount, account, index, a proof node, or no proof). It
/// records what was paid per index. Refusals are caught, not expected, so a distributor that
/// paid a bad claim shows up in `acceptedInvalid`, and a valid claim refused for the wrong reason
/// in `unexpectedReverts`.
contract DistributorHandler is Test {
    TokenSwapDistributor public immutable distributor;
    SmallTree public immutable tree;
    IERC20 public immutable token;

    uint256 public totalPaid;
    uint256 public paidTwice;
    uint256 public acceptedInvalid;
    uint256 public unexpectedReverts;
    uint256 public paidToSomeoneElse;
    mapping(uint256 index => uint256 times) public timesPaid;

    constructor(TokenSwapDistributor distributor_, SmallTree tree_) {
        distributor = distributor_;
        tree = tree_;
        token = distributor_.token();
    }

    function claim(uint256 seed, address sender) external {
        if (sender == address(distributor)) sender = address(this);
        uint256 index = seed % tree.COUNT();
        (uint8 kind, address holder, uint256 amount) = tree.leaf(index);
        bytes32[] memory proof = tree.proof(index);
        uint256 before = token.balanceOf(holder);
        uint256 senderBefore = token.balanceOf(sender);
        vm.prank(sender);
        try distributor.claim(index, holder, amount, proof) {
            uint256 paid = token.balanceOf(holder) - before;
            if (sender != holder && token.balanceOf(sender) != senderBefore) paidToSomeoneElse++;
            if (kind != 0) acceptedInvalid++;
            if (timesPaid[index] > 0) paidTwice++;
            timesPaid[index]++;
            totalPaid += paid;
        } catch (bytes memory reason) {
            bool expected =
                kind != 0
                    ? _is(
                        reason,
                        abi.encodeWithSelector(ITokenSwapDistributor.InvalidProof.selector, index, holder, amount)
                    )
                    : timesPaid[index] > 0 &&
                        _is(reason, abi.encodeWithSelector(ITokenSwapDistributor.AlreadyClaimed.selector, index));
            if (!expected) unexpectedReverts++;
        }
    }

    function claimTampered(uint256 seed, uint8 how, uint256 value) external {
        uint256 index = seed % tree.COUNT();
        (, address holder, uint256 amount) = tree.leaf(index);
        bytes32[] memory proof = tree.proof(index);
        how = how % 5;
        if (how == 0) amount += bound(value, 1, 1e24);
        else if (how == 1) holder = address(uint160(bound(value, 0x2000, type(uint160).max)));
        else if (how == 2) index = (index + bound(value, 1, tree.COUNT() - 1)) % tree.COUNT();
        else if (how == 3) proof[value % 3] = bytes32(uint256(proof[value % 3]) ^ (1 << (value % 256)));
        else proof = new bytes32[](0);
        try distributor.claim(index, holder, amount, proof) {
            acceptedInvalid++;
        } catch (bytes memory reason) {
            bool refused =
                _is(
                    reason,
                    abi.encodeWithSelector(ITokenSwapDistributor.InvalidProof.selector, index, holder, amount)
                ) || _is(reason, abi.encodeWithSelector(ITokenSwapDistributor.AlreadyClaimed.selector, index));
            if (!refused) unexpectedReverts++;
        }
    }

    function _is(bytes memory a, bytes memory b) private pure returns (bool) {
        return keccak256(a) == keccak256(b);
    }
}

contract TokenSwapDistributorTest is Test {
    address internal constant ADMIN = address(0xA11CE);
    address internal constant TREASURY = address(0x7EA5);
    uint64 internal constant START = 1_000_000;
    uint64 internal constant DEADLINE = START + 30 days;

    MockERC20 internal token;
    SmallTree internal tree;
    TokenSwapDistributor internal distributor;
    DistributorHandler internal handler;

    function setUp() public {
        token = new MockERC20("Token", "TKN", 18);
        tree = new SmallTree();
        distributor = new TokenSwapDistributor(_config(tree.root()), 0, ADMIN);
        token.mint(address(distributor), tree.total());
        vm.warp(START);
        handler = new DistributorHandler(distributor, tree);
        targetContract(address(handler));
    }

    function _config(bytes32 root) internal view returns (ITokenSwapDistributor.Config memory) {
        return
            ITokenSwapDistributor.Config({
                token: token,
                merkleRoot: root,
                total: tree.total(),
                start: START,
                deadline: DEADLINE,
                sweepTarget: TREASURY,
                topNodes: new bytes32[](0),
                legacyMagic: "GPUnion Signed Message:\n",
                legacyVersion: 38
            });
    }

    function test_Constructor_RevertsWhenRootIsZero() public {
        ITokenSwapDistributor.Config memory config = _config(bytes32(0));
        vm.expectRevert(ITokenSwapDistributor.ZeroRoot.selector);
        new TokenSwapDistributor(config, 0, ADMIN);
    }

    function test_Claim_PaysEveryEvmLeafOnce() public {
        for (uint256 i = 0; i < tree.COUNT(); ++i) {
            if (i == tree.LEGACY_INDEX()) continue;
            (, address holder, uint256 amount) = tree.leaf(i);
            distributor.claim(i, holder, amount, tree.proof(i));
            assertEq(token.balanceOf(holder), amount, "paid the leaf amount");
        }
        (, , uint256 legacyAmount) = tree.leaf(tree.LEGACY_INDEX());
        assertEq(token.balanceOf(address(distributor)), legacyAmount, "only the legacy leaf is left");
    }

    function test_Claim_RevertsWhenInnerNodePresentedAsLeaf() public {
        (bytes32 left, bytes32 right, bytes32[] memory proof) = tree.innerNode();
        uint256 index = uint256(left);
        address account = address(uint160(uint256(right)));
        vm.expectRevert(
            abi.encodeWithSelector(ITokenSwapDistributor.InvalidProof.selector, index, account, uint256(right))
        );
        distributor.claim(index, account, uint256(right), proof);
    }

    function testFuzz_Claim_RevertsWhenAmountWrong(uint256 seed, uint256 wrong) public {
        uint256 index = seed % tree.COUNT();
        (, address holder, uint256 amount) = tree.leaf(index);
        vm.assume(wrong != amount);
        bytes32[] memory proof = tree.proof(index);
        vm.expectRevert(abi.encodeWithSelector(ITokenSwapDistributor.InvalidProof.selector, index, holder, wrong));
        distributor.claim(index, holder, wrong, proof);
    }

    function testFuzz_Claim_RevertsWhenAccountIsNotTheLeafs(uint256 seed, address account) public {
        uint256 index = seed % tree.COUNT();
        (, address holder, uint256 amount) = tree.leaf(index);
        vm.assume(account != holder);
        bytes32[] memory proof = tree.proof(index);
        vm.expectRevert(abi.encodeWithSelector(ITokenSwapDistributor.InvalidProof.selector, index, account, amount));
        distributor.claim(index, account, amount, proof);
    }

    function testFuzz_Claim_RevertsOutsideTheWindow(uint256 when) public {
        when = when % 2 == 0 ? bound(when, 0, START - 1) : bound(when, DEADLINE, type(uint64).max);
        (, address holder, uint256 amount) = tree.leaf(0);
        bytes32[] memory proof = tree.proof(0);
        vm.warp(when);
        if (when < START) vm.expectRevert(abi.encodeWithSelector(ITokenSwapDistributor.NotStarted.selector, START));
        else vm.expectRevert(abi.encodeWithSelector(ITokenSwapDistributor.DeadlinePassed.selector, DEADLINE));
        distributor.claim(0, holder, amount, proof);
    }

    function invariant_TotalPaidNeverExceedsTreeTotal() public view {
        assertLe(handler.totalPaid(), tree.total(), "paid <= tree total");
        assertEq(token.balanceOf(address(distributor)) + handler.totalPaid(), tree.total(), "balance + paid = total");
    }

    function invariant_NoIndexPaidTwice() public view {
        assertEq(handler.paidTwice(), 0, "an index paid twice");
        for (uint256 i = 0; i < tree.COUNT(); ++i) {
            assertLe(handler.timesPaid(i), 1, "times paid");
            assertTrue(distributor.isClaimed(i) == (handler.timesPaid(i) == 1), "isClaimed matches what was paid");
        }
    }

    function invariant_InvalidClaimsNeverPay() public view {
        assertEq(handler.acceptedInvalid(), 0, "a tampered or legacy claim paid");
        assertTrue(!distributor.isClaimed(tree.LEGACY_INDEX()), "legacy leaf paid by claim");
    }

    function invariant_OnlyLeafAccountsGetTokens() public view {
        assertEq(handler.paidToSomeoneElse(), 0, "a non-holder was paid");
    }

    function invariant_ValidClaimsRefusedOnlyWhenAlreadyPaid() public view {
        assertEq(handler.unexpectedReverts(), 0, "unexpected revert");
    }
}
