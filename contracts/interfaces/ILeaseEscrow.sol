// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "./IProviderRegistry.sol";

/// @title Lease escrow
/// @notice Customers pay for GPU time on registry nodes by the second, from a deposit in an
/// allowlisted token; providers withdraw what their leases earned less a protocol fee, which goes
/// to the fee collector (the buyback-and-burn emission contract), reported with its provider.
/// Reservations hold a node for a future window against a fee.
/// @dev Money rules, all exact integer arithmetic:
/// - A lease's `rate` is `pricePerTuHour × milliTu`, snapshotted at open. What it owes the
///   provider at time `t` is `min(deposit, rate × (t − start) / 3_600_000)`, always computed from
///   the lease start and rounded down, so settling any number of times pays exactly what settling
///   once would. The fraction of a token unit lost to rounding (under one unit per lease) stays
///   in the deposit and is refunded to the customer at close.
/// - Settlement stops at `min(now, lastHeartbeat)`: a provider is never paid for time after its
///   node's last heartbeat, so an open lease's earnings lag by at most one heartbeat interval.
///   A node that went Disconnect keeps its last heartbeat frozen while engaged, and the lease is
///   paid up to it only.
/// - The protocol fee is `feeBps` (snapshotted at open) of what the provider withdraws, computed
///   on the lease's cumulative withdrawals and rounded down, so the total fee of a lease is
///   exactly `withdrawn × feeBps / 10_000` however many withdrawals it took; the dust goes to the
///   provider. The fee stays in the escrow, booked to its lease, until anyone calls
///   `forwardFees`, which transfers it to the fee collector and reports it with its provider in
///   the same transaction. Keeping the collector out of `withdraw` means a collector that reverts
///   can never block a provider's withdrawal. The collector books each fee by provider, epoch and
///   token, so fees in different tokens need no weights.
/// - A reservation fee the provider earns is booked as a closed lease whose whole deposit is
///   paid: the provider withdraws it, and its protocol fee is forwarded, like any earnings.
/// - Refunds to a customer are pushed, and if the transfer fails (a blacklisting token, a
///   reverting receiver) the amount is owed instead, for the customer to `claim` to any address.
///   Providers are only ever paid by their own `withdraw`. A transfer that fails for one party
///   thus never blocks another party's close, refund or withdrawal.
interface ILeaseEscrow {
    /// @notice A lease's status. `None` means the lease does not exist.
    enum LeaseStatus {
        None,
        Open,
        Closed
    }

    /// @notice A reservation's status. `None` means the reservation does not exist.
    enum ReservationStatus {
        None,
        Pending,
        Started,
        Cancelled,
        Expired
    }

    /// @notice An allowlisted payment token's terms.
    /// @param allowed Whether new leases and reservations may use the token.
    /// @param feeBps The protocol fee on providers' earnings, in basis points.
    struct TokenConfig {
        bool allowed;
        uint16 feeBps;
    }

    /// @notice A lease. Amounts are in `token` units.
    /// @param provider The node's owner, who earns from the lease.
    /// @param deposit Everything deposited: the opening deposit plus top-ups.
    /// @param paid What the lease has settled to the provider so far (cumulative, ≤ deposit).
    /// @param withdrawn What the provider has withdrawn of `paid`, protocol fee included.
    /// @param start When the lease opened; accrual runs from here.
    /// @param feeBps The protocol fee, snapshotted at open.
    /// @param status The lease's status.
    /// @param token The payment token, snapshotted at open.
    /// @param rate `pricePerTuHour × milliTu`, snapshotted at open: the lease costs
    /// `rate / 3_600_000` per second.
    /// @param customer Who opened the lease and receives the refund.
    /// @param nodeId The leased node.
    struct Lease {
        address provider;
        uint96 deposit;
        uint96 paid;
        uint96 withdrawn;
        uint40 start;
        uint16 feeBps;
        LeaseStatus status;
        address token;
        uint96 rate;
        address customer;
        uint64 nodeId;
    }

