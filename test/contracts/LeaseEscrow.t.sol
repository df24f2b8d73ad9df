// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GUT} from "../../contracts/GUT.sol";
import {LeaseEscrow} from "../../contracts/LeaseEscrow.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {ILeaseEscrow} from "../../contracts/interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {MockFeeCollector} from "../../contracts/mocks/MockFeeCollector.sol";
import {Test} from "../utils/Test.sol";

/// @dev Drives the escrow and the real registry at random: leases opened, topped up, settled,
/// withdrawn, closed; heartbeats, time warps, stale nodes marked Disconnect; reservations made,
/// started, cancelled and expired; fees forwarded. Every action first checks, from the views,
/// whether it should succeed, and only then calls; a revert there is counted in
/// `unexpectedReverts`. Ghost variables record what each customer put in and got back, the
/// heartbeat at each close, and any settlement that differed from the one-shot formula.
contract EscrowHandler is Test {
    uint256 internal constant _RATE_DIVISOR = 3_600_000;

    GUT public immutable gut;
    ProviderRegistry public immutable registry;
    LeaseEscrow public immutable escrow;

    address[3] internal _customers = [address(0xC1), address(0xC2), address(0xC3)];
    address[2] internal _providers;
    uint256[] internal _nodes;

    uint256[] public leases;
    uint256[] public reservations;
    mapping(uint256 leaseId => uint40) public heartbeatAtClose;
    mapping(uint256 leaseId => uint256) public closedAt;
    mapping(address customer => uint256) public funded;
    mapping(address customer => uint256) public received;

    uint256 public unexpectedReverts;
    uint256 public settleMismatches;
    uint256 public calls;

    constructor(
        GUT gut_,
        ProviderRegistry registry_,
        LeaseEscrow escrow_,
        address[2] memory providers,
        uint256[] memory nodeIds_
    ) {
        gut = gut_;
        registry = registry_;
        escrow = escrow_;
        _providers = providers;
        _nodes = nodeIds_;
    }

    // ------------------------------------------------------------ leases

    function open(uint256 nodeSeed, uint256 customerSeed, uint256 amount) external {
        calls++;
        uint256 nodeId = _nodes[nodeSeed % _nodes.length];
        address customer = _customers[customerSeed % 3];
        amount = bound(amount, 1, 50e18);
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status == IProviderRegistry.Status.Reserved) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(escrow.reservationOf(nodeId));
            if (r.customer != customer || block.timestamp < r.start || block.timestamp > r.deadline) return;
        } else if (t.status != IProviderRegistry.Status.Idle) {
            return;
        }
        bool stale = registry.isStale(nodeId);
        vm.prank(customer);
        try escrow.openLease(nodeId, amount, t.pricePerTuHour) returns (uint256 leaseId) {
            leases.push(leaseId);
            funded[customer] += amount;
        } catch {
            if (!stale) unexpectedReverts++;
        }
    }

    function topUp(uint256 leaseSeed, uint256 fromSeed, uint256 amount) external {
        calls++;
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        (, uint256 remaining) = escrow.accrued(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open || remaining == 0) return;
        amount = bound(amount, 1, 20e18);
        vm.prank(_customers[fromSeed % 3]);
        try escrow.topUp(leaseId, amount) {
            funded[lease_.customer] += amount;
        } catch {
            unexpectedReverts++;
        }
    }

    function settleMany(uint256 leaseSeed, uint256 times) external {
        calls++;
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        times = bound(times, 1, 4);
        for (uint256 i = 0; i < times; ++i) {
            try escrow.settle(leaseId) {} catch {
                unexpectedReverts++;
            }
        }
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        if (lease_.paid != _oneShot(lease_, registry.leaseTerms(lease_.nodeId).lastHeartbeat, block.timestamp))
            settleMismatches++;
    }

    function withdraw(uint256 providerSeed) external {
        calls++;
        address provider = _providers[providerSeed % 2];
        uint256[] memory ids = _leasesOf(provider);
        vm.prank(provider);
        try escrow.withdraw(ids) {} catch {
            unexpectedReverts++;
        }
    }

    function forwardFees() external {
        calls++;
        uint256 count = escrow.leaseCount();
        uint256[] memory ids = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) ids[i] = i + 1;
        try escrow.forwardFees(ids) {} catch {
            unexpectedReverts++;
        }
    }

    function close(uint256 leaseSeed, uint256 callerSeed) external {
        calls++;
        if (leases.length == 0) return;
        uint256 leaseId = leases[leaseSeed % leases.length];
        ILeaseEscrow.Lease memory lease_ = escrow.lease(leaseId);
        if (lease_.status != ILeaseEscrow.LeaseStatus.Open) return;
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(lease_.nodeId);
        (, uint256 remaining) = escrow.accrued(leaseId);
        address caller = [lease_.customer, lease_.provider, address(0xBEEF)][callerSeed % 3];
        bool down = t.status == IProviderRegistry.Status.Disconnect || registry.isStale(lease_.nodeId);
        if (caller == address(0xBEEF) && remaining != 0 && !down) return;
        uint256 before = _holdings(lease_.customer);
        uint256 staked = registry.totalStaked();
        vm.prank(caller);
        try escrow.closeLease(leaseId) {
            uint256 slashed = staked - registry.totalStaked();
            received[lease_.customer] += _holdings(lease_.customer) - before - slashed;
            heartbeatAtClose[leaseId] = t.lastHeartbeat;
            closedAt[leaseId] = block.timestamp;
        } catch {
            unexpectedReverts++;
        }
    }

    // ------------------------------------------------------------ time and nodes

    function warp(uint256 seconds_) external {
        calls++;
        vm.warp(block.timestamp + bound(seconds_, 1, 2 hours));
    }

    function heartbeat(uint256 nodeSeed) external {
        calls++;
        uint256 nodeId = _nodes[nodeSeed % _nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status == IProviderRegistry.Status.Disconnect && t.engaged) return;
        vm.prank(t.provider);
        try registry.heartbeat(nodeId) {} catch {
            unexpectedReverts++;
        }
    }

    function disconnect(uint256 nodeSeed) external {
        calls++;
        uint256 nodeId = _nodes[nodeSeed % _nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status == IProviderRegistry.Status.Disconnect) return;
        uint256 staleAt = uint256(t.lastHeartbeat) + registry.heartbeatTimeout() + 1;
        if (block.timestamp < staleAt) vm.warp(staleAt);
        try registry.markDisconnected(nodeId) {} catch {
            unexpectedReverts++;
        }
    }

    // ------------------------------------------------------------ reservations

    function reserve(uint256 nodeSeed, uint256 customerSeed, uint256 ahead, uint256 duration, uint256 amount) external {
        calls++;
        uint256 nodeId = _nodes[nodeSeed % _nodes.length];
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(nodeId);
        if (t.status != IProviderRegistry.Status.Idle) return;
        address customer = _customers[customerSeed % 3];
        uint256 start = block.timestamp + bound(ahead, 0, 3 hours);
        duration = bound(duration, 1, 1 days);
        uint256 rate = t.pricePerTuHour * t.milliTu;
        uint256 held = start + duration - block.timestamp;
        uint256 fee = (((rate * held) / _RATE_DIVISOR) * escrow.reservationFeeBps()) / 10_000;
        amount = bound(amount, fee + 1, fee + 50e18);
        bool stale = registry.isStale(nodeId);
        vm.prank(customer);
        try escrow.reserve(nodeId, start, duration, amount, t.pricePerTuHour) returns (uint256 reservationId) {
            reservations.push(reservationId);
            funded[customer] += amount;
        } catch {
            if (!stale) unexpectedReverts++;
        }
    }

    function startReserved(uint256 reservationSeed) external {
        calls++;
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
            leases.push(leaseId);
        } catch {
            if (!stale) unexpectedReverts++;
        }
    }

    function endReservation(uint256 reservationSeed, uint256 how) external {
        calls++;
        if (reservations.length == 0) return;
        uint256 reservationId = reservations[reservationSeed % reservations.length];
        ILeaseEscrow.Reservation memory r = escrow.reservation(reservationId);
        if (r.status != ILeaseEscrow.ReservationStatus.Pending) return;
        bool down =
            registry.leaseTerms(r.nodeId).status == IProviderRegistry.Status.Disconnect || registry.isStale(r.nodeId);
        uint256 before = _holdings(r.customer);
        bool ok;
        if (how % 3 == 2) {
            if (!down && !(block.timestamp > r.deadline)) return;
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
            unexpectedReverts++;
            return;
        }
        received[r.customer] += _holdings(r.customer) - before;
    }

    // ------------------------------------------------------------ views for the invariants

    function leaseCount() external view returns (uint256) {
        return leases.length;
    }

    function reservationCount() external view returns (uint256) {
        return reservations.length;
    }

    function nodeIds() external view returns (uint256[] memory) {
        return _nodes;
    }

    function customerAt(uint256 i) external view returns (address) {
        return _customers[i];
    }

    /// @dev What one settlement at `until` would pay: the formula, independent of the contract.
    function oneShot(
        ILeaseEscrow.Lease calldata lease_,
        uint256 lastHeartbeat,
        uint256 now_
    ) external pure returns (uint256) {
        return _oneShot(lease_, lastHeartbeat, now_);
    }

    function _oneShot(
        ILeaseEscrow.Lease memory lease_,
        uint256 lastHeartbeat,
        uint256 now_
    ) internal pure returns (uint256) {
        uint256 until = now_ < lastHeartbeat ? now_ : lastHeartbeat;
        if (!(until > lease_.start)) return 0;
        uint256 due = (uint256(lease_.rate) * (until - lease_.start)) / _RATE_DIVISOR;
        return due < lease_.deposit ? due : lease_.deposit;
    }

    function _leasesOf(address provider) internal view returns (uint256[] memory ids) {
        uint256 count = escrow.leaseCount();
        uint256 n;
        for (uint256 id = 1; id < count + 1; ++id) {
            if (escrow.lease(id).provider == provider) ++n;
        }
        ids = new uint256[](n);
        n = 0;
        for (uint256 id = 1; id < count + 1; ++id) {
            if (escrow.lease(id).provider == provider) ids[n++] = id;
        }
    }

    function _holdings(address account) internal view returns (uint256) {
        return gut.balanceOf(account) + escrow.owed(account, address(gut));
    }
}

