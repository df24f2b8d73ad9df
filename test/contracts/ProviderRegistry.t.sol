// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GUT} from "../../contracts/GUT.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {Test} from "../utils/Test.sol";

/// @dev Drives the registry with random provider, keeper and escrow calls and time warps. For
/// every call it predicts from DESIGN.md's table whether the call may succeed, and after it
/// compares every node's status with the status it saw before: a change is legal only on the
/// node the call named and only if the pair belongs to that call in the table. Refusals are caught
/// rather than expected, so a contract that accepts a forbidden call, or refuses an allowed one,
/// shows up in the counters the invariants read.
contract ProviderRegistryHandler is Test {
    enum Call {
        Register,
        Heartbeat,
        Reconnect,
        GoOffline,
        MarkDisconnected,
        Deregister,
        WithdrawStake,
        StartLease,
        HoldForReservation,
        Release,
        Slash
    }

    address internal constant STRANGER = address(0x57A7);
    address internal constant CUSTOMER = address(0xC057);

    ProviderRegistry public immutable registry;
    GUT public immutable gut;
    address public immutable escrow;
    address[3] internal _providers;
    bytes32[3] internal _models = [bytes32("GTX 1080 Ti"), bytes32("V100"), bytes32("RTX 2080 Ti")];

    mapping(uint256 nodeId => IProviderRegistry.Status) public seen;
    uint256 public transitions;
    uint256 public illegalTransitions;
    uint256 public wrongOutcomes;
    uint256 public wrongEffects;
    uint256 public earlyOutflows;

    constructor(ProviderRegistry registry_, GUT gut_, address escrow_, address[3] memory providers) {
        registry = registry_;
        gut = gut_;
        escrow = escrow_;
        _providers = providers;
    }

    function register(uint256 providerSeed, uint256 modelSeed, uint256 gpuCount) external {
        address provider = _providers[providerSeed % 3];
        gpuCount = bound(gpuCount, 0, 8);
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(provider);
        try registry.register(_models[modelSeed % 3], gpuCount, 1e18, address(gut), "https://node") returns (
            uint256 id
        ) {
            _outcome(gpuCount > 0, true);
            IProviderRegistry.NodeInfo memory n = registry.node(id);
            if (n.provider != provider || n.lastHeartbeat != block.timestamp || n.engaged) ++wrongEffects;
            if (gut.balanceOf(address(registry)) - before != n.stake) ++wrongEffects;
        } catch {
            _outcome(gpuCount > 0, false);
        }
        _after(Call.Register, registry.nodeCount(), before);
    }

    function heartbeat(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _caller(callerSeed, n.provider);
        bool ok = caller == n.provider && (_live(n.status) || _free(n, IProviderRegistry.Status.Disconnect));
        bool lateAndHeld = _live(n.status) && n.engaged && _isStale(n);
        _providerCall(Call.Heartbeat, id, caller, ok);
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(id);
        if (!ok) return;
        if (lateAndHeld) {
            // The outage stays on the record: Disconnect, heartbeat not moved.
            if (t.status != IProviderRegistry.Status.Disconnect || t.lastHeartbeat != n.lastHeartbeat) ++wrongEffects;
        } else if (t.lastHeartbeat != block.timestamp) {
            ++wrongEffects;
        }
    }

    function reconnect(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _caller(callerSeed, n.provider);
        bool ok = caller == n.provider && _free(n, IProviderRegistry.Status.Disconnect);
        _providerCall(Call.Reconnect, id, caller, ok);
        if (ok && registry.leaseTerms(id).lastHeartbeat != block.timestamp) ++wrongEffects;
    }

    function goOffline(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _caller(callerSeed, n.provider);
        bool ok =
            caller == n.provider &&
                (n.status == IProviderRegistry.Status.Idle || n.status == IProviderRegistry.Status.Reserved);
        _providerCall(Call.GoOffline, id, caller, ok);
    }

    function markDisconnected(uint256 nodeSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        bool ok = _live(n.status) && _isStale(n);
        _providerCall(Call.MarkDisconnected, id, STRANGER, ok);
        if (registry.leaseTerms(id).lastHeartbeat != n.lastHeartbeat) ++wrongEffects;
    }

    function deregister(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _caller(callerSeed, n.provider);
        _providerCall(
            Call.Deregister,
            id,
            caller,
            caller == n.provider && _free(n, IProviderRegistry.Status.Disconnect)
        );
    }

    function withdrawStake(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _caller(callerSeed, n.provider);
        bool unbonded =
            n.provider != address(0) &&
                n.status == IProviderRegistry.Status.None &&
                !(block.timestamp < n.unbondingEnds);
        bool ok = caller == n.provider && unbonded && n.stake > 0;
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        try registry.withdrawStake(id) {
            _outcome(ok, true);
        } catch {
            _outcome(ok, false);
        }
        uint256 afterBalance = gut.balanceOf(address(registry));
        if (afterBalance < before && !unbonded) ++earlyOutflows;
        if (before - afterBalance != (ok ? n.stake : 0)) ++wrongEffects;
        _after(Call.WithdrawStake, id, afterBalance);
    }

    function startLease(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok =
            caller == escrow &&
                (n.status == IProviderRegistry.Status.Idle || n.status == IProviderRegistry.Status.Reserved);
        _escrowCall(Call.StartLease, id, caller, ok);
    }

    function holdForReservation(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        _escrowCall(Call.HoldForReservation, id, caller, caller == escrow && n.status == IProviderRegistry.Status.Idle);
    }

    function release(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok = caller == escrow && n.engaged;
        _escrowCall(Call.Release, id, caller, ok);
        if (ok && registry.leaseTerms(id).engaged) ++wrongEffects;
    }

    function slash(uint256 nodeSeed, uint256 callerSeed, uint256 maxAmount) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok = caller == escrow && n.engaged;
        maxAmount = bound(maxAmount, 0, n.stake);
        uint256 full = (n.stake * registry.slashBps()) / 10_000;
        uint256 expected = ok ? (full < maxAmount ? full : maxAmount) : 0;
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        try registry.slash(id, CUSTOMER, maxAmount) returns (uint256 amount) {
            _outcome(ok, true);
            if (amount != expected) ++wrongEffects;
        } catch {
            _outcome(ok, false);
        }
        if (before - gut.balanceOf(address(registry)) != expected) ++wrongEffects;
        _after(Call.Slash, id, gut.balanceOf(address(registry)));
    }

    function warp(uint256 seconds_, uint256 longSeed) external {
        uint256 max = longSeed % 8 == 0 ? 3 days : 2 * registry.heartbeatTimeout();
        vm.warp(block.timestamp + bound(seconds_, 0, max));
    }

    function _providerCall(Call call, uint256 id, address caller, bool ok) internal {
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        bool succeeded = true;
        if (call == Call.Heartbeat) {
            try registry.heartbeat(id) {} catch {
                succeeded = false;
            }
        } else if (call == Call.Reconnect) {
            try registry.reconnect(id) {} catch {
                succeeded = false;
            }
        } else if (call == Call.GoOffline) {
            try registry.goOffline(id) {} catch {
                succeeded = false;
            }
        } else if (call == Call.MarkDisconnected) {
            try registry.markDisconnected(id) {} catch {
                succeeded = false;
            }
        } else {
            try registry.deregister(id) {} catch {
                succeeded = false;
            }
        }
        _outcome(ok, succeeded);
        _after(call, id, before);
    }

    function _escrowCall(Call call, uint256 id, address caller, bool ok) internal {
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        bool succeeded = true;
        if (call == Call.StartLease) {
            try registry.startLease(id) {} catch {
                succeeded = false;
            }
        } else if (call == Call.HoldForReservation) {
            try registry.holdForReservation(id) {} catch {
                succeeded = false;
            }
        } else {
            try registry.release(id) {} catch {
                succeeded = false;
            }
        }
        _outcome(ok, succeeded);
        _after(call, id, before);
    }

    /// @dev Compares every node's status with the one seen before the call, and records it.
    function _after(Call call, uint256 target, uint256 balanceBefore) internal {
        uint256 count = registry.nodeCount();
        for (uint256 id = 1; id < count + 1; ++id) {
            IProviderRegistry.Status was = seen[id];
            IProviderRegistry.Status now_ = registry.leaseTerms(id).status;
            if (was == now_) continue;
            ++transitions;
            if (id != target || !_inTable(call, was, now_)) ++illegalTransitions;
            seen[id] = now_;
        }
        bool paysOut = call == Call.WithdrawStake || call == Call.Slash;
        if (!paysOut && gut.balanceOf(address(registry)) < balanceBefore) ++earlyOutflows;
    }

    /// @dev DESIGN.md's table, split by the call that may make each move.
    function _inTable(
        Call call,
        IProviderRegistry.Status from,
        IProviderRegistry.Status to
    ) internal pure returns (bool) {
        IProviderRegistry.Status none = IProviderRegistry.Status.None;
        IProviderRegistry.Status idle = IProviderRegistry.Status.Idle;
        IProviderRegistry.Status sharing = IProviderRegistry.Status.Sharing;
        IProviderRegistry.Status reserved = IProviderRegistry.Status.Reserved;
        IProviderRegistry.Status disconnect = IProviderRegistry.Status.Disconnect;
        if (call == Call.Register) return from == none && to == idle;
        if (call == Call.StartLease) return (from == idle || from == reserved) && to == sharing;
        if (call == Call.HoldForReservation) return from == idle && to == reserved;
        if (call == Call.Release) return (from == sharing || from == reserved) && to == idle;
        if (call == Call.GoOffline) return (from == idle || from == reserved) && to == disconnect;
        if (call == Call.MarkDisconnected) return from != none && from != disconnect && to == disconnect;
        // A late heartbeat on a node the escrow holds takes it Disconnect instead of refreshing it.
        if (call == Call.Heartbeat && from != none && from != disconnect && to == disconnect) return true;
        if (call == Call.Heartbeat || call == Call.Reconnect) return from == disconnect && to == idle;
        if (call == Call.Deregister) return from == disconnect && to == none;
        return false;
    }

    function _outcome(bool expected, bool succeeded) internal {
        if (expected != succeeded) ++wrongOutcomes;
    }

    /// @dev A node id from 1 to one past the last, so calls on a node that does not exist happen too.
    function _node(uint256 seed) internal view returns (uint256 id, IProviderRegistry.NodeInfo memory n) {
        id = bound(seed, 1, registry.nodeCount() + 1);
        n = registry.node(id);
    }

    function _caller(uint256 seed, address provider) internal pure returns (address) {
        return seed % 5 == 0 ? STRANGER : provider;
    }

    function _escrowCaller(uint256 seed) internal view returns (address) {
        return seed % 5 == 0 ? STRANGER : escrow;
    }

    function _live(IProviderRegistry.Status s) internal pure returns (bool) {
        return
            s == IProviderRegistry.Status.Idle ||
            s == IProviderRegistry.Status.Sharing ||
            s == IProviderRegistry.Status.Reserved;
    }

    function _isStale(IProviderRegistry.NodeInfo memory n) internal view returns (bool) {
        return block.timestamp > uint256(n.lastHeartbeat) + registry.heartbeatTimeout();
    }

    function _free(IProviderRegistry.NodeInfo memory n, IProviderRegistry.Status s) internal pure returns (bool) {
        return n.status == s && !n.engaged;
    }
}