    /// @notice A reservation of a node for a future window.
    /// @param customer Who reserved, and the only one who may start a lease on the node.
    /// @param start When the window starts.
    /// @param deadline `start + grace`: the last moment the customer may start the lease.
    /// @param status The reservation's status.
    /// @param provider The node's owner.
    /// @param deposit The customer's deposit, which becomes the lease's (less the fee).
    /// @param token The payment token, snapshotted at reservation.
    /// @param rate `pricePerTuHour × milliTu`, snapshotted at reservation.
    /// @param nodeId The reserved node.
    /// @param fee The reservation fee: `reservationFeeBps` of the window's cost.
    /// @param feeBps The protocol fee on the reservation fee and the lease, snapshotted.
    struct Reservation {
        address customer;
        uint40 start;
        uint40 deadline;
        ReservationStatus status;
        address provider;
        uint96 deposit;
        address token;
        uint96 rate;
        uint64 nodeId;
        uint96 fee;
        uint16 feeBps;
    }

    /// @notice A constructor or function argument that must be a real address was zero.
    /// @param field The name of the argument.
    error ZeroAddress(string field);

    /// @notice The token is not on the allowlist.
    /// @param token The token.
    error TokenNotAllowed(address token);

    /// @notice A parameter outside its bounds.
    /// @param name The parameter: "feeBps", "reservationFeeBps" or "reservationGrace".
    /// @param value The value given.
    /// @param min The smallest value accepted.
    /// @param max The largest value accepted.
    error ParameterOutOfRange(string name, uint256 value, uint256 min, uint256 max);

    /// @notice An amount that must be positive was zero.
    error ZeroAmount();

    /// @notice A deposit, or a deposit after a top-up, does not fit the escrow's 96-bit amounts.
    /// @param amount The amount.
    /// @param max The largest allowed.
    error AmountTooLarge(uint256 amount, uint256 max);

    /// @notice The token delivered a different amount than it was asked to move (a
    /// fee-on-transfer or otherwise non-standard token).
    /// @param token The token.
    /// @param expected The amount the escrow asked for.
    /// @param received The escrow's balance change.
    error TransferMismatch(address token, uint256 expected, uint256 received);

    /// @notice The node's price times its rating does not fit the escrow's 96-bit rate.
    /// @param nodeId The node.
    /// @param pricePerTuHour The node's price.
    /// @param milliTu The node's rating.
    error RateTooHigh(uint256 nodeId, uint256 pricePerTuHour, uint32 milliTu);

    /// @notice A node id that does not fit the escrow's 64-bit node ids.
    /// @param nodeId The node id.
    error NodeIdTooLarge(uint256 nodeId);

    /// @notice The node is not in a status that allows the call.
    /// @param nodeId The node.
    /// @param status Its current status.
    error NodeNotAvailable(uint256 nodeId, IProviderRegistry.Status status);

    /// @notice The lease is not in the status the call needs.
    /// @param leaseId The lease.
    /// @param status Its current status.
    error InvalidLeaseStatus(uint256 leaseId, LeaseStatus status);

    /// @notice The reservation is not in the status the call needs.
    /// @param reservationId The reservation.
    /// @param status Its current status.
    error InvalidReservationStatus(uint256 reservationId, ReservationStatus status);

    /// @notice The caller may not close this lease: it is neither the customer nor the provider,
    /// the deposit is not drained and the node is not Disconnect.
    /// @param leaseId The lease.
    /// @param caller The caller.
    error CloseNotAllowed(uint256 leaseId, address caller);

    /// @notice The caller is not the lease's provider.
    /// @param leaseId The lease.
    /// @param caller The caller.
    error NotProvider(uint256 leaseId, address caller);

    /// @notice The caller is not the operator `provider` named in the registry.
    /// @param provider The provider.
    /// @param caller The caller.
    error NotOperator(address provider, address caller);

    /// @notice The caller is neither the reservation's customer nor, where allowed, its provider.
    /// @param reservationId The reservation.
    /// @param caller The caller.
    error NotReservationParty(uint256 reservationId, address caller);

    /// @notice The lease's deposit is used up: it can only be closed.
    /// @param leaseId The lease.
    error LeaseDrained(uint256 leaseId);

    /// @notice The node is reserved, and the caller is not its customer.
    /// @param nodeId The node.
    /// @param reservationId The reservation holding it.
    error NodeReserved(uint256 nodeId, uint256 reservationId);

