// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Uniswap V2 Router02 (the subset the emission contract calls)
interface IUniswapV2Router02 {
    /// @notice The factory whose pairs the router trades on.
    function factory() external view returns (address);

    /// @notice Swaps exactly `amountIn` of `path[0]` along `path`, reverting unless at least
    /// `amountOutMin` of the last token reaches `to` by `deadline`.
    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        address[] calldata path,
        address to,
        uint256 deadline
    ) external returns (uint256[] memory amounts);
}
