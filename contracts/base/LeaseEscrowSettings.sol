// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ILeaseEscrow} from "../interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/// @title LeaseEscrowSettings
/// @notice The escrow's admin side: the registry it leases from, the payment tokens it accepts
/// with their protocol fees, the fee collector, the reservation terms and
/// the pause switch. See {LeaseEscrow}.
abstract contract LeaseEscrowSettings is ILeaseEscrow, AccessControlDefaultAdminRules, Pausable {
    /// @inheritdoc ILeaseEscrow
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc ILeaseEscrow
    uint16 public constant MAX_FEE_BPS = 2_000;
    /// @inheritdoc ILeaseEscrow
    uint16 public constant MAX_RESERVATION_FEE_BPS = 5_000;
    /// @inheritdoc ILeaseEscrow
    uint40 public constant MAX_GRACE = 1 days;

    /// @inheritdoc ILeaseEscrow
    IProviderRegistry public immutable registry;
    /// @inheritdoc ILeaseEscrow
    address public feeCollector;
    /// @inheritdoc ILeaseEscrow
    uint16 public reservationFeeBps;
    /// @inheritdoc ILeaseEscrow
    uint40 public reservationGrace;

    mapping(address token => TokenConfig) internal _tokens;

    /// @dev Checks and sets every setting through the same setters the admin functions use; GUT
    /// is allowed from the start.
    constructor(
        uint48 adminDelay,
        address admin,
        IProviderRegistry registry_,
        address feeCollector_,
        address gut,
        uint16 gutFeeBps,
        uint16 reservationFeeBps_,
        uint40 reservationGrace_
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (address(registry_) == address(0)) revert ZeroAddress("registry");
        registry = registry_;
        _setFeeCollector(feeCollector_);
        _setPaymentToken(gut, true, gutFeeBps);
        _setReservationTerms(reservationFeeBps_, reservationGrace_);
    }

    // ---------------------------------------------------------------- admin

    /// @inheritdoc ILeaseEscrow
    function setPaymentToken(address token, bool allowed, uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPaymentToken(token, allowed, feeBps);
    }

    /// @inheritdoc ILeaseEscrow
    function setFeeCollector(address collector) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFeeCollector(collector);
    }

    /// @inheritdoc ILeaseEscrow
    function setReservationTerms(uint16 feeBps, uint40 grace) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setReservationTerms(feeBps, grace);
    }

    /// @inheritdoc ILeaseEscrow
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ILeaseEscrow
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc ILeaseEscrow
    function paymentToken(address token) external view returns (TokenConfig memory) {
        return _tokens[token];
    }

    // ---------------------------------------------------------------- internals

    function _setPaymentToken(address token, bool allowed, uint16 feeBps) private {
        if (token == address(0)) revert ZeroAddress("token");
        if (feeBps > MAX_FEE_BPS) revert ParameterOutOfRange("feeBps", feeBps, 0, MAX_FEE_BPS);
        _tokens[token] = TokenConfig({allowed: allowed, feeBps: feeBps});
        emit PaymentTokenSet(token, allowed, feeBps);
    }

    function _setFeeCollector(address collector) private {
        if (collector == address(0)) revert ZeroAddress("feeCollector");
        feeCollector = collector;
        emit FeeCollectorSet(collector);
    }

    function _setReservationTerms(uint16 feeBps, uint40 grace) private {
        if (feeBps > MAX_RESERVATION_FEE_BPS) {
            revert ParameterOutOfRange("reservationFeeBps", feeBps, 0, MAX_RESERVATION_FEE_BPS);
        }
        if (grace > MAX_GRACE) revert ParameterOutOfRange("reservationGrace", grace, 0, MAX_GRACE);
        reservationFeeBps = feeBps;
        reservationGrace = grace;
        emit ReservationTermsSet(feeBps, grace);
    }
}