    /// @notice The reservation's lease can only start inside `[start, deadline]`.
    /// @param reservationId The reservation.
    /// @param start When the window starts.
    /// @param deadline The last moment to start.
    error OutsideWindow(uint256 reservationId, uint40 start, uint40 deadline);

    /// @notice A reservation window that starts in the past, too far ahead, or has a length
    /// outside `[1, MAX_RESERVATION_DURATION]`.
    /// @param start The requested start.
    /// @param duration The requested length, in seconds.
    error InvalidWindow(uint256 start, uint256 duration);

    /// @notice The node's price is above the bound the customer accepted: it changed after the
    /// customer was shown it (a provider's `update` ahead of the customer's transaction).
    /// @param nodeId The node.
    /// @param pricePerTuHour The node's price now.
    /// @param maxPricePerTuHour The customer's bound.
    error PriceAboveBound(uint256 nodeId, uint256 pricePerTuHour, uint256 maxPricePerTuHour);

    /// @notice The reservation deposit does not cover more than the reservation fee.
    /// @param deposit The deposit.
    /// @param fee The reservation fee.
    error DepositBelowFee(uint256 deposit, uint256 fee);

    /// @notice The reservation cannot expire yet: its node is up and the grace has not passed.
    /// @param reservationId The reservation.
    /// @param deadline The last moment to start its lease.
    error ReservationNotExpired(uint256 reservationId, uint40 deadline);

    /// @notice The account is owed nothing in this token.
    /// @param account The account.
    /// @param token The token.
    error NothingToClaim(address account, address token);

    /// @notice Emitted when the admin adds, changes or removes a payment token.
    /// @param token The token.
    /// @param allowed Whether new leases may use it.
    /// @param feeBps Its protocol fee for new leases.
    event PaymentTokenSet(address indexed token, bool allowed, uint16 feeBps);

    /// @notice Emitted when the admin sets the fee collector.
    /// @param collector The new fee collector.
    event FeeCollectorSet(address indexed collector);

    /// @notice Emitted when the admin sets the reservation terms for new reservations.
    /// @param feeBps The reservation fee, in basis points of the window's cost.
    /// @param grace How long after its start a reservation can still be started, in seconds.
    event ReservationTermsSet(uint16 feeBps, uint40 grace);

    /// @notice Emitted when a lease opens.
    /// @param leaseId The new lease.
    /// @param nodeId The node.
    /// @param customer The customer.
    /// @param provider The node's provider.
    /// @param token The payment token.
    /// @param rate `pricePerTuHour × milliTu`.
    /// @param deposit The opening deposit.
    event LeaseOpened(
        uint256 indexed leaseId,
        uint256 indexed nodeId,
        address indexed customer,
        address provider,
        address token,
        uint96 rate,
        uint96 deposit
    );

    /// @notice Emitted when anyone adds to a lease's deposit.
    /// @param leaseId The lease.
    /// @param from Who paid.
    /// @param amount The amount added.
    event ToppedUp(uint256 indexed leaseId, address indexed from, uint256 amount);

    /// @notice Emitted when a settlement moves more of the deposit to the provider.
    /// @param leaseId The lease.
    /// @param paid The lease's cumulative settled amount.
    event LeaseSettled(uint256 indexed leaseId, uint96 paid);

    /// @notice Emitted when a lease closes.
    /// @param leaseId The lease.
    /// @param closedBy Who closed it.
    /// @param paid What the provider earned over the whole lease.
    /// @param refund What went back (or is owed) to the customer.
    /// @param slashed The provider's stake paid to the customer because the node went Disconnect.
    event LeaseClosed(uint256 indexed leaseId, address indexed closedBy, uint96 paid, uint96 refund, uint256 slashed);

    /// @notice Emitted when a provider withdraws earnings in one token.
    /// @param provider The provider.
    /// @param token The token.
    /// @param amount What the provider received.
    /// @param fee The protocol fee kept for the fee collector.
    event Withdrawn(address indexed provider, address indexed token, uint256 amount, uint256 fee);

