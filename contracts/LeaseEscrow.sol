// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {LeaseEscrowSettings} from "./base/LeaseEscrowSettings.sol";
import {ReentrancyLock} from "./base/ReentrancyLock.sol";
import {TypedDataDomain} from "./base/TypedDataDomain.sol";
import {IFeeCollector} from "./interfaces/IFeeCollector.sol";
import {ILeaseEscrow} from "./interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {LeaseMath} from "./libraries/LeaseMath.sol";

/// @title Lease escrow
/// @notice GPU leases paid for the time the customer signed for. See {ILeaseEscrow}.
contract LeaseEscrow is LeaseEscrowSettings, TypedDataDomain, Multicall, ReentrancyLock {
    using SafeERC20 for IERC20;

    uint40 internal constant _MAX_RESERVE_AHEAD = 7 days;
    uint40 internal constant _MAX_RESERVATION_DURATION = 30 days;
    // The EIP-712 type strings are longer than 32 bytes by nature; their hashes are compile-time
    // constants, so the strings cost no gas.
    /// @inheritdoc ILeaseEscrow
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(uint256 nodeId,address customer,address token,uint256 pricePerTuHour,uint256 windowStart,uint256 windowDuration,uint256 expiry,uint256 nonce)"
    );
    /// @inheritdoc ILeaseEscrow
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant RECEIPT_TYPEHASH = keccak256("Receipt(uint256 leaseId,uint256 paidThrough)");

    /// @dev A session key that is still current counts without an end.
    uint40 private constant _CURRENT = type(uint40).max;

    /// @inheritdoc ILeaseEscrow
    uint256 public leaseCount;
    /// @inheritdoc ILeaseEscrow
    uint256 public reservationCount;
    /// @inheritdoc ILeaseEscrow
    mapping(uint256 nodeId => uint256 reservationId) public reservationOf;
    /// @inheritdoc ILeaseEscrow
    mapping(address account => mapping(address token => uint256 amount)) public owed;
    /// @inheritdoc ILeaseEscrow
    mapping(address provider => mapping(address token => uint256 amount)) public earnings;
    /// @inheritdoc ILeaseEscrow
    mapping(address provider => mapping(address token => uint256 fee)) public feesDue;

    mapping(uint256 leaseId => Lease) internal _leases;
    mapping(uint256 reservationId => Reservation) internal _reservations;
    mapping(uint256 leaseId => mapping(address key => uint40 until)) internal _sessionKeyUntil;
    /// @dev Quote nonces, 256 to a word, so that a provider's agent may use them in any order.
    mapping(address provider => mapping(uint256 word => uint256 bits)) internal _quoteNonces;

    /// @param adminDelay The delay of a default-admin transfer (see AccessControlDefaultAdminRules).
    /// @param admin The default admin: a multisig or timelock on real networks.
    /// @param registry_ The provider registry, which must grant this contract its `ESCROW_ROLE`.
    /// @param feeCollector_ Where protocol fees go.
    /// @param gut GUT, allowlisted from the start.
    /// @param gutFeeBps GUT's protocol fee.
    /// @param reservationFeeBps_ The reservation fee, in bps of a hold's cost.
    /// @param reservationGrace_ How long after its start a reservation can still be started.
    /// @param session The quote age and the collect and accept windows.
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
    )
        LeaseEscrowSettings(
            adminDelay,
            admin,
            registry_,
            feeCollector_,
            gut,
            gutFeeBps,
            reservationFeeBps_,
            reservationGrace_,
            session
        )
        TypedDataDomain("gpufog LeaseEscrow", "1")
    {}

    // ---------------------------------------------------------------- leases

    /// @inheritdoc ILeaseEscrow
    function openLease(
        Quote calldata quote,
        bytes calldata signature,
        uint256 deposit,
        address sessionKey
    ) external nonReentrant whenNotPaused returns (uint256 leaseId) {
        if (quote.windowStart != 0 || quote.windowDuration != 0) {
            revert QuoteKindMismatch(quote.windowStart, quote.windowDuration);
        }
        (IProviderRegistry.LeaseTerms memory t, uint96 rate, uint16 feeBps) = _acceptQuote(quote, signature);
        if (t.status != IProviderRegistry.Status.Idle) revert NodeNotAvailable(quote.nodeId, t.status);
        if (deposit == 0) revert ZeroAmount();
        leaseId = _createLease(
            uint64(quote.nodeId),
            msg.sender,
            t.provider,
            quote.token,
            rate,
            feeBps,
            _amount(deposit),
            sessionKey,
            0
        );
        registry.startLease(quote.nodeId);
        _pull(quote.token, deposit);
    }

    /// @inheritdoc ILeaseEscrow
    function renewLease(
        uint256 leaseId,
        uint256 pricePerTuHour,
        uint256 expiry,
        uint256 nonce,
        bytes calldata signature,
        uint256 added
    ) external nonReentrant whenNotPaused returns (uint256 newLeaseId) {
        Lease storage lease_ = _leaseIn(leaseId, 1 << uint8(LeaseStatus.Open));
        if (msg.sender != lease_.customer) revert NotLeaseCustomer(leaseId, msg.sender);
        // A reserved lease earns its window's fee by staying open in the window: renewing it
        // would hand the customer back the fee for a window it keeps using.
        if (lease_.reservationId != 0) revert ReservedLeaseNotRenewable(leaseId, lease_.reservationId);
        (uint64 nodeId, address token) = (lease_.nodeId, lease_.token);
        // The quote is the provider's for this node, customer and token: only its terms travel
        // in the calldata, which is most of an OP Stack transaction's cost.
        Quote memory quote = Quote(nodeId, msg.sender, token, pricePerTuHour, 0, 0, expiry, nonce);
        (IProviderRegistry.LeaseTerms memory t, uint96 rate, uint16 feeBps) = _acceptQuote(quote, signature);
        // The node stays leased: no registry call and no refund transfer.
        _pay(leaseId, lease_, block.timestamp);
        lease_.closedAt = uint40(block.timestamp);
        emit LeaseClosed(leaseId, msg.sender, 0);
        uint256 deposit = _settle(leaseId, lease_) + added;
        if (deposit == 0) revert ZeroAmount();
        newLeaseId = _createLease(
            nodeId,
            msg.sender,
            t.provider,
            token,
            rate,
            feeBps,
            _amount(deposit),
            lease_.sessionKey,
            0
        );
        emit LeaseRenewed(leaseId, newLeaseId);
        if (added != 0) _pull(token, added);
    }

    /// @inheritdoc ILeaseEscrow
    function topUp(uint256 leaseId, uint256 amount) external nonReentrant {
        Lease storage lease_ = _leaseIn(leaseId, 1 << uint8(LeaseStatus.Open));
        if (amount == 0) revert ZeroAmount();
        lease_.deposit = _amount(uint256(lease_.deposit) + amount);
        emit ToppedUp(leaseId, msg.sender, amount);
        _pull(lease_.token, amount);
    }

    /// @inheritdoc ILeaseEscrow
    function setSessionKey(uint256 leaseId, address sessionKey) external {
        Lease storage lease_ = _leaseIn(leaseId, 1 << uint8(LeaseStatus.Open));
        if (msg.sender != lease_.customer) revert NotLeaseCustomer(leaseId, msg.sender);
        address old = lease_.sessionKey;
        // The current key is the lease's own field; the map keeps only replaced keys' ends.
        if (old != address(0)) _sessionKeyUntil[leaseId][old] = uint40(block.timestamp);
        lease_.sessionKey = sessionKey;
        emit SessionKeySet(leaseId, sessionKey);
    }

    /// @inheritdoc ILeaseEscrow
    function collect(
        uint256 leaseId,
        uint256 paidThrough,
        bytes calldata signature
    ) external nonReentrant returns (uint256) {
        Lease storage lease_ = _leaseIn(leaseId, (1 << uint8(LeaseStatus.Open)) | (1 << uint8(LeaseStatus.Closing)));
        _checkCollectWindow(leaseId, lease_);
        return _collect(leaseId, lease_, paidThrough, signature);
    }

    /// @inheritdoc ILeaseEscrow
    function closeLease(uint256 leaseId, uint256 paidThrough, bytes calldata signature) external nonReentrant {
        Lease storage lease_ = _leaseIn(leaseId, (1 << uint8(LeaseStatus.Open)) | (1 << uint8(LeaseStatus.Closing)));
        bool byProvider = _isProviderSide(lease_.provider);
        if (lease_.status == LeaseStatus.Closing) {
            // The customer has closed; only the provider's side may end its own collect window.
            if (!byProvider) revert InvalidLeaseStatus(leaseId, LeaseStatus.Closing);
            _checkCollectWindow(leaseId, lease_);
            if (signature.length != 0) _collect(leaseId, lease_, paidThrough, signature);
            _finalize(leaseId, lease_);
            return;
        }
        if (msg.sender == lease_.customer && !byProvider) {
            uint256 deadline = block.timestamp + collectWindow;
            lease_.status = LeaseStatus.Closing;
            lease_.closedAt = uint40(block.timestamp);
            lease_.collectDeadline = uint40(deadline);
            emit LeaseClosed(leaseId, msg.sender, deadline);
            registry.release(lease_.nodeId);
            return;
        }
        if (signature.length != 0) _collect(leaseId, lease_, paidThrough, signature);
        if (!byProvider && lease_.paid != lease_.deposit) revert CloseNotAllowed(leaseId, msg.sender);
        lease_.closedAt = uint40(block.timestamp);
        emit LeaseClosed(leaseId, msg.sender, 0);
        registry.release(lease_.nodeId);
        _finalize(leaseId, lease_);
    }

    /// @inheritdoc ILeaseEscrow
    function finalize(uint256 leaseId) external nonReentrant {
        Lease storage lease_ = _leaseIn(leaseId, 1 << uint8(LeaseStatus.Closing));
        if (!(block.timestamp > lease_.collectDeadline)) revert CollectWindowOpen(leaseId, lease_.collectDeadline);
        _finalize(leaseId, lease_);
    }

    // ---------------------------------------------------------------- reservations

    /// @inheritdoc ILeaseEscrow
    function reserve(
        Quote calldata quote,
        bytes calldata signature,
        uint256 deposit
    ) external nonReentrant whenNotPaused returns (uint256 reservationId) {
        uint256 start = quote.windowStart;
        uint256 duration = quote.windowDuration;
        if (duration == 0) revert QuoteKindMismatch(start, duration);
        if (
            start < block.timestamp ||
            start > block.timestamp + _MAX_RESERVE_AHEAD ||
            duration > _MAX_RESERVATION_DURATION
        ) revert InvalidWindow(start, duration);
        // A failed reservation's penalty is its fee taken from the GUT stake: only a fee in GUT is
        // worth what it says there.
        if (quote.token != _stakeToken) revert TokenNotAllowed(quote.token);
        (IProviderRegistry.LeaseTerms memory t, uint96 rate, uint16 feeBps) = _acceptQuote(quote, signature);
        if (t.status != IProviderRegistry.Status.Idle) revert NodeNotAvailable(quote.nodeId, t.status);
        reservationId = _createReservation(quote, t.provider, rate, feeBps, _amount(deposit));
        registry.holdForReservation(quote.nodeId);
        _pull(quote.token, deposit);
    }

    /// @inheritdoc ILeaseEscrow
    function startReserved(uint256 reservationId, uint256 added, address sessionKey) external nonReentrant {
        Reservation storage r = _reservationIn(reservationId, 1 << uint8(ReservationStatus.Pending));
        if (msg.sender != r.customer) revert NotReservationCustomer(reservationId, msg.sender);
        if (block.timestamp < r.start || block.timestamp > r.deadline) {
            revert OutsideWindow(reservationId, r.start, r.deadline);
        }
        uint256 acceptBy = block.timestamp + acceptWindow;
        r.status = ReservationStatus.Starting;
        r.acceptBy = uint40(acceptBy);
        r.sessionKey = sessionKey;
        if (added != 0) r.deposit = _amount(uint256(r.deposit) + added);
        emit StartRequested(reservationId, sessionKey, added, acceptBy);
        if (added != 0) _pull(r.token, added);
    }

    /// @inheritdoc ILeaseEscrow
    function acceptStart(uint256 reservationId) external nonReentrant returns (uint256 leaseId) {
        Reservation storage r = _reservationIn(reservationId, 1 << uint8(ReservationStatus.Starting));
        if (!_isProviderSide(r.provider)) revert NotReservationProvider(reservationId, msg.sender);
        if (block.timestamp > r.acceptBy) revert AcceptWindowClosed(reservationId, r.acceptBy);
        (uint64 nodeId, address provider, address token, uint96 fee) = (r.nodeId, r.provider, r.token, r.fee);
        // The hold up to the window is done and the provider's now; the window's part waits for
        // the lease's close, which earns it in proportion to the window the lease stayed open in.
        uint96 holdFee = uint96((uint256(fee) * (r.start - r.reservedAt)) / (r.heldUntil - r.reservedAt));
        r.status = ReservationStatus.Started;
        delete reservationOf[nodeId];
        leaseId = _createLease(
            nodeId,
            r.customer,
            provider,
            token,
            r.rate,
            r.feeBps,
            r.deposit - fee,
            r.sessionKey,
            reservationId
        );
        r.leaseId = uint64(leaseId);
        _credit(provider, token, holdFee, LeaseMath.share(holdFee, r.feeBps));
        emit ReservationEnded(reservationId, ReservationStatus.Started, msg.sender, holdFee, 0, leaseId, 0);
        registry.startLease(nodeId);
    }

    /// @inheritdoc ILeaseEscrow
    function failReservation(uint256 reservationId) external nonReentrant {
        Reservation storage r = _reservationIn(
            reservationId,
            (1 << uint8(ReservationStatus.Pending)) | (1 << uint8(ReservationStatus.Starting))
        );
        bool unaccepted = r.status == ReservationStatus.Starting && block.timestamp > r.acceptBy;
        if (!unaccepted && !_down(r)) revert ReservationNotFailed(reservationId, r.acceptBy);
        _fail(reservationId, r);
    }

    /// @inheritdoc ILeaseEscrow
    function cancelReservation(uint256 reservationId) external nonReentrant {
        Reservation storage r = _reservationIn(
            reservationId,
            (1 << uint8(ReservationStatus.Pending)) | (1 << uint8(ReservationStatus.Starting))
        );
        if (_isProviderSide(r.provider)) return _fail(reservationId, r);
        if (msg.sender != r.customer) revert NotReservationParty(reservationId, msg.sender);
        // A customer cancelling a reservation its provider already failed is owed the failure's
        // terms, not a cancel's.
        if (_down(r)) return _fail(reservationId, r);
        _end(reservationId, r, ReservationStatus.Cancelled);
    }

    /// @inheritdoc ILeaseEscrow
    function expireReservation(uint256 reservationId) external nonReentrant {
        Reservation storage r = _reservationIn(reservationId, 1 << uint8(ReservationStatus.Pending));
        if (!(block.timestamp > r.deadline)) revert ReservationNotExpired(reservationId, r.deadline);
        if (_down(r)) return _fail(reservationId, r);
        _end(reservationId, r, ReservationStatus.Expired);
    }

    // ---------------------------------------------------------------- money out

    /// @inheritdoc ILeaseEscrow
    function withdraw(address token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress("to");
        _withdraw(msg.sender, token, to);
    }

    /// @inheritdoc ILeaseEscrow
    function withdrawFor(address provider, address token) external nonReentrant {
        // The provider itself passes too: it is paid to its own address either way.
        if (!_isProviderSide(provider)) revert NotOperator(provider, msg.sender);
        _withdraw(provider, token, provider);
    }

    /// @inheritdoc ILeaseEscrow
    function forwardFees(address token, address[] calldata providers) external nonReentrant {
        address collector = feeCollector;
        for (uint256 i; i < providers.length; ++i) {
            address provider = providers[i];
            uint256 fee = feesDue[provider][token];
            if (fee == 0) continue;
            feesDue[provider][token] = 0;
            emit FeesForwarded(provider, token, collector, fee);
            // Transfer first, report second, in this transaction, as IFeeCollector requires.
            IERC20(token).safeTransfer(collector, fee);
            IFeeCollector(collector).recordFee(provider, token, fee);
        }
    }

    /// @inheritdoc ILeaseEscrow
    function claimRefund(address token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress("to");
        uint256 amount = owed[msg.sender][token];
        if (amount == 0) revert NothingToClaim(msg.sender, token);
        owed[msg.sender][token] = 0;
        emit RefundClaimed(msg.sender, token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    /// @inheritdoc ILeaseEscrow
    function selfPermit(address token, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        // A permit seen in the mempool can be sent by anyone first; the allowance it set is then
        // in place, so its failure here must not fail the lease that follows.
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(token).permit(msg.sender, address(this), value, deadline, v, r, s) {} catch {}
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
    function sessionKeyUntil(uint256 leaseId, address key) external view returns (uint40) {
        if (key != address(0) && key == _leases[leaseId].sessionKey) return _CURRENT;
        return _sessionKeyUntil[leaseId][key];
    }

    /// @inheritdoc ILeaseEscrow
    function quoteNonceUsed(address provider, uint256 nonce) external view returns (bool) {
        return _quoteNonces[provider][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc ILeaseEscrow
    function quoteDigest(Quote memory quote) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(QUOTE_TYPEHASH, quote)));
    }

    /// @inheritdoc ILeaseEscrow
    function receiptDigest(uint256 leaseId, uint256 paidThrough) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RECEIPT_TYPEHASH, leaseId, paidThrough)));
    }

    /// @inheritdoc ILeaseEscrow
    function collectable(uint256 leaseId, uint256 paidThrough) external view returns (uint256 paid, uint256 remaining) {
        Lease storage lease_ = _leases[leaseId];
        paid = lease_.paid;
        uint256 owes = LeaseMath.owedAt(lease_.rate, lease_.start, _until(lease_, paidThrough), lease_.deposit);
        if (owes > paid) paid = owes;
        remaining = lease_.deposit - paid;
    }

    /// @inheritdoc ILeaseEscrow
    function reservationFee(
        uint256 nodeId,
        uint256 pricePerTuHour,
        uint256 start,
        uint256 duration
    ) external view returns (uint256 fee, uint256 heldUntil) {
        if (start < block.timestamp || duration == 0) revert InvalidWindow(start, duration);
        uint96 rate = _rate(nodeId, pricePerTuHour, registry.leaseTerms(nodeId).milliTu);
        return _reservationFee(rate, start, duration);
    }

    // ---------------------------------------------------------------- internal: quotes and receipts

    /// @dev Checks a quote for the caller and uses its nonce. Returns the node's terms, the
    /// lease's rate and the token's protocol fee.
    function _acceptQuote(
        Quote memory quote,
        bytes calldata signature
    ) private returns (IProviderRegistry.LeaseTerms memory t, uint96 rate, uint16 feeBps) {
        if (quote.customer != msg.sender) revert QuoteNotForCaller(quote.customer, msg.sender);
        if (block.timestamp > quote.expiry) revert QuoteExpired(quote.expiry, block.timestamp);
        uint256 latest = block.timestamp + maxQuoteAge;
        if (quote.expiry > latest) revert QuoteExpiryTooFar(quote.expiry, latest);
        TokenConfig memory config = _tokens[quote.token];
        if (!config.allowed) revert TokenNotAllowed(quote.token);
        if (quote.nodeId > type(uint64).max) revert NodeIdTooLarge(quote.nodeId);
        t = registry.leaseTerms(quote.nodeId);
        bytes32 digest = quoteDigest(quote);
        (address signer, , ) = ECDSA.tryRecover(digest, signature);
        bool byKey = signer != address(0) && (signer == t.provider || signer == t.operator);
        if (!byKey && !SignatureChecker.isValidERC1271SignatureNow(t.provider, digest, signature)) {
            revert InvalidQuoteSigner(quote.nodeId, signer);
        }
        _useQuoteNonce(t.provider, quote.nonce);
        rate = _rate(quote.nodeId, quote.pricePerTuHour, t.milliTu);
        feeBps = config.feeBps;
    }

    function _useQuoteNonce(address provider, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = _quoteNonces[provider][nonce >> 8];
        if (bits & bit != 0) revert QuoteNonceUsed(provider, nonce);
        _quoteNonces[provider][nonce >> 8] = bits | bit;
    }

    /// @dev Collects a receipt: the lease's pay up to what the receipt covers, capped by the
    /// signing key's end, now, the close and the deposit. Never pays less than before.
    function _collect(
        uint256 leaseId,
        Lease storage lease_,
        uint256 paidThrough,
        bytes calldata signature
    ) private returns (uint256) {
        uint256 keyEnd = _receiptKeyEnd(leaseId, lease_, paidThrough, signature);
        return _pay(leaseId, lease_, paidThrough < keyEnd ? paidThrough : keyEnd);
    }

    /// @dev Pays the provider for the lease's time up to `paidThrough`, capped by now, the close
    /// and the deposit. Never pays less than before.
    function _pay(uint256 leaseId, Lease storage lease_, uint256 paidThrough) private returns (uint256) {
        uint256 until = _until(lease_, paidThrough);
        uint96 before = lease_.paid;
        uint96 paid = uint96(LeaseMath.owedAt(lease_.rate, lease_.start, until, lease_.deposit));
        if (!(paid > before)) return before;
        lease_.paid = paid;
        uint16 feeBps = lease_.feeBps;
        // The fee is computed on the cumulative pay, so a lease's total fee does not depend on
        // how many collects it took.
        uint256 fee = LeaseMath.share(paid, feeBps) - LeaseMath.share(before, feeBps);
        _credit(lease_.provider, lease_.token, paid - before, fee);
        emit Collected(leaseId, until, paid, fee);
        return paid;
    }

    /// @dev Until when the receipt's signer may pay: without end for the customer, the key's end
    /// for a session key. Reverts for any other signer.
    function _receiptKeyEnd(
        uint256 leaseId,
        Lease storage lease_,
        uint256 paidThrough,
        bytes calldata signature
    ) private view returns (uint256) {
        bytes32 digest = receiptDigest(leaseId, paidThrough);
        (address signer, , ) = ECDSA.tryRecover(digest, signature);
        address customer = lease_.customer;
        if (signer != address(0)) {
            if (signer == customer || signer == lease_.sessionKey) return _CURRENT;
            uint40 keyEnd = _sessionKeyUntil[leaseId][signer];
            if (keyEnd != 0) return keyEnd;
        }
        if (SignatureChecker.isValidERC1271SignatureNow(customer, digest, signature)) return _CURRENT;
        revert InvalidReceiptSigner(leaseId, signer);
    }

    /// @dev The end of paid time for a receipt up to `paidThrough`: never past now or the close.
    function _until(Lease storage lease_, uint256 paidThrough) private view returns (uint256 until) {
        until = paidThrough < block.timestamp ? paidThrough : block.timestamp;
        uint256 closedAt = lease_.closedAt;
        if (closedAt != 0 && closedAt < until) until = closedAt;
    }

    // ---------------------------------------------------------------- internal: leases

    function _createLease(
        uint64 nodeId,
        address customer,
        address provider,
        address token,
        uint96 rate,
        uint16 feeBps,
        uint96 deposit,
        address sessionKey,
        uint256 reservationId
    ) private returns (uint256 leaseId) {
        leaseId = ++leaseCount;
        _leases[leaseId] = Lease({
            customer: customer,
            start: uint40(block.timestamp),
            closedAt: 0,
            status: LeaseStatus.Open,
            provider: provider,
            deposit: deposit,
            token: token,
            paid: 0,
            sessionKey: sessionKey,
            rate: rate,
            nodeId: nodeId,
            reservationId: uint64(reservationId),
            feeBps: feeBps,
            collectDeadline: 0
        });
        emit LeaseOpened(leaseId, nodeId, customer, provider, token, rate, deposit, sessionKey);
    }

    /// @dev Settles a closed lease for good and pays the customer back.
    function _finalize(uint256 leaseId, Lease storage lease_) private {
        _push(lease_.token, lease_.customer, _settle(leaseId, lease_));
    }

    /// @dev Closes a lease's books: the unpaid deposit is the customer's, and for a lease started
    /// from a reservation the window's part of the fee is earned in proportion to the part of the
    /// window the lease stayed open in. Returns what the customer gets back, for the caller to pay
    /// out or carry into a renewal.
    function _settle(uint256 leaseId, Lease storage lease_) private returns (uint256 refund) {
        lease_.status = LeaseStatus.Closed;
        (address token, uint96 paid) = (lease_.token, lease_.paid);
        refund = lease_.deposit - paid;
        uint96 windowEarned;
        uint256 reservationId = lease_.reservationId;
        if (reservationId != 0) {
            Reservation storage r = _reservations[reservationId];
            uint256 windowFee = r.fee - (uint256(r.fee) * (r.start - r.reservedAt)) / (r.heldUntil - r.reservedAt);
            uint256 end = lease_.closedAt < r.heldUntil ? lease_.closedAt : r.heldUntil;
            windowEarned = uint96((windowFee * (end - r.start)) / (r.heldUntil - r.start));
            refund += windowFee - windowEarned;
            _credit(lease_.provider, token, windowEarned, LeaseMath.share(windowEarned, lease_.feeBps));
        }
        emit LeaseFinalized(leaseId, paid, uint96(refund), windowEarned);
    }

    function _checkCollectWindow(uint256 leaseId, Lease storage lease_) private view {
        uint256 deadline = lease_.collectDeadline;
        if (deadline != 0 && block.timestamp > deadline) revert CollectWindowClosed(leaseId, deadline);
    }

    // ---------------------------------------------------------------- internal: reservations

    function _createReservation(
        Quote calldata quote,
        address provider,
        uint96 rate,
        uint16 feeBps,
        uint96 deposit
    ) private returns (uint256 reservationId) {
        uint256 start = quote.windowStart;
        (uint256 fee, uint256 heldUntil) = _reservationFee(rate, start, quote.windowDuration);
        if (!(deposit > fee)) revert DepositBelowFee(deposit, fee);
        reservationId = ++reservationCount;
        uint40 deadline = uint40(start) + reservationGrace;
        _reservations[reservationId] = Reservation({
            customer: msg.sender,
            start: uint40(start),
            deadline: deadline,
            status: ReservationStatus.Pending,
            provider: provider,
            deposit: deposit,
            token: quote.token,
            rate: rate,
            nodeId: uint64(quote.nodeId),
            fee: uint96(fee),
            feeBps: feeBps,
            reservedAt: uint40(block.timestamp),
            heldUntil: uint40(heldUntil),
            acceptBy: 0,
            sessionKey: address(0),
            leaseId: 0
        });
        reservationOf[quote.nodeId] = reservationId;
        emit Reserved(
            reservationId,
            quote.nodeId,
            msg.sender,
            quote.token,
            uint40(start),
            deadline,
            uint40(heldUntil),
            deposit,
            uint96(fee)
        );
    }

    /// @dev The provider failed the reservation: everything back to the customer, and the fee
    /// from the provider's stake to the treasury, taken while the node is still held.
    function _fail(uint256 reservationId, Reservation storage r) private {
        (uint64 nodeId, address customer, address token, uint96 deposit) = (r.nodeId, r.customer, r.token, r.deposit);
        r.status = ReservationStatus.Failed;
        delete reservationOf[nodeId];
        uint256 penalty = registry.penalize(nodeId, r.fee);
        emit ReservationEnded(reservationId, ReservationStatus.Failed, msg.sender, 0, deposit, 0, penalty);
        registry.release(nodeId);
        _push(token, customer, deposit);
    }

    /// @dev A reservation ends without a lease and without fault: the fee is the provider's, the
    /// rest goes back.
    function _end(uint256 reservationId, Reservation storage r, ReservationStatus status) private {
        (uint64 nodeId, address customer, address token, uint96 fee) = (r.nodeId, r.customer, r.token, r.fee);
        uint96 refund = r.deposit - fee;
        r.status = status;
        delete reservationOf[nodeId];
        _credit(r.provider, token, fee, LeaseMath.share(fee, r.feeBps));
        emit ReservationEnded(reservationId, status, msg.sender, fee, refund, 0, 0);
        registry.release(nodeId);
        _push(token, customer, refund);
    }

    /// @dev A provider failed its reservation if its node went down (offline, or a stale check-in)
    /// before the deadline. A node the escrow holds cannot come back, so a node down at any moment
    /// since the reservation is still Disconnect now, and `downSince` dates it.
    function _down(Reservation storage r) private returns (bool) {
        IProviderRegistry.LeaseTerms memory t = registry.sync(r.nodeId);
        return t.status == IProviderRegistry.Status.Disconnect && t.downSince < r.deadline;
    }

    /// @dev The fee of a hold from now to `start + max(duration, grace)`.
    function _reservationFee(
        uint96 rate,
        uint256 start,
        uint256 duration
    ) private view returns (uint256 fee, uint256 heldUntil) {
        uint256 grace = reservationGrace;
        heldUntil = start + (duration > grace ? duration : grace);
        fee = LeaseMath.share(LeaseMath.cost(rate, heldUntil - block.timestamp), reservationFeeBps);
    }

    // ---------------------------------------------------------------- internal: money

    /// @dev Books what a provider earned, `gross`, of which `fee` is the protocol's, due now.
    function _credit(address provider, address token, uint256 gross, uint256 fee) private {
        if (gross == 0) return;
        earnings[provider][token] += gross - fee;
        if (fee != 0) feesDue[provider][token] += fee;
    }

    function _withdraw(address provider, address token, address to) private {
        uint256 amount = earnings[provider][token];
        if (amount == 0) revert NothingToWithdraw(provider, token);
        earnings[provider][token] = 0;
        emit Withdrawn(provider, token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    /// @dev Pays a customer. A failed transfer (a blocklisted or reverting receiver) must not
    /// block the caller, so the amount becomes claimable instead.
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

    // ---------------------------------------------------------------- internal: checks

    /// @dev Whether the caller is `provider` or the operator it named.
    function _isProviderSide(address provider) private view returns (bool) {
        if (msg.sender == provider) return true;
        address operator = registry.operatorOf(provider);
        return operator != address(0) && msg.sender == operator;
    }

    function _leaseIn(uint256 leaseId, uint256 allowed) private view returns (Lease storage lease_) {
        lease_ = _leases[leaseId];
        if (allowed & (1 << uint8(lease_.status)) == 0) revert InvalidLeaseStatus(leaseId, lease_.status);
    }

    function _reservationIn(uint256 reservationId, uint256 allowed) private view returns (Reservation storage r) {
        r = _reservations[reservationId];
        if (allowed & (1 << uint8(r.status)) == 0) revert InvalidReservationStatus(reservationId, r.status);
    }

    function _rate(uint256 nodeId, uint256 pricePerTuHour, uint32 milliTu) private pure returns (uint96) {
        uint256 rate = pricePerTuHour > type(uint96).max ? type(uint256).max : pricePerTuHour * milliTu;
        if (rate == 0 || rate > type(uint96).max) revert RateOutOfRange(nodeId, pricePerTuHour, milliTu);
        return uint96(rate);
    }

    function _amount(uint256 amount) private pure returns (uint96) {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        return uint96(amount);
    }
}
