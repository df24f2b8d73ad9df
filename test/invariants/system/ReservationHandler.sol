// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ProviderRegistry} from "../../../contracts/ProviderRegistry.sol";
import {TFT} from "../../../contracts/TFT.sol";
import {ILeaseEscrow} from "../../../contracts/interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {MarketSigner} from "./MarketSigner.sol";
import {SystemActors} from "./SystemActors.sol";

/// @dev The reservation half of the market campaign, on the market handler's nodes: customers
/// reserve with quotes (valid or not, deposits at and above the fee), start in or outside the
/// window, providers and operators accept in or after the accept window (or strangers try), and
/// anyone fails, cancels or expires them. Each outcome is worked out before the call: the fee
/// prices the whole hold including the grace, a failed reservation gives the customer its whole
/// deposit back and pays `min(stake, fee)` from the stake to the treasury and nowhere else, an
/// accepted start pays the provider the hold's part of the fee and no more. Lease ids, funding,
/// refunds and penalties are booked in the market handler, whose ghosts the invariants read.
contract ReservationHandler is MarketSigner {
    TFT public immutable tft;
    ProviderRegistry public immutable registry;
    MarketHandler public immutable market;

    uint256[] public reservations;

    uint256 public calls;
    uint256 public unexpectedReverts;
    uint256 public tftSupplyGrew;
    uint256 public badQuotesAccepted;
    uint256 public badCallsAccepted;
    uint256 public wrongFees;
    uint256 public underStakedEngagements;
    uint256 public failedReservationsCharged;
    uint256 public wrongPenalties;
    uint256 public wrongRefunds;
    uint256 public reservationsStarted;
    uint256 public reservationsFailed;
    /// @dev The revert data of the last call that should have passed, for the invariant's message.
    bytes public lastUnexpected;

    struct Ended {
        uint256 refund;
        uint256 penalty;
        uint256 providerGained;
    }

    constructor(
        TFT tft_,
        ProviderRegistry registry_,
        ILeaseEscrow escrow_,
        MarketHandler market_
    ) MarketSigner(escrow_) {
        tft = tft_;
        registry = registry_;
        market = market_;
    }

    modifier step() {
        ++calls;
        uint256 supply = tft.totalSupply();
        _;
        if (tft.totalSupply() > supply) ++tftSupplyGrew;
        market.recordTransitions();
    }

    /// @dev `how` as in the market handler's `openLease`; every thirteenth deposit is exactly the
    /// fee, which must be refused.
    function reserve(
        uint256 nodeSeed,
        uint256 customerSeed,
        uint256 ahead,
        uint256 duration,
        uint256 amount,
        uint256 how
    ) external step {
        uint256 count = market.nodeCount();
        if (count == 0) return;
        IProviderRegistry.NodeInfo memory n = registry.node(market.nodes(nodeSeed % count));
        if (n.status == IProviderRegistry.Status.None) return;
        ILeaseEscrow.Quote memory quote = ILeaseEscrow.Quote({
            nodeId: n.id,
            customer: SystemActors.customer(customerSeed),
            token: n.paymentToken,
            pricePerTuHour: n.pricePerTuHour,
            windowStart: block.timestamp + bound(ahead, 0, 3 hours),
            windowDuration: bound(duration, 1, 1 days),
            expiry: block.timestamp + escrow.maxQuoteAge(),
            nonce: _freshNonce()
        });
        how %= 11;
        Signed memory q = _signQuoteAs(
            quote,
            n.provider,
            market.operatorSet(n.provider),
            how == 6 ? 0 : how,
            0,
            customerSeed
        );
        _reserve(n, q, SystemActors.customer(customerSeed), amount);
    }

    function _reserve(IProviderRegistry.NodeInfo memory n, Signed memory q, address customer, uint256 amount) internal {
        (uint256 fee, uint256 heldUntil) = _fee(n, q.quote.windowStart, q.quote.windowDuration);
        amount = amount % 13 == 0 ? fee : bound(amount, fee + 1, fee + 50e18);
        if (IERC20(n.paymentToken).balanceOf(customer) < amount) return;
        bool stakeOk = !(n.stake < n.requiredStake);
        // Reservations are paid in GUT only: a failure's penalty comes out of the GUT stake.
        bool inGut = q.quote.token == address(market.gut());
        bool ok = q.valid && inGut && n.status == IProviderRegistry.Status.Idle && stakeOk && amount > fee;
        vm.prank(customer);
        try escrow.reserve(q.quote, q.signature, amount) returns (uint256 reservationId) {
            if (!q.valid) ++badQuotesAccepted;
            if (!inGut) ++badCallsAccepted;
            if (!stakeOk) ++underStakedEngagements;
            if (!(amount > fee)) ++badCallsAccepted;
            ILeaseEscrow.Reservation memory r = escrow.reservation(reservationId);
            if (r.fee != fee || r.heldUntil != heldUntil) ++wrongFees;
            reservations.push(reservationId);
            market.recordFunding(customer, n.paymentToken, amount);
        } catch (bytes memory reason) {
            if (ok) _unexpected(reason);
        }
    }

    function startReserved(uint256 seed, uint256 added, uint256 sessionSeed, bool early) external step {
        if (reservations.length == 0) return;
        uint256 id = reservations[seed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(id);
        if (r.status != ILeaseEscrow.ReservationStatus.Pending) return;
        if (!early && block.timestamp < r.start) vm.warp(r.start);
        added = bound(added, 0, 10e18);
        if (IERC20(r.token).balanceOf(r.customer) < added) return;
        address key = sessionSeed % 5 == 4 ? address(0) : vm.addr(SystemActors.sessionKey(sessionSeed));
        bool ok = !(block.timestamp < r.start) && !(block.timestamp > r.deadline);
        vm.prank(r.customer);
        try escrow.startReserved(id, added, key) {
            if (!ok) ++badCallsAccepted;
            market.recordFunding(r.customer, r.token, added);
        } catch (bytes memory reason) {
            if (ok) _unexpected(reason);
        }
    }

    /// @dev `who` 0: the provider; 1: its operator; 2: the customer (refused).
    function acceptStart(uint256 seed, uint256 who, bool late) external step {
        if (reservations.length == 0) return;
        uint256 id = reservations[seed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(id);
        if (r.status != ILeaseEscrow.ReservationStatus.Starting) return;
        if (late && !(block.timestamp > r.acceptBy)) vm.warp(uint256(r.acceptBy) + 1);
        who %= 3;
        address caller =
            who == 0
                ? r.provider
                : who == 1
                    ? registry.operatorOf(r.provider)
                    : r.customer;
        if (caller == address(0)) caller = SystemActors.operator(_providerSeed(r.provider));
        bool providerSide = who == 0 || (who == 1 && market.operatorSet(r.provider));
        bool held = registry.leaseTerms(r.nodeId).status == IProviderRegistry.Status.Reserved;
        bool ok = providerSide && held && !(block.timestamp > r.acceptBy);
        uint256 earned = escrow.earnings(r.provider, r.token);
        vm.prank(caller);
        try escrow.acceptStart(id) returns (uint256 leaseId) {
            if (!ok) ++badCallsAccepted;
            ++reservationsStarted;
            market.recordLease(leaseId, r.sessionKey);
            uint256 hold = holdFee(r);
            if (escrow.earnings(r.provider, r.token) - earned != hold - (hold * r.feeBps) / 10_000) ++wrongFees;
            if (escrow.lease(leaseId).deposit != r.deposit - r.fee) ++wrongFees;
        } catch (bytes memory reason) {
            if (ok) _unexpected(reason);
        }
    }

    function failReservation(uint256 seed) external step {
        if (reservations.length == 0) return;
        uint256 id = reservations[seed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(id);
        if (!_live(r)) return;
        bool unaccepted = r.status == ILeaseEscrow.ReservationStatus.Starting && block.timestamp > r.acceptBy;
        bool ok = unaccepted || _down(r);
        uint256 stake = registry.node(r.nodeId).stake;
        Ended memory e = _before(r);
        vm.prank(SystemActors.STRANGER);
        try escrow.failReservation(id) {
            if (!ok) ++badCallsAccepted;
            _afterFail(r, e, stake);
        } catch (bytes memory reason) {
            if (ok) _unexpected(reason);
        }
    }

    /// @dev `who` 0: the customer (a cancel, or a failure if the node is down); 1: the provider
    /// and 2: its operator (a failure); 3: a stranger (refused).
    function cancelReservation(uint256 seed, uint256 who) external step {
        if (reservations.length == 0) return;
        uint256 id = reservations[seed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(id);
        if (!_live(r)) return;
        who %= 4;
        if (who == 2 && !market.operatorSet(r.provider)) who = 3;
        address caller = [r.customer, r.provider, registry.operatorOf(r.provider), SystemActors.STRANGER][who];
        bool fails = who == 1 || who == 2 || (who == 0 && _down(r));
        uint256 stake = registry.node(r.nodeId).stake;
        Ended memory e = _before(r);
        vm.prank(caller);
        try escrow.cancelReservation(id) {
            if (who == 3) ++badCallsAccepted;
            if (fails) _afterFail(r, e, stake);
            else _afterEnd(r, e);
        } catch (bytes memory reason) {
            if (who != 3) _unexpected(reason);
        }
    }

    function expireReservation(uint256 seed, bool wait) external step {
        if (reservations.length == 0) return;
        uint256 id = reservations[seed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(id);
        if (r.status != ILeaseEscrow.ReservationStatus.Pending) return;
        if (wait && !(block.timestamp > r.deadline)) vm.warp(uint256(r.deadline) + 1);
        bool ok = block.timestamp > r.deadline;
        bool fails = _down(r);
        uint256 stake = registry.node(r.nodeId).stake;
        Ended memory e = _before(r);
        vm.prank(SystemActors.STRANGER);
        try escrow.expireReservation(id) {
            if (!ok) ++badCallsAccepted;
            if (fails) _afterFail(r, e, stake);
            else _afterEnd(r, e);
        } catch (bytes memory reason) {
            if (ok) _unexpected(reason);
        }
    }

    function reservationCount() external view returns (uint256) {
        return reservations.length;
    }

    // ------------------------------------------------------------ internals

    function _unexpected(bytes memory reason) internal {
        ++unexpectedReverts;
        lastUnexpected = reason;
    }

    /// @dev The fee rule, worked out here rather than read from the escrow: `reservationFeeBps`
    /// of the cost from now to `start + max(duration, grace)`.
    function _fee(
        IProviderRegistry.NodeInfo memory n,
        uint256 start,
        uint256 duration
    ) internal view returns (uint256 fee, uint256 heldUntil) {
        uint256 grace = escrow.reservationGrace();
        heldUntil = start + (duration > grace ? duration : grace);
        uint256 cost = (n.pricePerTuHour * n.milliTu * (heldUntil - block.timestamp)) / RATE_DIVISOR;
        fee = (cost * escrow.reservationFeeBps()) / 10_000;
    }

    /// @dev Whether the node went down before the deadline, as the escrow will judge it: marked
    /// Disconnect before then, or a check-in that went stale before then.
    function _down(ILeaseEscrow.Reservation memory r) internal view returns (bool) {
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(r.nodeId);
        if (t.status == IProviderRegistry.Status.Disconnect) return t.downSince < r.deadline;
        uint256 staleAt = uint256(t.lastCheckIn) + registry.checkInPeriod();
        return block.timestamp > staleAt && staleAt < r.deadline;
    }

    function _live(ILeaseEscrow.Reservation memory r) internal pure returns (bool) {
        return
            r.status == ILeaseEscrow.ReservationStatus.Pending || r.status == ILeaseEscrow.ReservationStatus.Starting;
    }

    function _before(ILeaseEscrow.Reservation memory r) internal view returns (Ended memory e) {
        e.refund = _holdings(r.customer, r.token);
        e.penalty = market.gut().balanceOf(SystemActors.PENALTY_TREASURY);
        e.providerGained = escrow.earnings(r.provider, r.token);
    }

    /// @dev A failure: the whole deposit back, `min(stake, fee)` from the stake to the treasury,
    /// nothing to the provider.
    function _afterFail(ILeaseEscrow.Reservation memory r, Ended memory e, uint256 stake) internal {
        ++reservationsFailed;
        uint256 refund = _holdings(r.customer, r.token) - e.refund;
        uint256 penalty = market.gut().balanceOf(SystemActors.PENALTY_TREASURY) - e.penalty;
        if (refund != r.deposit) ++failedReservationsCharged;
        if (penalty != (stake < r.fee ? stake : r.fee)) ++wrongPenalties;
        if (registry.node(r.nodeId).stake != stake - penalty) ++wrongPenalties;
        if (escrow.earnings(r.provider, r.token) != e.providerGained) ++wrongPenalties;
        market.recordRefund(r.customer, r.token, refund);
        market.recordPenalty(penalty);
    }

    /// @dev A cancel by the customer or an expiry: the fee is the provider's, the rest back.
    function _afterEnd(ILeaseEscrow.Reservation memory r, Ended memory e) internal {
        uint256 refund = _holdings(r.customer, r.token) - e.refund;
        if (refund != r.deposit - r.fee) ++wrongRefunds;
        uint256 gained = escrow.earnings(r.provider, r.token) - e.providerGained;
        if (gained != r.fee - (uint256(r.fee) * r.feeBps) / 10_000) ++wrongRefunds;
        market.recordRefund(r.customer, r.token, refund);
    }

    function _holdings(address account, address token) internal view returns (uint256) {
        return IERC20(token).balanceOf(account) + escrow.owed(account, token);
    }
}
