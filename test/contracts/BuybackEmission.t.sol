// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BuybackEmission} from "../../contracts/BuybackEmission.sol";
import {TFT} from "../../contracts/TFT.sol";
import {IBuybackEmission} from "../../contracts/interfaces/IBuybackEmission.sol";
import {EmissionMath} from "../../contracts/libraries/EmissionMath.sol";
import {Test} from "../utils/Test.sol";

/// @dev Test-only stand-in for Router02: the emission contract only reads `factory()` at
/// deployment. These tests buy back TFT fees, which never swap; the real Uniswap V2 router and
/// pair are covered by test/BuybackEmission.ts.
contract RouterStub {
    function factory() external pure returns (address) {
        return address(0xFAC7);
    }
}

/// @dev Drives the emission with TFT fees, buybacks of ended buckets in slices and in any order,
/// epoch changes, claims, holders' own burns and stray transfers. It is the escrow, the keeper and
/// the treasury. Providers send what they claim back to it so fees keep flowing through all
/// phases. Ghosts record what the contract should have done, and each bucket's cap: the phase
/// bound (`RELEASE_BPS`, `1 − BURN_BPS` or all, times `minerShare`) of the TFT it bought, worked
/// out from `previewSplit` before each buyback. Refusals are caught and counted, never expected.
contract EmissionHandler is Test {
    uint256 internal constant EPOCH = 1 days;

    BuybackEmission public immutable emission;
    TFT public immutable tft;
    uint256 public immutable maxFee;
    address public immutable admin;
    address[3] internal _providers = [address(0xA11CE), address(0xB0B), address(0xCA201)];

    /// @dev The epochs whose TFT bucket has fees, in order.
    uint256[] public epochs;
    mapping(uint256 epoch => uint256 cap) public capOf;

    uint256 public toMiners;
    uint256 public claimed;
    uint256 public userBurned;
    uint256 public strays;
    uint256 public phaseOneBurned;
    uint256 public doubleClaimsPaid;
    uint256 public openBucketsSold;
    uint256 public unexpectedReverts;
    uint256 public wrongSplits;

    constructor(BuybackEmission emission_, TFT tft_, uint256 maxFee_) {
        emission = emission_;
        tft = tft_;
        maxFee = maxFee_;
        admin = msg.sender;
    }

    function providers() external view returns (address[3] memory) {
        return _providers;
    }

    function epochCount() external view returns (uint256) {
        return epochs.length;
    }

    function payFee(uint256 providerSeed, uint256 amount) external {
        uint256 balance = tft.balanceOf(address(this));
        if (balance == 0) return;
        amount = bound(amount, 1, balance < maxFee ? balance : maxFee);
        uint256 epoch = emission.currentEpoch();
        tft.transfer(address(emission), amount);
        try emission.recordFee(_providers[providerSeed % 3], address(tft), amount) {
            if (epochs.length == 0 || epochs[epochs.length - 1] != epoch) epochs.push(epoch);
        } catch {
            unexpectedReverts++;
        }
    }

    /// @dev Sells a slice of an ended bucket with unsold fees, the first found from `seed` on: the
    /// keeper's order is arbitrary.
    function buyback(uint256 seed, uint256 amount) external {
        uint256 current = emission.currentEpoch();
        uint256 n = epochs.length;
        for (uint256 k; k < n; ++k) {
            uint256 epoch = epochs[(seed + k) % n];
            if (!(epoch < current)) continue;
            IBuybackEmission.Bucket memory b = emission.bucket(epoch, address(tft));
            if (b.fees == b.sold) continue;
            _sell(epoch, bound(amount, 1, b.fees - b.sold), b);
            return;
        }
    }

    /// @dev Tries to sell the bucket of the current epoch, which must be refused.
    function buybackOpenBucket(uint256 amount) external {
        uint256 epoch = emission.currentEpoch();
        IBuybackEmission.Bucket memory b = emission.bucket(epoch, address(tft));
        if (b.fees == b.sold) return;
        amount = bound(amount, 1, b.fees - b.sold);
        try emission.buyback(address(tft), epoch, amount, 0, block.timestamp) {
            openBucketsSold++;
        } catch (bytes memory reason) {
            bytes memory refused = abi.encodeWithSelector(IBuybackEmission.BucketNotEnded.selector, epoch, epoch);
            if (keccak256(reason) != keccak256(refused)) unexpectedReverts++;
        }
    }

    function advance(uint256 time) external {
        vm.warp(block.timestamp + bound(time, 0, 2) * EPOCH + bound(time >> 8, 0, EPOCH - 1));
    }

    function setMinerShare(uint256 bps) external {
        vm.prank(admin);
        emission.setMinerShare(bound(bps, 5_000, 9_900));
    }

    function claim(uint256 providerSeed, uint256 first, uint256 count) external {
        uint256 n = epochs.length;
        if (n == 0) return;
        address provider = _providers[providerSeed % 3];
        first = bound(first, 0, n - 1);
        count = bound(count, 1, n - first);
        IBuybackEmission.BucketId[] memory ids = new IBuybackEmission.BucketId[](count);
        for (uint256 i; i < count; ++i) ids[i] = IBuybackEmission.BucketId(uint64(epochs[first + i]), address(tft));
        uint256 expected = emission.claimable(provider, ids);
        vm.prank(provider);
        try emission.claim(ids) returns (uint256 paid) {
            claimed += paid;
            if (paid != expected) wrongSplits++;
        } catch (bytes memory reason) {
            bytes memory nothing = abi.encodeWithSelector(IBuybackEmission.NothingToClaim.selector, provider);
            if (expected != 0 || keccak256(reason) != keccak256(nothing)) unexpectedReverts++;
        }
        vm.prank(provider);
        try emission.claim(ids) returns (uint256) {
            doubleClaimsPaid++;
        } catch {}
        uint256 held = tft.balanceOf(provider);
        vm.prank(provider);
        tft.transfer(address(this), held);
    }

    function userBurn(uint256 amount) external {
        uint256 balance = tft.balanceOf(address(this));
        uint256 burnable = tft.burnable();
        amount = bound(amount, 0, (balance < burnable ? balance : burnable) / 4);
        userBurned += amount;
        tft.burn(amount);
    }

    function strayTransfer(uint256 amount) external {
        amount = bound(amount, 0, tft.balanceOf(address(this)) / 100);
        strays += amount;
        tft.transfer(address(emission), amount);
    }

    function _sell(uint256 epoch, uint256 amount, IBuybackEmission.Bucket memory b) internal {
        IBuybackEmission.Split memory s = emission.previewSplit(amount);
        uint256 share = emission.minerShareBps();
        uint256 supply = tft.totalSupply();
        uint256 reserve = emission.reserveLeft();
        try emission.buyback(address(tft), epoch, amount, 0, block.timestamp) {
            uint256 toBucket = ((s.fromReserve + s.fromBuyback) * share) / 10_000;
            toMiners += toBucket;
            phaseOneBurned += s.inPhaseOne;
            capOf[epoch] += (EmissionBounds.releaseCap(s) * share) / 10_000;
            IBuybackEmission.Bucket memory a = emission.bucket(epoch, address(tft));
            bool exact =
                supply - tft.totalSupply() == s.burned &&
                    reserve - emission.reserveLeft() == s.fromReserve &&
                    a.sold == b.sold + amount &&
                    a.bought == b.bought + amount &&
                    a.rewards == b.rewards + toBucket;
            if (!exact) wrongSplits++;
        } catch {
            unexpectedReverts++;
        }
    }
}

