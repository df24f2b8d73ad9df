// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ILeaseEscrow} from "../interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/// @title LeaseEscrowSettings
/// @notice The escrow's admin side: the registry it leases from, the payment tokens it accepts
/// with their protocol fees, the fee collector, the reservation terms, the session terms (quote
/// age, collect and accept windows) and the pause switch. See {LeaseEscrow}.
abstract contract LeaseEscrowSettings is ILeaseEscrow, AccessControlDefaultAdminRules, Pausable {
    /// @inheritdoc ILeaseEscrow
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint16 internal constant _MAX_FEE_BPS = 2_000;
    uint16 internal constant _MAX_RESERVATION_FEE_BPS = 5_000;
    uint40 internal constant _MAX_GRACE = 1 days;
    uint40 internal constant _MIN_QUOTE_AGE = 1 minutes;
    uint40 internal constant _MAX_QUOTE_AGE = 1 hours;
    uint40 internal constant _MIN_COLLECT_WINDOW = 10 minutes;
    uint40 internal constant _MAX_COLLECT_WINDOW = 1 days;
    uint40 internal constant _MIN_ACCEPT_WINDOW = 1 minutes;
    uint40 internal constant _MAX_ACCEPT_WINDOW = 1 hours;

    /// @inheritdoc ILeaseEscrow
    IProviderRegistry public immutable registry;
    /// @dev The registry's stake token (GUT): the only token reservations are paid in, so that a
    /// failed reservation's penalty, taken from the stake, is the fee itself.
    address internal immutable _stakeToken;
    /// @inheritdoc ILeaseEscrow
    address public feeCollector;
    /// @inheritdoc ILeaseEscrow
    uint16 public reservationFeeBps;
    /// @inheritdoc ILeaseEscrow
    uint40 public reservationGrace;
    /// @inheritdoc ILeaseEscrow
    uint40 public maxQuoteAge;
    /// @inheritdoc ILeaseEscrow
    uint40 public collectWindow;
    /// @inheritdoc ILeaseEscrow
    uint40 public acceptWindow;

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
        uint40 reservationGrace_,
        SessionTerms memory session
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (address(registry_) == address(0)) revert ZeroAddress("registry");
        registry = registry_;
        _stakeToken = address(registry_.gut());
        _setFeeCollector(feeCollector_);
        _setPaymentToken(gut, true, gutFeeBps);
        _setReservationTerms(reservationFeeBps_, reservationGrace_);
        _setSessionTerms(session.maxQuoteAge, session.collectWindow, session.acceptWindow);
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
    function setSessionTerms(
        uint40 maxQuoteAge_,
        uint40 collectWindow_,
        uint40 acceptWindow_
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSessionTerms(maxQuoteAge_, collectWindow_, acceptWindow_);
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
        if (feeBps > _MAX_FEE_BPS) revert ParameterOutOfRange("feeBps", feeBps, 0, _MAX_FEE_BPS);
        _tokens[token] = TokenConfig({allowed: allowed, feeBps: feeBps});
        emit PaymentTokenSet(token, allowed, feeBps);
    }

    function _setFeeCollector(address collector) private {
        if (collector == address(0)) revert ZeroAddress("feeCollector");
        feeCollector = collector;
        emit FeeCollectorSet(collector);
    }

    function _setReservationTerms(uint16 feeBps, uint40 grace) private {
        if (feeBps > _MAX_RESERVATION_FEE_BPS) {
            revert ParameterOutOfRange("reservationFeeBps", feeBps, 0, _MAX_RESERVATION_FEE_BPS);
        }
        if (grace > _MAX_GRACE) revert ParameterOutOfRange("reservationGrace", grace, 0, _MAX_GRACE);
        reservationFeeBps = feeBps;
        reservationGrace = grace;
        emit ReservationTermsSet(feeBps, grace);
    }

    function _setSessionTerms(uint40 maxQuoteAge_, uint40 collectWindow_, uint40 acceptWindow_) private {
        if (maxQuoteAge_ < _MIN_QUOTE_AGE || maxQuoteAge_ > _MAX_QUOTE_AGE) {
            revert ParameterOutOfRange("maxQuoteAge", maxQuoteAge_, _MIN_QUOTE_AGE, _MAX_QUOTE_AGE);
        }
        if (collectWindow_ < _MIN_COLLECT_WINDOW || collectWindow_ > _MAX_COLLECT_WINDOW) {
            revert ParameterOutOfRange("collectWindow", collectWindow_, _MIN_COLLECT_WINDOW, _MAX_COLLECT_WINDOW);
        }
        if (acceptWindow_ < _MIN_ACCEPT_WINDOW || acceptWindow_ > _MAX_ACCEPT_WINDOW) {
            revert ParameterOutOfRange("acceptWindow", acceptWindow_, _MIN_ACCEPT_WINDOW, _MAX_ACCEPT_WINDOW);
        }
        maxQuoteAge = maxQuoteAge_;
        collectWindow = collectWindow_;
        acceptWindow = acceptWindow_;
        emit SessionTermsSet(maxQuoteAge_, collectWindow_, acceptWindow_);
    }
}