contract LeaseEscrowTest is Test {
    uint256 internal constant _PRICE = 3.6e18;

    GUT internal gut;
    ProviderRegistry internal registry;
    LeaseEscrow internal escrow;
    MockFeeCollector internal collector;
    EscrowHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        gut = new GUT(0, address(this), address(this));
        registry = new ProviderRegistry(0, address(this), gut, 100e18, 600, 1 days, 1_000);
        collector = new MockFeeCollector();
        escrow = new LeaseEscrow(0, address(this), registry, address(collector), address(gut), 500, 1_000, 1 hours);
        registry.grantRole(registry.ESCROW_ROLE(), address(escrow));

        address[2] memory providers = [address(0xB1), address(0xB2)];
        uint256[] memory nodes = new uint256[](4);
        for (uint256 i = 0; i < 4; ++i) nodes[i] = i + 1;
        handler = new EscrowHandler(gut, registry, escrow, providers, nodes);
        bytes32[2] memory models = [bytes32("GTX 1080 Ti"), bytes32("V100")];
        for (uint256 i = 0; i < 4; ++i) {
            address provider = providers[i % 2];
            gut.transfer(provider, 1_000e18);
            vm.prank(provider);
            gut.approve(address(registry), type(uint256).max);
            vm.prank(provider);
            // Odd prices so that per-second costs are fractions and rounding is exercised.
            uint256 nodeId = registry.register(models[i / 2], 1 + i, _PRICE + i * 7_777_777, address(gut), "");
            assertEq(nodeId, nodes[i], "node id");
        }
        for (uint256 i = 0; i < 3; ++i) {
            address c = handler.customerAt(i);
            gut.transfer(c, 1_000_000e18);
            vm.prank(c);
            gut.approve(address(escrow), type(uint256).max);
        }
        targetContract(address(handler));
    }

    /// @dev Each `invariant_` function runs its own campaign of 256 × 50 calls, so the
    /// properties are grouped in three campaigns to keep the suite fast; each assertion names
    /// its property.
    function invariant_Accounting() public view {
        _checkBalanceEqualsObligations();
        _checkCustomersNeverGetBackMoreThanTheyPutIn();
        _checkNoUnexpectedReverts();
    }

    function invariant_PaymentBounds() public view {
        _checkProvidersNeverPaidPastLastHeartbeat();
        _checkSettlingManyTimesPaysAsOnce();
        _checkNoUnexpectedReverts();
    }

    function invariant_NodeStates() public view {
        _checkEngagedNodesMatchOpenLeasesAndReservations();
        _checkNoUnexpectedReverts();
    }

    function _checkBalanceEqualsObligations() internal view {
        uint256 owedTotal;
        uint256 count = escrow.leaseCount();
        for (uint256 id = 1; id < count + 1; ++id) {
            ILeaseEscrow.Lease memory lease_ = escrow.lease(id);
            if (lease_.status == ILeaseEscrow.LeaseStatus.Open) owedTotal += lease_.deposit - lease_.paid;
            owedTotal += lease_.paid - lease_.withdrawn;
            owedTotal += (uint256(lease_.withdrawn) * lease_.feeBps) / 10_000 - escrow.forwardedFee(id);
        }
        uint256 reservationCount = escrow.reservationCount();
        for (uint256 id = 1; id < reservationCount + 1; ++id) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(id);
            if (r.status == ILeaseEscrow.ReservationStatus.Pending) owedTotal += r.deposit;
        }
        for (uint256 i = 0; i < 3; ++i) owedTotal += escrow.owed(handler.customerAt(i), address(gut));
        assertEq(gut.balanceOf(address(escrow)), owedTotal, "balance != obligations");
    }

    function _checkCustomersNeverGetBackMoreThanTheyPutIn() internal view {
        for (uint256 i = 0; i < 3; ++i) {
            address c = handler.customerAt(i);
            assertLe(handler.received(c), handler.funded(c), "refunds > deposits");
        }
    }

    function _checkProvidersNeverPaidPastLastHeartbeat() internal view {
        uint256 n = handler.leaseCount();
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = handler.leases(i);
            ILeaseEscrow.Lease memory lease_ = escrow.lease(id);
            uint256 heartbeat =
                lease_.status == ILeaseEscrow.LeaseStatus.Open
                    ? registry.leaseTerms(lease_.nodeId).lastHeartbeat
                    : handler.heartbeatAtClose(id);
            uint256 until = lease_.status == ILeaseEscrow.LeaseStatus.Open ? block.timestamp : handler.closedAt(id);
            assertLe(lease_.paid, handler.oneShot(lease_, heartbeat, until), "paid past last heartbeat");
        }
    }

    function _checkEngagedNodesMatchOpenLeasesAndReservations() internal view {
        uint256 n = handler.leaseCount();
        for (uint256 i = 0; i < n; ++i) {
            ILeaseEscrow.Lease memory lease_ = escrow.lease(handler.leases(i));
            if (lease_.status != ILeaseEscrow.LeaseStatus.Open) continue;
            IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(lease_.nodeId);
            assertTrue(t.engaged, "leased node not engaged");
            assertTrue(
                t.status == IProviderRegistry.Status.Sharing || t.status == IProviderRegistry.Status.Disconnect,
                "leased node not Sharing/Disc."
            );
        }
        uint256[] memory nodes = handler.nodeIds();
        for (uint256 i = 0; i < nodes.length; ++i) {
            if (!registry.leaseTerms(nodes[i]).engaged) continue;
            assertTrue(_hasOpenLease(nodes[i]) || escrow.reservationOf(nodes[i]) != 0, "engaged node without hold");
        }
        uint256 m = handler.reservationCount();
        for (uint256 i = 0; i < m; ++i) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(handler.reservations(i));
            if (r.status != ILeaseEscrow.ReservationStatus.Pending) continue;
            IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(r.nodeId);
            assertTrue(t.engaged, "reserved node not engaged");
            assertTrue(
                t.status == IProviderRegistry.Status.Reserved || t.status == IProviderRegistry.Status.Disconnect,
                "reserved node not Reserved/Disc."
            );
            assertEq(escrow.reservationOf(r.nodeId), handler.reservations(i), "reservationOf mismatch");
        }
    }

    function _hasOpenLease(uint256 nodeId) internal view returns (bool) {
        uint256 n = handler.leaseCount();
        for (uint256 i = 0; i < n; ++i) {
            ILeaseEscrow.Lease memory lease_ = escrow.lease(handler.leases(i));
            if (lease_.nodeId == nodeId && lease_.status == ILeaseEscrow.LeaseStatus.Open) return true;
        }
        return false;
    }

    function _checkSettlingManyTimesPaysAsOnce() internal view {
        assertEq(handler.settleMismatches(), 0, "N settles != one settle");
    }

    function _checkNoUnexpectedReverts() internal view {
        assertEq(handler.unexpectedReverts(), 0, "unexpected revert");
    }
}
