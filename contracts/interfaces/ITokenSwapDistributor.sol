// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ILegacyKey} from "./ILegacyKey.sol";

/// @title Token swap distributor
/// @notice Pays the GUT token-swap airdrop against one Merkle root. The tree is an OpenZeppelin
/// StandardMerkleTree (sorted pairs) whose leaves are
/// `keccak256(bytes.concat(keccak256(abi.encode(uint256 index, uint8 kind, address holder, uint256 amount))))`.
/// Indices are unique across the whole tree, whatever the kind.
/// - `kind 0` (`KIND_EVM`): `holder` is an EVM account; anyone may submit `claim` for it and the
///   tokens always go to that account.
/// - `kind 1` (`KIND_LEGACY`): `holder` is `address(bytes20(hash160))` of a key on the old
///   distribution chain (the payload of its base58check P2PKH address). `claimLegacy` pays them to
///   the EVM recipient the key's owner signed for, in the old chain's signed-message format;
///   `claim` never pays them, and `claimLegacy` never pays an EVM leaf.
/// The contract also keeps one level of the tree near the top (up to `MAX_TOP_NODES` nodes, checked
/// against the root at deployment), so a proof may stop at that level: it is then that many
/// levels shorter, which saves about 600 gas of calldata and hashing per level on every claim,
/// while finding the proof's last node among them takes a search of log2(`MAX_TOP_NODES`) comparisons and one equality. A
/// full proof up to the root is accepted too.
/// Claims run from `start()` (inclusive) to `deadline()` (exclusive), only while the contract is
/// not paused and only once it holds the tree's total. After the deadline `sweep()` sends what is
/// left to `sweepTarget()`, or burns it when that is the zero address.
interface ITokenSwapDistributor is ILegacyKey {
    /// @notice The deployment parameters.
    /// @param token The token paid out (GUT).
    /// @param merkleRoot The root of the tree; zero is refused.
    /// @param total The sum of every leaf's amount; the contract opens only while it holds this much.
    /// @param start The first second at which claims are accepted.
    /// @param deadline The first second at which claims are refused and `sweep` is allowed.
    /// @param sweepTarget Where `sweep` sends the rest (the treasury); the zero address burns it
    /// instead, through the token's `burn(uint256)`.
    /// @param topNodes Every node of one level of the tree, left to right (1, 2, 4, … or
    /// `MAX_TOP_NODES` of them; in StandardMerkleTree's array, nodes `2^k - 1` to `2^(k+1) - 2`).
    /// Empty means the root only.
    /// @param legacyMagic The old chain's signed-message magic, without its length byte (for
    /// example `"GPUnion Signed Message:\n"`; Bitcoin's is `"Bitcoin Signed Message:\n"`), 1 to 31
    /// bytes.
    /// @param legacyVersion The version byte of the old chain's P2PKH addresses (38, `G…`, for the
    /// GUT distribution chain). The contract only sees HASH160s; tooling reads it to check the
    /// base58 addresses it is given belong to this airdrop.
    struct Config {
        IERC20 token;
        bytes32 merkleRoot;
        uint256 total;
        uint64 start;
        uint64 deadline;
        address sweepTarget;
        uint8 legacyVersion;
        bytes32[] topNodes;
        string legacyMagic;
    }

    /// @notice The deployment was given a zero Merkle root.
    error ZeroRoot();

    /// @notice The deployment was given a zero total.
    error ZeroTotal();

    /// @notice A constructor argument that must be a real address was zero.
    /// @param field The name of the argument.
    error ZeroAddress(string field);

    /// @notice The claim window is empty: the deadline is not after the start.
    /// @param start The start given.
    /// @param deadline The deadline given.
    error InvalidWindow(uint256 start, uint256 deadline);

    /// @notice The top nodes are not a whole level of the tree under the root.
    /// @param count How many were given.
    /// @param computedRoot The root they hash to (zero when the count is not 0 or a power of two up
    /// to `MAX_TOP_NODES`).
    error InvalidTopNodes(uint256 count, bytes32 computedRoot);

    /// @notice The signed-message magic is empty or longer than 31 bytes.
    /// @param length Its length.
    error InvalidLegacyMagic(uint256 length);

    /// @notice The public key's HASH160 is not the leaf's. A key hashes differently compressed and
    /// uncompressed: the holder must present the form their address was made from.
    /// @param hash160 The leaf's HASH160, as claimed.
    /// @param computed `ripemd160(sha256(pubkey))` of the key given.
    error PublicKeyMismatch(bytes20 hash160, bytes20 computed);

