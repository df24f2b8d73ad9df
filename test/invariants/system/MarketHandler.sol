// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {LeaseEscrow} from "../../../contracts/LeaseEscrow.sol";
import {ProviderRegistry} from "../../../contracts/ProviderRegistry.sol";
import {TFT} from "../../../contracts/TFT.sol";
import {ILeaseEscrow} from "../../../contracts/interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {Test} from "../../utils/Test.sol";
import {SystemActors} from "./SystemActors.sol";

/// @dev The market half of the system campaign: providers register nodes (paid in GUT or TFT),
/// heartbeat, go offline, get marked stale, deregister and withdraw their stake; customers lease,
/// top up, close, reserve, start and end reservations; providers withdraw earnings. Each action
/// first works out from the views whether it must succeed and only then calls; a refusal of an
/// action that should pass is counted in `unexpectedReverts`, and an action that should be refused
/// but passes in its own ghost. After every action it compares each node's status with the one it
/// saw before and counts any change outside DESIGN.md's table in `illegalTransitions`.
contract MarketHandler is Test {
    uint256 internal constant _RATE_DIVISOR = 3_600_000;
    uint256 internal constant _MAX_NODES = 8;

    IERC20 public immutable gut;
    TFT public immutable tft;
    ProviderRegistry public immutable registry;
    LeaseEscrow public immutable escrow;

    uint256[] public nodes;
    uint256[] public leases;
    uint256[] public reservations;
    mapping(uint256 nodeId => IProviderRegistry.Status) public lastStatus;
    mapping(uint256 leaseId => uint40) public heartbeatAtClose;
    mapping(uint256 leaseId => uint256) public closedAt;
    mapping(address customer => mapping(address token => uint256)) public funded;
    mapping(address customer => mapping(address token => uint256)) public refunded;

    uint256 public calls;
    uint256 public unexpectedReverts;
    uint256 public illegalTransitions;
    uint256 public earlyStakeUnlocks;
    uint256 public wrongStakeRefunds;
    uint256 public settleMismatches;
    uint256 public tftSupplyGrew;
    uint256 public priceBoundBreaches;
    uint256 public staleLeasesOpened;
    uint256 public failedReservationsCharged;

    constructor(IERC20 gut_, TFT tft_, ProviderRegistry registry_, LeaseEscrow escrow_) {
        gut = gut_;
        tft = tft_;
        registry = registry_;
        escrow = escrow_;
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
        // Odd prices so that per-second costs are fractions and rounding is exercised.
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

    function heartbeat(uint256 nodeSeed) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status == IProviderRegistry.Status.None) return;
        if (t.status == IProviderRegistry.Status.Disconnect && t.engaged) return;
        vm.prank(t.provider);
        try registry.heartbeat(nodeId) {} catch {
            ++unexpectedReverts;
        }
    }

    function warp(uint256 seconds_) external step {
        vm.warp(block.timestamp + bound(seconds_, 1, 3 hours));
    }

    function goOffline(uint256 nodeSeed) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status != IProviderRegistry.Status.Idle && t.status != IProviderRegistry.Status.Reserved) return;
        vm.prank(t.provider);
        try registry.goOffline(nodeId) {} catch {
            ++unexpectedReverts;
        }
    }

    function markStale(uint256 nodeSeed) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status == IProviderRegistry.Status.None || t.status == IProviderRegistry.Status.Disconnect) return;
        uint256 staleAt = uint256(t.lastHeartbeat) + registry.heartbeatTimeout() + 1;
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

    function withdrawStake(uint256 nodeSeed, bool wait) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.NodeInfo memory n = registry.node(nodeId);
        if (n.status != IProviderRegistry.Status.None || n.stake == 0) return;
        if (wait && block.timestamp < n.unbondingEnds) vm.warp(n.unbondingEnds);
        uint256 before = gut.balanceOf(n.provider);
        vm.prank(n.provider);
        try registry.withdrawStake(nodeId) {
            if (block.timestamp < n.unbondingEnds) ++earlyStakeUnlocks;
            if (gut.balanceOf(n.provider) - before != n.stake) ++wrongStakeRefunds;
        } catch {
            if (!(block.timestamp < n.unbondingEnds)) ++unexpectedReverts;
        }
    }

    // ------------------------------------------------------------ leases

    function openLease(uint256 nodeSeed, uint256 customerSeed, uint256 amount) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        address customer = SystemActors.customer(customerSeed);
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status == IProviderRegistry.Status.Reserved) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(escrow.reservationOf(nodeId));
            if (r.customer != customer || block.timestamp < r.start || block.timestamp > r.deadline) return;
        } else if (t.status != IProviderRegistry.Status.Idle) {
            return;
        }
        amount = bound(amount, 1, 50e18);
        if (IERC20(t.paymentToken).balanceOf(customer) < amount) return;
        bool stale = registry.isStale(nodeId);
        // Every seventh customer was shown a lower price than the node asks now.
        bool priceMoved = amount % 7 == 0;
        vm.prank(customer);
        try escrow.openLease(nodeId, amount, priceMoved ? t.pricePerTuHour - 1 : t.pricePerTuHour) returns (
            uint256 leaseId
        ) {
            if (priceMoved) ++priceBoundBreaches;
            if (stale) ++staleLeasesOpened;
            leases.push(leaseId);
            funded[customer][t.paymentToken] += amount;
        } catch {
            if (!priceMoved && !stale) ++unexpectedReverts;
        }
    }

    function topUp(uint256 leaseSeed, uint256 fromSeed, uint256 amount) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        (, uint256 remaining) = escrow.accrued(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open || remaining == 0) return;
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

    function settle(uint256 leaseSeed, uint256 times) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        times = bound(times, 1, 3);
        for (uint256 i = 0; i < times; ++i) {
            try escrow.settle(leaseId) {} catch {
                ++unexpectedReverts;
            }
        }
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        if (lease_.paid != oneShot(lease_, registry.leaseTerms(lease_.nodeId).lastHeartbeat, block.timestamp))
            ++settleMismatches;
    }

    function closeLease(uint256 leaseSeed, uint256 callerSeed) external step {
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(lease_.nodeId);
        (, uint256 remaining) = escrow.accrued(leaseId);
        address caller = [lease_.customer, lease_.provider, SystemActors.STRANGER][callerSeed % 3];
        bool down = t.status == IProviderRegistry.Status.Disconnect || registry.isStale(lease_.nodeId);
        if (caller == SystemActors.STRANGER && remaining != 0 && !down) return;
        uint256 before = _holdings(lease_.customer, lease_.token);
        uint256 staked = registry.totalStaked();
        vm.prank(caller);
        try escrow.closeLease(leaseId) {
            uint256 slashed = lease_.token == address(gut) ? staked - registry.totalStaked() : 0;
            refunded[lease_.customer][lease_.token] += _holdings(lease_.customer, lease_.token) - before - slashed;
            heartbeatAtClose[leaseId] = t.lastHeartbeat;
            closedAt[leaseId] = block.timestamp;
        } catch {
            ++unexpectedReverts;
        }
    }

    function withdraw(uint256 providerSeed) external step {
        address provider = SystemActors.provider(providerSeed);
        uint256[] memory ids = _leasesOf(provider);
        vm.prank(provider);
        try escrow.withdraw(ids) {} catch {
            ++unexpectedReverts;
        }
    }

    // ------------------------------------------------------------ reservations

    function reserve(
        uint256 nodeSeed,
        uint256 customerSeed,
        uint256 ahead,
        uint256 duration,
        uint256 amount
    ) external step {
        if (nodes.length == 0) return;
        uint256 nodeId = nodes[nodeSeed % nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status != IProviderRegistry.Status.Idle) return;
        address customer = SystemActors.customer(customerSeed);
        uint256 start = block.timestamp + bound(ahead, 0, 3 hours);
        duration = bound(duration, 1, 1 days);
        uint256 rate = t.pricePerTuHour * t.milliTu;
        uint256 held = start + duration - block.timestamp;
        uint256 fee = (((rate * held) / _RATE_DIVISOR) * escrow.reservationFeeBps()) / 10_000;
        amount = bound(amount, fee + 1, fee + 50e18);
        if (IERC20(t.paymentToken).balanceOf(customer) < amount) return;
        bool stale = registry.isStale(nodeId);
        bool priceMoved = amount % 7 == 0;
        vm.prank(customer);
        try
            escrow.reserve(nodeId, start, duration, amount, priceMoved ? t.pricePerTuHour - 1 : t.pricePerTuHour)
        returns (uint256 reservationId) {
            if (priceMoved) ++priceBoundBreaches;
            if (stale) ++staleLeasesOpened;
            reservations.push(reservationId);
            funded[customer][t.paymentToken] += amount;
        } catch {
            if (!priceMoved && !stale) ++unexpectedReverts;
        }
    }

    function startReserved(uint256 reservationSeed) external step {
        if (reservations.length == 0) return;
        uint256 reservationId = reservations[reservationSeed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(reservationId);
        if (r.status != ILeaseEscrow.ReservationStatus.Pending) return;
        if (registry.leaseTerms(r.nodeId).status != IProviderRegistry.Status.Reserved) return;
        if (block.timestamp < r.start) vm.warp(r.start);
        if (block.timestamp > r.deadline) return;
        bool stale = registry.isStale(r.nodeId);
        vm.prank(r.customer);
        try escrow.startReserved(reservationId) returns (uint256 leaseId) {
            if (stale) ++staleLeasesOpened;
            leases.push(leaseId);
        } catch {
            if (!stale) ++unexpectedReverts;
        }
    }

    function endReservation(uint256 reservationSeed, uint256 how) external step {
        if (reservations.length == 0) return;
        uint256 reservationId = reservations[reservationSeed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(reservationId);
        if (r.status != ILeaseEscrow.ReservationStatus.Pending) return;
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(r.nodeId);
        uint256 staleAt = uint256(t.lastHeartbeat) + registry.heartbeatTimeout();
        bool stale = block.timestamp > staleAt;
        bool down = t.status == IProviderRegistry.Status.Disconnect || stale;
        // Failed: offline or stale at any moment before the deadline, whoever noticed it first.
        bool failed =
            (t.status == IProviderRegistry.Status.Disconnect && t.downSince < r.deadline) ||
                (t.status != IProviderRegistry.Status.Disconnect && stale && staleAt < r.deadline);
        uint256 before = _holdings(r.customer, r.token);
        bool ok;
        if (how % 3 == 2) {
            if (!down && !(block.timestamp > r.deadline)) return;
            vm.prank(SystemActors.STRANGER);
            try escrow.expireReservation(reservationId) {
                ok = true;
            } catch {}
        } else {
            vm.prank(how % 3 == 0 ? r.customer : r.provider);
            try escrow.cancelReservation(reservationId) {
                ok = true;
            } catch {}
        }
        if (!ok) {
            ++unexpectedReverts;
            return;
        }
        uint256 refund = _holdings(r.customer, r.token) - before;
        if (failed && refund != r.deposit) ++failedReservationsCharged;
        refunded[r.customer][r.token] += refund;
    }

    // ------------------------------------------------------------ views for the invariants

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }

    function leaseCount() external view returns (uint256) {
        return leases.length;
    }

    function reservationCount() external view returns (uint256) {
        return reservations.length;
    }

    /// @dev What one settlement at `min(now_, lastHeartbeat)` pays: the formula, not the contract.
    function oneShot(
        ILeaseEscrow.Lease memory lease_,
        uint256 lastHeartbeat,
        uint256 now_
    ) public pure returns (uint256) {
        uint256 until = now_ < lastHeartbeat ? now_ : lastHeartbeat;
        if (!(until > lease_.start)) return 0;
        uint256 due = (uint256(lease_.rate) * (until - lease_.start)) / _RATE_DIVISOR;
        return due < lease_.deposit ? due : lease_.deposit;
    }

    // ------------------------------------------------------------ internals

    /// @dev DESIGN.md's status table as a bit mask of the statuses each status may move to.
    function _allowedFrom(IProviderRegistry.Status from) internal pure returns (uint256) {
        if (from == IProviderRegistry.Status.Idle) return _bits(2, 3, 4);
        if (from == IProviderRegistry.Status.Reserved) return _bits(2, 1, 4);
        if (from == IProviderRegistry.Status.Sharing) return _bits(1, 4, 4);
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

    function _leasesOf(address provider) internal view returns (uint256[] memory ids) {
        uint256 count = escrow.leaseCount();
        uint256 n;
        for (uint256 id = 1; id < count + 1; ++id) if (escrow.lease(id).provider == provider) ++n;
        ids = new uint256[](n);
        n = 0;
        for (uint256 id = 1; id < count + 1; ++id) if (escrow.lease(id).provider == provider) ids[n++] = id;
    }

    function _holdings(address account, address token) internal view returns (uint256) {
        return IERC20(token).balanceOf(account) + escrow.owed(account, token);
    }
}