/// @dev The per-phase bound of the release of a buyback, independent of how `split` computes it.
library EmissionBounds {
    /// @dev `RELEASE_BPS` of the part bought in phase one, half (rounded up: phase two burns the
    /// half rounded down) of the part in phase two, all of the part at the floor.
    function releaseCap(IBuybackEmission.Split memory s) internal pure returns (uint256) {
        return (s.inPhaseOne * 8_000) / 10_000 + (s.inPhaseTwo * 5_000 + 9_999) / 10_000 + s.atFloor;
    }
}

/// @dev The invariants, shared by two starting points.
abstract contract EmissionInvariants is Test {
    BuybackEmission internal emission;
    TFT internal tft;
    EmissionHandler internal handler;

    /// @param circulating TFT's circulating allocation (the reserve is the rest of 1B).
    /// @param preBurn How much the holder burns itself before the run (counts for nothing).
    /// @param maxFee The largest fee of one call.
    function _deploy(uint256 circulating, uint256 preBurn, uint256 maxFee) internal {
        tft = new TFT(address(this), circulating, address(this));
        emission = new BuybackEmission(0, address(this), address(tft), address(new RouterStub()), address(1), 1 days);
        tft.approve(address(emission), tft.reserveAllocation());
        emission.fundReserve();
        tft.burn(preBurn);
        handler = new EmissionHandler(emission, tft, maxFee);
        emission.setTreasury(address(handler));
        emission.grantRole(emission.ESCROW_ROLE(), address(handler));
        emission.grantRole(emission.KEEPER_ROLE(), address(handler));
        tft.transfer(address(handler), tft.balanceOf(address(this)));
        targetContract(address(handler));
    }

    /// @dev Phase one releases at most 80 % of what it burned; the reserve never goes negative
    /// (reserve left + released is the allocation); supply never goes below the floor, and only
    /// this contract's burns count (holders' own burns release nothing).
    function invariant_SupplyReserveAndReleases() public view {
        assertLe(emission.totalReleased() * 10_000, handler.phaseOneBurned() * 8_000, "phase-1 release > 80% of burns");
        assertLe(emission.totalReleased() * 10_000, emission.totalBurned() * 8_000, "release > 80% of all burns");
        assertEq(emission.reserveLeft() + emission.totalReleased(), tft.reserveAllocation(), "reserve + released");
        assertGe(tft.totalSupply(), tft.SUPPLY_FLOOR(), "supply >= floor");
        assertEq(
            tft.totalSupply(),
            tft.INITIAL_SUPPLY() - emission.totalBurned() - handler.userBurned() - _preBurn(),
            "supply = initial - burns"
        );
    }

    /// @dev Claimable plus claimed never exceeds what was released to miners, the miners' part is
    /// exactly what is owed, no second claim ever paid, the balance is what is accounted plus
    /// stray transfers (which nothing spends), no open bucket was sold, and no bucket's providers
    /// and no provider got more than the phase bound of the TFT its own fees bought.
    function invariant_RewardsAndBuckets() public view {
        address[3] memory providers = handler.providers();
        uint256 n = handler.epochCount();
        uint256 claimable;
        uint256 credited;
        for (uint256 k; k < n; ++k) {
            uint256 epoch = handler.epochs(k);
            IBuybackEmission.Bucket memory b = emission.bucket(epoch, address(tft));
            IBuybackEmission.BucketId[] memory id = new IBuybackEmission.BucketId[](1);
            id[0] = IBuybackEmission.BucketId(uint64(epoch), address(tft));
            uint256 fees;
            credited += b.rewards;
            assertLe(b.rewards, handler.capOf(epoch), "bucket rewards > phase bound of what it bought");
            for (uint256 i; i < 3; ++i) {
                uint256 fee = emission.feeOf(epoch, address(tft), providers[i]);
                uint256 got =
                    emission.claimable(providers[i], id) + emission.claimedOf(epoch, address(tft), providers[i]);
                fees += fee;
                claimable += emission.claimable(providers[i], id);
                if (fee > 0) assertLe(got, (handler.capOf(epoch) * fee) / b.fees, "provider > bound of its own fees");
            }
            assertEq(fees, b.fees, "bucket fees != providers' fees");
        }
        assertLe(claimable + handler.claimed(), handler.toMiners(), "claimable+claimed > to miners");
        assertEq(credited, handler.toMiners(), "buckets' rewards != to miners");
        assertEq(emission.minerRewardsUnclaimed() + handler.claimed(), handler.toMiners(), "miner part");
        assertEq(handler.doubleClaimsPaid(), 0, "a second claim paid");
        assertEq(handler.openBucketsSold(), 0, "a bucket sold before its epoch ended");
        uint256 accounted =
            emission.reserveLeft() + emission.minerRewardsUnclaimed() + emission.pendingFees(address(tft));
        assertEq(tft.balanceOf(address(emission)), accounted + handler.strays(), "balance != accounted + strays");
    }

    /// @dev Every buyback burned and released exactly what `previewSplit` said, every claim paid
    /// what `claimable` said, and nothing was refused that should have passed.
    function invariant_ExactSplitsAndNoUnexpectedReverts() public view {
        assertEq(handler.wrongSplits(), 0, "moved != previewed");
        assertEq(handler.unexpectedReverts(), 0, "unexpected revert");
    }

    function _preBurn() internal view virtual returns (uint256);
}

