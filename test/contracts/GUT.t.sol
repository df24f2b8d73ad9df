// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GUT} from "../../contracts/GUT.sol";
import {IGUT} from "../../contracts/interfaces/IGUT.sol";
import {Test} from "../utils/Test.sol";

/// @dev Drives GUT with random mints (some past the cap), burns and transfers, and keeps ghost
/// totals the invariants compare against. Refused mints are caught rather than expected, so a
/// token that wrongly accepted one would break the supply invariants.
contract GUTHandler is Test {
    GUT public immutable gut;
    address public immutable minter;
    address[3] internal _holders = [address(0xA11CE), address(0xB0B), address(0xCA401)];

    uint256 public ghostMinted;
    uint256 public ghostBurned;
    uint256 public refusedMints;
    uint256 public unexpectedReverts;

    constructor(GUT gut_, address minter_) {
        gut = gut_;
        minter = minter_;
    }

    function mint(uint256 holderSeed, uint256 amount) external {
        amount = bound(amount, 0, gut.CAP());
        address to = _holders[holderSeed % 3];
        uint256 left = gut.mintable();
        vm.prank(minter);
        try gut.mint(to, amount) {
            ghostMinted += amount;
        } catch (bytes memory reason) {
            bytes memory expected = abi.encodeWithSelector(IGUT.CapExceeded.selector, amount, left);
            if (amount > left && keccak256(reason) == keccak256(expected)) refusedMints++;
            else unexpectedReverts++;
        }
    }

    function burn(uint256 holderSeed, uint256 amount) external {
        address from = _holders[holderSeed % 3];
        amount = bound(amount, 0, gut.balanceOf(from));
        vm.prank(from);
        gut.burn(amount);
        ghostBurned += amount;
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _holders[fromSeed % 3];
        amount = bound(amount, 0, gut.balanceOf(from));
        vm.prank(from);
        gut.transfer(_holders[toSeed % 3], amount);
    }
}

contract GUTTest is Test {
    address internal constant ADMIN = address(0xAD);
    address internal constant TREASURY = address(0x7EA);
    address internal constant MINTER = address(0x1111);

    GUT internal gut;
    GUTHandler internal handler;

    function setUp() public {
        gut = new GUT(0, ADMIN, TREASURY);
        bytes32 minterRole = gut.MINTER_ROLE();
        vm.prank(ADMIN);
        gut.grantRole(minterRole, MINTER);
        handler = new GUTHandler(gut, MINTER);
        targetContract(address(handler));
    }

    function testFuzz_Constructor_MintsExactPremine(address treasury, uint48 delay) public {
        vm.assume(treasury != address(0));
        GUT fresh = new GUT(delay, ADMIN, treasury);
        assertEq(fresh.balanceOf(treasury), fresh.PREMINE(), "treasury balance");
        assertEq(fresh.totalSupply(), fresh.PREMINE(), "supply");
        assertEq(fresh.totalMinted(), fresh.PREMINE(), "minted");
        assertEq(fresh.PREMINE() * 100, fresh.CAP() * 5, "premine is 5 % of the cap");
    }

    function testFuzz_Mint_NeverPastCap(uint256 first, uint256 second) public {
        first = bound(first, 0, gut.mintable());
        vm.startPrank(MINTER);
        gut.mint(TREASURY, first);
        uint256 left = gut.mintable();
        second = bound(second, left + 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IGUT.CapExceeded.selector, second, left));
        gut.mint(TREASURY, second);
        vm.stopPrank();
        assertLe(gut.totalSupply(), gut.CAP(), "supply within cap");
    }

    function test_Mint_RevertsWhenBurnedSupplyWouldBeReminted() public {
        uint256 all = gut.mintable();
        vm.prank(MINTER);
        gut.mint(TREASURY, all);
        vm.prank(TREASURY);
        gut.burn(1e18);
        vm.prank(MINTER);
        vm.expectRevert(abi.encodeWithSelector(IGUT.CapExceeded.selector, 1e18, 0));
        gut.mint(TREASURY, 1e18);
    }

    function invariant_SupplyNeverExceedsCap() public view {
        assertLe(gut.totalSupply(), gut.CAP(), "totalSupply <= CAP");
        assertLe(gut.totalMinted(), gut.CAP(), "totalMinted <= CAP");
    }

    function invariant_MintsRefusedOnlyPastCap() public view {
        assertEq(handler.unexpectedReverts(), 0, "mints refused for another reason");
    }

    function invariant_PremineAndMintsAccountForSupply() public view {
        assertEq(gut.totalMinted(), gut.PREMINE() + handler.ghostMinted(), "minted = premine + mints");
        assertEq(gut.totalSupply(), gut.totalMinted() - handler.ghostBurned(), "supply = minted - burned");
    }
}
