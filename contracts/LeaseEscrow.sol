// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {LeaseEscrowSettings} from "./base/LeaseEscrowSettings.sol";
import {IFeeCollector} from "./interfaces/IFeeCollector.sol";
import {ILeaseEscrow} from "./interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {LeaseMath} from "./libraries/LeaseMath.sol";

/// @title Lease escrow
/// @notice Pay-per-second GPU leases on registry nodes. See {ILeaseEscrow}.
contract LeaseEscrow is LeaseEscrowSettings, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc ILeaseEscrow
    uint40 public constant MAX_RESERVE_AHEAD = 7 days;
    /// @inheritdoc ILeaseEscrow
    uint40 public constant MAX_RESERVATION_DURATION = 30 days;

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

    /// @param adminDelay The delay of a default-admin transfer (see AccessControlDefaultAdminRules).
    /// @param admin The default admin: a multisig or timelock on real networks.
    /// @param registry_ The provider registry, which must grant this contract its `ESCROW_ROLE`.
    /// @param feeCollector_ Where protocol fees go.
    /// @param gut GUT, allowlisted from the start.
    /// @param gutFeeBps GUT's protocol fee.
    /// @param reservationFeeBps_ The reservation fee, in bps of a window's cost.
    /// @param reservationGrace_ How long after its start a reservation can still be started.
    constructor(
        uint48 adminDelay,
        address admin,
        IProviderRegistry registry_,
        address feeCollector_,
        address gut,
        uint16 gutFeeBps,
        uint16 reservationFeeBps_,
        uint40 reservationGrace_
    )
        LeaseEscrowSettings(
            adminDelay,
            admin,
            registry_,
            feeCollector_,
            gut,
            gutFeeBps,
            reservationFeeBps_,
            reservationGrace_
        )
    {}

    // ---------------------------------------------------------------- leases

    /// @inheritdoc ILeaseEscrow
    function openLease(
        uint256 nodeId,
        uint256 deposit,
        uint256 maxPricePerTuHour
    ) external nonReentrant whenNotPaused returns (uint256) {
        IProviderRegistry.LeaseTerms memory t = registry.sync(nodeId);
        if (t.pricePerTuHour > maxPricePerTuHour) revert PriceAboveBound(nodeId, t.pricePerTuHour, maxPricePerTuHour);
        if (t.status == IProviderRegistry.Status.Reserved) {
            uint256 reservationId = reservationOf[nodeId];
            if (_reservations[reservationId].customer != msg.sender) revert NodeReserved(nodeId, reservationId);
            return _startReservedLease(reservationId, deposit);
        }
        if (t.status != IProviderRegistry.Status.Idle) revert NodeNotAvailable(nodeId, t.status);
        TokenConfig memory config = _tokens[t.paymentToken];
        if (!config.allowed) revert TokenNotAllowed(t.paymentToken);
        if (deposit == 0) revert ZeroAmount();
        uint256 leaseId = _createLease(
            _nodeId64(nodeId),
            msg.sender,
            t.provider,
            t.paymentToken,
            _rate(nodeId, t),
            config.feeBps,
            _amount(deposit)
        );
        registry.startLease(nodeId);
        _pull(t.paymentToken, deposit);
        return leaseId;
    }

    /// @inheritdoc ILeaseEscrow
    function topUp(uint256 leaseId, uint256 amount) external nonReentrant {
        Lease storage lease_ = _openLease(leaseId);
        if (amount == 0) revert ZeroAmount();
        uint96 deposit = lease_.deposit;
        if (_settle(leaseId, lease_, registry.syncHeartbeat(lease_.nodeId)) == deposit) revert LeaseDrained(leaseId);
        lease_.deposit = _amount(uint256(deposit) + _amount(amount));
        emit ToppedUp(leaseId, msg.sender, amount);
        _pull(lease_.token, amount);
    }

    /// @inheritdoc ILeaseEscrow
    function settle(uint256 leaseId) external nonReentrant returns (uint256) {
        Lease storage lease_ = _leases[leaseId];
        if (lease_.status == LeaseStatus.Closed) return lease_.paid;
        _openLease(leaseId);
        return _settle(leaseId, lease_, registry.syncHeartbeat(lease_.nodeId));
    }

    /// @inheritdoc ILeaseEscrow
    function withdraw(uint256[] calldata leaseIds) external nonReentrant {
        _withdraw(msg.sender, leaseIds);
    }

    /// @inheritdoc ILeaseEscrow
    function withdrawFor(address provider, uint256[] calldata leaseIds) external nonReentrant {
        if (msg.sender != registry.operatorOf(provider)) revert NotOperator(provider, msg.sender);
        _withdraw(provider, leaseIds);
    }

    /// @inheritdoc ILeaseEscrow
    function forwardFees(uint256[] calldata leaseIds) external nonReentrant {
        address provider;
        address token;
        uint256 fee;
        for (uint256 i = 0; i < leaseIds.length; ++i) {
            uint256 leaseId = leaseIds[i];
            Lease storage lease_ = _leases[leaseId];
            uint256 due = LeaseMath.share(lease_.withdrawn, lease_.feeBps);
            uint256 forwarded = forwardedFee[leaseId];
            if (due == forwarded) continue;
            forwardedFee[leaseId] = due;
            (address leaseProvider, address leaseToken) = (lease_.provider, lease_.token);
            if (leaseProvider != provider || leaseToken != token) {
                _forward(provider, token, fee);
                (provider, token, fee) = (leaseProvider, leaseToken, 0);
            }
            fee += due - forwarded;
        }
        _forward(provider, token, fee);
    }

    /// @inheritdoc ILeaseEscrow
    function closeLease(uint256 leaseId) external nonReentrant {
        Lease storage lease_ = _openLease(leaseId);
        uint256 nodeId = lease_.nodeId;
        IProviderRegistry.LeaseTerms memory t = registry.sync(nodeId);
        uint96 paid = _settle(leaseId, lease_, t.lastHeartbeat);
        uint96 refund = lease_.deposit - paid;
        bool down = t.status == IProviderRegistry.Status.Disconnect;
        address customer = lease_.customer;
        if (msg.sender != customer && msg.sender != lease_.provider && refund != 0 && !down) {
            revert CloseNotAllowed(leaseId, msg.sender);
        }
        lease_.status = LeaseStatus.Closed;
        // Only a node that was alive during the lease failed it: one already silent when the
        // lease opened costs the customer nothing (it accrued nothing) and must not be a way to
        // farm slashes. A lease takes at most what it put at stake, its deposit, so dust leases
        // cannot farm a stake either. The slash comes before the release, while the node is
        // still engaged.
        uint256 slashed =
            down && !(t.lastHeartbeat < lease_.start) ? registry.slash(nodeId, customer, lease_.deposit) : 0;
        emit LeaseClosed(leaseId, msg.sender, paid, refund, slashed);
        registry.release(nodeId);
        _push(lease_.token, customer, refund);
    }

    // ---------------------------------------------------------------- reservations

    /// @inheritdoc ILeaseEscrow
    function reserve(
        uint256 nodeId,
        uint256 start,
        uint256 duration,
        uint256 deposit,
        uint256 maxPricePerTuHour
    ) external nonReentrant whenNotPaused returns (uint256 reservationId) {
        if (
            start < block.timestamp ||
            start > block.timestamp + MAX_RESERVE_AHEAD ||
            duration == 0 ||
            duration > MAX_RESERVATION_DURATION
        ) revert InvalidWindow(start, duration);
        IProviderRegistry.LeaseTerms memory t = registry.sync(nodeId);
        if (t.pricePerTuHour > maxPricePerTuHour) revert PriceAboveBound(nodeId, t.pricePerTuHour, maxPricePerTuHour);
        if (t.status != IProviderRegistry.Status.Idle) revert NodeNotAvailable(nodeId, t.status);
        TokenConfig memory config = _tokens[t.paymentToken];
        if (!config.allowed) revert TokenNotAllowed(t.paymentToken);
        uint96 rate = _rate(nodeId, t);
        // The fee prices the whole hold, from now to the end of the window: a window far ahead
        // keeps the node from other customers all that time, and must cost in proportion.
        uint256 held = start + duration - block.timestamp;
        uint256 fee = LeaseMath.share(LeaseMath.cost(rate, held), reservationFeeBps);
        if (!(deposit > fee)) revert DepositBelowFee(deposit, fee);
        reservationId = ++reservationCount;
        uint40 deadline = uint40(start) + reservationGrace;
        _reservations[reservationId] = Reservation({
            customer: msg.sender,
            start: uint40(start),
            deadline: deadline,
            status: ReservationStatus.Pending,
            provider: t.provider,
            deposit: _amount(deposit),
            token: t.paymentToken,
            rate: rate,
            nodeId: _nodeId64(nodeId),
            fee: uint96(fee),
            feeBps: config.feeBps
        });
        reservationOf[nodeId] = reservationId;
        emit Reserved(reservationId, nodeId, msg.sender, uint40(start), deadline, uint96(deposit), uint96(fee));
        registry.holdForReservation(nodeId);
        _pull(t.paymentToken, deposit);
    }

    /// @inheritdoc ILeaseEscrow
    function startReserved(uint256 reservationId) external nonReentrant returns (uint256) {
        Reservation storage r = _pendingReservation(reservationId);
        if (r.customer != msg.sender) revert NotReservationParty(reservationId, msg.sender);
        // A node that went stale while reserved has failed the reservation; it must not start a
        // lease and earn the fee.
        uint256 nodeId = r.nodeId;
        IProviderRegistry.LeaseTerms memory t = registry.sync(nodeId);
        if (t.status != IProviderRegistry.Status.Reserved) revert NodeNotAvailable(nodeId, t.status);
        return _startReservedLease(reservationId, 0);
    }

    /// @inheritdoc ILeaseEscrow
    function cancelReservation(uint256 reservationId) external nonReentrant {
        Reservation storage r = _pendingReservation(reservationId);
        bool byProvider = msg.sender == r.provider;
        if (!byProvider && msg.sender != r.customer) revert NotReservationParty(reservationId, msg.sender);
        IProviderRegistry.LeaseTerms memory t = registry.sync(r.nodeId);
        _endReservation(reservationId, r, ReservationStatus.Cancelled, byProvider || _failed(r, t));
    }

    /// @inheritdoc ILeaseEscrow
    function expireReservation(uint256 reservationId) external nonReentrant {
        Reservation storage r = _pendingReservation(reservationId);
        IProviderRegistry.LeaseTerms memory t = registry.sync(r.nodeId);
        if (t.status != IProviderRegistry.Status.Disconnect && !(block.timestamp > r.deadline)) {
            revert ReservationNotExpired(reservationId, r.deadline);
        }
        _endReservation(reservationId, r, ReservationStatus.Expired, _failed(r, t));
    }

    // ---------------------------------------------------------------- claims

    /// @inheritdoc ILeaseEscrow
    function claim(address token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress("to");
        uint256 amount = owed[msg.sender][token];
        if (amount == 0) revert NothingToClaim(msg.sender, token);
        owed[msg.sender][token] = 0;
        emit Claimed(msg.sender, token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Settles `provider`'s leases and pays their new earnings, less the fee, to `provider`.
    function _withdraw(address provider, uint256[] calldata leaseIds) private {
        address token;
        uint256 gross;
        uint256 fee;
        for (uint256 i = 0; i < leaseIds.length; ++i) {
            uint256 leaseId = leaseIds[i];
            Lease storage lease_ = _leases[leaseId];
            if (lease_.provider != provider) revert NotProvider(leaseId, msg.sender);
            uint96 paid =
                lease_.status == LeaseStatus.Open
                    ? _settle(leaseId, lease_, registry.syncHeartbeat(lease_.nodeId))
                    : lease_.paid;
            uint96 withdrawn = lease_.withdrawn;
            if (paid == withdrawn) continue;
            lease_.withdrawn = paid;
            address leaseToken = lease_.token;
            if (leaseToken != token) {
                _payOut(provider, token, gross, fee);
                (token, gross, fee) = (leaseToken, 0, 0);
            }
            gross += paid - withdrawn;
            fee += LeaseMath.share(paid, lease_.feeBps) - LeaseMath.share(withdrawn, lease_.feeBps);
        }
        _payOut(provider, token, gross, fee);
    }

    /// @dev Opens a lease that starts now, paid from `deposit`, already held by the escrow.
    function _createLease(
        uint64 nodeId,
        address customer,
        address provider,
        address token,
        uint96 rate,
        uint16 feeBps,
        uint96 deposit
    ) private returns (uint256 leaseId) {
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
    function _startReservedLease(uint256 reservationId, uint256 extra) private returns (uint256 leaseId) {
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
    ) private {
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
    function _failed(Reservation storage r, IProviderRegistry.LeaseTerms memory t) private view returns (bool) {
        return t.status == IProviderRegistry.Status.Disconnect && t.downSince < r.deadline;
    }

    /// @dev Brings `paid` up to what the lease owes at `min(now, lastHeartbeat)`.
    function _settle(uint256 leaseId, Lease storage lease_, uint40 lastHeartbeat) private returns (uint96 paid) {
        paid = uint96(LeaseMath.owedAt(lease_.rate, lease_.start, _paidUntil(lastHeartbeat), lease_.deposit));
        if (paid != lease_.paid) {
            lease_.paid = paid;
            emit LeaseSettled(leaseId, paid);
        }
    }

    /// @dev Sends one token's withdrawal; the protocol fee stays until `forwardFees`.
    function _payOut(address provider, address token, uint256 gross, uint256 fee) private {
        if (gross == 0) return;
        emit Withdrawn(provider, token, gross - fee, fee);
        IERC20(token).safeTransfer(provider, gross - fee);
    }

    /// @dev Sends one provider's fees in one token to the collector, then reports them, in the
    /// same transaction as IFeeCollector requires.
    function _forward(address provider, address token, uint256 fee) private {
        if (fee == 0) return;
        address collector = feeCollector;
        emit FeesForwarded(provider, token, collector, fee);
        IERC20(token).safeTransfer(collector, fee);
        IFeeCollector(collector).recordFee(provider, token, fee);
    }

    /// @dev Pays a party other than the caller. A failed transfer (a blacklisted or reverting
    /// receiver) must not block the caller, so the amount becomes claimable instead.
    function _push(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        if (!IERC20(token).trySafeTransfer(to, amount)) {
            owed[to][token] += amount;
            emit PaymentDeferred(to, token, amount);
        }
    }

    /// @dev Takes `amount` from the caller and refuses a token that delivers anything else.
    function _pull(address token, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TransferMismatch(token, amount, received);
    }

    function _openLease(uint256 leaseId) private view returns (Lease storage lease_) {
        lease_ = _leases[leaseId];
        if (lease_.status != LeaseStatus.Open) revert InvalidLeaseStatus(leaseId, lease_.status);
    }

    function _pendingReservation(uint256 reservationId) private view returns (Reservation storage r) {
        r = _reservations[reservationId];
        if (r.status != ReservationStatus.Pending) revert InvalidReservationStatus(reservationId, r.status);
    }

    function _paidUntil(uint40 lastHeartbeat) private view returns (uint256) {
        return block.timestamp < lastHeartbeat ? block.timestamp : lastHeartbeat;
    }

    function _rate(uint256 nodeId, IProviderRegistry.LeaseTerms memory t) private pure returns (uint96) {
        uint256 rate = t.pricePerTuHour > type(uint96).max ? type(uint256).max : t.pricePerTuHour * t.milliTu;
        if (rate > type(uint96).max) revert RateTooHigh(nodeId, t.pricePerTuHour, t.milliTu);
        return uint96(rate);
    }

    function _amount(uint256 amount) private pure returns (uint96) {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        return uint96(amount);
    }

    function _nodeId64(uint256 nodeId) private pure returns (uint64) {
        if (nodeId > type(uint64).max) revert NodeIdTooLarge(nodeId);
        return uint64(nodeId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ILeaseEscrow
    function lease(uint256 leaseId) external view returns (Lease memory) {
        return _leases[leaseId];
    }

    /// @inheritdoc ILeaseEscrow
    function reservation(uint256 reservationId) external view returns (Reservation memory) {
        return _reservations[reservationId];
    }

    /// @inheritdoc ILeaseEscrow
    function accrued(uint256 leaseId) external view returns (uint256 paid, uint256 remaining) {
        Lease storage lease_ = _leases[leaseId];
        paid = lease_.paid;
        if (lease_.status == LeaseStatus.Open) {
            uint256 until = _paidUntil(registry.leaseTerms(lease_.nodeId).lastHeartbeat);
            paid = LeaseMath.owedAt(lease_.rate, lease_.start, until, lease_.deposit);
        }
        remaining = lease_.status == LeaseStatus.Open ? lease_.deposit - paid : 0;
    }
}
