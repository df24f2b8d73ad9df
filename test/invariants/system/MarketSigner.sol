// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILeaseEscrow} from "../../../contracts/interfaces/ILeaseEscrow.sol";
import {Test} from "../../utils/Test.sol";
import {SystemActors} from "./SystemActors.sol";

/// @dev Quotes and receipts as the campaign's keys sign them, in the escrow's EIP-712 domain or
/// on purpose in another one (another escrow's address, another chain), so that a handler can
/// offer every kind of forged or replayed message and know in advance which ones must pass.
abstract contract MarketSigner is Test {
    uint256 internal constant RATE_DIVISOR = 3_600_000;
    /// @dev Stands for another deployment of the escrow, whose signatures must not count here.
    address internal constant FOREIGN_ESCROW = address(0xE5C0);
    bytes32 private constant _DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    ILeaseEscrow public immutable escrow;
    uint256 internal _nonces;

    /// @dev A quote, its signature, and whether the escrow must accept it.
    struct Signed {
        ILeaseEscrow.Quote quote;
        bytes signature;
        bool valid;
    }

    constructor(ILeaseEscrow escrow_) {
        escrow = escrow_;
    }

    /// @dev The part of a reservation's fee that prices the hold up to the window: the
    /// provider's once the start is accepted. The rest is the window's part.
    function holdFee(ILeaseEscrow.Reservation memory r) public pure returns (uint256) {
        return (uint256(r.fee) * (r.start - r.reservedAt)) / (r.heldUntil - r.reservedAt);
    }

    /// @dev Each handler signs with the same provider keys, so its nonces carry its own address:
    /// two handlers counting from 1 would reuse each other's nonces.
    function _freshNonce() internal returns (uint256) {
        return (uint256(uint160(address(this))) << 96) | ++_nonces;
    }

    /// @dev Signs `quote` as `how` says (see the handlers' `openLease`): 0–3 by the provider or,
    /// when `how` is odd, its operator (valid only while it is the operator); 4 expired; 5 expiry
    /// too far; 6 the provider's last used nonce; 7 another escrow; 8 another chain; 9 a
    /// stranger's key; 10 a quote naming another customer.
    function _signQuoteAs(
        ILeaseEscrow.Quote memory quote,
        address provider,
        bool hasOperator,
        uint256 how,
        uint256 usedNonce,
        uint256 customerSeed
    ) internal view returns (Signed memory q) {
        uint256 key = SystemActors.providerKey(_providerSeed(provider));
        q.valid = how < 4;
        if (how < 4 && how % 2 == 1) {
            key = SystemActors.operatorKey(_providerSeed(provider));
            q.valid = hasOperator;
        } else if (how == 4) {
            quote.expiry = block.timestamp - 1;
        } else if (how == 5) {
            quote.expiry = block.timestamp + escrow.maxQuoteAge() + 1;
        } else if (how == 6) {
            quote.nonce = usedNonce;
        } else if (how == 9) {
            key = SystemActors.STRANGER_KEY;
        } else if (how == 10) {
            quote.customer = SystemActors.customer(customerSeed + 1);
        }
        q.quote = quote;
        q.signature = _sign(key, _quoteDigestIn(quote, how));
    }

    /// @dev The quote's digest in the escrow's domain, or for `how` 7 another escrow's, for 8
    /// another chain's.
    function _quoteDigestIn(ILeaseEscrow.Quote memory quote, uint256 how) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(escrow.QUOTE_TYPEHASH(), quote));
        return
            _digest(
                how == 8 ? block.chainid + 1 : block.chainid,
                how == 7 ? FOREIGN_ESCROW : address(escrow),
                structHash
            );
    }

    function _receiptDigestIn(
        uint256 chainId,
        address verifying,
        uint256 leaseId,
        uint256 paidThrough
    ) internal view returns (bytes32) {
        return _digest(chainId, verifying, keccak256(abi.encode(escrow.RECEIPT_TYPEHASH(), leaseId, paidThrough)));
    }

    function _digest(uint256 chainId, address verifying, bytes32 structHash) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(_DOMAIN_TYPEHASH, keccak256("gpufog LeaseEscrow"), keccak256("1"), chainId, verifying)
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _providerSeed(address provider) internal pure returns (uint256) {
        for (uint256 i; i < SystemActors.PROVIDERS; ++i) if (SystemActors.provider(i) == provider) return i;
        return 0;
    }
}