contract ProviderRegistryTest is Test {
    address internal constant ESCROW = address(0xE5C);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant CAROL = address(0xCA201);

    GUT internal gut;
    ProviderRegistry internal registry;
    ProviderRegistryHandler internal handler;

    function setUp() public {
        gut = new GUT(0, address(this), address(this));
        registry = new ProviderRegistry(0, address(this), gut, 100e18, 10 minutes, 1 days, 1_000);
        registry.grantRole(registry.ESCROW_ROLE(), ESCROW);
        address[3] memory providers = [ALICE, BOB, CAROL];
        handler = new ProviderRegistryHandler(registry, gut, ESCROW, providers);
        targetContract(address(handler));
        for (uint256 i; i < 3; ++i) {
            gut.transfer(providers[i], 1_000_000e18);
            vm.prank(providers[i]);
            gut.approve(address(registry), type(uint256).max);
        }
    }

    function testFuzz_RequiredStake_IsMinStakeTimesTuRoundedUp(uint256 minStake, uint256 gpuCount) public {
        minStake = bound(minStake, 1, registry.MAX_MIN_STAKE_PER_TU());
        gpuCount = bound(gpuCount, 1, registry.MAX_GPU_COUNT());
        registry.setMinStakePerTu(minStake);
        uint256 stake = registry.requiredStake("Titan XP", gpuCount);
        uint256 milliTu = 1110 * gpuCount;
        assertGe(stake * 1000, minStake * milliTu, "stake covers minStakePerTu x TU");
        assertLe(stake * 1000, minStake * milliTu + 999, "rounded up by less than one wei");
    }

    function test_Heartbeat_RevertsWhen_DisconnectAndEngaged() public {
        vm.prank(ALICE);
        uint256 id = registry.register("V100", 1, 1e18, address(gut), "");
        vm.prank(ESCROW);
        registry.startLease(id);
        vm.warp(block.timestamp + 11 minutes);
        registry.markDisconnected(id);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.NodeEngaged.selector, id));
        vm.prank(ALICE);
        registry.heartbeat(id);
    }

    /// @dev One invariant function per campaign: each runs 256 × 50 handler calls, so the table
    /// checks share one campaign and the stake checks another.
    function invariant_TransitionsAreInTheTable() public view {
        assertEq(handler.illegalTransitions(), 0, "transition not in table");
        assertEq(handler.wrongOutcomes(), 0, "outcome against table");
        assertEq(handler.wrongEffects(), 0, "wrong effect");
        uint256 count = registry.nodeCount();
        for (uint256 id = 1; id < count + 1; ++id) {
            IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(id);
            bool held = t.status == IProviderRegistry.Status.Sharing || t.status == IProviderRegistry.Status.Reserved;
            if (held) assertTrue(t.engaged, "held node not engaged");
            if (t.status == IProviderRegistry.Status.Idle || t.status == IProviderRegistry.Status.None)
                assertTrue(!t.engaged, "Idle or None node engaged");
        }
    }

    function invariant_StakeIsBalanceMinusUnbondingAndLeavesOnlyWhenUnbonded() public view {
        assertEq(handler.earlyOutflows(), 0, "GUT left before unbonding ended");
        uint256 active;
        uint256 unbonding;
        uint256 count = registry.nodeCount();
        for (uint256 id = 1; id < count + 1; ++id) {
            IProviderRegistry.NodeInfo memory n = registry.node(id);
            if (n.status == IProviderRegistry.Status.None) unbonding += n.stake;
            else active += n.stake;
        }
        assertEq(active, gut.balanceOf(address(registry)) - unbonding, "active != balance - unbonding");
        assertEq(active, registry.totalStaked(), "totalStaked");
        assertEq(unbonding, registry.totalUnbonding(), "totalUnbonding");
    }
}