    /// @notice Emitted when protocol fees go to the fee collector.
    /// @param provider The provider whose leases paid them.
    /// @param token The token.
    /// @param collector The fee collector.
    /// @param fee The amount transferred.
    event FeesForwarded(address indexed provider, address indexed token, address indexed collector, uint256 fee);

    /// @notice Emitted when a customer reserves a node.
    /// @param reservationId The new reservation.
    /// @param nodeId The node.
    /// @param customer The customer.
    /// @param start When the window starts.
    /// @param deadline The last moment to start the lease.
    /// @param deposit The deposit.
    /// @param fee The reservation fee the provider earns for holding the node.
    event Reserved(
        uint256 indexed reservationId,
        uint256 indexed nodeId,
        address indexed customer,
        uint40 start,
        uint40 deadline,
        uint96 deposit,
        uint96 fee
    );

    /// @notice Emitted when a reservation ends: started as a lease, cancelled or expired.
    /// @param reservationId The reservation.
    /// @param status How it ended.
    /// @param by Who ended it.
    /// @param feePaid The reservation fee the provider earned (zero if forfeited).
    /// @param refund What went back (or is owed) to the customer; zero when started.
    /// @param leaseId The lease it became, or zero.
    /// @param feeLeaseId The closed lease booking the fee for the provider, or zero.
    event ReservationEnded(
        uint256 indexed reservationId,
        ReservationStatus status,
        address indexed by,
        uint96 feePaid,
        uint96 refund,
        uint256 indexed leaseId,
        uint256 feeLeaseId
    );

    /// @notice Emitted when a transfer to a payee failed and the amount is owed instead.
    /// @param account The payee.
    /// @param token The token.
    /// @param amount The amount now claimable.
    event PaymentDeferred(address indexed account, address indexed token, uint256 amount);

    /// @notice Emitted when an account claims what it is owed.
    /// @param account The payee.
    /// @param token The token.
    /// @param to Where the tokens went.
    /// @param amount The amount.
    event Claimed(address indexed account, address indexed token, address to, uint256 amount);

    /// @notice The role that may pause and unpause opening and reserving.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice The hard maximum of a token's protocol fee: 2,000 bps (20 %).
    function MAX_FEE_BPS() external view returns (uint16);

    /// @notice The hard maximum of the reservation fee: 5,000 bps (50 %) of the window's cost.
    function MAX_RESERVATION_FEE_BPS() external view returns (uint16);

    /// @notice The longest reservation grace period: one day.
    function MAX_GRACE() external view returns (uint40);

    /// @notice How far ahead a window may start: 7 days.
    function MAX_RESERVE_AHEAD() external view returns (uint40);

    /// @notice The longest reservation window: 30 days.
    function MAX_RESERVATION_DURATION() external view returns (uint40);

    /// @notice The provider registry whose nodes the escrow leases.
    function registry() external view returns (IProviderRegistry);

    /// @notice Where protocol fees go, each reported with its provider.
    function feeCollector() external view returns (address);

    /// @notice The reservation fee for new reservations, in bps of the window's cost.
    function reservationFeeBps() external view returns (uint16);

    /// @notice How long after its start a new reservation can still be started, in seconds.
    function reservationGrace() external view returns (uint40);

    /// @notice The number of leases ever opened; lease ids run from 1 to this.
    function leaseCount() external view returns (uint256);

    /// @notice The number of reservations ever made; reservation ids run from 1 to this.
    function reservationCount() external view returns (uint256);

    /// @notice A payment token's terms (all zero for a token never configured).
    /// @param token The token.
    function paymentToken(address token) external view returns (TokenConfig memory);

    /// @notice A lease (all zero for an id never used).
    /// @param leaseId The lease.
    function lease(uint256 leaseId) external view returns (Lease memory);

    /// @notice A reservation (all zero for an id never used).
    /// @param reservationId The reservation.
    function reservation(uint256 reservationId) external view returns (Reservation memory);

    /// @notice The pending reservation holding a node, or zero.
    /// @param nodeId The node.
    function reservationOf(uint256 nodeId) external view returns (uint256);

    /// @notice What an account can `claim` in a token: refunds whose transfer failed.
    /// @param account The payee.
    /// @param token The token.
    function owed(address account, address token) external view returns (uint256);

