// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {BuybackEmission} from "../../../contracts/BuybackEmission.sol";
import {GUT} from "../../../contracts/GUT.sol";
import {ProviderRegistry} from "../../../contracts/ProviderRegistry.sol";
import {TFT} from "../../../contracts/TFT.sol";
import {TokenSwapDistributor} from "../../../contracts/TokenSwapDistributor.sol";
import {IBuybackEmission} from "../../../contracts/interfaces/IBuybackEmission.sol";
import {ILeaseEscrow} from "../../../contracts/interfaces/ILeaseEscrow.sol";
import {ITokenSwapDistributor} from "../../../contracts/interfaces/ITokenSwapDistributor.sol";
import {IUniswapV2Pair} from "../../../contracts/interfaces/uniswap/IUniswapV2Pair.sol";
import {IUniswapV2Router02} from "../../../contracts/interfaces/uniswap/IUniswapV2Router02.sol";
import {Test} from "../../utils/Test.sol";
import {SystemActors} from "./SystemActors.sol";
import {SystemTree} from "./SystemTree.sol";

/// @dev The token-flow half of the system campaign: airdrop claims (valid, tampered and
/// cross-kind), fee forwarding from the escrow, trades that move the GUT/TFT pool, buybacks of
/// ended buckets (slices in any order) of GUT fees through the real Uniswap V2 pair and of TFT fees
/// by burning, attempts to sell a bucket whose epoch is still open, reward claims per bucket, and
/// a stranger's attempts at every privileged call. It is the keeper. Expected outcomes are worked
/// out before each call; ghosts count any difference. Each bucket's cap (the phase bound of the
/// TFT it bought, times the miners' share) is worked out from `previewSplit` before each buyback.
contract FlowHandler is Test {
    struct System {
        GUT gut;
        TFT tft;
        ProviderRegistry registry;
        ILeaseEscrow escrow;
        BuybackEmission emission;
        TokenSwapDistributor distributor;
        SystemTree tree;
        IUniswapV2Pair pair;
        IUniswapV2Router02 router;
    }

    System internal _s;

    mapping(uint256 index => uint256 times) public timesPaid;
    uint256 public airdropPaid;
    uint256 public invalidClaimsPaid;
    uint256 public gutSpent;
    /// @dev The protocol fees forwarded from the escrow, per token.
    mapping(address token => uint256) public forwarded;
    uint256 public phaseOneBurned;
    uint256 public toMiners;
    uint256 public rewardsClaimed;
    uint256 public buybacks;
    uint256 public guardRefusals;
    /// @dev The epochs in which fees were forwarded, in order.
    uint256[] public feeEpochs;
    mapping(uint256 epoch => mapping(address token => uint256 cap)) public capOf;
    uint256 public openBucketsSold;

    uint256 public calls;
    uint256 public unexpectedReverts;
    uint256 public guardBypassed;
    uint256 public wrongSplits;
    uint256 public doubleRewardClaims;
    uint256 public privilegedCallsAccepted;
    uint256 public tftSupplyGrew;

    constructor(System memory s) {
        _s = s;
    }

    modifier step() {
        ++calls;
        uint256 supply = _s.tft.totalSupply();
        _;
        if (_s.tft.totalSupply() > supply) ++tftSupplyGrew;
    }

    // ------------------------------------------------------------ airdrop

    /// @dev `how` 0: a valid claim by anyone (a legacy leaf must be refused: cross-kind);
    /// 1: the amount tampered; 2: the account tampered; 3: a proof node flipped.
    function claimAirdrop(uint256 seed, uint256 how, uint256 value) external step {
        uint256 index = seed % _s.tree.COUNT();
        (uint8 kind, address holder, uint256 amount) = _s.tree.leaf(index);
        bytes32[] memory proof = _s.tree.proof(index);
        how %= 4;
        if (how == 1) amount += bound(value, 1, 1e24);
        else if (how == 2) holder = SystemActors.STRANGER;
        else if (how == 3) proof[value % 3] = bytes32(uint256(proof[value % 3]) ^ (1 << (value % 256)));
        bool valid = how == 0 && kind == 0 && timesPaid[index] == 0;
        uint256 before = _s.gut.balanceOf(holder);
        vm.prank(SystemActors.customer(value));
        try _s.distributor.claim(index, holder, amount, proof) {
            if (!valid || _s.gut.balanceOf(holder) - before != amount) ++invalidClaimsPaid;
            ++timesPaid[index];
            airdropPaid += amount;
        } catch (bytes memory reason) {
            bytes memory invalidProof = abi.encodeWithSelector(
                ITokenSwapDistributor.InvalidProof.selector,
                index,
                holder,
                amount
            );
            bytes memory claimed = abi.encodeWithSelector(ITokenSwapDistributor.AlreadyClaimed.selector, index);
            if (valid || !(_is(reason, invalidProof) || _is(reason, claimed))) ++unexpectedReverts;
        }
    }

    /// @dev The legacy leaf, signed with its old-chain key in the chain's message format. `how`
    /// 0: a valid claim for a customer, sent by anyone; 1: that signature replayed for another
    /// recipient; 2: the legacy key's signature offered for an EVM leaf (cross-kind).
    function claimLegacy(uint256 recipientSeed, uint256 how) external step {
        uint256 index = _s.tree.LEGACY_INDEX();
        (, address holder, uint256 amount) = _s.tree.leaf(index);
        address recipient = SystemActors.customer(recipientSeed);
        bytes memory signature = _legacySignature(recipient);
        how %= 3;
        bool valid = how == 0 && timesPaid[index] == 0;
        if (how == 1) recipient = SystemActors.customer((recipientSeed % SystemActors.CUSTOMERS) + 1);
        if (how == 2) (index, holder, amount) = (0, _leafHolder(0), _leafAmount(0));
        bytes32[] memory proof = _s.tree.proof(index);
        bytes memory pubkey = _s.tree.LEGACY_PUBKEY();
        uint256 before = _s.gut.balanceOf(recipient);
        vm.prank(SystemActors.STRANGER);
        try _s.distributor.claimLegacy(index, bytes20(holder), amount, proof, recipient, pubkey, signature) {
            if (!valid || _s.gut.balanceOf(recipient) - before != amount) ++invalidClaimsPaid;
            ++timesPaid[index];
            airdropPaid += amount;
        } catch (bytes memory reason) {
            bytes memory claimed = abi.encodeWithSelector(ITokenSwapDistributor.AlreadyClaimed.selector, index);
            if (valid || (how == 0 && !_is(reason, claimed))) ++unexpectedReverts;
        }
    }

    // ------------------------------------------------------------ fees, pool and buybacks

    /// @dev Anyone forwards every provider's fees due in both tokens; the ghosts add up what went.
    function forwardFees() external step {
        address[] memory providers = new address[](SystemActors.PROVIDERS);
        for (uint256 i = 0; i < providers.length; ++i) providers[i] = SystemActors.provider(i);
        address[2] memory tokens = [address(_s.gut), address(_s.tft)];
        for (uint256 k = 0; k < 2; ++k) {
            uint256 due;
            for (uint256 i = 0; i < providers.length; ++i) due += _s.escrow.feesDue(providers[i], tokens[k]);
            vm.prank(SystemActors.STRANGER);
            try _s.escrow.forwardFees(tokens[k], providers) {
                forwarded[tokens[k]] += due;
            } catch {
                ++unexpectedReverts;
            }
        }
        uint256 epoch = _s.emission.currentEpoch();
        uint256 n = feeEpochs.length;
        bool any = _unsold(epoch, address(_s.gut)) + _unsold(epoch, address(_s.tft)) > 0;
        if (any && (n == 0 || feeEpochs[n - 1] != epoch)) feeEpochs.push(epoch);
    }

    function feeEpochCount() external view returns (uint256) {
        return feeEpochs.length;
    }

    function trade(bool gutForTft, uint256 amount) external step {
        (IERC20 tokenIn, IERC20 tokenOut) = gutForTft
            ? (IERC20(address(_s.gut)), IERC20(address(_s.tft)))
            : (IERC20(address(_s.tft)), IERC20(address(_s.gut)));
        amount = bound(amount, 1e15, tokenIn.balanceOf(address(_s.pair)) / 20);
        if (tokenIn.balanceOf(SystemActors.TRADER) < amount) return;
        address[] memory path = new address[](2);
        (path[0], path[1]) = (address(tokenIn), address(tokenOut));
        vm.prank(SystemActors.TRADER);
        try _s.router.swapExactTokensForTokens(amount, 0, path, SystemActors.TRADER, block.timestamp) {} catch {
            ++unexpectedReverts;
        }
    }

    function observe(uint256 wait) external step {
        try _s.emission.observe(address(_s.gut)) {} catch {
            ++unexpectedReverts;
        }
        vm.warp(block.timestamp + bound(wait, 0, _s.emission.twapWindow()));
    }

    /// @dev Burns a slice of an ended TFT bucket, the first with unsold fees from `seed` on.
    function buybackTft(uint256 seed, uint256 amount) external step {
        (bool found, uint256 epoch, uint256 unsold) = _endedBucket(seed, address(_s.tft));
        if (!found) return;
        amount = bound(amount, 1, unsold);
        _buyback(address(_s.tft), epoch, amount, amount, 0, true);
    }

    /// @dev Sells a slice of an ended GUT bucket (the first with unsold fees from `seed` on) at the
    /// TWAP quote less the allowed slippage, the way the task does. It must go through exactly
    /// when the pair's spot output lies within the guard's band around the TWAP quote, and be
    /// refused otherwise (after a trade moved the pool, say).
    function buybackGut(uint256 seed, uint256 amount, bool observeFirst) external step {
        (bool found, uint256 epoch, uint256 unsold) = _endedBucket(seed, address(_s.gut));
        if (!found) return;
        amount = bound(amount, 1, unsold);
        if (observeFirst) _s.emission.observe(address(_s.gut));
        uint256 quote;
        try _s.emission.twapQuote(address(_s.gut), amount) returns (uint256 q) {
            quote = q;
        } catch {
            return;
        }
        uint256 slippage = _s.emission.maxSlippageBps();
        uint256 minOut = (quote * (10_000 - slippage)) / 10_000;
        uint256 maxOut = (quote * (10_000 + slippage)) / 10_000;
        uint256 out = _amountOut(amount);
        bool inBand = out > 0 && !(out < minOut) && !(out > maxOut);
        _buyback(address(_s.gut), epoch, amount, out, minOut, inBand);
    }

    /// @dev Tries to sell the current epoch's bucket of either token: always refused.
    function buybackOpenBucket(bool gut, uint256 amount) external step {
        address token = gut ? address(_s.gut) : address(_s.tft);
        uint256 epoch = _s.emission.currentEpoch();
        uint256 unsold = _unsold(epoch, token);
        if (unsold == 0) return;
        amount = bound(amount, 1, unsold);
        try _s.emission.buyback(token, epoch, amount, 0, block.timestamp) {
            ++openBucketsSold;
        } catch (bytes memory reason) {
            bytes memory refused = abi.encodeWithSelector(IBuybackEmission.BucketNotEnded.selector, epoch, epoch);
            if (!_is(reason, refused)) ++unexpectedReverts;
        }
    }

    /// @dev Claims the GUT and TFT buckets of `count` fee epochs from `first` on.
    function claimRewards(uint256 providerSeed, uint256 first, uint256 count) external step {
        uint256 n = feeEpochs.length;
        if (n == 0) return;
        address provider = SystemActors.provider(providerSeed);
        first = bound(first, 0, n - 1);
        count = bound(count, 1, n - first);
        IBuybackEmission.BucketId[] memory ids = new IBuybackEmission.BucketId[](2 * count);
        for (uint256 i; i < count; ++i) {
            ids[2 * i] = IBuybackEmission.BucketId(uint64(feeEpochs[first + i]), address(_s.gut));
            ids[2 * i + 1] = IBuybackEmission.BucketId(uint64(feeEpochs[first + i]), address(_s.tft));
        }
        uint256 expected = _s.emission.claimable(provider, ids);
        uint256 before = _s.tft.balanceOf(provider);
        vm.prank(provider);
        try _s.emission.claim(ids) returns (uint256 paid) {
            rewardsClaimed += paid;
            if (paid != expected || _s.tft.balanceOf(provider) - before != paid) ++wrongSplits;
        } catch (bytes memory reason) {
            bytes memory nothing = abi.encodeWithSelector(IBuybackEmission.NothingToClaim.selector, provider);
            if (expected != 0 || !_is(reason, nothing)) ++unexpectedReverts;
        }
        vm.prank(provider);
        try _s.emission.claim(ids) returns (uint256) {
            ++doubleRewardClaims;
        } catch {}
    }

    // ------------------------------------------------------------ a stranger

    /// @dev A stranger tries one privileged call at a time; every one must be refused.
    function privilegedCall(uint256 which, uint256 nodeSeed) external step {
        uint256 nodeCount = _s.registry.nodeCount();
        uint256 nodeId = nodeCount == 0 ? 1 : bound(nodeSeed, 1, nodeCount);
        address stranger = SystemActors.STRANGER;
        bytes memory data;
        address target;
        which %= 10;
        if (which == 0) (target, data) = (address(_s.registry), abi.encodeCall(_s.registry.startLease, (nodeId)));
        else if (which == 1) (target, data) = (address(_s.registry), abi.encodeCall(_s.registry.release, (nodeId)));
        else if (which == 2)
            (target, data) = (address(_s.registry), abi.encodeCall(_s.registry.penalize, (nodeId, type(uint256).max)));
        else if (which == 3)
            (target, data) = (address(_s.registry), abi.encodeCall(_s.registry.checkIn, (_one(nodeId))));
        else if (which == 4)
            (target, data) = (address(_s.escrow), abi.encodeCall(_s.escrow.setFeeCollector, (stranger)));
        else if (which == 5)
            (target, data) = (
                address(_s.emission),
                abi.encodeCall(_s.emission.recordFee, (stranger, address(_s.gut), 1))
            );
        else if (which == 6)
            (target, data) = (
                address(_s.emission),
                abi.encodeCall(_s.emission.buyback, (address(_s.tft), 0, 1, 0, block.timestamp))
            );
        else if (which == 7) (target, data) = (address(_s.gut), abi.encodeCall(_s.gut.mint, (stranger, 1)));
        else if (which == 8)
            (target, data) = (
                address(_s.registry),
                abi.encodeCall(_s.registry.grantRole, (_s.registry.ESCROW_ROLE(), stranger))
            );
        else (target, data) = (address(_s.distributor), abi.encodeCall(_s.distributor.pause, ()));
        vm.prank(stranger);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = target.call(data);
        if (ok) ++privilegedCallsAccepted;
    }

    // ------------------------------------------------------------ internals

    function _buyback(
        address token,
        uint256 epoch,
        uint256 amount,
        uint256 expectedOut,
        uint256 minOut,
        bool mustPass
    ) internal {
        IBuybackEmission.Split memory s = _s.emission.previewSplit(expectedOut);
        uint256 supply = _s.tft.totalSupply();
        uint256 reserve = _s.emission.reserveLeft();
        uint256 gutBefore = _s.gut.balanceOf(address(_s.emission));
        uint256 rewardsBefore = _s.emission.bucket(epoch, token).rewards;
        try _s.emission.buyback(token, epoch, amount, minOut, block.timestamp) returns (uint256 tftOut) {
            if (!mustPass) ++guardBypassed;
            ++buybacks;
            gutSpent += gutBefore - _s.gut.balanceOf(address(_s.emission));
            bool exact =
                _credit(epoch, token, s, rewardsBefore) &&
                    tftOut == expectedOut &&
                    supply - _s.tft.totalSupply() == s.burned &&
                    reserve - _s.emission.reserveLeft() == s.fromReserve;
            if (!exact) ++wrongSplits;
        } catch {
            if (mustPass) ++unexpectedReverts;
            else ++guardRefusals;
        }
    }

    /// @dev Books a buyback's split in the ghosts: the burn of phase one, the miners' part, and the
    /// bucket's cap (`RELEASE_BPS` of the part in phase one, half of the part in phase two rounded
    /// up, all of the part at the floor, times the miners' share). Returns whether the bucket's
    /// rewards grew by exactly the miners' part.
    function _credit(
        uint256 epoch,
        address token,
        IBuybackEmission.Split memory s,
        uint256 rewardsBefore
    ) internal returns (bool) {
        uint256 share = _s.emission.minerShareBps();
        phaseOneBurned += s.inPhaseOne;
        uint256 toBucket = ((s.fromReserve + s.fromBuyback) * share) / 10_000;
        toMiners += toBucket;
        uint256 cap = (s.inPhaseOne * 8_000) / 10_000 + (s.inPhaseTwo * 5_000 + 9_999) / 10_000 + s.atFloor;
        capOf[epoch][token] += (cap * share) / 10_000;
        return _s.emission.bucket(epoch, token).rewards == rewardsBefore + toBucket;
    }

    /// @dev The first fee epoch from `seed` on whose bucket of `token` has ended and has unsold fees.
    function _endedBucket(uint256 seed, address token) internal view returns (bool, uint256, uint256) {
        uint256 current = _s.emission.currentEpoch();
        uint256 n = feeEpochs.length;
        for (uint256 k; k < n; ++k) {
            uint256 epoch = feeEpochs[(seed + k) % n];
            uint256 unsold = _unsold(epoch, token);
            if (epoch < current && unsold > 0) return (true, epoch, unsold);
        }
        return (false, 0, 0);
    }

    function _unsold(uint256 epoch, address token) internal view returns (uint256) {
        IBuybackEmission.Bucket memory b = _s.emission.bucket(epoch, token);
        return b.fees - b.sold;
    }

    /// @dev A 65-byte compact signature (header 27 + recovery id: an uncompressed key) of the
    /// distributor's claim message for `recipient`, with s made low as the contract requires.
    function _legacySignature(address recipient) internal view returns (bytes memory) {
        bytes32 hash = _s.distributor.legacyMessageHash(recipient);
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(_s.tree.LEGACY_KEY(), hash);
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        if (uint256(sig) > n / 2) (v, sig) = (v == 27 ? 28 : 27, bytes32(n - uint256(sig)));
        return abi.encodePacked(v, r, sig);
    }

    function _leafHolder(uint256 index) internal view returns (address holder) {
        (, holder, ) = _s.tree.leaf(index);
    }

    function _leafAmount(uint256 index) internal view returns (uint256 amount) {
        (, , amount) = _s.tree.leaf(index);
    }

    /// @dev Uniswap V2's getAmountOut for GUT in, from the pair's reserves.
    function _amountOut(uint256 amountIn) internal view returns (uint256) {
        (uint112 r0, uint112 r1, ) = _s.pair.getReserves();
        (uint256 rIn, uint256 rOut) = _s.pair.token0() == address(_s.gut) ? (r0, r1) : (r1, r0);
        uint256 withFee = amountIn * 997;
        return (withFee * rOut) / (rIn * 1000 + withFee);
    }

    function _one(uint256 nodeId) private pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = nodeId;
    }

    function _is(bytes memory a, bytes memory b) private pure returns (bool) {
        return keccak256(a) == keccak256(b);
    }
}
