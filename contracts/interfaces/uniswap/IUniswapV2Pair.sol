// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Uniswap V2 pair (the subset the emission contract reads)
/// @notice The deployed pair is Uniswap's own v2-core bytecode; this declares only its views.
interface IUniswapV2Pair {
    /// @notice The pair's lower-addressed token.
    function token0() external view returns (address);

    /// @notice The pair's higher-addressed token.
    function token1() external view returns (address);

    /// @notice The reserves as of the last update and that update's timestamp (mod 2**32).
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);

    /// @notice Sum over time of `reserve1 / reserve0` as UQ112x112, wrapping mod 2**256.
    function price0CumulativeLast() external view returns (uint256);

    /// @notice Sum over time of `reserve0 / reserve1` as UQ112x112, wrapping mod 2**256.
    function price1CumulativeLast() external view returns (uint256);
}