    /// @notice The protocol fee of a lease already sent to the fee collector. What is left to
    /// forward is `withdrawn × feeBps / 10_000` minus this.
    /// @param leaseId The lease.
    function forwardedFee(uint256 leaseId) external view returns (uint256);

    /// @notice What settling the lease now would give: the cumulative amount paid to the
    /// provider and the deposit left. A closed lease reports its final figures.
    /// @param leaseId The lease.
    /// @return paid The cumulative amount settled to the provider.
    /// @return remaining The deposit not yet settled.
    function accrued(uint256 leaseId) external view returns (uint256 paid, uint256 remaining);

    /// @notice Sets a payment token's terms. A token removed from the allowlist (`allowed`
    /// false) takes no new leases or reservations; open ones keep the terms they started with.
    /// @dev Only the default admin. Reverts with `ParameterOutOfRange` over `MAX_FEE_BPS`.
    /// @param token The token.
    /// @param allowed Whether new leases may use it.
    /// @param feeBps Its protocol fee for new leases.
    function setPaymentToken(address token, bool allowed, uint16 feeBps) external;

    /// @notice Sets the fee collector.
    /// @dev Only the default admin. Reverts with `ZeroAddress` for the zero address.
    /// @param collector The new fee collector.
    function setFeeCollector(address collector) external;

    /// @notice Sets the reservation fee and grace period for new reservations.
    /// @dev Only the default admin. Reverts with `ParameterOutOfRange` over `MAX_RESERVATION_FEE_BPS` or `MAX_GRACE`.
    /// @param feeBps The reservation fee, in bps of the window's cost.
    /// @param grace The grace period, in seconds.
    function setReservationTerms(uint16 feeBps, uint40 grace) external;

    /// @notice Stops new leases and reservations. Everything else keeps working.
    /// @dev Only `PAUSER_ROLE`.
    function pause() external;

    /// @notice Lets new leases and reservations in again.
    /// @dev Only `PAUSER_ROLE`.
    function unpause() external;

    /// @notice Opens a lease on an Idle node at its current price and token, or starts the
    /// caller's reservation of a Reserved node inside its window with `deposit` added to it.
    /// The caller must have approved `deposit` of the node's payment token.
    /// @dev Reverts when paused, when the token is not allowed (Idle node), when the node is
    /// reserved by someone else or outside the window, with `PriceAboveBound` when the node's
    /// price is above `maxPricePerTuHour`, or with `NodeNotAvailable` otherwise (a stale node
    /// is marked Disconnect first).
    /// @param nodeId The node.
    /// @param deposit The deposit; may be zero only when starting a reservation.
    /// @param maxPricePerTuHour The highest price per TU-hour the customer accepts: the price it
    /// was shown. A node's TU is fixed at registration, so this bounds the rate too.
    /// @return leaseId The new lease.
    function openLease(uint256 nodeId, uint256 deposit, uint256 maxPricePerTuHour) external returns (uint256 leaseId);

    /// @notice Adds to an open lease's deposit. Anyone may pay.
    /// @dev Reverts with `LeaseDrained` once the deposit is used up: a drained lease can only be
    /// closed, so that a late top-up never pays for time nobody funded.
    /// @param leaseId The lease.
    /// @param amount The amount, approved by the caller.
    function topUp(uint256 leaseId, uint256 amount) external;

    /// @notice Moves what the lease owes the provider so far from the deposit to the provider's
    /// earnings. Anyone may call it; calling it again changes nothing until time and heartbeats
    /// move on. A closed lease is final and returns its paid amount.
    /// @param leaseId The lease.
    /// @return paid The lease's cumulative settled amount.
    function settle(uint256 leaseId) external returns (uint256 paid);

    /// @notice Settles the caller's leases and pays their unwithdrawn earnings less the protocol
    /// fee, which stays booked to each lease until `forwardFees`. Leases may be open or closed
    /// (including reservation-fee leases), in any tokens; consecutive leases in the same token are
    /// paid in one transfer.
    /// @dev Reverts with `NotProvider` if any lease is not the caller's.
    /// @param leaseIds The leases.
    function withdraw(uint256[] calldata leaseIds) external;

