// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMarketErrors} from "./IMarketErrors.sol";
import {IProviderRegistry} from "./IProviderRegistry.sol";

/// @title Lease escrow
/// @notice Customers pay for GPU time on registry nodes for exactly the time they signed for.
/// A lease or a reservation opens with the provider's signed quote; while it runs the customer's
/// client signs cumulative receipts off-chain, and anyone collects the provider's pay with the
/// best one. Providers withdraw their earnings to any address; the protocol fee on what they
/// earned goes to the fee collector (the buyback-and-burn emission contract), reported with its
/// provider.
/// @dev Money rules, all exact integer arithmetic:
/// - Quote: an EIP-712 `Quote` signed by the node's provider or its operator names the node, the
///   customer, the token, the price per TU-hour, the reservation window (zero for a lease), an
///   expiry at most `maxQuoteAge` ahead and a nonce used once per provider. The lease runs at the
///   quoted price; the registry's listed price binds nothing.
/// - Receipt: an EIP-712 `Receipt{leaseId, paidThrough}` signed by the customer or a session key
///   of the lease. `collect` moves `min(deposit, rate × (until − start) / 3_600_000)` minus what
///   was already paid, with `until = min(paidThrough, now, closedAt, the key's end)`, always
///   computed from the lease start and rounded down, so collecting any number of times pays
///   exactly what collecting once with the best receipt would. A session key replaced by the
///   customer counts up to the moment it was replaced; the customer's own signature always
///   counts.
/// - Close: the provider (or its operator) closes with its last receipt and the rest of the
///   deposit is refunded at once. The customer may close at any time: the node is free at once,
///   and the provider has `collectWindow` to collect its best receipt before anyone finalizes
///   the lease and refunds the rest. Anyone may close a lease whose deposit is spent.
/// - The protocol fee is `feeBps` (snapshotted at open) of what the lease paid the provider,
///   computed on the lease's cumulative pay and rounded down, so a lease's total fee is exactly
///   `paid × feeBps / 10_000` however many collects it took. It is due when earned, booked per
///   provider and token, and `forwardFees` (anyone) sends it to the fee collector, so a provider
///   that never withdraws still pays its fee, and a collector that reverts never blocks a
///   provider.
/// - Reservations: the fee prices the whole hold, `reservationFeeBps` of the cost from the
///   reservation to `start + max(duration, grace)`. The provider must accept the customer's start
///   within `acceptWindow`, or the reservation fails: the whole deposit back to the customer, and
///   the fee taken from the provider's stake to the treasury. Once the start is accepted the fee's
///   part up to the window is the provider's, and the window's part is earned as the lease stays
///   open in the window; what a close leaves unearned returns to the customer.
/// - Refunds to a customer are pushed, and if the transfer fails (a blocklisting token, a
///   reverting receiver) the amount is owed instead, for the customer to claim to any address.
///   Providers are paid only by withdrawals, to any address the provider names. A transfer that
///   fails for one party never blocks another party.
interface ILeaseEscrow is IMarketErrors {
    /// @notice A lease's status. `None` means the lease does not exist.
    /// @dev `Closing`: closed by the customer, the node is free, and the provider may still
    /// collect until `collectDeadline`.
    enum LeaseStatus {
        None,
        Open,
        Closing,
        Closed
    }

    /// @notice A reservation's status. `None` means the reservation does not exist.
    /// @dev `Starting`: the customer started it in its window; the provider has `acceptWindow` to
    /// accept. `Failed`: the provider failed it (did not accept in time, went down while holding
    /// the node, or cancelled); the customer got everything back and the fee was taken from the
    /// stake.
    enum ReservationStatus {
        None,
        Pending,
        Starting,
        Started,
        Cancelled,
        Expired,
        Failed
    }

    /// @notice An allowlisted payment token's terms.
    /// @param allowed Whether new leases and reservations may use the token.
    /// @param feeBps The protocol fee on providers' earnings, in basis points.
    struct TokenConfig {
        bool allowed;
        uint16 feeBps;
    }

    /// @notice The session terms, set together.
    /// @param maxQuoteAge The longest a quote may be valid for, in seconds.
    /// @param collectWindow How long the provider may still collect after the customer closes.
    /// @param acceptWindow How long the provider has to accept a reservation's start.
    struct SessionTerms {
        uint40 maxQuoteAge;
        uint40 collectWindow;
        uint40 acceptWindow;
    }

