// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TFT} from "../../contracts/TFT.sol";
import {ITFT} from "../../contracts/interfaces/ITFT.sol";
import {Test} from "../utils/Test.sol";

/// @dev Drives TFT with random burns (some past the floor), burnFroms and transfers. It records
/// the supply before every call so the invariant can check that it never rose. Refused burns are
/// caught rather than expected, so a token that wrongly accepted one would show up in the supply
/// invariants, and a refusal for any other reason shows up in `unexpectedReverts`.
contract TFTHandler is Test {
    TFT public immutable tft;
    address[3] internal _holders;

    uint256 public supplyBeforeLastCall;
    uint256 public refusedBurns;
    uint256 public unexpectedReverts;

    constructor(TFT tft_, address a, address b, address c) {
        tft = tft_;
        _holders = [a, b, c];
        supplyBeforeLastCall = tft_.totalSupply();
    }

    function burn(uint256 holderSeed, uint256 amount) external {
        supplyBeforeLastCall = tft.totalSupply();
        address from = _holders[holderSeed % 3];
        amount = bound(amount, 0, tft.balanceOf(from));
        uint256 left = tft.burnable();
        vm.prank(from);
        try tft.burn(amount) {} catch (bytes memory reason) {
            _recordRefusal(reason, amount, left);
        }
    }

    function burnFrom(uint256 ownerSeed, uint256 spenderSeed, uint256 amount) external {
        supplyBeforeLastCall = tft.totalSupply();
        address owner = _holders[ownerSeed % 3];
        address spender = _holders[spenderSeed % 3];
        amount = bound(amount, 0, tft.balanceOf(owner));
        vm.prank(owner);
        tft.approve(spender, amount);
        uint256 left = tft.burnable();
        vm.prank(spender);
        try tft.burnFrom(owner, amount) {} catch (bytes memory reason) {
            _recordRefusal(reason, amount, left);
        }
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        supplyBeforeLastCall = tft.totalSupply();
        address from = _holders[fromSeed % 3];
        amount = bound(amount, 0, tft.balanceOf(from));
        vm.prank(from);
        tft.transfer(_holders[toSeed % 3], amount);
    }

    function _recordRefusal(bytes memory reason, uint256 amount, uint256 left) internal {
        bytes memory expected = abi.encodeWithSelector(ITFT.BurnBelowFloor.selector, amount, left);
        if (amount > left && keccak256(reason) == keccak256(expected)) refusedBurns++;
        else unexpectedReverts++;
    }
}

contract TFTTest is Test {
    address internal constant CIRCULATING = address(0xC1C);
    address internal constant RESERVE = address(0x5E5E);
    address internal constant OTHER = address(0x0E1);

    TFT internal tft;
    TFTHandler internal handler;

    function setUp() public {
        tft = new TFT(CIRCULATING, 650_000_000e18, RESERVE);
        handler = new TFTHandler(tft, CIRCULATING, RESERVE, OTHER);
        targetContract(address(handler));
    }

    function testFuzz_Constructor_MintsWholeSupplyOnce(uint256 circulating) public {
        circulating = bound(circulating, 0, 1_000_000_000e18);
        TFT fresh = new TFT(CIRCULATING, circulating, RESERVE);
        assertEq(fresh.totalSupply(), fresh.INITIAL_SUPPLY(), "supply");
        assertEq(fresh.balanceOf(CIRCULATING), circulating, "circulating");
        assertEq(fresh.balanceOf(RESERVE), fresh.INITIAL_SUPPLY() - circulating, "reserve");
        assertEq(fresh.reserveAllocation(), fresh.INITIAL_SUPPLY() - circulating, "reserve view");
    }

    function testFuzz_Burn_StopsExactlyAtFloor(uint256 amount) public {
        uint256 floor = tft.SUPPLY_FLOOR();
        uint256 reserve = tft.balanceOf(RESERVE);
        vm.prank(RESERVE);
        tft.transfer(CIRCULATING, reserve);
        amount = bound(amount, 0, tft.burnable());
        vm.startPrank(CIRCULATING);
        tft.burn(amount);
        uint256 left = tft.burnable();
        tft.burn(left);
        assertEq(tft.totalSupply(), floor, "supply at floor");
        vm.expectRevert(abi.encodeWithSelector(ITFT.BurnBelowFloor.selector, 1, 0));
        tft.burn(1);
        vm.stopPrank();
    }

    function invariant_SupplyNeverBelowFloor() public view {
        assertGe(tft.totalSupply(), tft.SUPPLY_FLOOR(), "totalSupply >= floor");
    }

    function invariant_BurnsRefusedOnlyBelowFloor() public view {
        assertEq(handler.unexpectedReverts(), 0, "burns refused for another reason");
    }

    function invariant_SupplyNeverRises() public view {
        assertLe(tft.totalSupply(), handler.supplyBeforeLastCall(), "supply rose in a call");
        assertLe(tft.totalSupply(), tft.INITIAL_SUPPLY(), "supply above initial");
    }
}