    /// @notice `withdraw` for `provider`, sent by the operator the provider named in the registry
    /// (its hot key): the earnings are paid to `provider`, never to the operator.
    /// @dev Reverts with `NotOperator` unless the caller is `registry.operatorOf(provider)`, and
    /// with `NotProvider` if any lease is not `provider`'s.
    /// @param provider The provider.
    /// @param leaseIds The leases.
    function withdrawFor(address provider, uint256[] calldata leaseIds) external;

    /// @notice Sends the withdrawn leases' protocol fees to the fee collector and reports each
    /// with its provider, transfer first and report second, in this transaction. Anyone may
    /// call it (a keeper, or a provider who wants its fees booked); leases with nothing to
    /// forward are skipped. Consecutive leases of the same provider and token are forwarded in
    /// one transfer and one report.
    /// @param leaseIds The leases.
    function forwardFees(uint256[] calldata leaseIds) external;

    /// @notice Settles a lease, refunds the rest of the deposit to the customer and returns the
    /// node to Idle. A stale node is marked Disconnect first. A Disconnect node stays
    /// Disconnect, and if it sent a heartbeat during the lease (it dropped out mid-lease rather
    /// than being dead before it opened), its provider's stake is slashed to the customer, at
    /// most the lease's deposit. The customer or the provider may close at any time; anyone may
    /// once the deposit is drained or the node is Disconnect.
    /// @param leaseId The lease.
    function closeLease(uint256 leaseId) external;

    /// @notice Reserves an Idle node for the window `[start, start + duration)`. The provider
    /// earns the reservation fee for holding the node: `reservationFeeBps` of the cost of the
    /// whole hold, from now to the end of the window, so holding a node far ahead costs in
    /// proportion; the rest of the deposit becomes the lease's deposit when the customer starts it.
    /// @dev Reverts when paused, when the node's token is not allowed, with `InvalidWindow` when
    /// the start is in the past or more than `MAX_RESERVE_AHEAD` ahead or the duration is zero
    /// or over `MAX_RESERVATION_DURATION`, with `PriceAboveBound` when the node's price is above
    /// `maxPricePerTuHour`, and with `DepositBelowFee` unless the deposit is more than the fee.
    /// @param nodeId The node.
    /// @param start When the window starts.
    /// @param duration The window's length, in seconds.
    /// @param deposit The deposit, approved by the caller.
    /// @param maxPricePerTuHour The highest price per TU-hour the customer accepts.
    /// @return reservationId The new reservation.
    function reserve(
        uint256 nodeId,
        uint256 start,
        uint256 duration,
        uint256 deposit,
        uint256 maxPricePerTuHour
    ) external returns (uint256 reservationId);

    /// @notice Starts the reservation's lease, inside `[start, deadline]`, with the deposit less
    /// the reservation fee, which the provider earns. Works while paused, so that a pause never
    /// costs a customer its reservation.
    /// @dev Only the reservation's customer.
    /// @param reservationId The reservation.
    /// @return leaseId The new lease.
    function startReserved(uint256 reservationId) external returns (uint256 leaseId);

    /// @notice Cancels a pending reservation. When the customer cancels, the provider earns the
    /// reservation fee and the rest goes back; when the provider cancels, or when its node has
    /// failed the reservation (went offline or Disconnect, or stale, at any moment before its
    /// deadline), the whole deposit goes back.
    /// @dev Only the reservation's customer or provider.
    /// @param reservationId The reservation.
    function cancelReservation(uint256 reservationId) external;

    /// @notice Ends a pending reservation nobody started: anyone may call it after the
    /// deadline, or at any time once the node is Disconnect (a stale node is marked first). The
    /// provider earns the fee unless its node failed the reservation: went offline or
    /// Disconnect, or stale, at any moment before the deadline. The rest goes back.
    /// @param reservationId The reservation.
    function expireReservation(uint256 reservationId) external;

    /// @notice Pays the caller what it is owed in `token` (refunds whose transfer failed) to
    /// `to`, which may be any address: a blacklisted customer claims to another one.
    /// @param token The token.
    /// @param to The receiver.
    function claim(address token, address to) external;
}
