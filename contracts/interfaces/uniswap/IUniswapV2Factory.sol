// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Uniswap V2 factory (the subset the emission contract reads)
interface IUniswapV2Factory {
    /// @notice The pair of `tokenA` and `tokenB` (in either order), or zero if none exists.
    function getPair(address tokenA, address tokenB) external view returns (address pair);
}
