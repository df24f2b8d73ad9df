// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {BuybackEmission} from "../../contracts/BuybackEmission.sol";
import {GUT} from "../../contracts/GUT.sol";
import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {TFT} from "../../contracts/TFT.sol";
import {TokenSwapDistributor} from "../../contracts/TokenSwapDistributor.sol";
import {ILeaseEscrow} from "../../contracts/interfaces/ILeaseEscrow.sol";
import {IBuybackEmission} from "../../contracts/interfaces/IBuybackEmission.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";
import {ITokenSwapDistributor} from "../../contracts/interfaces/ITokenSwapDistributor.sol";
import {IUniswapV2Pair} from "../../contracts/interfaces/uniswap/IUniswapV2Pair.sol";
import {IUniswapV2Router02} from "../../contracts/interfaces/uniswap/IUniswapV2Router02.sol";
import {EscrowDeployer} from "../utils/EscrowDeployer.sol";
import {FlowHandler} from "./system/FlowHandler.sol";
import {MarketHandler} from "./system/MarketHandler.sol";
import {ReservationHandler} from "./system/ReservationHandler.sol";
import {SystemActors} from "./system/SystemActors.sol";
import {SystemTree} from "./system/SystemTree.sol";
import {UniswapV2Deployer} from "./system/UniswapV2Deployer.sol";
import {Test} from "../utils/Test.sol";

interface IUniswapV2FactoryFull {
    function createPair(address tokenA, address tokenB) external returns (address pair);
}

interface IUniswapV2PairMint {
    function mint(address to) external returns (uint256 liquidity);
}

