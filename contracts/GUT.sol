// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {IGUT} from "./interfaces/IGUT.sol";

/// @title GUT
/// @notice GPUnion Token. See {IGUT}.
contract GUT is ERC20, ERC20Permit, ERC20Burnable, AccessControlDefaultAdminRules, IGUT {
    /// @inheritdoc IGUT
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @inheritdoc IGUT
    uint256 public constant CAP = 1_002_000_000e18;

    /// @inheritdoc IGUT
    uint256 public constant PREMINE = 50_100_000e18;

    /// @inheritdoc IGUT
    address public immutable treasury;

    /// @inheritdoc IGUT
    uint256 public totalMinted;

    /// @param adminDelay The delay of a default-admin transfer (two steps, see OpenZeppelin's
    /// AccessControlDefaultAdminRules).
    /// @param admin The default admin: a multisig or timelock on real networks.
    /// @param treasury_ The operating-expense treasury that receives the premine.
    constructor(
        uint48 adminDelay,
        address admin,
        address treasury_
    ) ERC20("GPUnion Token", "GUT") ERC20Permit("GPUnion Token") AccessControlDefaultAdminRules(adminDelay, admin) {
        if (treasury_ == address(0)) revert ZeroAddress("treasury");
        treasury = treasury_;
        totalMinted = PREMINE;
        _mint(treasury_, PREMINE);
    }

    /// @inheritdoc IGUT
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        uint256 left = CAP - totalMinted;
        if (amount > left) revert CapExceeded(amount, left);
        totalMinted += amount;
        _mint(to, amount);
        emit Minted(msg.sender, to, amount);
    }

    /// @inheritdoc IGUT
    function mintable() external view returns (uint256) {
        return CAP - totalMinted;
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }
}