    /// @notice The signature's header says the other key form than the public key given.
    /// @param signatureCompressed Whether the header says compressed (31..34).
    /// @param keyCompressed Whether the key given is compressed (33 bytes).
    error CompressionMismatch(bool signatureCompressed, bool keyCompressed);

    /// @notice The signature over `legacyClaimMessage(recipient)` does not recover the public key
    /// given: another key signed it, or it was signed for another recipient, chain id, distributor
    /// or magic.
    /// @param expected The EVM address of the public key given.
    /// @param recovered The EVM address the signature recovers to.
    error SignatureMismatch(address expected, address recovered);

    /// @notice A claim came before the window opened.
    /// @param start When claims open.
    error NotStarted(uint256 start);

    /// @notice A claim came at or after the deadline.
    /// @param deadline When claims closed.
    error DeadlinePassed(uint256 deadline);

    /// @notice `sweep` was called before the deadline.
    /// @param deadline When sweeping becomes possible.
    error DeadlineNotReached(uint256 deadline);

    /// @notice The distributor holds less than the tree's total, so it does not open.
    /// @param balance What it holds.
    /// @param total What the tree pays in all.
    error Underfunded(uint256 balance, uint256 total);

    /// @notice The index was already paid.
    /// @param index The leaf index.
    error AlreadyClaimed(uint256 index);

    /// @notice No leaf `(index, kind, holder, amount)` is proven by the proof under the root.
    /// @param index The leaf index claimed.
    /// @param holder The holder claimed for.
    /// @param amount The amount claimed.
    error InvalidProof(uint256 index, address holder, uint256 amount);

    /// @notice `sweep` found nothing to send.
    error NothingToSweep();

    /// @notice Emitted once, when the distributor first sees that it holds the tree's total.
    /// @param caller Who triggered the check (by `activate` or by the first claim).
    /// @param balance The balance seen.
    event Activated(address indexed caller, uint256 balance);

    /// @notice Emitted when an EVM leaf is paid: Uniswap MerkleDistributor's event, with the index
    /// and the account indexed so that an indexer can filter the claims of an account or a leaf.
    /// @param index The leaf index.
    /// @param account The leaf's account, which received the tokens.
    /// @param amount The amount paid.
    event Claimed(uint256 indexed index, address indexed account, uint256 amount);

    /// @notice Emitted when a legacy leaf is paid.
    /// @param index The leaf index.
    /// @param hash160 The leaf's HASH160 (the old-chain address's payload).
    /// @param recipient The EVM account the key's owner signed for, which received the tokens.
    /// @param amount The amount paid.
    event LegacyClaimed(uint256 indexed index, bytes20 indexed hash160, address indexed recipient, uint256 amount);

    /// @notice Emitted when what was left after the deadline is swept.
    /// @param target The receiver, or the zero address when the tokens were burned.
    /// @param amount The amount swept.
    event Swept(address indexed target, uint256 amount);

    /// @notice The role allowed to pause and unpause claims.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice The leaf kind of an EVM holder: 0.
    function KIND_EVM() external view returns (uint8);

    /// @notice The leaf kind of an old-chain (P2PKH) holder: 1.
    function KIND_LEGACY() external view returns (uint8);

    /// @notice How many levels below the root the kept level lies, at most: a constant of
    /// {TokenSwapDistributorTopLevel}, written by scripts/top-nodes.ts from src/airdrop/merkle/top-level.ts.
    function TOP_DEPTH() external view returns (uint256);

    /// @notice The most top nodes the contract keeps: `2 ** TOP_DEPTH()`.
    function MAX_TOP_NODES() external view returns (uint256);

    /// @notice The level of the tree the contract keeps, left to right (the root alone if none).
    function topNodes() external view returns (bytes32[] memory);

    /// @notice The token paid out.
    function token() external view returns (IERC20);

    /// @notice The Merkle root of the holder set.
    function merkleRoot() external view returns (bytes32);

    /// @notice The sum of every leaf's amount.
    function total() external view returns (uint256);

    /// @notice The first second at which claims are accepted.
    function start() external view returns (uint256);

    /// @notice The first second at which claims are refused and `sweep` is allowed.
    function deadline() external view returns (uint256);

    /// @notice Where `sweep` sends the rest; the zero address means it burns it.
    function sweepTarget() external view returns (address);

