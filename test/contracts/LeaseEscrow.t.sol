// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ProviderRegistry} from "../../contracts/ProviderRegistry.sol";
import {ILeaseEscrow} from "../../contracts/interfaces/ILeaseEscrow.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {MockFeeCollector} from "../../contracts/mocks/MockFeeCollector.sol";
import {EscrowDeployer} from "../utils/EscrowDeployer.sol";
import {Test} from "../utils/Test.sol";

/// @dev Fuzzes the escrow's money rules against the formulas of DESIGN.md ("Paying for what was
/// served"), recomputed here independently of the contract: a collect pays
/// `min(deposit, rate × (min(paidThrough, now, closedAt, key's end) − start) / 3_600_000)`, never
/// less than before; the protocol fee is exact on the cumulative pay; a reservation's fee splits
/// into the hold's part and the window's part, of which the lease earns only what it stayed open
/// in.
contract LeaseEscrowTest is Test {
    uint256 internal constant _RATE_DIVISOR = 3_600_000;
    uint256 internal constant _FEE_BPS = 500;
    uint256 internal constant _RESERVATION_FEE_BPS = 1_000;
    uint256 internal constant _GRACE = 1 hours;
    uint256 internal constant _PROVIDER_PK = 0xB0B;
    uint256 internal constant _OPERATOR_PK = 0x0BE7;
    uint256 internal constant _CUSTOMER_PK = 0xC057;
    uint256 internal constant _SESSION_PK = 0x5E55;
    uint256 internal constant _NEXT_SESSION_PK = 0x5E56;
    /// @dev Four GTX 1080 Ti: 4,000 milli-TU, so per-second costs are fractions and rounding shows.
    uint256 internal constant _MILLI_TU = 4_000;

    MockERC20 internal usd;
    ProviderRegistry internal registry;
    ILeaseEscrow internal escrow;
    MockFeeCollector internal collector;
    address internal provider;
    address internal operator;
    address internal customer;
    address internal session;
    uint256 internal nodeId;
    uint256 internal _nonce;

    function setUp() public {
        vm.warp(1_700_000_000);
        provider = vm.addr(_PROVIDER_PK);
        operator = vm.addr(_OPERATOR_PK);
        customer = vm.addr(_CUSTOMER_PK);
        session = vm.addr(_SESSION_PK);
        // USD is both the payment token and the registry's stake token: reservations are paid in
        // the stake token (a failure's penalty is the fee, taken from the stake), and six
        // decimals make the per-second rounding show.
        usd = new MockERC20("USD", "USD", 6);
        registry = new ProviderRegistry(
            0,
            address(this),
            IERC20(address(usd)),
            100e18,
            1 days,
            1 days,
            address(0x7EA5)
        );
        collector = new MockFeeCollector();
        escrow = EscrowDeployer.deploy(
            EscrowDeployer.Args({
                admin: address(this),
                registry: registry,
                feeCollector: address(collector),
                gut: address(usd),
                gutFeeBps: uint16(_FEE_BPS),
                reservationFeeBps: uint16(_RESERVATION_FEE_BPS),
                reservationGrace: uint40(_GRACE),
                session: ILeaseEscrow.SessionTerms({maxQuoteAge: 600, collectWindow: 1 hours, acceptWindow: 10 minutes})
            })
        );
        registry.grantRole(registry.ESCROW_ROLE(), address(escrow));
        usd.mint(provider, 10_000e18);
        vm.startPrank(provider);
        usd.approve(address(registry), type(uint256).max);
        nodeId = registry.register("GTX 1080 Ti", 4, 1e18, address(usd), "");
        registry.setOperator(operator);
        vm.stopPrank();
        vm.prank(customer);
        usd.approve(address(escrow), type(uint256).max);
    }

    // ---------------------------------------------------------------- collect

    /// @dev One receipt: the pay is the formula, never more than the deposit, never for time past
    /// now, and the fee is exactly the fee bps of it.
    function testFuzz_Collect_PaysTheSignedTimeUpToTheDeposit(
        uint256 price,
        uint256 deposit,
        uint256 elapsed,
        uint256 paidThrough
    ) public {
        price = bound(price, 1, 1e20);
        deposit = bound(deposit, 1, 1e27);
        (uint256 leaseId, uint256 start) = _open(price, deposit);
        elapsed = bound(elapsed, 0, 60 days);
        vm.warp(start + elapsed);
        paidThrough = bound(paidThrough, 0, start + 90 days);
        uint256 paid = escrow.collect(leaseId, paidThrough, _receipt(_SESSION_PK, leaseId, paidThrough));
        uint256 until = paidThrough < block.timestamp ? paidThrough : block.timestamp;
        uint256 expected = _owed(price * _MILLI_TU, start, until, deposit);
        assertEq(paid, expected, "paid");
        assertLe(paid, deposit, "paid <= deposit");
        assertEq(escrow.lease(leaseId).paid, expected, "lease.paid");
        uint256 fee = (expected * _FEE_BPS) / 10_000;
        assertEq(escrow.feesDue(provider, address(usd)), fee, "fee");
        assertEq(escrow.earnings(provider, address(usd)), expected - fee, "earnings");
        (uint256 viewPaid, uint256 remaining) = escrow.collectable(leaseId, paidThrough);
        assertEq(viewPaid, expected, "collectable paid");
        assertEq(remaining, deposit - expected, "collectable remaining");
    }

    /// @dev Receipts collected in any order, any number of times, pay exactly what the best of
    /// them covers, and the fee is exact on that cumulative pay whatever the number of collects.
    function testFuzz_Collect_AnyOrderPaysAsTheBestReceipt(uint256 price, uint256[4] memory offsets) public {
        price = bound(price, 1, 1e20);
        uint256 deposit = 1e28;
        (uint256 leaseId, uint256 start) = _open(price, deposit);
        vm.warp(start + 10 days);
        uint256 best;
        for (uint256 i; i < offsets.length; ++i) {
            uint256 paidThrough = start + bound(offsets[i], 0, 12 days);
            if (paidThrough > best) best = paidThrough;
            uint256 before = escrow.lease(leaseId).paid;
            uint256 paid = escrow.collect(leaseId, paidThrough, _receipt(_SESSION_PK, leaseId, paidThrough));
            assertGe(paid, before, "pay went down");
            // Collecting the same receipt again changes nothing.
            assertEq(escrow.collect(leaseId, paidThrough, _receipt(_SESSION_PK, leaseId, paidThrough)), paid, "again");
        }
        uint256 until = best < block.timestamp ? best : block.timestamp;
        uint256 expected = _owed(price * _MILLI_TU, start, until, deposit);
        assertEq(escrow.lease(leaseId).paid, expected, "paid as the best receipt");
        assertEq(escrow.feesDue(provider, address(usd)), (expected * _FEE_BPS) / 10_000, "fee on cumulative pay");
        assertEq(
            escrow.earnings(provider, address(usd)) + escrow.feesDue(provider, address(usd)),
            expected,
            "earnings + fee = paid"
        );
    }

    /// @dev After the customer's close, no receipt pays past the close, however far ahead it was
    /// signed, and nothing is collectable past the collect window.
    function testFuzz_Collect_NeverPastTheClose(uint256 closeAfter, uint256 signedAhead, uint256 collectAfter) public {
        uint256 deposit = 1e28;
        (uint256 leaseId, uint256 start) = _open(1e18, deposit);
        closeAfter = bound(closeAfter, 0, 10 days);
        vm.warp(start + closeAfter);
        vm.prank(customer);
        escrow.closeLease(leaseId, 0, "");
        uint256 closedAt = block.timestamp;
        uint256 paidThrough = closedAt + bound(signedAhead, 0, 10 days);
        // The customer keeps signing after its close: those receipts count only up to the close.
        bytes memory signature = _receipt(_CUSTOMER_PK, leaseId, paidThrough);
        collectAfter = bound(collectAfter, 0, 2 hours);
        vm.warp(closedAt + collectAfter);
        uint256 deadline = closedAt + 1 hours;
        if (collectAfter > 1 hours) {
            vm.expectRevert(abi.encodeWithSelector(ILeaseEscrow.CollectWindowClosed.selector, leaseId, deadline));
            escrow.collect(leaseId, paidThrough, signature);
            escrow.finalize(leaseId);
            assertEq(escrow.lease(leaseId).paid, 0, "paid after the window");
            assertEq(usd.balanceOf(customer), deposit, "whole deposit back");
            return;
        }
        uint256 paid = escrow.collect(leaseId, paidThrough, signature);
        assertEq(paid, _owed(1e18 * _MILLI_TU, start, closedAt, deposit), "paid up to the close");
    }

    /// @dev A replaced session key's receipts count up to its replacement, never later; the new
    /// key's count from then on.
    function testFuzz_Collect_ReplacedKeyCountsUpToTheReplacement(uint256 replaceAfter, uint256 signedAt) public {
        uint256 deposit = 1e28;
        (uint256 leaseId, uint256 start) = _open(1e18, deposit);
        replaceAfter = bound(replaceAfter, 0, 5 days);
        vm.warp(start + replaceAfter);
        vm.prank(customer);
        escrow.setSessionKey(leaseId, vm.addr(_NEXT_SESSION_PK));
        uint256 replacedAt = block.timestamp;
        assertEq(escrow.sessionKeyUntil(leaseId, session), replacedAt, "old key's end");
        vm.warp(replacedAt + 5 days);
        uint256 paidThrough = start + bound(signedAt, 0, 10 days);
        uint256 paid = escrow.collect(leaseId, paidThrough, _receipt(_SESSION_PK, leaseId, paidThrough));
        uint256 until = paidThrough < replacedAt ? paidThrough : replacedAt;
        assertEq(paid, _owed(1e18 * _MILLI_TU, start, until, deposit), "old key capped at its replacement");
        paid = escrow.collect(leaseId, paidThrough, _receipt(_NEXT_SESSION_PK, leaseId, paidThrough));
        until = paidThrough < block.timestamp ? paidThrough : block.timestamp;
        assertEq(paid, _owed(1e18 * _MILLI_TU, start, until, deposit), "new key counts");
    }

    /// @dev Whatever the close and the receipts, the deposit is split exactly: the provider's
    /// earnings, the protocol fee and the customer's refund add up to it.
    function testFuzz_CloseLease_ProviderCloseSplitsTheDepositExactly(
        uint256 price,
        uint256 deposit,
        uint256 elapsed,
        uint256 paidThrough
    ) public {
        price = bound(price, 1, 1e20);
        deposit = bound(deposit, 1, 1e27);
        (uint256 leaseId, uint256 start) = _open(price, deposit);
        vm.warp(start + bound(elapsed, 0, 30 days));
        paidThrough = bound(paidThrough, start, start + 60 days);
        bytes memory signature = _receipt(_SESSION_PK, leaseId, paidThrough);
        vm.prank(operator);
        escrow.closeLease(leaseId, paidThrough, signature);
        uint256 paid = escrow.lease(leaseId).paid;
        assertEq(
            escrow.earnings(provider, address(usd)) + escrow.feesDue(provider, address(usd)) + usd.balanceOf(customer),
            deposit,
            "earnings + fee + refund = deposit"
        );
        assertEq(usd.balanceOf(address(escrow)), paid, "escrow holds only the provider's pay");
        assertEq(uint256(escrow.lease(leaseId).status), uint256(ILeaseEscrow.LeaseStatus.Closed), "closed");
    }

    // ---------------------------------------------------------------- reservations

    /// @dev The view prices the whole hold, from now to `start + max(duration, grace)`.
    function testFuzz_ReservationFee_PricesTheWholeHold(uint256 price, uint256 ahead, uint256 duration) public view {
        price = bound(price, 1, 1e20);
        uint256 start = block.timestamp + bound(ahead, 0, 7 days);
        duration = bound(duration, 1, 30 days);
        (uint256 fee, uint256 heldUntil) = escrow.reservationFee(nodeId, price, start, duration);
        uint256 expectedEnd = start + (duration > _GRACE ? duration : _GRACE);
        assertEq(heldUntil, expectedEnd, "heldUntil");
        uint256 cost = (price * _MILLI_TU * (expectedEnd - block.timestamp)) / _RATE_DIVISOR;
        assertEq(fee, (cost * _RESERVATION_FEE_BPS) / 10_000, "fee");
    }

    /// @dev An accepted reservation: the hold part (paid at the accept) and the window part (paid
    /// at the close, pro rata of the window the lease stayed open in) add up to at most the fee;
    /// what is not earned goes back; nothing is created or lost.
    function testFuzz_AcceptStart_FeeSplitsIntoHoldAndEarnedWindow(
        uint256 ahead,
        uint256 duration,
        uint256 startDelay,
        uint256 closeAfter,
        bool customerCloses
    ) public {
        uint256 price = 1e18;
        uint256 start = block.timestamp + bound(ahead, 0, 7 days);
        duration = bound(duration, 1, 30 days);
        (uint256 fee, uint256 heldUntil) = escrow.reservationFee(nodeId, price, start, duration);
        uint256 deposit = fee + 1e24;
        uint256 reservedAt = block.timestamp;
        uint256 reservationId = _reserve(price, start, duration, deposit);
        _liveUntil(start + bound(startDelay, 0, _GRACE));
        vm.prank(customer);
        escrow.startReserved(reservationId, 0, session);
        vm.prank(operator);
        uint256 leaseId = escrow.acceptStart(reservationId);
        uint256 holdPart = (fee * (start - reservedAt)) / (heldUntil - reservedAt);
        uint256 windowPart = fee - holdPart;
        assertEq(_gross(), holdPart, "hold part at the accept");

        vm.warp(block.timestamp + bound(closeAfter, 0, 40 days));
        uint256 closedAt = block.timestamp;
        if (customerCloses) {
            vm.prank(customer);
            escrow.closeLease(leaseId, 0, "");
            vm.warp(block.timestamp + 1 hours + 1);
            escrow.finalize(leaseId);
        } else {
            vm.prank(provider);
            escrow.closeLease(leaseId, 0, "");
        }
        uint256 end = closedAt < heldUntil ? closedAt : heldUntil;
        uint256 earned = (windowPart * (end - start)) / (heldUntil - start);
        assertLe(earned, windowPart, "earned window part <= window part");
        assertEq(_gross(), holdPart + earned, "provider's share of the fee");
        assertEq(usd.balanceOf(customer), deposit - holdPart - earned, "the rest back to the customer");
        assertEq(usd.balanceOf(address(escrow)), _gross(), "escrow holds only the provider's part");
    }

    /// @dev A start never accepted fails: the whole deposit back, the fee from the stake to the
    /// treasury, and nothing to the provider.
    function testFuzz_FailReservation_UnacceptedStartRefundsAllAndPenalizes(uint256 duration, uint256 late) public {
        uint256 start = block.timestamp + 1 days;
        duration = bound(duration, 1, 30 days);
        (uint256 fee, ) = escrow.reservationFee(nodeId, 1e18, start, duration);
        uint256 deposit = fee + 1e20;
        uint256 reservationId = _reserve(1e18, start, duration, deposit);
        _liveUntil(start);
        vm.prank(customer);
        escrow.startReserved(reservationId, 0, session);
        uint256 acceptBy = block.timestamp + 10 minutes;
        late = bound(late, 0, 2 hours);
        vm.warp(block.timestamp + late);
        if (!(block.timestamp > acceptBy)) {
            vm.expectRevert(
                abi.encodeWithSelector(ILeaseEscrow.ReservationNotFailed.selector, reservationId, acceptBy)
            );
            escrow.failReservation(reservationId);
            return;
        }
        uint256 stake = registry.node(nodeId).stake;
        escrow.failReservation(reservationId);
        uint256 penalty = fee < stake ? fee : stake;
        assertEq(usd.balanceOf(customer), deposit, "whole deposit back");
        assertEq(usd.balanceOf(address(0x7EA5)), penalty, "penalty to the treasury");
        assertEq(_gross(), 0, "provider earns nothing");
    }

    // ---------------------------------------------------------------- helpers

    /// @dev On a fork with another chain id the domain is rebuilt, so a receipt signed for the
    /// deployment's chain pays nothing there.
    function testFuzz_ReceiptDigest_FollowsTheChainId(uint64 chainId) public {
        vm.assume(chainId != block.chainid && chainId != 0);
        bytes32 here = escrow.receiptDigest(1, 100);
        vm.chainId(chainId);
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("gpufog LeaseEscrow"),
                keccak256("1"),
                uint256(chainId),
                address(escrow)
            )
        );
        bytes32 expected = keccak256(
            abi.encodePacked(
                "\x19\x01",
                domain,
                keccak256(abi.encode(escrow.RECEIPT_TYPEHASH(), uint256(1), uint256(100)))
            )
        );
        assertEq(escrow.receiptDigest(1, 100), expected, "the digest of the fork's chain");
        assertTrue(escrow.receiptDigest(1, 100) != here, "another chain's digest");
    }

    function _open(uint256 price, uint256 deposit) internal returns (uint256 leaseId, uint256 start) {
        usd.mint(customer, deposit);
        (ILeaseEscrow.Quote memory quote, bytes memory signature) = _quote(price, 0, 0);
        vm.prank(customer);
        leaseId = escrow.openLease(quote, signature, deposit, session);
        start = block.timestamp;
    }

    function _reserve(uint256 price, uint256 start, uint256 duration, uint256 deposit) internal returns (uint256) {
        usd.mint(customer, deposit);
        (ILeaseEscrow.Quote memory quote, bytes memory signature) = _quote(price, start, duration);
        vm.prank(customer);
        return escrow.reserve(quote, signature, deposit);
    }

    function _quote(
        uint256 price,
        uint256 start,
        uint256 duration
    ) internal returns (ILeaseEscrow.Quote memory quote, bytes memory signature) {
        quote = ILeaseEscrow.Quote({
            nodeId: nodeId,
            customer: customer,
            token: address(usd),
            pricePerTuHour: price,
            windowStart: start,
            windowDuration: duration,
            expiry: block.timestamp + 600,
            nonce: ++_nonce
        });
        signature = _sign(_OPERATOR_PK, escrow.quoteDigest(quote));
    }

    /// @dev Moves time to `until` with the operator checking the node in every 23 hours, as a
    /// Reserved node must to stay up.
    function _liveUntil(uint256 until) internal {
        uint256[] memory ids = new uint256[](1);
        ids[0] = nodeId;
        while (block.timestamp < until) {
            uint256 next = block.timestamp + 23 hours;
            vm.warp(next < until ? next : until);
            vm.prank(operator);
            registry.checkIn(ids);
        }
    }

    function _receipt(uint256 pk, uint256 leaseId, uint256 paidThrough) internal view returns (bytes memory) {
        return _sign(pk, escrow.receiptDigest(leaseId, paidThrough));
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _owed(uint256 rate, uint256 start, uint256 until, uint256 deposit) internal pure returns (uint256) {
        if (!(until > start)) return 0;
        uint256 due = (rate * (until - start)) / _RATE_DIVISOR;
        return due < deposit ? due : deposit;
    }

    /// @dev What the provider earned in the test's token, before the protocol fee.
    function _gross() internal view returns (uint256) {
        return escrow.earnings(provider, address(usd)) + escrow.feesDue(provider, address(usd));
    }
}