    /// @notice A provider's offer to one customer, signed (EIP-712) by the provider or its
    /// operator and used at most once.
    /// @param nodeId The node.
    /// @param customer The only account that may use the quote.
    /// @param token The payment token (allowlisted).
    /// @param pricePerTuHour The price of one TU for one hour, in `token` units: the lease's price.
    /// @param windowStart For a reservation, when the window starts; zero for a lease.
    /// @param windowDuration For a reservation, the window's length in seconds; zero for a lease.
    /// @param expiry The last timestamp the quote may be used at; at most `maxQuoteAge` ahead.
    /// @param nonce A number the provider uses once (any order; see `quoteNonceUsed`).
    struct Quote {
        uint256 nodeId;
        address customer;
        address token;
        uint256 pricePerTuHour;
        uint256 windowStart;
        uint256 windowDuration;
        uint256 expiry;
        uint256 nonce;
    }

    /// @notice A lease. Amounts are in `token` units.
    /// @param customer Who opened the lease and receives the refund.
    /// @param start When the lease started; pay accrues from here.
    /// @param closedAt When the lease was closed (zero while open); no pay accrues past it.
    /// @param status The lease's status.
    /// @param provider The node's owner, who earns from the lease.
    /// @param deposit Everything deposited: the opening deposit plus top-ups.
    /// @param token The payment token.
    /// @param paid What the lease has paid the provider so far (cumulative, ≤ deposit).
    /// @param sessionKey The key whose receipts count now, besides the customer's own.
    /// @param rate `pricePerTuHour × milliTu` from the quote: the lease costs
    /// `rate / 3_600_000` per second.
    /// @param nodeId The leased node.
    /// @param reservationId The reservation the lease started from, or zero.
    /// @param feeBps The protocol fee, snapshotted at open.
    /// @param collectDeadline For a lease the customer closed, the end of the provider's collect
    /// window; zero otherwise.
    struct Lease {
        address customer;
        uint40 start;
        uint40 closedAt;
        LeaseStatus status;
        address provider;
        uint96 deposit;
        address token;
        uint96 paid;
        address sessionKey;
        uint96 rate;
        uint64 nodeId;
        uint64 reservationId;
        uint16 feeBps;
        uint40 collectDeadline;
    }