    /// @notice The old chain's signed-message magic, without its length byte.
    function legacyMagic() external view returns (string memory);

    /// @notice The version byte of the old chain's P2PKH addresses.
    function legacyAddressVersion() external view returns (uint8);

    /// @notice The text a legacy holder signs to claim to `recipient`:
    /// `gpufog token swap: claim to 0x<recipient> on chain <chain id> via distributor 0x<this>`,
    /// addresses in lower-case hex, the chain id in decimal (`block.chainid`), one line, no
    /// final newline. Naming the chain and this contract keeps a signature from paying anywhere
    /// else; naming the recipient keeps whoever submits it from redirecting the tokens.
    /// @param recipient The EVM account to be paid.
    function legacyClaimMessage(address recipient) external view returns (string memory);

    /// @notice The hash the legacy holder's key signs: `sha256(sha256(varint(len(magic)) ‖ magic ‖
    /// varint(len(message)) ‖ message))` of `legacyClaimMessage(recipient)`, as the old chain's
    /// `signmessage` computes it.
    /// @param recipient The EVM account to be paid.
    function legacyMessageHash(address recipient) external view returns (bytes32);

    /// @notice Whether the distributor has seen that it holds the tree's total (claims need it).
    function activated() external view returns (bool);

    /// @notice Whether the leaf at `index` has been paid.
    /// @param index The leaf index.
    function isClaimed(uint256 index) external view returns (bool);

    /// @notice Checks that the distributor holds at least the tree's total and opens it. Anyone may
    /// call it; the first claim calls it too. Reverts with `Underfunded` otherwise; does nothing
    /// once activated.
    function activate() external;

    /// @notice Pays an EVM leaf to its account. Anyone may submit it; the tokens always go to
    /// `account`, the holder in the leaf.
    /// @dev Reverts with `EnforcedPause`, `NotStarted`, `DeadlinePassed`, `Underfunded`,
    /// `AlreadyClaimed` or `InvalidProof`.
    /// @param index The leaf index.
    /// @param account The leaf's account.
    /// @param amount The leaf's amount, in wei.
    /// @param proof The sibling hashes from the leaf up to the root, or up to the level of `topNodes()`.
    function claim(uint256 index, address account, uint256 amount, bytes32[] calldata proof) external;

    /// @notice Pays a legacy leaf to `recipient`, on the holder's signature. Anyone may submit it.
    /// It checks that `pubkey` is a secp256k1 point, that its HASH160 (of the bytes as given) is
    /// `hash160`, that `signature` over `legacyMessageHash(recipient)` recovers that same key with a
    /// header of the same form (compressed or not), low s, and that the leaf
    /// `(index, KIND_LEGACY, address(hash160), amount)` is in the tree and unpaid.
    /// @dev Reverts with `ZeroAddress("recipient")`, `InvalidPublicKey`, `PublicKeyMismatch`,
    /// `InvalidSignatureLength`, `InvalidSignatureHeader`, `InvalidSignature`, `HighS`,
    /// `CompressionMismatch`, `SignatureMismatch`, then as `claim` does.
    /// @param index The leaf index.
    /// @param hash160 The leaf's HASH160: the 20-byte payload of the holder's base58 address.
    /// @param amount The leaf's amount, in wei.
    /// @param proof The sibling hashes from the leaf up to the root, or up to the level of `topNodes()`.
    /// @param recipient The EVM account paid; the one named in the signed message.
    /// @param pubkey The holder's public key, 33 bytes compressed or 65 uncompressed: the form
    /// the holder's address was made from.
    /// @param signature The compact signature (65 bytes: header 27..34, r, s), what the old chain's
    /// `signmessage` returns in base64.
    function claimLegacy(
        uint256 index,
        bytes20 hash160,
        uint256 amount,
        bytes32[] calldata proof,
        address recipient,
        bytes calldata pubkey,
        bytes calldata signature
    ) external;

    /// @notice After the deadline, sends the whole remaining balance to `sweepTarget()`, or burns it.
    /// Anyone may call it, paused or not.
    /// @dev Reverts with `DeadlineNotReached` before the deadline and `NothingToSweep` when empty.
    function sweep() external;

    /// @notice Stops claims (only claims). Only `PAUSER_ROLE`.
    function pause() external;

    /// @notice Resumes claims. Only `PAUSER_ROLE`.
    function unpause() external;
}
