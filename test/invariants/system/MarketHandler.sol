// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ProviderRegistry} from "../../../contracts/ProviderRegistry.sol";
import {TFT} from "../../../contracts/TFT.sol";
import {ILeaseEscrow} from "../../../contracts/interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {MarketSigner} from "./MarketSigner.sol";
import {SystemActors} from "./SystemActors.sol";

/// @dev The node and lease half of the market campaign: providers register nodes (paid in GUT or
/// TFT), name and revoke operators, check in (by themselves or their operator), go offline, get
/// marked stale, deregister, withdraw their stake and restore it after a penalty; customers open
/// leases with quotes (valid ones, and expired, too long, reused, foreign-domain, wrongly signed
/// or someone else's), top up, change session keys, and everyone collects receipts (by the
/// customer, current or revoked session keys, strangers, or signed for another lease or domain);
/// leases close by the customer (collect window), the provider or its operator (final), or anyone
/// once spent, and are finalized; providers withdraw to any address, operators only to the
/// provider. Each action first works out from the views and its ghosts whether it must succeed
/// and only then calls; a refusal of an action that should pass is counted in
/// `unexpectedReverts`, and an action that should be refused but passes in its own ghost.
contract MarketHandler is MarketSigner {
    uint256 internal constant _MAX_NODES = 8;

    IERC20 public immutable gut;
    TFT public immutable tft;
    ProviderRegistry public immutable registry;

    uint256[] public nodes;
    uint256[] public leases;
    mapping(uint256 nodeId => IProviderRegistry.Status) public lastStatus;
    mapping(address customer => mapping(address token => uint256)) public funded;
    mapping(address customer => mapping(address token => uint256)) public refunded;
    /// @dev The latest moment an accepted receipt covered, per lease: `min(paidThrough, now, the
    /// key's end)` of the best receipt collected. A provider is never paid past it.
    mapping(uint256 leaseId => uint256) public covered;
    /// @dev Until when a key's receipts count for a lease, kept by the handler from its own calls.
    mapping(uint256 leaseId => mapping(address key => uint256)) public keyUntil;
    mapping(address provider => uint256) public lastNonce;
    mapping(address provider => bool) public operatorSet;
    uint256 public penaltiesPaid;
    address public reservationHandler;

    uint256 public calls;
    uint256 public unexpectedReverts;
    uint256 public illegalTransitions;
    uint256 public earlyStakeUnlocks;
    uint256 public wrongStakeRefunds;
    uint256 public collectMismatches;
    uint256 public tftSupplyGrew;
    uint256 public badQuotesAccepted;
    uint256 public badReceiptsAccepted;
    uint256 public underStakedEngagements;
    uint256 public wrongRefunds;
    uint256 public misdirectedPayments;
    uint256 public operatorOverreach;
    /// @dev How many of each kind of action went through, so that a campaign that tests nothing
    /// shows up in the scripted walk.
    uint256 public leasesOpened;
    uint256 public renewals;
    uint256 public receiptsCollected;
    uint256 public checkIns;

    struct Call {
        uint256 leaseId;
        uint256 paidThrough;
        uint256 keyEnd;
        bytes signature;
        address caller;
        bool valid;
    }

    constructor(IERC20 gut_, TFT tft_, ProviderRegistry registry_, ILeaseEscrow escrow_) MarketSigner(escrow_) {
        gut = gut_;
        tft = tft_;
        registry = registry_;
    }

    modifier step() {
        ++calls;
        uint256 supply = tft.totalSupply();
        _;
        if (tft.totalSupply() > supply) ++tftSupplyGrew;
        _checkTransitions();
    }

    // ------------------------------------------------------------ nodes

    function register(
        uint256 providerSeed,
        uint256 modelSeed,
        uint256 gpus,
        uint256 price,
        bool payInTft
    ) external step {
        if (nodes.length == _MAX_NODES) return;
        address provider = SystemActors.provider(providerSeed);
        bytes32 model = [bytes32("GTX 1080 Ti"), bytes32("V100"), bytes32("RTX 2080")][modelSeed % 3];
        gpus = bound(gpus, 1, 4);
        price = bound(price, 1e15, 5e18);
        if (gut.balanceOf(provider) < registry.requiredStake(model, gpus)) return;
        address token = payInTft ? address(tft) : address(gut);
        vm.prank(provider);
        try registry.register(model, gpus, price, token, "ipfs://node") returns (uint256 nodeId) {
            nodes.push(nodeId);
            lastStatus[nodeId] = IProviderRegistry.Status.Idle;
        } catch {
            ++unexpectedReverts;
        }
    }

    function setOperator(uint256 providerSeed, bool revoke) external step {
        address provider = SystemActors.provider(providerSeed);
        address operator = revoke ? address(0) : SystemActors.operator(providerSeed);
        vm.prank(provider);
        registry.setOperator(operator);
        operatorSet[provider] = !revoke;
    }

    /// @dev Checks in every registered node of one provider in one batch, by the provider, its
    /// operator, or the operator after it was revoked (refused).
    function checkIn(uint256 providerSeed, uint256 callerSeed) external step {
        address provider = SystemActors.provider(providerSeed);
        uint256[] memory ids = _registeredOf(provider);
        if (ids.length == 0) return;
        uint256 who = callerSeed % 3;
        address caller =
            who == 0
                ? provider
                : who == 1
                    ? SystemActors.operator(providerSeed)
                    : SystemActors.STRANGER;
        bool allowed = who == 0 || (who == 1 && operatorSet[provider]);
        vm.prank(caller);
        try registry.checkIn(ids) {
            if (!allowed) ++operatorOverreach;
            ++checkIns;
        } catch {
            if (allowed) ++unexpectedReverts;
        }
    }

    function warp(uint256 seconds_) external step {
        vm.warp(block.timestamp + bound(seconds_, 1, 3 hours));
    }

    /// @dev A long silence: a day and a half, past the check-in period.
    function warpLong(uint256 seconds_) external step {
        vm.warp(block.timestamp + bound(seconds_, 1 days, 2 days));
    }

    function goOffline(uint256 nodeSeed, bool byOperator) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status != IProviderRegistry.Status.Idle && t.status != IProviderRegistry.Status.Reserved) return;
        if (byOperator && t.operator == address(0)) return;
        vm.prank(byOperator ? t.operator : t.provider);
        try registry.goOffline(nodeId) {} catch {
            ++unexpectedReverts;
        }
    }

    function markStale(uint256 nodeSeed) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status != IProviderRegistry.Status.Idle && t.status != IProviderRegistry.Status.Reserved) return;
        uint256 staleAt = uint256(t.lastCheckIn) + registry.checkInPeriod() + 1;
        if (block.timestamp < staleAt) vm.warp(staleAt);
        vm.prank(SystemActors.STRANGER);
        try registry.markDisconnected(nodeId) {} catch {
            ++unexpectedReverts;
        }
    }

    function deregister(uint256 nodeSeed) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status != IProviderRegistry.Status.Disconnect || t.engaged) return;
        vm.prank(t.provider);
        try registry.deregister(nodeId) {} catch {
            ++unexpectedReverts;
        }
    }

    /// @dev The provider withdraws an unbonded stake to itself or to another of its addresses
    /// (the stranger stands for it); before the unbonding ends it must be refused.
    function withdrawStake(uint256 nodeSeed, bool wait, bool elsewhere) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.NodeInfo memory n = registry.node(nodeId);
        if (n.status != IProviderRegistry.Status.None || n.stake == 0) return;
        if (wait && block.timestamp < n.unbondingEnds) vm.warp(n.unbondingEnds);
        address to = elsewhere ? SystemActors.STRANGER : n.provider;
        uint256 before = gut.balanceOf(to);
        vm.prank(n.provider);
        try registry.withdrawStake(nodeId, to) {
            if (block.timestamp < n.unbondingEnds) ++earlyStakeUnlocks;
            if (gut.balanceOf(to) - before != n.stake) ++wrongStakeRefunds;
        } catch {
            if (!(block.timestamp < n.unbondingEnds)) ++unexpectedReverts;
        }
    }

    /// @dev Restores a penalized node's stake to what it requires.
    function addStake(uint256 nodeSeed) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.NodeInfo memory n = registry.node(nodeId);
        if (n.status == IProviderRegistry.Status.None || !(n.stake < n.requiredStake)) return;
        uint256 amount = n.requiredStake - n.stake;
        if (gut.balanceOf(n.provider) < amount) return;
        vm.prank(n.provider);
        try registry.addStake(nodeId, amount) {} catch {
            ++unexpectedReverts;
        }
    }

    /// @dev An operator tries what only the provider may: move stake, withdraw the provider's
    /// earnings to itself, deregister. Every attempt must be refused.
    function operatorOverreaches(uint256 nodeSeed, uint256 which) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.operator == address(0)) return;
        bytes memory data;
        address target = address(registry);
        which %= 4;
        if (which == 0) data = abi.encodeCall(registry.withdrawStake, (nodeId, t.operator));
        else if (which == 1) data = abi.encodeCall(registry.deregister, (nodeId));
        else if (which == 2) data = abi.encodeCall(registry.update, (nodeId, 1, "ipfs://op"));
        else (target, data) = (address(escrow), abi.encodeCall(escrow.withdraw, (address(gut), t.operator)));
        uint256 before = gut.balanceOf(t.operator);
        vm.prank(t.operator);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = target.call(data);
        if (ok || gut.balanceOf(t.operator) != before) ++operatorOverreach;
    }

    // ------------------------------------------------------------ leases

    /// @dev `how` 0–3: a valid quote (by the provider, or by its operator when `how` is odd);
    /// 4: expired; 5: expiry past `maxQuoteAge`; 6: the provider's last nonce again; 7: signed
    /// for another escrow; 8: another chain; 9: by a stranger's key; 10: someone else's quote.
    function openLease(
        uint256 nodeSeed,
        uint256 customerSeed,
        uint256 amount,
        uint256 price,
        uint256 how,
        uint256 sessionSeed
    ) external step {
        if (nodes.length == 0) return;
        IProviderRegistry.NodeInfo memory n = registry.node(nodes[nodeSeed % nodes.length]);
        if (n.status == IProviderRegistry.Status.None) return;
        how %= 11;
        if (how == 6 && lastNonce[n.provider] == 0) how = 0;
        Signed memory q = _leaseQuote(
            n,
            SystemActors.customer(customerSeed),
            bound(price, 1e12, 5e18),
            how,
            customerSeed
        );
        address sessionKey = sessionSeed % 5 == 4 ? address(0) : vm.addr(SystemActors.sessionKey(sessionSeed));
        _openLease(n, q, SystemActors.customer(customerSeed), bound(amount, 1, 50e18), sessionKey);
    }

    function _openLease(
        IProviderRegistry.NodeInfo memory n,
        Signed memory q,
        address customer,
        uint256 amount,
        address sessionKey
    ) internal {
        if (IERC20(n.paymentToken).balanceOf(customer) < amount) return;
        bool ok = q.valid && n.status == IProviderRegistry.Status.Idle && !(n.stake < n.requiredStake);
        vm.prank(customer);
        try escrow.openLease(q.quote, q.signature, amount, sessionKey) returns (uint256 leaseId) {
            if (!q.valid) ++badQuotesAccepted;
            if (n.stake < n.requiredStake) ++underStakedEngagements;
            leases.push(leaseId);
            ++leasesOpened;
            lastNonce[n.provider] = q.quote.nonce;
            funded[customer][n.paymentToken] += amount;
            if (sessionKey != address(0)) keyUntil[leaseId][sessionKey] = type(uint256).max;
        } catch {
            if (ok) ++unexpectedReverts;
        }
    }

    function topUp(uint256 leaseSeed, uint256 fromSeed, uint256 amount) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        address from = SystemActors.customer(fromSeed);
        amount = bound(amount, 1, 20e18);
        if (IERC20(lease_.token).balanceOf(from) < amount) return;
        vm.prank(from);
        try escrow.topUp(leaseId, amount) {
            funded[lease_.customer][lease_.token] += amount;
        } catch {
            ++unexpectedReverts;
        }
    }

    /// @dev The customer names a new session key (or none): the old key's receipts count up to
    /// now. A stranger's try must be refused.
    function setSessionKey(uint256 leaseSeed, uint256 keySeed, bool byStranger) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        address key = keySeed % 5 == 4 ? address(0) : vm.addr(SystemActors.sessionKey(keySeed));
        vm.prank(byStranger ? SystemActors.STRANGER : lease_.customer);
        try escrow.setSessionKey(leaseId, key) {
            if (byStranger) ++badReceiptsAccepted;
            if (lease_.sessionKey != address(0)) keyUntil[leaseId][lease_.sessionKey] = block.timestamp;
            if (key != address(0)) keyUntil[leaseId][key] = type(uint256).max;
        } catch {
            if (!byStranger) ++unexpectedReverts;
        }
    }

    /// @dev Anyone collects a receipt, once or several times. `how` 0: signed by the customer;
    /// 1: by the current session key; 2: by any session key (current, revoked or never named);
    /// 3: by a stranger; 4: the customer's receipt for another lease; 5: for another escrow; 6:
    /// for another chain.
    function collect(
        uint256 leaseSeed,
        uint256 paidThrough,
        uint256 how,
        uint256 senderSeed,
        uint256 times
    ) external step {
        if (leases.length == 0) return;
        Call memory c = _receiptCall(leases[leaseSeed % leases.length], paidThrough, how);
        ILeaseEscrow.Lease memory lease_ = escrow.lease(c.leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open && lease_.status != ILeaseEscrow.LeaseStatus.Closing) return;
        bool windowOpen = lease_.collectDeadline == 0 || !(block.timestamp > lease_.collectDeadline);
        address sender = [lease_.customer, lease_.provider, SystemActors.STRANGER][senderSeed % 3];
        times = bound(times, 1, 2);
        for (uint256 i; i < times; ++i) {
            lease_ = escrow.lease(c.leaseId);
            uint256 earned = escrow.earnings(lease_.provider, lease_.token);
            vm.prank(sender);
            try escrow.collect(c.leaseId, c.paidThrough, c.signature) returns (uint256 paid) {
                if (!c.valid || !windowOpen) ++badReceiptsAccepted;
                _afterCollect(c, lease_, paid, earned);
            } catch {
                if (c.valid && windowOpen) ++unexpectedReverts;
            }
        }
    }

    /// @dev `who` 0: the customer (a collect window opens); 1: the provider with a receipt; 2: the
    /// operator with a receipt; 3: a stranger with a receipt (only once the deposit is spent).
    function closeLease(uint256 leaseSeed, uint256 who, uint256 paidThrough, bool withReceipt) external step {
        if (leases.length == 0) return;
        Call memory c = _receiptCall(leases[leaseSeed % leases.length], paidThrough, 0);
        ILeaseEscrow.Lease memory lease_ = escrow.lease(c.leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open && lease_.status != ILeaseEscrow.LeaseStatus.Closing) return;
        who %= 4;
        if (who == 2 && !operatorSet[lease_.provider]) who = 1;
        c.caller = [lease_.customer, lease_.provider, registry.operatorOf(lease_.provider), SystemActors.STRANGER][who];
        if (!withReceipt) (c.signature, c.paidThrough) = ("", 0);
        bool ok = _closeAllowed(c, lease_, who);
        uint256 before = _holdings(lease_.customer, lease_.token);
        uint256 earned = escrow.earnings(lease_.provider, lease_.token);
        vm.prank(c.caller);
        try escrow.closeLease(c.leaseId, c.paidThrough, c.signature) {
            if (!ok) ++badReceiptsAccepted;
            ILeaseEscrow.Lease memory after_ = escrow.lease(c.leaseId);
            // A final close also credits a reservation's window fee, booked apart from the pay.
            if (after_.status == ILeaseEscrow.LeaseStatus.Closed) earned += _windowCredit(after_);
            if (withReceipt && after_.paid > lease_.paid) _afterCollect(c, lease_, after_.paid, earned);
            _afterClose(c.leaseId, _holdings(lease_.customer, lease_.token) - before);
        } catch {
            if (ok) ++unexpectedReverts;
        }
    }

    function finalize(uint256 leaseSeed, bool wait) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Closing) return;
        if (wait && !(block.timestamp > lease_.collectDeadline)) vm.warp(uint256(lease_.collectDeadline) + 1);
        bool ok = block.timestamp > lease_.collectDeadline;
        uint256 before = _holdings(lease_.customer, lease_.token);
        vm.prank(SystemActors.STRANGER);
        try escrow.finalize(leaseId) {
            if (!ok) ++badReceiptsAccepted;
            _afterClose(leaseId, _holdings(lease_.customer, lease_.token) - before);
        } catch {
            if (ok) ++unexpectedReverts;
        }
    }

    /// @dev The customer renews a lease with a new quote (`how` as in `openLease`), adding
    /// `amount` or nothing. Its own transaction is its receipt: the old lease is paid through now
    /// and closed, and the rest with what was added opens the next lease, same key.
    function renewLease(uint256 leaseSeed, uint256 price, uint256 how, uint256 amount) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        // Half the renewals add nothing.
        amount = amount % 2 == 0 ? 0 : bound(amount, 1, 20e18);
        if (IERC20(lease_.token).balanceOf(lease_.customer) < amount) return;
        (Signed memory q, bool ok, uint256 paid) = _renewal(lease_, price, how, amount);
        uint256 earned = escrow.earnings(lease_.provider, lease_.token);
        vm.prank(lease_.customer);
        try
            escrow.renewLease(leaseId, q.quote.pricePerTuHour, q.quote.expiry, q.quote.nonce, q.signature, amount)
        returns (uint256 next) {
            if (!ok) ++badQuotesAccepted;
            _afterRenew(leaseId, lease_, next, paid, amount, earned);
        } catch {
            if (ok) ++unexpectedReverts;
        }
    }

    /// @dev The renewal's quote, whether the escrow must take it, and what the old lease is then
    /// paid in all.
    function _renewal(
        ILeaseEscrow.Lease memory lease_,
        uint256 price,
        uint256 how,
        uint256 amount
    ) internal returns (Signed memory q, bool ok, uint256 paid) {
        IProviderRegistry.NodeInfo memory n = registry.node(lease_.nodeId);
        how %= 11;
        if (how == 6 && lastNonce[n.provider] == 0) how = 0;
        q = _leaseQuote(n, lease_.customer, bound(price, 1e12, 5e18), how, _customerSeed(lease_.customer));
        paid = oneShot(lease_, block.timestamp);
        if (paid < lease_.paid) paid = lease_.paid;
        ok =
            q.valid &&
            lease_.reservationId == 0 &&
            n.paymentToken == lease_.token &&
            lease_.deposit - paid + amount != 0;
        if (ok) lastNonce[n.provider] = q.quote.nonce;
    }

    function _afterRenew(
        uint256 leaseId,
        ILeaseEscrow.Lease memory lease_,
        uint256 next,
        uint256 paid,
        uint256 amount,
        uint256 earned
    ) internal {
        ++renewals;
        covered[leaseId] = block.timestamp;
        Call memory c;
        (c.leaseId, c.paidThrough, c.keyEnd) = (leaseId, block.timestamp, type(uint256).max);
        if (paid > lease_.paid) _afterCollect(c, lease_, paid, earned);
        leases.push(next);
        ++leasesOpened;
        funded[lease_.customer][lease_.token] += amount;
        if (lease_.sessionKey != address(0)) keyUntil[next][lease_.sessionKey] = type(uint256).max;
        ILeaseEscrow.Lease memory after_ = escrow.lease(leaseId);
        if (after_.status != ILeaseEscrow.LeaseStatus.Closed || after_.paid != paid) ++collectMismatches;
        if (escrow.lease(next).deposit != lease_.deposit - paid + amount) ++wrongRefunds;
    }

    /// @dev The provider withdraws to itself or elsewhere (the stranger stands for its other
    /// address), or its operator withdraws for it: the earnings land where the provider said,
    /// never with the operator.
    function withdraw(uint256 providerSeed, bool inTft, uint256 how) external step {
        address provider = SystemActors.provider(providerSeed);
        address token = inTft ? address(tft) : address(gut);
        uint256 amount = escrow.earnings(provider, token);
        how %= 3;
        if (how == 2 && !operatorSet[provider]) how = 0;
        address to = how == 1 ? SystemActors.STRANGER : provider;
        uint256 before = IERC20(token).balanceOf(to);
        vm.prank(how == 2 ? SystemActors.operator(providerSeed) : provider);
        if (how == 2) {
            try escrow.withdrawFor(provider, token) {} catch {
                if (amount != 0) ++unexpectedReverts;
            }
        } else {
            try escrow.withdraw(token, to) {} catch {
                if (amount != 0) ++unexpectedReverts;
            }
        }
        if (IERC20(token).balanceOf(to) - before != amount) ++misdirectedPayments;
    }

    // ------------------------------------------------------------ hooks for the reservation handler

    /// @dev Names the reservation handler, once, in the campaign's setUp: the only caller whose
    /// bookings count (the fuzzer calls these hooks too, and its calls must change nothing).
    function bindReservations(address handler) external {
        if (reservationHandler == address(0)) reservationHandler = handler;
    }

    /// @dev A lease the reservation handler's accepted start opened, with its session key.
    function recordLease(uint256 leaseId, address sessionKey) external {
        if (msg.sender != reservationHandler) return;
        leases.push(leaseId);
        if (sessionKey != address(0)) keyUntil[leaseId][sessionKey] = type(uint256).max;
    }

    function recordFunding(address customer, address token, uint256 amount) external {
        if (msg.sender != reservationHandler) return;
        funded[customer][token] += amount;
    }

    function recordRefund(address customer, address token, uint256 amount) external {
        if (msg.sender != reservationHandler) return;
        refunded[customer][token] += amount;
    }

    function recordPenalty(uint256 amount) external {
        if (msg.sender != reservationHandler) return;
        penaltiesPaid += amount;
    }

    function recordTransitions() external {
        if (msg.sender != reservationHandler) return;
        _checkTransitions();
    }

    // ------------------------------------------------------------ views for the invariants

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }

    function leaseCount() external view returns (uint256) {
        return leases.length;
    }

    /// @dev What one collect of a receipt covering up to `until` pays: the formula, not the
    /// contract.
    function oneShot(ILeaseEscrow.Lease memory lease_, uint256 until) public pure returns (uint256) {
        if (lease_.closedAt != 0 && lease_.closedAt < until) until = lease_.closedAt;
        if (!(until > lease_.start)) return 0;
        uint256 due = (uint256(lease_.rate) * (until - lease_.start)) / RATE_DIVISOR;
        return due < lease_.deposit ? due : lease_.deposit;
    }

    // ------------------------------------------------------------ internals

    function _leaseQuote(
        IProviderRegistry.NodeInfo memory n,
        address customer,
        uint256 price,
        uint256 how,
        uint256 customerSeed
    ) internal returns (Signed memory q) {
        ILeaseEscrow.Quote memory quote = ILeaseEscrow.Quote({
            nodeId: n.id,
            customer: customer,
            token: n.paymentToken,
            pricePerTuHour: price,
            windowStart: 0,
            windowDuration: 0,
            expiry: block.timestamp + escrow.maxQuoteAge(),
            nonce: _freshNonce()
        });
        return _signQuoteAs(quote, n.provider, operatorSet[n.provider], how, lastNonce[n.provider], customerSeed);
    }

    /// @dev A receipt for `leaseId` up to a time around now, signed as `how` says, with whether
    /// the escrow must take it and until when its key counts.
    function _receiptCall(uint256 leaseId, uint256 seed, uint256 how) internal view returns (Call memory c) {
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        c.leaseId = leaseId;
        c.paidThrough = bound(
            seed,
            uint256(lease_.start) > 1 hours ? lease_.start - 1 hours : 0,
            block.timestamp + 2 hours
        );
        how %= 7;
        uint256 key = SystemActors.customerKey(_customerSeed(lease_.customer));
        address signer = lease_.customer;
        if (how == 1 || how == 2) {
            if (how == 1 && lease_.sessionKey == address(0)) how = 0;
            else {
                key = how == 1 ? _sessionKeyOf(lease_.sessionKey) : SystemActors.sessionKey(seed);
                signer = vm.addr(key);
            }
        } else if (how == 3) {
            key = SystemActors.STRANGER_KEY;
        }
        uint256 target = how == 4 ? (leaseId == 1 ? 2 : leaseId - 1) : leaseId;
        bytes32 digest =
            how == 5
                ? _receiptDigestIn(block.chainid, FOREIGN_ESCROW, target, c.paidThrough)
                : _receiptDigestIn(
                    how == 6 ? block.chainid + 1 : block.chainid,
                    address(escrow),
                    target,
                    c.paidThrough
                );
        c.signature = _sign(key, digest);
        c.keyEnd = signer == lease_.customer ? type(uint256).max : keyUntil[leaseId][signer];
        c.valid = how < 3 && c.keyEnd != 0;
    }

    function _afterCollect(
        Call memory c,
        ILeaseEscrow.Lease memory lease_,
        uint256 paid,
        uint256 earnedBefore
    ) internal {
        ++receiptsCollected;
        uint256 until = c.paidThrough < block.timestamp ? c.paidThrough : block.timestamp;
        if (c.keyEnd < until) until = c.keyEnd;
        if (until > covered[c.leaseId]) covered[c.leaseId] = until;
        ILeaseEscrow.Lease memory now_ = escrow.lease(c.leaseId);
        uint256 expected = oneShot(now_, until);
        if (expected < lease_.paid) expected = lease_.paid;
        if (paid != expected || now_.paid != expected) ++collectMismatches;
        // Whoever sent it, the pay (less the fee on the cumulative pay) is the provider's.
        uint256 fee = (paid * lease_.feeBps) / 10_000 - (uint256(lease_.paid) * lease_.feeBps) / 10_000;
        uint256 gained = escrow.earnings(lease_.provider, lease_.token) - earnedBefore;
        if (gained != paid - lease_.paid - fee) ++misdirectedPayments;
    }

    /// @dev What the provider's earnings gain from a reservation's window fee when `lease_`, now
    /// closed, is finalized: the window's part pro rata to the time the lease stayed open in it,
    /// less the protocol fee.
    function _windowCredit(ILeaseEscrow.Lease memory lease_) internal view returns (uint256) {
        if (lease_.reservationId == 0) return 0;
        uint256 earned = _windowEarned(lease_);
        return earned - (earned * lease_.feeBps) / 10_000;
    }

    function _windowEarned(ILeaseEscrow.Lease memory lease_) internal view returns (uint256) {
        ILeaseEscrow.Reservation memory r = escrow.reservation(lease_.reservationId);
        uint256 windowFee = r.fee - holdFee(r);
        uint256 end = lease_.closedAt < r.heldUntil ? lease_.closedAt : r.heldUntil;
        return (windowFee * (end - r.start)) / (r.heldUntil - r.start);
    }

    /// @dev Books a refund and checks it: what was deposited less what was paid, plus the part of
    /// a reservation's window fee the lease did not stay open for.
    function _afterClose(uint256 leaseId, uint256 refund) internal {
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        refunded[lease_.customer][lease_.token] += refund;
        if (lease_.status != ILeaseEscrow.LeaseStatus.Closed) {
            if (refund != 0) ++wrongRefunds;
            return;
        }
        uint256 expected = lease_.deposit - lease_.paid;
        if (lease_.reservationId != 0) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(lease_.reservationId);
            expected += r.fee - holdFee(r) - _windowEarned(lease_);
        }
        if (refund != expected) ++wrongRefunds;
    }

    function _closeAllowed(Call memory c, ILeaseEscrow.Lease memory lease_, uint256 who) internal view returns (bool) {
        bool providerSide = who == 1 || who == 2;
        if (lease_.status == ILeaseEscrow.LeaseStatus.Closing) {
            return providerSide && !(block.timestamp > lease_.collectDeadline) && _receiptOk(c);
        }
        if (who == 0) return true;
        if (!_receiptOk(c)) return false;
        if (providerSide) return true;
        uint256 paid = c.signature.length == 0 ? lease_.paid : oneShot(lease_, _capped(c));
        return paid == lease_.deposit;
    }

    function _receiptOk(Call memory c) internal pure returns (bool) {
        return c.signature.length == 0 || c.valid;
    }

    function _capped(Call memory c) internal view returns (uint256 until) {
        until = c.paidThrough < block.timestamp ? c.paidThrough : block.timestamp;
        if (c.keyEnd < until) until = c.keyEnd;
    }

    function _sessionKeyOf(address key) internal pure returns (uint256) {
        for (uint256 i; i < SystemActors.SESSION_KEYS; ++i) {
            if (vm.addr(SystemActors.sessionKey(i)) == key) return SystemActors.sessionKey(i);
        }
        return SystemActors.STRANGER_KEY;
    }

    function _customerSeed(address customer) internal pure returns (uint256) {
        for (uint256 i; i < SystemActors.CUSTOMERS; ++i) if (SystemActors.customer(i) == customer) return i;
        return 0;
    }

    /// @dev DESIGN.md's status table as a bit mask of the statuses each status may move to.
    function _allowedFrom(IProviderRegistry.Status from) internal pure returns (uint256) {
        if (from == IProviderRegistry.Status.Idle) return _bits(2, 3, 4);
        if (from == IProviderRegistry.Status.Reserved) return _bits(2, 1, 4);
        if (from == IProviderRegistry.Status.Sharing) return _bits(1, 1, 1);
        if (from == IProviderRegistry.Status.Disconnect) return _bits(1, 0, 0);
        return 0;
    }

    function _bits(uint8 a, uint8 b, uint8 c) internal pure returns (uint256) {
        return (1 << a) | (1 << b) | (1 << c);
    }

    function _checkTransitions() internal {
        for (uint256 i = 0; i < nodes.length; ++i) {
            uint256 nodeId = nodes[i];
            IProviderRegistry.Status now_ = registry.leaseTerms(nodeId).status;
            IProviderRegistry.Status before = lastStatus[nodeId];
            if (now_ == before) continue;
            if (_allowedFrom(before) & (1 << uint8(now_)) == 0) ++illegalTransitions;
            lastStatus[nodeId] = now_;
        }
    }

    function _registeredOf(address provider) internal view returns (uint256[] memory ids) {
        uint256 n;
        ids = new uint256[](nodes.length);
        for (uint256 i; i < nodes.length; ++i) {
            IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodes[i]);
            if (t.provider == provider && t.status != IProviderRegistry.Status.None) ids[n++] = nodes[i];
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    function _holdings(address account, address token) internal view returns (uint256) {
        return IERC20(token).balanceOf(account) + escrow.owed(account, token);
    }
}
