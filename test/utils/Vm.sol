// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The subset of the Foundry cheatcodes that Hardhat's Solidity test runner implements
/// and this project uses. The npm `forge-std` package is broken (see TOOLCHAIN.md), and a small
/// interface to the cheatcode address is all a test needs.
interface Vm {
    function addr(uint256 privateKey) external pure returns (address);
    function assume(bool condition) external pure;
    function chainId(uint256 newChainId) external;
    function deal(address account, uint256 newBalance) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function label(address account, string calldata newLabel) external;
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function prank(address msgSender) external;
    function readFile(string calldata path) external view returns (string memory);
    function roll(uint256 newHeight) external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function toString(uint256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
    function warp(uint256 newTimestamp) external;
}