/// @dev The real allocation: 650M circulating, 350M reserve, fees up to 100M a call.
contract BuybackEmissionInvariantTest is EmissionInvariants {
    function setUp() public {
        _deploy(650_000_000e18, 0, 100_000_000e18);
    }

    function _preBurn() internal pure override returns (uint256) {
        return 0;
    }
}

/// @dev A 20M reserve and a holder who burned down to 160M supply: runs cross phase one, phase
/// two and the floor.
contract BuybackEmissionNearFloorInvariantTest is EmissionInvariants {
    function setUp() public {
        _deploy(980_000_000e18, 840_000_000e18, 20_000_000e18);
    }

    function _preBurn() internal pure override returns (uint256) {
        return 840_000_000e18;
    }
}

/// @dev The phase arithmetic on its own, and the wash-leasing bound on the real contract.
contract BuybackEmissionTest is Test {
    uint256 internal constant M = 1_000_000e18;
    address internal constant WASHER = address(0x3A5E);
    address internal constant OTHER = address(0x0E1);
    address internal constant SETUP = address(0x5E7);

    function testFuzz_Split_ConservesAndOrdersPhases(uint256 amount, uint256 reserve, uint256 burnable) public pure {
        amount = bound(amount, 0, 2_000 * M);
        reserve = bound(reserve, 0, 1_000 * M);
        burnable = bound(burnable, 0, 900 * M);
        IBuybackEmission.Split memory s = EmissionMath.split(amount, reserve, burnable);
        assertEq(s.inPhaseOne + s.inPhaseTwo + s.atFloor, amount, "phases != amount");
        assertEq(s.burned + s.fromBuyback, amount, "burned + released != amount");
        assertLe(s.fromReserve, reserve, "reserve never negative");
        assertLe(s.fromReserve * 10_000, s.inPhaseOne * 8_000, "phase-1 release > 80 %");
        assertLe(s.burned, burnable, "never below the floor");
        assertEq(s.burned - s.inPhaseOne, s.inPhaseTwo / 2, "phase two burns half");
        if (s.inPhaseTwo > 0) assertEq(s.fromReserve, reserve, "phase 2 before reserve out");
        if (s.atFloor > 0) assertEq(s.burned, burnable, "floor before burnable is 0");
    }

    function testFuzz_Split_PhaseOneEndsExactly(uint256 reserve, uint256 extra) public pure {
        reserve = bound(reserve, 1, 1_000 * M);
        uint256 toExhaust = (reserve * 10_000 + 7_999) / 8_000;
        assertEq(
            EmissionMath.split(toExhaust, reserve, type(uint128).max).fromReserve,
            reserve,
            "not exhausted at boundary"
        );
        assertLe(
            EmissionMath.split(toExhaust - 1, reserve, type(uint128).max).fromReserve + 1,
            reserve,
            "not one wei before"
        );
        extra = bound(extra, 0, 1_000 * M);
        IBuybackEmission.Split memory one = EmissionMath.split(toExhaust + extra, reserve, type(uint128).max);
        IBuybackEmission.Split memory two = EmissionMath.split(extra, 0, type(uint128).max - toExhaust);
        assertEq(one.burned, toExhaust + two.burned, "crossing != two cut (burn)");
        assertEq(one.fromBuyback, two.fromBuyback, "crossing != two cut (release)");
    }

    function testFuzz_Split_FloorReachedExactly(uint256 burnable, uint256 extra) public pure {
        burnable = bound(burnable, 1, 900 * M);
        IBuybackEmission.Split memory exact = EmissionMath.split(2 * burnable, 0, burnable);
        assertEq(exact.burned, burnable, "2 x burnable misses floor");
        assertEq(exact.atFloor, 0, "and not past it");
        assertLe(EmissionMath.split(2 * burnable - 1, 0, burnable).burned + 1, burnable, "one wei short");
        extra = bound(extra, 1, 1_000 * M);
        IBuybackEmission.Split memory over = EmissionMath.split(2 * burnable + extra, 0, burnable);
        assertEq(over.burned, burnable, "burns stop at the floor");
        assertEq(over.fromBuyback, burnable + extra, "released != half + floor part");
        // An odd last wei still fits phase two (its half rounds down to nothing).
        assertGe(over.atFloor + 1, extra, "the rest is at the floor");
    }

    function test_Split_MilestonesMatchClosedForm() public pure {
        IBuybackEmission.Split memory p1 = EmissionMath.split(437_500_000e18, 350 * M, 900 * M);
        assertEq(p1.fromReserve, 350 * M, "phase 1 != 437.5M burned");
        assertEq(1_000 * M - p1.burned, 562_500_000e18, "at 562.5M supply");
        IBuybackEmission.Split memory p2 = EmissionMath.split(925 * M, 0, 462_500_000e18);
        assertEq(p2.burned, 462_500_000e18, "floor != 925M more");
        assertEq(p2.atFloor, 0, "exactly");
    }

    /// @dev Wash leasing. Model: a provider leases its own node; the customer side and the
    /// provider side net out, so the lease costs it exactly the protocol fee `fee`. The fee is
    /// paid in TFT, so nothing is lost in a swap: the most favourable case for the washer. A
    /// competitor pays `competing` into the same bucket. The keeper buys back the bucket once its
    /// epoch has ended. The washer's reward is its pro-rata share of the bucket's miners' part:
    /// `fee / (fee + competing) × r × minerShare × (fee + competing)` with `r` = 80 % in phase one,
    /// 50 % in phase two and 100 % at the floor, so at most `r × minerShare × fee < fee`.
    function testFuzz_WashLeasing_ReturnsLessThanPaid(
        uint256 fee,
        uint256 competing,
        uint256 minerShare,
        uint8 phaseSeed
    ) public {
        uint8 phase = 1 + (phaseSeed % 3);
        (BuybackEmission emission, TFT tft) = _washSetup(phase);
        fee = bound(fee, 1, 5 * M);
        competing = bound(competing, 0, 5 * M);
        minerShare = bound(minerShare, 5_000, 9_900);
        emission.setMinerShare(minerShare);
        vm.warp(block.timestamp + 1 days);
        tft.transfer(address(emission), fee + competing);
        emission.recordFee(WASHER, address(tft), fee);
        if (competing > 0) emission.recordFee(OTHER, address(tft), competing);
        uint64 epoch = uint64(emission.currentEpoch());
        vm.warp(block.timestamp + 1 days);
        emission.buyback(address(tft), epoch, fee + competing, 0, block.timestamp);
        IBuybackEmission.BucketId[] memory ids = new IBuybackEmission.BucketId[](1);
        ids[0] = IBuybackEmission.BucketId(epoch, address(tft));
        uint256 got = emission.claimable(WASHER, ids);
        uint256 ratioBps =
            phase == 1
                ? 8_000
                : phase == 2
                    ? 5_000
                    : 10_000;
        // Phase two burns the half rounded down, so its release may exceed r x fee by one wei.
        assertLe(got * 100_000_000, fee * ratioBps * minerShare + 100_000_000, "got > r x share x fee");
        assertTrue(got < fee, "wash lease returned >= fee");
    }

    /// @dev A fresh system in `phase`, with no pool carried over.
    function _washSetup(uint8 phase) internal returns (BuybackEmission emission, TFT tft) {
        uint256 circulating =
            phase == 1
                ? 650 * M
                : phase == 2
                    ? 960 * M
                    : 950 * M;
        tft = new TFT(address(this), circulating, address(this));
        emission = new BuybackEmission(0, address(this), address(tft), address(new RouterStub()), address(1), 1 days);
        emission.grantRole(emission.ESCROW_ROLE(), address(this));
        emission.grantRole(emission.KEEPER_ROLE(), address(this));
        tft.approve(address(emission), tft.reserveAllocation());
        emission.fundReserve();
        if (phase == 2) {
            // Exhaust the 40M reserve (50M bought back), its rewards going to a setup provider.
            tft.transfer(address(emission), 50 * M);
            emission.recordFee(SETUP, address(tft), 50 * M);
            vm.warp(block.timestamp + 1 days);
            emission.buyback(address(tft), emission.currentEpoch() - 1, 50 * M, 0, block.timestamp);
        } else if (phase == 3) {
            tft.burn(tft.burnable());
        }
        assertEq(uint256(emission.phase()), phase, "setup phase");
    }
}
