// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {GUT} from "../../contracts/GUT.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {Test} from "../utils/Test.sol";

/// @dev Drives the registry with random provider, operator, keeper and escrow calls and time
/// warps. For every call it predicts from DESIGN.md's table whether the call may succeed, and
/// after it compares every node's status with the status it saw before: a change is legal only on
/// the node the call named and only if the pair belongs to that call in the table. Refusals are
/// caught rather than expected, so a contract that accepts a forbidden call, or refuses an allowed
/// one, shows up in the counters the invariants read.
contract ProviderRegistryHandler is Test {
    enum Call {
        Register,
        CheckIn,
        GoOffline,
        MarkDisconnected,
        Deregister,
        WithdrawStake,
        AddStake,
        StartLease,
        HoldForReservation,
        Release,
        Penalize
    }

    address internal constant STRANGER = address(0x57A7);
    address internal constant OPERATOR = address(0x0BE7);

    ProviderRegistry public immutable registry;
    GUT public immutable gut;
    address public immutable escrow;
    address public immutable treasury;
    address[3] internal _providers;
    bytes32[3] internal _models = [bytes32("GTX 1080 Ti"), bytes32("V100"), bytes32("RTX 2080 Ti")];

    mapping(uint256 nodeId => IProviderRegistry.Status) public seen;
    uint256 public transitions;
    uint256 public illegalTransitions;
    uint256 public wrongOutcomes;
    uint256 public wrongEffects;
    uint256 public earlyOutflows;
    uint256 public penalties;

    constructor(ProviderRegistry registry_, GUT gut_, address escrow_, address treasury_, address[3] memory providers) {
        registry = registry_;
        gut = gut_;
        escrow = escrow_;
        treasury = treasury_;
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
            if (n.provider != provider || n.lastCheckIn != block.timestamp || n.engaged) ++wrongEffects;
            if (n.stake != n.requiredStake) ++wrongEffects;
            if (gut.balanceOf(address(registry)) - before != n.stake) ++wrongEffects;
        } catch {
            _outcome(gpuCount > 0, false);
        }
        _after(Call.Register, registry.nodeCount(), before);
    }

    function checkIn(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _operatorSide(callerSeed, n.provider);
        bool ok = caller != STRANGER && n.status != IProviderRegistry.Status.None;
        bool late =
            (n.status == IProviderRegistry.Status.Idle || n.status == IProviderRegistry.Status.Reserved) && _isStale(n);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        bool succeeded = true;
        try registry.checkIn(ids) {} catch {
            succeeded = false;
        }
        _outcome(ok, succeeded);
        _after(Call.CheckIn, id, before);
        if (!ok) return;
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(id);
        bool held = n.engaged && (n.status == IProviderRegistry.Status.Disconnect || late);
        if (held) {
            // The outage stays on the record: Disconnect, check-in not moved.
            if (t.status != IProviderRegistry.Status.Disconnect || t.lastCheckIn != n.lastCheckIn) ++wrongEffects;
            if (late && t.downSince != n.lastCheckIn + registry.checkInPeriod()) ++wrongEffects;
        } else if (t.lastCheckIn != block.timestamp) {
            ++wrongEffects;
        }
    }

    function goOffline(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _operatorSide(callerSeed, n.provider);
        bool ok =
            caller != STRANGER &&
                (n.status == IProviderRegistry.Status.Idle || n.status == IProviderRegistry.Status.Reserved);
        _providerCall(Call.GoOffline, id, caller, ok);
    }

    function markDisconnected(uint256 nodeSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        bool ok =
            (n.status == IProviderRegistry.Status.Idle || n.status == IProviderRegistry.Status.Reserved) && _isStale(n);
        _providerCall(Call.MarkDisconnected, id, STRANGER, ok);
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(id);
        if (t.lastCheckIn != n.lastCheckIn) ++wrongEffects;
        if (ok && t.downSince != n.lastCheckIn + registry.checkInPeriod()) ++wrongEffects;
    }

    function deregister(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _operatorSide(callerSeed, n.provider);
        bool ok = caller == n.provider && n.status == IProviderRegistry.Status.Disconnect && !n.engaged;
        _providerCall(Call.Deregister, id, caller, ok);
    }

    function withdrawStake(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _operatorSide(callerSeed, n.provider);
        bool unbonded =
            n.provider != address(0) &&
                n.status == IProviderRegistry.Status.None &&
                !(block.timestamp < n.unbondingEnds);
        bool ok = caller == n.provider && unbonded && n.stake > 0;
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        try registry.withdrawStake(id, STRANGER) {
            _outcome(ok, true);
        } catch {
            _outcome(ok, false);
        }
        uint256 afterBalance = gut.balanceOf(address(registry));
        if (afterBalance < before && !unbonded) ++earlyOutflows;
        if (before - afterBalance != (ok ? n.stake : 0)) ++wrongEffects;
        _after(Call.WithdrawStake, id, afterBalance);
    }

    function addStake(uint256 nodeSeed, uint256 callerSeed, uint256 amount) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _operatorSide(callerSeed, n.provider);
        amount = bound(amount, 0, 1_000e18);
        bool ok = caller == n.provider && n.status != IProviderRegistry.Status.None && amount > 0;
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        try registry.addStake(id, amount) {
            _outcome(ok, true);
            if (registry.node(id).stake != n.stake + amount) ++wrongEffects;
        } catch {
            _outcome(ok, false);
        }
        _after(Call.AddStake, id, before);
    }

    function startLease(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok =
            caller == escrow &&
                ((n.status == IProviderRegistry.Status.Idle && !(n.stake < n.requiredStake)) ||
                    n.status == IProviderRegistry.Status.Reserved);
        _escrowCall(Call.StartLease, id, caller, ok);
        if (ok && registry.leaseTerms(id).lastCheckIn != block.timestamp) ++wrongEffects;
    }

    function holdForReservation(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok = caller == escrow && n.status == IProviderRegistry.Status.Idle && !(n.stake < n.requiredStake);
        _escrowCall(Call.HoldForReservation, id, caller, ok);
    }

    function release(uint256 nodeSeed, uint256 callerSeed) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok = caller == escrow && n.engaged;
        _escrowCall(Call.Release, id, caller, ok);
        if (ok && registry.leaseTerms(id).engaged) ++wrongEffects;
    }

    function penalize(uint256 nodeSeed, uint256 callerSeed, uint256 amount) external {
        (uint256 id, IProviderRegistry.NodeInfo memory n) = _node(nodeSeed);
        address caller = _escrowCaller(callerSeed);
        bool ok = caller == escrow && n.engaged;
        amount = bound(amount, 0, 2 * n.stake + 1);
        uint256 expected = ok ? (n.stake < amount ? n.stake : amount) : 0;
        uint256 before = gut.balanceOf(address(registry));
        uint256 treasuryBefore = gut.balanceOf(treasury);
        vm.prank(caller);
        try registry.penalize(id, amount) returns (uint256 taken) {
            _outcome(ok, true);
            if (taken != expected) ++wrongEffects;
        } catch {
            _outcome(ok, false);
        }
        if (before - gut.balanceOf(address(registry)) != expected) ++wrongEffects;
        if (gut.balanceOf(treasury) - treasuryBefore != expected) ++wrongEffects;
        penalties += expected;
        _after(Call.Penalize, id, gut.balanceOf(address(registry)));
    }

    function warp(uint256 seconds_, uint256 longSeed) external {
        uint256 max = longSeed % 8 == 0 ? 3 days : 2 * registry.checkInPeriod();
        vm.warp(block.timestamp + bound(seconds_, 0, max));
    }

    function _providerCall(Call call, uint256 id, address caller, bool ok) internal {
        uint256 before = gut.balanceOf(address(registry));
        vm.prank(caller);
        bool succeeded = true;
        if (call == Call.GoOffline) {
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
        bool paysOut = call == Call.WithdrawStake || call == Call.Penalize;
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
        if (call == Call.GoOffline || call == Call.MarkDisconnected)
            return (from == idle || from == reserved) && to == disconnect;
        // A late check-in of a node the escrow holds dates its outage instead of refreshing it.
        if (call == Call.CheckIn) return (from == reserved && to == disconnect) || (from == disconnect && to == idle);
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

    /// @dev The provider, its operator (named by the first provider only) or a stranger.
    function _operatorSide(uint256 seed, address provider) internal view returns (address) {
        if (seed % 5 == 0) return STRANGER;
        if (seed % 5 == 1 && registry.operatorOf(provider) == OPERATOR) return OPERATOR;
        return provider;
    }

    function _escrowCaller(uint256 seed) internal view returns (address) {
        return seed % 5 == 0 ? STRANGER : escrow;
    }

    function _isStale(IProviderRegistry.NodeInfo memory n) internal view returns (bool) {
        return block.timestamp > uint256(n.lastCheckIn) + registry.checkInPeriod();
    }
}

contract ProviderRegistryTest is Test {
    address internal constant ESCROW = address(0xE5C);
    address internal constant TREASURY = address(0x7EA5);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant CAROL = address(0xCA201);
    address internal constant OPERATOR = address(0x0BE7);
    uint256 internal constant _PERIOD = 1 hours;

    GUT internal gut;
    ProviderRegistry internal registry;
    ProviderRegistryHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        gut = new GUT(0, address(this), address(this));
        registry = new ProviderRegistry(0, address(this), gut, 100e18, _PERIOD, 1 days, TREASURY);
        registry.grantRole(registry.ESCROW_ROLE(), ESCROW);
        address[3] memory providers = [ALICE, BOB, CAROL];
        handler = new ProviderRegistryHandler(registry, gut, ESCROW, TREASURY, providers);
        targetContract(address(handler));
        for (uint256 i; i < 3; ++i) {
            gut.transfer(providers[i], 1_000_000e18);
            vm.prank(providers[i]);
            gut.approve(address(registry), type(uint256).max);
        }
        vm.prank(ALICE);
        registry.setOperator(OPERATOR);
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

    /// @dev A node is stale exactly when more than `checkInPeriod` has passed since its check-in;
    /// marking it Disconnect dates the outage at the moment it went stale, not at the marking.
    function testFuzz_MarkDisconnected_StaleExactlyAfterThePeriod(uint256 period, uint256 elapsed) public {
        period = bound(period, registry.MIN_CHECK_IN_PERIOD(), registry.MAX_CHECK_IN_PERIOD());
        registry.setCheckInPeriod(period);
        uint256 id = _register(ALICE);
        uint256 checkedAt = block.timestamp;
        elapsed = bound(elapsed, 0, 3 * period);
        vm.warp(checkedAt + elapsed);
        bool stale = elapsed > period;
        assertTrue(registry.isStale(id) == stale, "isStale");
        if (!stale) {
            vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.CheckInNotStale.selector, id, checkedAt + period));
        }
        registry.markDisconnected(id);
        if (!stale) return;
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(id);
        assertEq(uint256(t.status), uint256(IProviderRegistry.Status.Disconnect), "status");
        assertEq(t.downSince, checkedAt + period, "downSince");
    }

    /// @dev A check-in inside the period refreshes the clock; one after it, on a node the escrow
    /// reserved, leaves the node Disconnect from the moment it went stale, so a reservation's
    /// outage cannot be erased by checking in late.
    function testFuzz_CheckIn_LateOnAReservedNodeKeepsTheOutage(uint256 elapsed) public {
        uint256 id = _register(ALICE);
        vm.prank(ESCROW);
        registry.holdForReservation(id);
        uint256 checkedAt = block.timestamp;
        elapsed = bound(elapsed, 0, 3 * _PERIOD);
        vm.warp(checkedAt + elapsed);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(OPERATOR);
        registry.checkIn(ids);
        IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(id);
        if (elapsed > _PERIOD) {
            assertEq(uint256(t.status), uint256(IProviderRegistry.Status.Disconnect), "late: Disconnect");
            assertEq(t.downSince, checkedAt + _PERIOD, "late: downSince");
            assertEq(t.lastCheckIn, checkedAt, "late: lastCheckIn kept");
        } else {
            assertEq(uint256(t.status), uint256(IProviderRegistry.Status.Reserved), "on time: Reserved");
            assertEq(t.lastCheckIn, block.timestamp, "on time: lastCheckIn");
        }
    }

    /// @dev A Sharing node needs no check-in however long it runs, and leaving Sharing restarts
    /// its clock.
    function testFuzz_Release_SharingNeedsNoCheckIn(uint256 elapsed) public {
        uint256 id = _register(ALICE);
        vm.prank(ESCROW);
        registry.startLease(id);
        elapsed = bound(elapsed, 0, 30 days);
        vm.warp(block.timestamp + elapsed);
        assertTrue(!registry.isStale(id), "Sharing node stale");
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.InvalidStatus.selector, id, IProviderRegistry.Status.Sharing)
        );
        registry.markDisconnected(id);
        vm.prank(ESCROW);
        registry.release(id);
        assertEq(registry.leaseTerms(id).lastCheckIn, block.timestamp, "release restarts the clock");
    }

    /// @dev The penalty never exceeds the stake nor the amount asked, and always goes to the treasury.
    function testFuzz_Penalize_TakesAtMostTheStakeToTheTreasury(uint256 amount) public {
        uint256 id = _register(ALICE);
        uint256 stake = registry.node(id).stake;
        amount = bound(amount, 0, 3 * stake);
        vm.prank(ESCROW);
        registry.holdForReservation(id);
        vm.prank(ESCROW);
        uint256 taken = registry.penalize(id, amount);
        uint256 expected = amount < stake ? amount : stake;
        assertEq(taken, expected, "taken");
        assertEq(gut.balanceOf(TREASURY), expected, "treasury");
        assertEq(registry.node(id).stake, stake - expected, "stake left");
        assertEq(registry.totalStaked(), stake - expected, "totalStaked");
    }

    function test_CheckIn_SkipsWhen_DisconnectAndEngaged() public {
        uint256 id = _register(ALICE);
        vm.prank(ESCROW);
        registry.holdForReservation(id);
        vm.prank(ALICE);
        registry.goOffline(id);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(ALICE);
        registry.checkIn(ids);
        assertEq(
            uint256(registry.leaseTerms(id).status),
            uint256(IProviderRegistry.Status.Disconnect),
            "engaged Disconnect node came back"
        );
    }

    function test_CheckIn_RevertsWhen_OperatorOfAnotherProvider() public {
        uint256 mine = _register(ALICE);
        uint256 bobs = _register(BOB);
        uint256[] memory ids = new uint256[](2);
        ids[0] = mine;
        ids[1] = bobs;
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.NotNodeOperator.selector, bobs, OPERATOR));
        vm.prank(OPERATOR);
        registry.checkIn(ids);
    }

    function test_WithdrawStake_RevertsWhen_Operator() public {
        uint256 id = _register(ALICE);
        vm.prank(ALICE);
        registry.goOffline(id);
        vm.prank(ALICE);
        registry.deregister(id);
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.NotNodeProvider.selector, id, OPERATOR));
        vm.prank(OPERATOR);
        registry.withdrawStake(id, OPERATOR);
    }

    /// @dev One invariant function per campaign: the table checks share one campaign and the
    /// stake checks another.
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

    function invariant_StakeIsBalanceMinusUnbondingAndLeavesOnlyWhenUnbondedOrPenalized() public view {
        assertEq(handler.earlyOutflows(), 0, "GUT left before unbonding ended");
        assertEq(gut.balanceOf(TREASURY), handler.penalties(), "treasury got other than the penalties");
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

    function _register(address provider) internal returns (uint256 id) {
        vm.prank(provider);
        id = registry.register("V100", 1, 1e18, address(gut), "");
    }
}