/// @dev Every contract of the system, deployed together and driven at random by three handlers:
/// GUT, TFT, the swap distributor, the registry, the escrow, the emission contract and Uniswap's
/// own V2 factory, router and pair (from the npm bytecode). The market's handlers sign quotes and
/// receipts with the providers', operators', customers' and session keys (and forge or replay
/// them on purpose). One campaign checks every DESIGN.md invariant at once, and that no token is
/// created or lost anywhere: the balances of every account that can hold one add up to what was
/// minted less what was burned.
contract SystemInvariantTest is Test {
    uint256 internal constant _RESERVE = 60e18;
    uint256 internal constant _POOL = 1_000_000e18;

    GUT internal gut;
    TFT internal tft;
    ProviderRegistry internal registry;
    ILeaseEscrow internal escrow;
    BuybackEmission internal emission;
    TokenSwapDistributor internal distributor;
    SystemTree internal tree;
    IUniswapV2Pair internal pair;
    UniswapV2Deployer.Uniswap internal uni;
    MarketHandler internal market;
    ReservationHandler internal reservations;
    FlowHandler internal flow;
    address[] internal _accounts;

    function setUp() public {
        vm.warp(1_700_000_000);
        gut = new GUT(0, address(this), address(this));
        // A small mining reserve, so that a campaign reaches phase two.
        tft = new TFT(address(this), tft_initial() - _RESERVE, address(this));
        uni = UniswapV2Deployer.deploy(address(this));
        emission = new BuybackEmission(0, address(this), address(tft), uni.router, SystemActors.OPS_TREASURY, 1 hours);
        tft.approve(address(emission), _RESERVE);
        emission.fundReserve();
        // A check-in period of 6 h: the handlers' warps (up to 3 h, or a day and more) make nodes
        // stale both before and after their reservations' deadlines.
        registry = new ProviderRegistry(0, address(this), gut, 100e18, 6 hours, 1 days, SystemActors.PENALTY_TREASURY);
        escrow = EscrowDeployer.deploy(
            EscrowDeployer.Args({
                admin: address(this),
                registry: registry,
                feeCollector: address(emission),
                gut: address(gut),
                gutFeeBps: 500,
                reservationFeeBps: 1_000,
                reservationGrace: 1 hours,
                session: ILeaseEscrow.SessionTerms({maxQuoteAge: 600, collectWindow: 1 hours, acceptWindow: 600})
            })
        );
        escrow.setPaymentToken(address(tft), true, 300);
        registry.grantRole(registry.ESCROW_ROLE(), address(escrow));
        emission.grantRole(emission.ESCROW_ROLE(), address(escrow));
        _seedPool();
        _deployDistributor();

        market = new MarketHandler(gut, tft, registry, escrow);
        reservations = new ReservationHandler(tft, registry, escrow, market);
        market.bindReservations(address(reservations));
        flow = new FlowHandler(
            FlowHandler.System({
                gut: gut,
                tft: tft,
                registry: registry,
                escrow: escrow,
                emission: emission,
                distributor: distributor,
                tree: tree,
                pair: pair,
                router: IUniswapV2Router02(uni.router)
            })
        );
        emission.grantRole(emission.KEEPER_ROLE(), address(flow));
        _fundActors();
        targetContract(address(market));
        targetContract(address(reservations));
        targetContract(address(flow));
    }

    /// @dev One campaign (256 runs × 50 calls by default; `npm run fuzz:deep` runs ten times as
    /// many) checks everything; each assertion names its property.
    function invariant_System() public view {
        _checkConservation();
        _checkTokens();
        _checkDistributor();
        _checkRegistry();
        _checkEscrowBalances();
        _checkCustomersAndProviders();
        _checkEngagement();
        _checkEmission();
        _checkHandlers();
    }

    /// @dev A scripted walk through the handlers, so that a handler that silently skipped its
    /// action (a wrong precondition) shows up here rather than as a campaign that tests nothing.
    function test_Handlers_ReachEveryContract() public {
        flow.claimAirdrop(0, 0, 1);
        flow.claimAirdrop(tree.LEGACY_INDEX(), 0, 1);
        flow.claimLegacy(0, 1);
        flow.claimLegacy(0, 2);
        flow.claimLegacy(0, 0);
        _walkLeases();
        _walkReservations();
        market.withdraw(0, false, 1);
        market.withdraw(1, true, 2);
        market.withdraw(2, false, 0);
        flow.forwardFees();
        // The fees are in the current epoch's buckets, which cannot be sold before it ends.
        flow.buybackOpenBucket(true, 1e18);
        flow.buybackOpenBucket(false, 1e18);
        flow.observe(30 minutes);
        vm.warp(block.timestamp + 1 hours);
        flow.observe(30 minutes);
        flow.buybackGut(0, 1e18, false);
        flow.buybackTft(0, 1e18);
        flow.buybackTft(0, 1e18);
        flow.claimRewards(0, 0, 1);
        flow.privilegedCall(7, 0);
        flow.privilegedCall(2, 1);
        flow.privilegedCall(3, 1);
        assertEq(flow.timesPaid(0), 1, "airdrop claimed");
        assertEq(flow.timesPaid(tree.LEGACY_INDEX()), 1, "legacy leaf claimed with its key's signature");
        assertEq(market.nodeCount(), 3, "nodes registered");
        assertEq(market.leasesOpened(), 2, "leases opened with valid quotes, and only those");
        assertEq(market.leaseCount(), 3, "leases, one of them from a reservation");
        assertEq(reservations.reservationsStarted(), 1, "a reservation started and accepted");
        assertEq(reservations.reservationsFailed(), 1, "a reservation failed");
        assertTrue(market.penaltiesPaid() > 0, "a penalty to the treasury");
        assertTrue(market.receiptsCollected() > 3, "receipts collected");
        assertTrue(market.checkIns() > 0, "a check-in");
        assertTrue(flow.forwarded(address(gut)) > 0 && flow.forwarded(address(tft)) > 0, "fees forwarded");
        assertEq(flow.buybacks(), 3, "buybacks through the pool and by burning");
        assertTrue(flow.gutSpent() > 0, "GUT fees swapped");
        assertTrue(flow.rewardsClaimed() > 0, "rewards claimed");
        _walkRenewal();
        invariant_System();
    }

    /// @dev A lease renewed: a stranger's quote refused, then the provider's taken with something
    /// added; the renewed lease closes by its provider with a receipt of the same session key.
    function _walkRenewal() internal {
        market.openLease(1, 0, 20e18, 1e18, 0, 0);
        uint256 index = market.leaseCount() - 1;
        market.warp(600);
        market.renewLease(index, 2e18, 9, 0);
        assertEq(market.renewals(), 0, "a stranger's quote renews nothing");
        market.renewLease(index, 2e18, 0, 1e18 + 1);
        assertEq(market.renewals(), 1, "a lease renewed");
        market.warp(600);
        market.closeLease(index + 1, 1, block.timestamp, true);
    }

    /// @dev Two leases with valid quotes (by a provider and by an operator); every kind of bad
    /// quote refused on the third node; receipts by the customer, the session key and forgeries;
    /// a customer's close with its collect window, and a provider's close with its receipt.
    function _walkLeases() internal {
        market.register(0, 0, 1, 1e18, false);
        market.register(1, 1, 2, 2e18, true);
        market.register(2, 2, 1, 3e18, false);
        market.setOperator(1, false);
        market.openLease(0, 0, 40e18, 1e18, 0, 0);
        market.openLease(1, 1, 40e18, 2e18, 1, 1);
        for (uint256 how = 4; how < 11; ++how) if (how != 6) market.openLease(2, 2, 40e18, 1e18, how, 0);
        market.warp(1_800);
        market.collect(0, block.timestamp, 0, 2, 1);
        market.collect(1, block.timestamp + 60, 1, 0, 2);
        for (uint256 how = 3; how < 7; ++how) market.collect(0, block.timestamp + 60, how, 2, 1);
        market.setSessionKey(1, 2, false);
        market.setSessionKey(1, 3, true);
        market.warp(600);
        market.collect(1, block.timestamp, 0, 1, 1);
        market.checkIn(0, 0);
        market.checkIn(1, 1);
        market.checkIn(2, 2);
        market.closeLease(0, 0, 0, false);
        market.collect(0, block.timestamp, 0, 1, 1);
        market.finalize(0, true);
        // The quote nonce of the first lease, again on its node, now Idle: refused.
        market.openLease(0, 0, 40e18, 1e18, 6, 0);
        market.closeLease(1, 2, block.timestamp, true);
    }

    /// @dev A reservation started and accepted, its lease closed by the provider; another one
    /// started, not accepted in time, and failed: the penalty goes to the treasury and the node
    /// takes nothing new until its stake is restored.
    function _walkReservations() internal {
        reservations.reserve(2, 0, 1 hours, 2 hours, 30e18, 0);
        reservations.startReserved(0, 1e18, 0, false);
        reservations.acceptStart(0, 0, false);
        market.warp(1_800);
        market.closeLease(2, 1, block.timestamp, true);
        reservations.reserve(0, 1, 0, 60, 30e18, 0);
        reservations.startReserved(1, 0, 1, false);
        reservations.failReservation(1);
        reservations.acceptStart(1, 0, true);
        reservations.failReservation(1);
        market.openLease(0, 1, 10e18, 1e18, 0, 0);
        market.addStake(0);
        market.checkIn(0, 0);
    }

    // ------------------------------------------------------------ the checks

    /// @dev Nothing created or lost: for each token the balances of every account that can hold
    /// it add up to the supply, and the supply is what was minted less what was burned.
    function _checkConservation() internal view {
        uint256 gutHeld;
        uint256 tftHeld;
        for (uint256 i = 0; i < _accounts.length; ++i) {
            gutHeld += gut.balanceOf(_accounts[i]);
            tftHeld += tft.balanceOf(_accounts[i]);
        }
        assertEq(gutHeld, gut.totalSupply(), "GUT held != supply");
        assertEq(gut.totalSupply(), gut.totalMinted(), "GUT supply != minted (nothing burns GUT here)");
        assertEq(tftHeld, tft.totalSupply(), "TFT held != supply");
        assertEq(tft.totalSupply(), tft_initial() - emission.totalBurned(), "TFT supply != minted - burned");
    }

    function _checkTokens() internal view {
        assertLe(gut.totalSupply(), gut.CAP(), "GUT supply > cap");
        assertGe(tft.totalSupply(), tft.SUPPLY_FLOOR(), "TFT supply < floor");
        assertEq(flow.tftSupplyGrew(), 0, "TFT supply grew");
    }

    function _checkDistributor() internal view {
        uint256 paid;
        for (uint256 i = 0; i < tree.COUNT(); ++i) {
            assertLe(flow.timesPaid(i), 1, "an index paid twice");
            assertTrue(distributor.isClaimed(i) == (flow.timesPaid(i) == 1), "isClaimed != paid");
            if (flow.timesPaid(i) == 1) {
                (, , uint256 amount) = tree.leaf(i);
                paid += amount;
            }
        }
        assertEq(paid, flow.airdropPaid(), "airdrop paid != leaves paid");
        assertLe(paid, distributor.total(), "airdrop paid > tree total");
        assertEq(gut.balanceOf(address(distributor)) + paid, distributor.total(), "distributor balance + paid");
        assertEq(flow.invalidClaimsPaid(), 0, "a tampered or cross-kind claim paid");
    }

    function _checkRegistry() internal view {
        assertEq(market.illegalTransitions(), 0, "status change outside the table");
        assertEq(market.earlyStakeUnlocks(), 0, "stake unlocked before unbonding");
        assertEq(market.wrongStakeRefunds(), 0, "stake refund != stake");
        assertEq(market.underStakedEngagements() + reservations.underStakedEngagements(), 0, "a short stake engaged");
        assertEq(reservations.wrongPenalties(), 0, "penalty != min(stake, fee), or not from the stake");
        assertEq(
            gut.balanceOf(SystemActors.PENALTY_TREASURY),
            market.penaltiesPaid(),
            "treasury != penalties: a penalty went elsewhere"
        );
        assertEq(
            gut.balanceOf(address(registry)),
            uint256(registry.totalStaked()) + registry.totalUnbonding(),
            "registry balance != staked + unbonding"
        );
    }

    /// @dev For each token: open and closing deposits not yet paid + pending reservation
    /// deposits + window fees of started reservations whose lease is not final + earnings + fees
    /// due + owed refunds.
    function _checkEscrowBalances() internal view {
        address[2] memory tokens = [address(gut), address(tft)];
        for (uint256 k = 0; k < 2; ++k) {
            uint256 owedTotal = _leaseObligations(tokens[k]) + _reservationObligations(tokens[k]);
            for (uint256 i = 0; i < SystemActors.PROVIDERS; ++i) {
                address p = SystemActors.provider(i);
                owedTotal += escrow.earnings(p, tokens[k]) + escrow.feesDue(p, tokens[k]);
            }
            for (uint256 i = 0; i < _accounts.length; ++i) owedTotal += escrow.owed(_accounts[i], tokens[k]);
            assertEq(IERC20(tokens[k]).balanceOf(address(escrow)), owedTotal, "escrow balance != obligations");
        }
    }

    function _leaseObligations(address token) internal view returns (uint256 total) {
        uint256 count = escrow.leaseCount();
        for (uint256 id = 1; id < count + 1; ++id) {
            ILeaseEscrow.Lease memory lease_ = escrow.lease(id);
            if (lease_.token != token || lease_.status == ILeaseEscrow.LeaseStatus.Closed) continue;
            total += lease_.deposit - lease_.paid;
            if (lease_.reservationId != 0) {
                ILeaseEscrow.Reservation memory r = escrow.reservation(lease_.reservationId);
                total += r.fee - market.holdFee(r);
            }
        }
    }

    function _reservationObligations(address token) internal view returns (uint256 total) {
        uint256 count = escrow.reservationCount();
        for (uint256 id = 1; id < count + 1; ++id) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(id);
            if (r.token != token) continue;
            if (
                r.status == ILeaseEscrow.ReservationStatus.Pending ||
                r.status == ILeaseEscrow.ReservationStatus.Starting
            ) total += r.deposit;
        }
    }

    /// @dev Refunds within deposits; each lease paid no more than its best collected receipt
    /// covers, capped at its close (`covered` is the handler's ghost of the receipts it saw
    /// accepted); every collect paid exactly what one collect of the best receipt would.
    function _checkCustomersAndProviders() internal view {
        for (uint256 i = 0; i < SystemActors.CUSTOMERS; ++i) {
            address c = SystemActors.customer(i);
            assertLe(market.refunded(c, address(gut)), market.funded(c, address(gut)), "GUT refunds > deposits");
            assertLe(market.refunded(c, address(tft)), market.funded(c, address(tft)), "TFT refunds > deposits");
        }
        uint256 n = market.leaseCount();
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = market.leases(i);
            ILeaseEscrow.Lease memory lease_ = escrow.lease(id);
            assertLe(lease_.paid, market.oneShot(lease_, market.covered(id)), "paid past the receipts or the close");
        }
        assertEq(market.collectMismatches(), 0, "collecting N times != collecting the best receipt once");
        assertEq(market.wrongRefunds() + reservations.wrongRefunds(), 0, "refund != deposit - paid + unearned fee");
        assertEq(reservations.wrongFees(), 0, "reservation fee != the fee rule's price of the hold");
        assertEq(market.misdirectedPayments(), 0, "pay or withdrawal landed elsewhere than the provider said");
    }

    function _checkEngagement() internal view {
        uint256 n = market.leaseCount();
        for (uint256 i = 0; i < n; ++i) {
            ILeaseEscrow.Lease memory lease_ = escrow.lease(market.leases(i));
            if (lease_.status != ILeaseEscrow.LeaseStatus.Open) continue;
            IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(lease_.nodeId);
            assertTrue(t.engaged, "leased node not engaged");
            assertTrue(t.status == IProviderRegistry.Status.Sharing, "leased node not Sharing");
        }
        uint256 m = escrow.reservationCount();
        for (uint256 id = 1; id < m + 1; ++id) {
            ILeaseEscrow.Reservation memory r = escrow.reservation(id);
            if (
                r.status != ILeaseEscrow.ReservationStatus.Pending &&
                r.status != ILeaseEscrow.ReservationStatus.Starting
            ) continue;
            IProviderRegistry.LeaseTerms memory t = registry.leaseTerms(r.nodeId);
            assertTrue(t.engaged, "reserved node not engaged");
            assertTrue(
                t.status == IProviderRegistry.Status.Reserved || t.status == IProviderRegistry.Status.Disconnect,
                "reserved node neither Reserved nor Disconnect"
            );
        }
    }

    function _checkEmission() internal view {
        assertLe(emission.totalReleased() * 10_000, flow.phaseOneBurned() * 8_000, "phase-1 release > 80% of burns");
        assertLe(emission.totalReleased(), _RESERVE, "released more than the reserve");
        assertEq(emission.reserveLeft() + emission.totalReleased(), _RESERVE, "reserve left + released");
        assertEq(emission.minerRewardsUnclaimed() + flow.rewardsClaimed(), flow.toMiners(), "miner part");
        assertEq(flow.openBucketsSold(), 0, "a bucket sold before its epoch ended");
        uint256 claimable;
        uint256 n = flow.feeEpochCount();
        for (uint256 k; k < n; ++k) {
            claimable += _checkBucket(flow.feeEpochs(k), address(gut));
            claimable += _checkBucket(flow.feeEpochs(k), address(tft));
        }
        assertLe(claimable + flow.rewardsClaimed(), flow.toMiners(), "claimable + claimed > released to miners");
        assertEq(
            tft.balanceOf(address(emission)),
            emission.reserveLeft() + emission.minerRewardsUnclaimed() + emission.pendingFees(address(tft)),
            "emission TFT != what it accounts"
        );
        uint256 gutForwarded = flow.forwarded(address(gut));
        assertEq(gut.balanceOf(address(emission)), gutForwarded - flow.gutSpent(), "emission GUT != fees - swapped");
        assertEq(emission.pendingFees(address(gut)), gutForwarded - flow.gutSpent(), "pending GUT != fees - swapped");
    }

    /// @dev One bucket: its providers' fees add up to its fees, its rewards stay within the phase
    /// bound of what it bought, and so does each provider's part of them (claimed or not) for the
    /// TFT its own fees bought. Returns what the bucket's providers can claim.
    function _checkBucket(uint256 epoch, address token) internal view returns (uint256 claimable) {
        IBuybackEmission.Bucket memory b = emission.bucket(epoch, token);
        uint256 cap = flow.capOf(epoch, token);
        assertLe(b.rewards, cap, "bucket rewards > phase bound of what it bought");
        IBuybackEmission.BucketId[] memory id = new IBuybackEmission.BucketId[](1);
        id[0] = IBuybackEmission.BucketId(uint64(epoch), token);
        uint256 fees;
        for (uint256 i = 0; i < SystemActors.PROVIDERS; ++i) {
            address p = SystemActors.provider(i);
            uint256 fee = emission.feeOf(epoch, token, p);
            uint256 open = emission.claimable(p, id);
            fees += fee;
            claimable += open;
            if (fee > 0) assertLe(open + emission.claimedOf(epoch, token, p), (cap * fee) / b.fees, "provider > bound");
        }
        assertEq(fees, b.fees, "bucket fees != its providers' fees");
    }

    function _checkHandlers() internal view {
        assertEq(market.unexpectedReverts(), 0, "market: unexpected revert");
        assertEq(
            reservations.unexpectedReverts(),
            0,
            string.concat("reservations: unexpected revert ", vm.toString(reservations.lastUnexpected()))
        );
        assertEq(
            market.badQuotesAccepted() + reservations.badQuotesAccepted(),
            0,
            "a quote accepted expired, too long, twice, elsewhere, by a stranger or for another customer"
        );
        assertEq(market.badReceiptsAccepted(), 0, "a receipt or close accepted that must be refused");
        assertEq(reservations.badCallsAccepted(), 0, "a reservation call accepted that must be refused");
        assertEq(reservations.failedReservationsCharged(), 0, "a failed reservation kept part of the deposit");
        assertEq(market.operatorOverreach(), 0, "an operator moved stake or pay, or a stranger checked in");
        assertEq(market.tftSupplyGrew() + reservations.tftSupplyGrew(), 0, "TFT supply grew");
        assertEq(flow.unexpectedReverts(), 0, "flow: unexpected revert");
        assertEq(flow.guardBypassed(), 0, "a buyback outside the TWAP band went through");
        assertEq(flow.wrongSplits(), 0, "buyback or reward moved != previewed");
        assertEq(flow.doubleRewardClaims(), 0, "a reward claimed twice");
        assertEq(flow.privilegedCallsAccepted(), 0, "a stranger's privileged call went through");
    }

    // ------------------------------------------------------------ setup

    function tft_initial() internal pure returns (uint256) {
        return 1_000_000_000e18;
    }

    function _seedPool() internal {
        pair = IUniswapV2Pair(IUniswapV2FactoryFull(uni.factory).createPair(address(gut), address(tft)));
        gut.transfer(address(pair), _POOL);
        tft.transfer(address(pair), _POOL);
        IUniswapV2PairMint(address(pair)).mint(address(this));
        emission.observe(address(gut));
    }

    function _deployDistributor() internal {
        tree = new SystemTree();
        distributor = new TokenSwapDistributor(
            ITokenSwapDistributor.Config({
                token: gut,
                merkleRoot: tree.root(),
                total: tree.total(),
                start: uint64(block.timestamp),
                deadline: uint64(block.timestamp + 365 days),
                sweepTarget: address(this),
                legacyVersion: 38,
                topNodes: new bytes32[](0),
                legacyMagic: "GPUnion Signed Message:\n"
            }),
            0,
            address(this)
        );
        gut.grantRole(gut.MINTER_ROLE(), address(this));
        gut.mint(address(distributor), tree.total());
    }

    function _fundActors() internal {
        for (uint256 i = 0; i < SystemActors.PROVIDERS; ++i) {
            address p = SystemActors.provider(i);
            gut.transfer(p, 2_000e18);
            vm.prank(p);
            gut.approve(address(registry), type(uint256).max);
            _accounts.push(p);
        }
        for (uint256 i = 0; i < SystemActors.CUSTOMERS; ++i) {
            address c = SystemActors.customer(i);
            gut.transfer(c, 100_000e18);
            tft.transfer(c, 100_000e18);
            vm.prank(c);
            gut.approve(address(escrow), type(uint256).max);
            vm.prank(c);
            tft.approve(address(escrow), type(uint256).max);
            _accounts.push(c);
        }
        gut.transfer(SystemActors.TRADER, 200_000e18);
        tft.transfer(SystemActors.TRADER, 200_000e18);
        vm.prank(SystemActors.TRADER);
        gut.approve(uni.router, type(uint256).max);
        vm.prank(SystemActors.TRADER);
        tft.approve(uni.router, type(uint256).max);
        address[16] memory others = [
            address(this),
            address(market),
            address(reservations),
            SystemActors.PENALTY_TREASURY,
            address(flow),
            SystemActors.TRADER,
            SystemActors.OPS_TREASURY,
            SystemActors.AIRDROP_ONLY,
            SystemActors.STRANGER,
            address(registry),
            address(escrow),
            address(emission),
            address(distributor),
            address(pair),
            uni.router,
            uni.factory
        ];
        for (uint256 i = 0; i < others.length; ++i) _accounts.push(others[i]);
    }
}
