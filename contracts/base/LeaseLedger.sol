// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IFeeCollector} from "../interfaces/IFeeCollector.sol";
import {ILeaseEscrow} from "../interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {LeaseMath} from "../libraries/LeaseMath.sol";
import {LeaseEscrowSettings} from "./LeaseEscrowSettings.sol";

/// @title LeaseLedger
/// @notice The escrow's books and the moves every entry point is made of: creating and settling
/// leases, starting and ending reservations, and moving tokens in and out. {LeaseEscrow} is the
/// external side, which checks its callers and composes these.
abstract contract LeaseLedger is LeaseEscrowSettings {
    using SafeERC20 for IERC20;

    /// @inheritdoc ILeaseEscrow
    uint256 public leaseCount;
    /// @inheritdoc ILeaseEscrow
    uint256 public reservationCount;
    /// @inheritdoc ILeaseEscrow
    mapping(uint256 nodeId => uint256 reservationId) public reservationOf;
    /// @inheritdoc ILeaseEscrow
    mapping(address account => mapping(address token => uint256 amount)) public owed;
    /// @inheritdoc ILeaseEscrow
    mapping(uint256 leaseId => uint256 fee) public forwardedFee;

    mapping(uint256 leaseId => Lease) internal _leases;
    mapping(uint256 reservationId => Reservation) internal _reservations;

    /// @dev Opens a lease that starts now, paid from `deposit`, already held by the escrow.
    function _createLease(
        uint64 nodeId,
        address customer,
        address provider,
        address token,
        uint96 rate,
        uint16 feeBps,
        uint96 deposit
    ) internal returns (uint256 leaseId) {
        leaseId = ++leaseCount;
        _leases[leaseId] = Lease({
            provider: provider,
            deposit: deposit,
            paid: 0,
            withdrawn: 0,
            start: uint40(block.timestamp),
            feeBps: feeBps,
            status: LeaseStatus.Open,
            token: token,
            rate: rate,
            customer: customer,
            nodeId: nodeId
        });
        emit LeaseOpened(leaseId, nodeId, customer, provider, token, rate, deposit);
    }

    /// @dev The caller has checked that `msg.sender` is the reservation's customer.
    function _startReservedLease(uint256 reservationId, uint256 extra) internal returns (uint256 leaseId) {
        Reservation storage r = _pendingReservation(reservationId);
        if (block.timestamp < r.start || block.timestamp > r.deadline) {
            revert OutsideWindow(reservationId, r.start, r.deadline);
        }
        (uint64 nodeId, address token, address provider, uint96 fee) = (r.nodeId, r.token, r.provider, r.fee);
        r.status = ReservationStatus.Started;
        delete reservationOf[nodeId];
        uint16 feeBps = r.feeBps;
        uint96 deposit = _amount(uint256(r.deposit - fee) + _amount(extra));
        leaseId = _createLease(nodeId, msg.sender, provider, token, r.rate, feeBps, deposit);
        uint256 feeLeaseId = _bookFee(nodeId, msg.sender, provider, token, feeBps, fee);
        emit ReservationEnded(reservationId, ReservationStatus.Started, msg.sender, fee, 0, leaseId, feeLeaseId);
        registry.startLease(nodeId);
        if (extra != 0) _pull(token, extra);
    }

    function _endReservation(
        uint256 reservationId,
        Reservation storage r,
        ReservationStatus status,
        bool forfeited
    ) internal {
        uint96 fee = forfeited ? 0 : r.fee;
        uint96 refund = r.deposit - fee;
        (uint64 nodeId, address customer, address token) = (r.nodeId, r.customer, r.token);
        r.status = status;
        delete reservationOf[nodeId];
        uint256 feeLeaseId = _bookFee(nodeId, customer, r.provider, token, r.feeBps, fee);
        emit ReservationEnded(reservationId, status, msg.sender, fee, refund, 0, feeLeaseId);
        registry.release(nodeId);
        _push(token, customer, refund);
    }

    /// @dev Books a reservation fee as a closed lease whose whole deposit is paid: the provider
    /// withdraws it, and its protocol fee is forwarded, exactly like any lease's earnings.
    function _bookFee(
        uint64 nodeId,
        address customer,
        address provider,
        address token,
        uint16 feeBps,
        uint96 fee
    ) private returns (uint256 leaseId) {
        if (fee == 0) return 0;
        leaseId = ++leaseCount;
        _leases[leaseId] = Lease({
            provider: provider,
            deposit: fee,
            paid: fee,
            withdrawn: 0,
            start: uint40(block.timestamp),
            feeBps: feeBps,
            status: LeaseStatus.Closed,
            token: token,
            rate: 0,
            customer: customer,
            nodeId: nodeId
        });
    }

    /// @dev A provider failed its reservation if its node went down (offline, or stale) before
    /// the deadline, the end of what it had to hold. A node the escrow holds cannot reconnect,
    /// so a node down at any moment since the reservation is still Disconnect now, and
    /// `downSince` dates it: a node that went offline and came back in one block has failed too.
    function _failed(Reservation storage r, IProviderRegistry.LeaseTerms memory t) internal view returns (bool) {
        return t.status == IProviderRegistry.Status.Disconnect && t.downSince < r.deadline;
    }

    /// @dev Brings `paid` up to what the lease owes at `min(now, lastHeartbeat)`.
    function _settle(uint256 leaseId, Lease storage lease_, uint40 lastHeartbeat) internal returns (uint96 paid) {
        paid = uint96(LeaseMath.owedAt(lease_.rate, lease_.start, _paidUntil(lastHeartbeat), lease_.deposit));
        if (paid != lease_.paid) {
            lease_.paid = paid;
            emit LeaseSettled(leaseId, paid);
        }
    }

    /// @dev Sends one token's withdrawal; the protocol fee stays until `forwardFees`.
    function _payOut(address provider, address token, uint256 gross, uint256 fee) internal {
        if (gross == 0) return;
        emit Withdrawn(provider, token, gross - fee, fee);
        IERC20(token).safeTransfer(provider, gross - fee);
    }

    /// @dev Sends one provider's fees in one token to the collector, then reports them, in the
    /// same transaction as IFeeCollector requires.
    function _forward(address provider, address token, uint256 fee) internal {
        if (fee == 0) return;
        address collector = feeCollector;
        emit FeesForwarded(provider, token, collector, fee);
        IERC20(token).safeTransfer(collector, fee);
        IFeeCollector(collector).recordFee(provider, token, fee);
    }

    /// @dev Pays a party other than the caller. A failed transfer (a blacklisted or reverting
    /// receiver) must not block the caller, so the amount becomes claimable instead.
    function _push(address token, address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!IERC20(token).trySafeTransfer(to, amount)) {
            owed[to][token] += amount;
            emit PaymentDeferred(to, token, amount);
        }
    }

    /// @dev Takes `amount` from the caller and refuses a token that delivers anything else.
    function _pull(address token, uint256 amount) internal {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TransferMismatch(token, amount, received);
    }

    function _openLease(uint256 leaseId) internal view returns (Lease storage lease_) {
        lease_ = _leases[leaseId];
        if (lease_.status != LeaseStatus.Open) revert InvalidLeaseStatus(leaseId, lease_.status);
    }

    function _pendingReservation(uint256 reservationId) internal view returns (Reservation storage r) {
        r = _reservations[reservationId];
        if (r.status != ReservationStatus.Pending) revert InvalidReservationStatus(reservationId, r.status);
    }

    function _paidUntil(uint40 lastHeartbeat) internal view returns (uint256) {
        return block.timestamp < lastHeartbeat ? block.timestamp : lastHeartbeat;
    }

    function _rate(uint256 nodeId, IProviderRegistry.LeaseTerms memory t) internal pure returns (uint96) {
        uint256 rate = t.pricePerTuHour > type(uint96).max ? type(uint256).max : t.pricePerTuHour * t.milliTu;
        if (rate > type(uint96).max) revert RateTooHigh(nodeId, t.pricePerTuHour, t.milliTu);
        return uint96(rate);
    }

    function _amount(uint256 amount) internal pure returns (uint96) {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        return uint96(amount);
    }

    function _nodeId64(uint256 nodeId) internal pure returns (uint64) {
        if (nodeId > type(uint64).max) revert NodeIdTooLarge(nodeId);
        return uint64(nodeId);
    }
}