    /// @notice A reservation of a node for a future window.
    /// @param customer Who reserved, and the only one who may start its lease.
    /// @param start When the window starts.
    /// @param deadline `start + grace`: the last moment the customer may start the lease.
    /// @param status The reservation's status.
    /// @param provider The node's owner.
    /// @param deposit The customer's deposit (with what it added at the start), which becomes the
    /// lease's deposit less the fee.
    /// @param token The payment token.
    /// @param rate `pricePerTuHour × milliTu` from the quote.
    /// @param nodeId The reserved node.
    /// @param fee The reservation fee: `reservationFeeBps` of the cost of the whole hold.
    /// @param feeBps The protocol fee, snapshotted.
    /// @param reservedAt When the reservation was made: the hold starts here.
    /// @param heldUntil `start + max(duration, grace)`: the hold's end, which the fee prices.
    /// @param acceptBy Once the customer started it, the last moment the provider may accept; zero
    /// before.
    /// @param sessionKey The session key the customer named at the start.
    /// @param leaseId The lease it became, or zero.
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
        uint40 reservedAt;
        uint40 heldUntil;
        uint40 acceptBy;
        address sessionKey;
        uint64 leaseId;
    }

    /// @notice The token is not on the allowlist.
    /// @param token The token.
    error TokenNotAllowed(address token);

    /// @notice A deposit, or a deposit after a top-up, does not fit the escrow's 96-bit amounts.
    /// @param amount The amount.
    /// @param max The largest allowed.
    error AmountTooLarge(uint256 amount, uint256 max);

    /// @notice The quoted price times the node's rating does not fit the escrow's 96-bit rate, or
    /// is zero.
    /// @param nodeId The node.
    /// @param pricePerTuHour The quoted price.
    /// @param milliTu The node's rating.
    error RateOutOfRange(uint256 nodeId, uint256 pricePerTuHour, uint32 milliTu);

    /// @notice A node id that does not fit the escrow's 64-bit node ids.
    /// @param nodeId The node id.
    error NodeIdTooLarge(uint256 nodeId);

    /// @notice The node is not in a status that allows the call.
    /// @param nodeId The node.
    /// @param status Its current status.
    error NodeNotAvailable(uint256 nodeId, IProviderRegistry.Status status);

    /// @notice The quote's expiry has passed.
    /// @param expiry The quote's expiry.
    /// @param timestamp The block's timestamp.
    error QuoteExpired(uint256 expiry, uint256 timestamp);

    /// @notice The quote's expiry is further ahead than `maxQuoteAge` allows.
    /// @param expiry The quote's expiry.
    /// @param latest The latest expiry accepted now.
    error QuoteExpiryTooFar(uint256 expiry, uint256 latest);

    /// @notice The provider already used this quote nonce.
    /// @param provider The node's provider.
    /// @param nonce The nonce.
    error QuoteNonceUsed(address provider, uint256 nonce);

    /// @notice The quote names another customer.
    /// @param customer The quote's customer.
    /// @param caller The caller.
    error QuoteNotForCaller(address customer, address caller);

    /// @notice The quote is not signed by the node's provider or its operator.
    /// @param nodeId The node.
    /// @param signer The address the signature recovers to (zero if it recovers to none).
    error InvalidQuoteSigner(uint256 nodeId, address signer);

    /// @notice A lease quote (no window) was given to `reserve`, or a reservation quote to
    /// `openLease`.
    /// @param windowStart The quote's window start.
    /// @param windowDuration The quote's window length.
    error QuoteKindMismatch(uint256 windowStart, uint256 windowDuration);

    /// @notice A lease started from a reservation cannot be renewed: its window's fee is earned
    /// only by that lease staying open in the window.
    /// @param leaseId The lease.
    /// @param reservationId The reservation it started from.
    error ReservedLeaseNotRenewable(uint256 leaseId, uint256 reservationId);

    /// @notice The receipt is not signed by the lease's customer or one of its session keys.
    /// @param leaseId The lease.
    /// @param signer The address the signature recovers to (zero if it recovers to none).
    error InvalidReceiptSigner(uint256 leaseId, address signer);

    /// @notice The lease is not in the status the call needs.
    /// @param leaseId The lease.
    /// @param status Its current status.
    error InvalidLeaseStatus(uint256 leaseId, LeaseStatus status);

    /// @notice The reservation is not in the status the call needs.
    /// @param reservationId The reservation.
    /// @param status Its current status.
    error InvalidReservationStatus(uint256 reservationId, ReservationStatus status);

    /// @notice Only the lease's customer may do this.
    /// @param leaseId The lease.
    /// @param caller The caller.
    error NotLeaseCustomer(uint256 leaseId, address caller);

    /// @notice Only the lease's provider or the provider's operator may do this.
    /// @param leaseId The lease.
    /// @param caller The caller.
    error NotLeaseProvider(uint256 leaseId, address caller);

    /// @notice The caller may not close this lease: it is neither the customer, nor the provider
    /// or its operator, and the deposit is not spent.
    /// @param leaseId The lease.
    /// @param caller The caller.
    error CloseNotAllowed(uint256 leaseId, address caller);

    /// @notice The provider's collect window of a lease the customer closed is still open: the
    /// lease can be finalized by anyone after `deadline` (or by the provider now).
    /// @param leaseId The lease.
    /// @param deadline The end of the collect window.
    error CollectWindowOpen(uint256 leaseId, uint256 deadline);

    /// @notice The provider's collect window of a lease the customer closed has ended.
    /// @param leaseId The lease.
    /// @param deadline The end of the collect window.
    error CollectWindowClosed(uint256 leaseId, uint256 deadline);

    /// @notice Only the reservation's customer may do this.
    /// @param reservationId The reservation.
    /// @param caller The caller.
    error NotReservationCustomer(uint256 reservationId, address caller);

    /// @notice Only the reservation's provider or the provider's operator may do this.
    /// @param reservationId The reservation.
    /// @param caller The caller.
    error NotReservationProvider(uint256 reservationId, address caller);

    /// @notice The caller is neither the reservation's customer nor its provider (or operator).
    /// @param reservationId The reservation.
    /// @param caller The caller.
    error NotReservationParty(uint256 reservationId, address caller);

    /// @notice The reservation's lease can only start inside `[start, deadline]`.
    /// @param reservationId The reservation.
    /// @param start When the window starts.
    /// @param deadline The last moment to start.
    error OutsideWindow(uint256 reservationId, uint256 start, uint256 deadline);

    /// @notice A reservation window that starts in the past, more than 7 days ahead, or has a
    /// length outside 1 second to 30 days.
    /// @param start The requested start.
    /// @param duration The requested length, in seconds.
    error InvalidWindow(uint256 start, uint256 duration);

    /// @notice The reservation deposit does not cover more than the reservation fee.
    /// @param deposit The deposit.
    /// @param fee The reservation fee.
    error DepositBelowFee(uint256 deposit, uint256 fee);

    /// @notice The provider accepted the start after its accept window ended.
    /// @param reservationId The reservation.
    /// @param acceptBy The last moment it could accept.
    error AcceptWindowClosed(uint256 reservationId, uint256 acceptBy);

    /// @notice The reservation cannot be failed: its node is up and the provider may still
    /// accept (or the customer has not started it).
    /// @param reservationId The reservation.
    /// @param acceptBy The last moment the provider may accept (zero before the start).
    error ReservationNotFailed(uint256 reservationId, uint256 acceptBy);

    /// @notice The reservation cannot expire yet: it may still be started until `deadline`.
    /// @param reservationId The reservation.
    /// @param deadline The last moment to start its lease.
    error ReservationNotExpired(uint256 reservationId, uint256 deadline);

    /// @notice The account is owed nothing in this token.
    /// @param account The account.
    /// @param token The token.
    error NothingToClaim(address account, address token);

    /// @notice The provider has no earnings in this token.
    /// @param provider The provider.
    /// @param token The token.
    error NothingToWithdraw(address provider, address token);

    /// @notice The caller is not the operator `provider` named in the registry.
    /// @param provider The provider.
    /// @param caller The caller.
    error NotOperator(address provider, address caller);

    /// @notice Emitted when the admin adds, changes or removes a payment token.
    /// @param token The token.
    /// @param allowed Whether new leases may use it.
    /// @param feeBps Its protocol fee for new leases.
    event PaymentTokenSet(address indexed token, bool allowed, uint16 feeBps);

    /// @notice Emitted when the admin sets the fee collector.
    /// @param collector The new fee collector.
    event FeeCollectorSet(address indexed collector);

    /// @notice Emitted when the admin sets the reservation terms for new reservations.
    /// @param feeBps The reservation fee, in basis points of the hold's cost.
    /// @param grace How long after its start a reservation can still be started, in seconds.
    event ReservationTermsSet(uint16 feeBps, uint40 grace);

    /// @notice Emitted when the admin sets the session terms.
    /// @param maxQuoteAge The longest a quote may be valid for, in seconds.
    /// @param collectWindow How long the provider may still collect after the customer closes.
    /// @param acceptWindow How long the provider has to accept a reservation's start.
    event SessionTermsSet(uint40 maxQuoteAge, uint40 collectWindow, uint40 acceptWindow);

    /// @notice Emitted when a lease opens.
    /// @param leaseId The new lease.
    /// @param nodeId The node.
    /// @param customer The customer.
    /// @param provider The node's provider.
    /// @param token The payment token.
    /// @param rate `pricePerTuHour × milliTu` from the quote.
    /// @param deposit The opening deposit.
    /// @param sessionKey The session key.
    event LeaseOpened(
        uint256 indexed leaseId,
        uint256 indexed nodeId,
        address indexed customer,
        address provider,
        address token,
        uint96 rate,
        uint96 deposit,
        address sessionKey
    );

    /// @notice Emitted when a customer renews a lease: `leaseId` closed (its `LeaseFinalized`
    /// refund was carried, not paid out) and `newLeaseId` opened with it.
    /// @param leaseId The renewed lease.
    /// @param newLeaseId The lease that continues it.
    event LeaseRenewed(uint256 indexed leaseId, uint256 indexed newLeaseId);

    /// @notice Emitted when anyone adds to a lease's deposit.
    /// @param leaseId The lease.
    /// @param from Who paid.
    /// @param amount The amount added.
    event ToppedUp(uint256 indexed leaseId, address indexed from, uint256 amount);

    /// @notice Emitted when the customer names a new session key; the old one's receipts count up
    /// to now.
    /// @param leaseId The lease.
    /// @param sessionKey The new key.
    event SessionKeySet(uint256 indexed leaseId, address indexed sessionKey);

    /// @notice Emitted when a receipt moves more of the deposit to the provider.
    /// @param leaseId The lease.
    /// @param paidThrough The time the collected receipt paid up to, as capped.
    /// @param paid The lease's cumulative pay.
    /// @param fee The protocol fee due on this collect.
    event Collected(uint256 indexed leaseId, uint256 paidThrough, uint96 paid, uint256 fee);

    /// @notice Emitted when a lease is closed: by the provider (final at once), by the customer
    /// (the collect window runs to `collectDeadline`), or by anyone once its deposit is spent.
    /// @param leaseId The lease.
    /// @param closedBy Who closed it.
    /// @param collectDeadline The end of the provider's collect window, or zero when final.
    event LeaseClosed(uint256 indexed leaseId, address indexed closedBy, uint256 collectDeadline);

    /// @notice Emitted when a lease's money is settled for good.
    /// @param leaseId The lease.
    /// @param paid What the provider earned from the deposit over the whole lease.
    /// @param refund What went back (or is owed) to the customer, or for a renewal what was
    /// carried into the new lease.
    /// @param windowFee For a lease started from a reservation, the part of the reservation fee
    /// the provider earned for the window.
    event LeaseFinalized(uint256 indexed leaseId, uint96 paid, uint96 refund, uint96 windowFee);

    /// @notice Emitted when a provider's earnings in one token are paid out.
    /// @param provider The provider.
    /// @param token The token.
    /// @param to Where they went.
    /// @param amount The amount.
    event Withdrawn(address indexed provider, address indexed token, address to, uint256 amount);

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
    /// @param token The payment token, from the quote.
    /// @param start When the window starts.
    /// @param deadline The last moment to start the lease.
    /// @param heldUntil The hold's end, which the fee prices.
    /// @param deposit The deposit.
    /// @param fee The reservation fee.
    event Reserved(
        uint256 indexed reservationId,
        uint256 indexed nodeId,
        address indexed customer,
        address token,
        uint40 start,
        uint40 deadline,
        uint40 heldUntil,
        uint96 deposit,
        uint96 fee
    );

    /// @notice Emitted when the customer starts a reservation in its window; the provider has until
    /// `acceptBy` to accept.
    /// @param reservationId The reservation.
    /// @param sessionKey The lease's session key.
    /// @param added What the customer added to the deposit.
    /// @param acceptBy The last moment the provider may accept.
    event StartRequested(uint256 indexed reservationId, address sessionKey, uint256 added, uint256 acceptBy);

    /// @notice Emitted when a reservation ends: started as a lease, cancelled, expired or failed.
    /// @param reservationId The reservation.
    /// @param status How it ended.
    /// @param by Who ended it.
    /// @param feeEarned The part of the reservation fee the provider earned now.
    /// @param refund What went back (or is owed) to the customer.
    /// @param leaseId The lease it became, or zero.
    /// @param penalty The provider's stake taken to the treasury, for a failed reservation.
    event ReservationEnded(
        uint256 indexed reservationId,
        ReservationStatus status,
        address indexed by,
        uint96 feeEarned,
        uint96 refund,
        uint256 indexed leaseId,
        uint256 penalty
    );

    /// @notice Emitted when a transfer to a customer failed and the amount is owed instead.
    /// @param account The payee.
    /// @param token The token.
    /// @param amount The amount now claimable.
    event PaymentDeferred(address indexed account, address indexed token, uint256 amount);

    /// @notice Emitted when an account claims a refund it is owed.
    /// @param account The payee.
    /// @param token The token.
    /// @param to Where the tokens went.
    /// @param amount The amount.
    event RefundClaimed(address indexed account, address indexed token, address to, uint256 amount);

    // ---------------------------------------------------------------- constants and settings

    /// @notice The role that may pause and unpause opening and reserving.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice The EIP-712 type hash of `Quote`.
    function QUOTE_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 type hash of `Receipt(uint256 leaseId,uint256 paidThrough)`.
    function RECEIPT_TYPEHASH() external view returns (bytes32);

    /// @notice The provider registry whose nodes the escrow leases.
    function registry() external view returns (IProviderRegistry);

    /// @notice Where protocol fees go, each reported with its provider.
    function feeCollector() external view returns (address);

    /// @notice The reservation fee for new reservations, in bps of the hold's cost.
    function reservationFeeBps() external view returns (uint16);

    /// @notice How long after its start a new reservation can still be started, in seconds.
    function reservationGrace() external view returns (uint40);

    /// @notice The longest a quote may be valid for: its expiry is at most this far ahead.
    function maxQuoteAge() external view returns (uint40);

    /// @notice How long the provider may still collect after the customer closes a lease.
    function collectWindow() external view returns (uint40);

    /// @notice How long the provider has to accept a reservation's start.
    function acceptWindow() external view returns (uint40);

    /// @notice A payment token's terms (all zero for a token never configured).
    /// @param token The token.
    function paymentToken(address token) external view returns (TokenConfig memory);

    /// @notice Sets a payment token's terms. A token removed from the allowlist (`allowed`
    /// false) takes no new leases or reservations; open ones keep the terms they started with.
    /// @dev Only the default admin. Reverts with `ParameterOutOfRange` over 2,000 bps (20 %).
    /// @param token The token.
    /// @param allowed Whether new leases may use it.
    /// @param feeBps Its protocol fee for new leases.
    function setPaymentToken(address token, bool allowed, uint16 feeBps) external;

    /// @notice Sets the fee collector.
    /// @dev Only the default admin. Reverts with `ZeroAddress` for the zero address.
    /// @param collector The new fee collector.
    function setFeeCollector(address collector) external;

    /// @notice Sets the reservation fee and grace period for new reservations.
    /// @dev Only the default admin. Reverts with `ParameterOutOfRange` over 5,000 bps (50 %) of
    /// the hold's cost or a grace over one day.
    /// @param feeBps The reservation fee, in bps of the hold's cost.
    /// @param grace The grace period, in seconds.
    function setReservationTerms(uint16 feeBps, uint40 grace) external;

    /// @notice Sets the session terms. The collect and accept windows apply to closes and starts
    /// after the change.
    /// @dev Only the default admin. Reverts with `ParameterOutOfRange` (which names the bounds)
    /// outside 1 minute to 1 hour for the quote age, 10 minutes to 1 day for the collect window,
    /// and 1 minute to 1 hour for the accept window.
    /// @param maxQuoteAge_ The longest a quote may be valid for.
    /// @param collectWindow_ How long the provider may collect after the customer closes.
    /// @param acceptWindow_ How long the provider has to accept a reservation's start.
    function setSessionTerms(uint40 maxQuoteAge_, uint40 collectWindow_, uint40 acceptWindow_) external;

    /// @notice Stops new leases and reservations. Everything else keeps working.
    /// @dev Only `PAUSER_ROLE`.
    function pause() external;

    /// @notice Lets new leases and reservations in again.
    /// @dev Only `PAUSER_ROLE`.
    function unpause() external;

    // ---------------------------------------------------------------- leases

    /// @notice Opens a lease on an Idle node at the quote's price. The caller is the quote's
    /// customer and must have approved `deposit` of the quote's token (or permit it in the same
    /// transaction with `selfPermit` through `multicall`).
    /// @dev Reverts when paused, with `QuoteKindMismatch` for a reservation quote, with the quote
    /// errors for a quote that is expired, too long, used, for someone else or wrongly signed,
    /// with `TokenNotAllowed`, `ZeroAmount`, or `NodeNotAvailable` unless the node is Idle.
    /// @param quote The provider's quote.
    /// @param signature The quote's signature by the provider or its operator (65 bytes, or an
    /// ERC-1271 signature of a contract provider).
    /// @param deposit The deposit.
    /// @param sessionKey The key whose receipts count for the lease besides the customer's own;
    /// zero for none.
    /// @return leaseId The new lease.
    function openLease(
        Quote calldata quote,
        bytes calldata signature,
        uint256 deposit,
        address sessionKey
    ) external returns (uint256 leaseId);

    /// @notice Renews an open lease at the provider's new quote in one transaction: the old lease
    /// is paid through now and closed, and what is left of its deposit, with `added`, opens the new
    /// lease on the same node for the same customer and session key. The customer's own
    /// transaction is its receipt for the old lease: it pays every second up to now (within the
    /// deposit), so a renewal never pays the provider less than a receipt could. The quote is a
    /// lease `Quote` for the lease's node, its customer and its token (no window): only its price,
    /// expiry and nonce are sent, with the provider's or operator's signature of the whole quote.
    /// @dev Reverts when paused; with `NotLeaseCustomer` unless the caller is the lease's
    /// customer; `InvalidLeaseStatus` unless the lease is open; `ReservedLeaseNotRenewable` for a
    /// lease started from a reservation; the quote errors; and `ZeroAmount` when nothing is left
    /// or added.
    /// @param leaseId The open lease.
    /// @param pricePerTuHour The new quote's price.
    /// @param expiry The new quote's expiry.
    /// @param nonce The new quote's nonce.
    /// @param signature The quote's signature by the provider or its operator.
    /// @param added What the caller adds to the carried deposit (approved, or permitted through
    /// `multicall`); zero for nothing.
    /// @return newLeaseId The new lease.
    function renewLease(
        uint256 leaseId,
        uint256 pricePerTuHour,
        uint256 expiry,
        uint256 nonce,
        bytes calldata signature,
        uint256 added
    ) external returns (uint256 newLeaseId);

    /// @notice Adds to an open lease's deposit. Anyone may pay.
    /// @param leaseId The lease.
    /// @param amount The amount, approved by the caller.
    function topUp(uint256 leaseId, uint256 amount) external;

    /// @notice Names a new session key for an open lease; the old key's receipts count up to now,
    /// never later. Only the customer.
    /// @param leaseId The lease.
    /// @param sessionKey The new key, or zero for none.
    function setSessionKey(uint256 leaseId, address sessionKey) external;

    /// @notice Pays the provider for the time a receipt covers: anyone may send it, the pay
    /// always goes to the lease's provider. A receipt that covers no more than was already paid
    /// changes nothing.
    /// @dev Reverts with `InvalidReceiptSigner` unless signed by the customer or a session key of
    /// the lease, with `InvalidLeaseStatus` for a lease that is not open or closing, and with
    /// `CollectWindowClosed` past a closing lease's collect window.
    /// @param leaseId The lease.
    /// @param paidThrough The receipt's time.
    /// @param signature The receipt's signature.
    /// @return paid The lease's cumulative pay after the collect.
    function collect(uint256 leaseId, uint256 paidThrough, bytes calldata signature) external returns (uint256 paid);

    /// @notice Closes a lease. The provider or its operator closes with its last receipt (an
    /// empty signature for none), and the lease is final at once. The customer closes at any
    /// time: the node is free at once and the provider may collect until the collect window
    /// ends. Anyone may close a lease whose deposit is spent. On a lease the customer closed, the
    /// provider's close collects its last receipt and finalizes at once. The customer's close
    /// takes no receipt (the arguments are ignored): a customer who wants to pay for the time it
    /// used sends `multicall([collect, closeLease])`.
    /// @param leaseId The lease.
    /// @param paidThrough The last receipt's time (ignored with an empty signature).
    /// @param signature The last receipt's signature, or empty.
    function closeLease(uint256 leaseId, uint256 paidThrough, bytes calldata signature) external;

    /// @notice Refunds the rest of the deposit of a lease the customer closed, once its collect
    /// window has ended. Anyone may call it.
    /// @param leaseId The lease.
    function finalize(uint256 leaseId) external;

    // ---------------------------------------------------------------- reservations

    /// @notice Reserves an Idle node for the quote's window. The fee prices the whole hold, from
    /// now to `windowStart + max(windowDuration, reservationGrace)`; the rest of the deposit
    /// becomes the lease's when the customer starts it.
    /// Reservations are paid in GUT, the registry's stake token: a failed reservation's penalty is
    /// its fee taken from the provider's GUT stake, which only a fee in GUT measures.
    /// @dev Reverts when paused, with `QuoteKindMismatch` for a lease quote, with the quote
    /// errors, with `InvalidWindow`, `TokenNotAllowed` (any token but GUT, or GUT not allowed),
    /// `NodeNotAvailable` unless Idle, and `DepositBelowFee` unless the deposit is more than the
    /// fee (see `reservationFee`).
    /// @param quote The provider's quote for the window.
    /// @param signature The quote's signature by the provider or its operator.
    /// @param deposit The deposit, approved by the caller.
    /// @return reservationId The new reservation.
    function reserve(
        Quote calldata quote,
        bytes calldata signature,
        uint256 deposit
    ) external returns (uint256 reservationId);

    /// @notice Starts a reservation inside `[start, deadline]`: the provider then has
    /// `acceptWindow` to accept. Only the customer. Works while paused.
    /// @param reservationId The reservation.
    /// @param added What to add to the deposit now (approved by the caller), or zero.
    /// @param sessionKey The lease's session key, or zero.
    function startReserved(uint256 reservationId, uint256 added, address sessionKey) external;

    /// @notice Accepts a started reservation and opens its lease, which runs from now. The fee's
    /// part up to the window is the provider's now. Only the provider or its operator, within
    /// the accept window.
    /// @param reservationId The reservation.
    /// @return leaseId The new lease.
    function acceptStart(uint256 reservationId) external returns (uint256 leaseId);

    /// @notice Fails a reservation whose provider did not hold it: the start was not accepted in
    /// time, or the node went down (offline, or a stale check-in) before the deadline. The whole
    /// deposit goes back to the customer and the fee is taken from the provider's stake to the
    /// treasury. Anyone may call it.
    /// @param reservationId The reservation.
    function failReservation(uint256 reservationId) external;

    /// @notice Cancels a reservation before its lease starts. The customer's cancel (pending, or
    /// started but not yet accepted) leaves the whole fee to the provider and returns the rest,
    /// unless the node has already failed the reservation, which fails it instead; the
    /// provider's cancel fails the reservation (see `failReservation`).
    /// @param reservationId The reservation.
    function cancelReservation(uint256 reservationId) external;

    /// @notice Ends a pending reservation nobody started, after its deadline: the fee is the
    /// provider's and the rest goes back, unless the node went down before the deadline, which
    /// fails it. Anyone may call it.
    /// @param reservationId The reservation.
    function expireReservation(uint256 reservationId) external;

    // ---------------------------------------------------------------- money out

    /// @notice Pays the caller's earnings in `token` to `to`, which may be any address (a
    /// provider blocklisted by the token is paid elsewhere). The protocol fee was booked when
    /// the pay was earned.
    /// @param token The token.
    /// @param to The receiver.
    function withdraw(address token, address to) external;

    /// @notice `withdraw` for `provider`, sent by the operator the provider named in the registry
    /// (its hot key) or by the provider: the earnings are paid to `provider`, never elsewhere.
    /// @param provider The provider.
    /// @param token The token.
    function withdrawFor(address provider, address token) external;

    /// @notice Sends the protocol fees due from `providers` in `token` to the fee collector and
    /// reports each with its provider, transfer first and report second. Anyone may call it;
    /// providers with nothing due are skipped.
    /// @param token The token.
    /// @param providers The providers.
    function forwardFees(address token, address[] calldata providers) external;

    /// @notice Pays the caller a refund it is owed in `token` (one whose transfer failed) to
    /// `to`, which may be any address.
    /// @param token The token.
    /// @param to The receiver.
    function claimRefund(address token, address to) external;

    /// @notice Calls the token's ERC-2612 `permit` for the caller and this escrow, so that
    /// `multicall([selfPermit, openLease])` needs no separate approval. A permit that fails (for
    /// one already used by someone who saw it in the mempool) is ignored; the pull that follows
    /// then needs the allowance.
    /// @param token The token.
    /// @param value The allowance.
    /// @param deadline The permit's deadline.
    /// @param v The signature's v.
    /// @param r The signature's r.
    /// @param s The signature's s.
    function selfPermit(address token, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    // ---------------------------------------------------------------- views

    /// @notice The number of leases ever opened; lease ids run from 1 to this.
    function leaseCount() external view returns (uint256);

    /// @notice The number of reservations ever made; reservation ids run from 1 to this.
    function reservationCount() external view returns (uint256);

    /// @notice A lease (all zero for an id never used).
    /// @param leaseId The lease.
    function lease(uint256 leaseId) external view returns (Lease memory);

    /// @notice A reservation (all zero for an id never used).
    /// @param reservationId The reservation.
    function reservation(uint256 reservationId) external view returns (Reservation memory);

    /// @notice The pending or starting reservation holding a node, or zero.
    /// @param nodeId The node.
    function reservationOf(uint256 nodeId) external view returns (uint256);

    /// @notice A provider's earnings in a token, net of the protocol fee, not yet withdrawn.
    function earnings(address provider, address token) external view returns (uint256);

    /// @notice The protocol fee due from a provider in a token, not yet forwarded.
    function feesDue(address provider, address token) external view returns (uint256);

    /// @notice What an account can `claimRefund` in a token.
    function owed(address account, address token) external view returns (uint256);

    /// @notice Until when a key's receipts count for a lease: `type(uint40).max` for the current
    /// session key, the moment it was replaced for an old one, zero for any other key.
    function sessionKeyUntil(uint256 leaseId, address key) external view returns (uint40);

    /// @notice Whether `provider` has used a quote nonce.
    function quoteNonceUsed(address provider, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 digest a quote's signer signs.
    function quoteDigest(Quote memory quote) external view returns (bytes32);

    /// @notice The EIP-712 digest a receipt's signer signs.
    function receiptDigest(uint256 leaseId, uint256 paidThrough) external view returns (bytes32);

    /// @notice What a valid receipt up to `paidThrough` would make the lease's cumulative pay now,
    /// and the deposit left after it.
    /// @param leaseId The lease.
    /// @param paidThrough The receipt's time.
    function collectable(uint256 leaseId, uint256 paidThrough) external view returns (uint256 paid, uint256 remaining);

    /// @notice The reservation fee and the hold's end for a window reserved now on a node at a
    /// price: the deposit must be more than the fee.
    /// @param nodeId The node (its rating prices the hold).
    /// @param pricePerTuHour The quoted price.
    /// @param start The window's start.
    /// @param duration The window's length.
    /// @return fee The reservation fee.
    /// @return heldUntil The hold's end.
    function reservationFee(
        uint256 nodeId,
        uint256 pricePerTuHour,
        uint256 start,
        uint256 duration
    ) external view returns (uint256 fee, uint256 heldUntil);
}
