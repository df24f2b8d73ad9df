// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IMarketErrors} from "./IMarketErrors.sol";

/// @title Provider registry
/// @notice GPU nodes rated in Turing Units (1 TU = 24 h of a GTX 1080 Ti), staked in GUT, moving
/// through Idle / Sharing / Reserved / Disconnect. See DESIGN.md (ProviderRegistry) for the
/// transition table.
/// @dev Liveness is proved by work, not by the clock: a Sharing node needs no check-in (its
/// lease's receipts are the proof), and Idle and Reserved nodes check in once per
/// `checkInPeriod`, many nodes of one provider in one transaction. Leaving Sharing counts as a
/// check-in. The escrow-facing part below is the contract between the registry and the lease
/// escrow: a node the escrow has taken (a lease or a reservation) stays "engaged" until the escrow
/// releases it. While engaged, a Disconnect node cannot check in or deregister, so `downSince`
/// keeps dating the outage that failed the reservation.
interface IProviderRegistry is IMarketErrors {
    /// @notice A node's status. `None` means the node does not exist (never registered, or
    /// deregistered).
    enum Status {
        None,
        Idle,
        Sharing,
        Reserved,
        Disconnect
    }

    /// @notice What the escrow needs to check a quote and price and hold a node.
    /// @param provider The node's owner: the cold key that staked and receives every payment.
    /// @param operator The provider's operator (its hot key), or zero.
    /// @param status The node's current status.
    /// @param engaged Whether the escrow holds a lease or a reservation on the node.
    /// @param milliTu The node's rating: the model's milli-TU times the GPU count.
    /// @param lastCheckIn The timestamp of the node's last check-in.
    /// @param downSince When the node last went Disconnect: the moment it went offline, or the
    /// moment its check-in went stale if that came first. Meaningful only while Disconnect.
    struct LeaseTerms {
        address provider;
        address operator;
        Status status;
        bool engaged;
        uint32 milliTu;
        uint40 lastCheckIn;
        uint40 downSince;
    }

    /// @notice A GPU model in the catalogue.
    /// @param milliTu The model's rating in thousandths of a Turing Unit (1000 = a GTX 1080 Ti).
    /// @param retired A retired model takes no new nodes; nodes already registered keep running.
    struct GpuModel {
        uint32 milliTu;
        bool retired;
    }

    /// @notice Everything the registry knows about a node, for dApps and tools.
    /// @param id The node id (ids start at 1).
    /// @param provider The node's owner. Kept after deregistration and after the stake is withdrawn.
    /// @param status The node's status; `None` once deregistered.
    /// @param engaged Whether the escrow holds a lease or a reservation on the node.
    /// @param verified Whether an auditor has verified the node's hardware.
    /// @param lastCheckIn The timestamp of the node's last check-in.
    /// @param milliTu The node's rating, fixed at registration: the model's milli-TU times `gpuCount`.
    /// @param paymentToken The token the listed price is in.
    /// @param gpuCount The number of GPUs of the model in the node.
    /// @param unbondingEnds When an unbonding stake becomes withdrawable; 0 while the node is registered.
    /// @param downSince When the node last went Disconnect (see `LeaseTerms.downSince`).
    /// @param model The catalogue id of the node's GPU model.
    /// @param pricePerTuHour The listed price of one TU for one hour, in `paymentToken` units. A
    /// lease runs at the price of the provider's quote; this is what the market shows.
    /// @param stake The GUT stake locked for the node (active, or unbonding after deregistration).
    /// @param requiredStake The stake the node needs to take a new lease or reservation: what it
    /// locked at registration. A penalty takes the stake below it until the provider adds stake.
    /// @param uri The provider's endpoint (the agent's API) or metadata URI.
    struct NodeInfo {
        uint256 id;
        address provider;
        Status status;
        bool engaged;
        bool verified;
        uint40 lastCheckIn;
        uint32 milliTu;
        address paymentToken;
        uint16 gpuCount;
        uint40 unbondingEnds;
        uint40 downSince;
        bytes32 model;
        uint256 pricePerTuHour;
        uint256 stake;
        uint256 requiredStake;
        string uri;
    }

    /// @notice A status change a caller asked for is not in the transition table from `current`.
    /// @param nodeId The node.
    /// @param current The node's status at the call (`None` if the node does not exist).
    error InvalidStatus(uint256 nodeId, Status current);

    /// @notice `release` or `penalize` was called for a node the escrow does not hold.
    /// @param nodeId The node.
    error NotEngaged(uint256 nodeId);

    /// @notice A Disconnect node that the escrow still holds cannot check in or deregister until
    /// the escrow releases it, so that its `downSince` keeps dating the outage.
    /// @param nodeId The node.
    error NodeEngaged(uint256 nodeId);

    /// @notice Only the node's provider may do this (moving stake, changing the listing,
    /// deregistering).
    /// @param nodeId The node.
    /// @param caller The account that called.
    error NotNodeProvider(uint256 nodeId, address caller);

    /// @notice Only the node's provider or the provider's operator may do this.
    /// @param nodeId The node.
    /// @param caller The account that called.
    error NotNodeOperator(uint256 nodeId, address caller);

    /// @notice `markDisconnected` was called before the node's check-in went stale.
    /// @param nodeId The node.
    /// @param staleAfter The node may be marked Disconnect at any time after this timestamp.
    error CheckInNotStale(uint256 nodeId, uint256 staleAfter);

    /// @notice The node's stake is below what it needs to take a new lease or reservation (a
    /// penalty took part of it): the provider adds stake first.
    /// @param nodeId The node.
    /// @param stake The stake it has.
    /// @param requiredStake The stake it needs.
    error StakeBelowRequired(uint256 nodeId, uint256 stake, uint256 requiredStake);

    /// @notice The stake of a deregistered node is still unbonding.
    /// @param nodeId The node.
    /// @param unbondingEnds The timestamp from which the stake can be withdrawn.
    error StillUnbonding(uint256 nodeId, uint256 unbondingEnds);

    /// @notice The node has no stake to withdraw: it is still registered, or it was withdrawn.
    /// @param nodeId The node.
    error NothingToWithdraw(uint256 nodeId);

    /// @notice The GPU model is not in the catalogue.
    /// @param model The catalogue id.
    error UnknownModel(bytes32 model);

    /// @notice The GPU model is retired and takes no new nodes.
    /// @param model The catalogue id.
    error RetiredModel(bytes32 model);

    /// @notice The zero id cannot name a GPU model.
    error ZeroModel();

    /// @notice A model rating outside `[1, MAX_MILLI_TU_PER_GPU]`.
    /// @param milliTu The rating given.
    /// @param max The largest rating accepted.
    error RatingOutOfRange(uint256 milliTu, uint256 max);

    /// @notice A GPU count outside `[1, MAX_GPU_COUNT]`.
    /// @param gpuCount The count given.
    /// @param max The largest count accepted.
    error GpuCountOutOfRange(uint256 gpuCount, uint256 max);

    /// @notice A price outside `[1, type(uint128).max]`.
    /// @param pricePerTuHour The price given.
    error PriceOutOfRange(uint256 pricePerTuHour);

    /// @notice A URI longer than `MAX_URI_LENGTH` bytes.
    /// @param length The URI's length in bytes.
    /// @param max The longest URI accepted.
    error UriTooLong(uint256 length, uint256 max);

    /// @notice Emitted when a model is added to the catalogue or its rating changes. Nodes already
    /// registered keep the rating they were registered with.
    /// @param model The catalogue id.
    /// @param milliTu The new rating.
    event ModelRated(bytes32 indexed model, uint32 milliTu);

    /// @notice Emitted when a model is retired or reinstated.
    /// @param model The catalogue id.
    /// @param retired True if the model no longer takes new nodes.
    event ModelRetirementChanged(bytes32 indexed model, bool retired);

    /// @notice Emitted when a provider registers a node (None → Idle; a `StatusChanged` follows).
    /// @param nodeId The new node's id.
    /// @param provider The node's owner.
    /// @param model The catalogue id of the GPU model.
    /// @param gpuCount The number of GPUs.
    /// @param milliTu The node's rating.
    /// @param paymentToken The token the listed price is in.
    /// @param pricePerTuHour The listed price of one TU-hour.
    /// @param stake The GUT stake locked, which is also the node's required stake.
    /// @param uri The endpoint or metadata URI.
    event NodeRegistered(
        uint256 indexed nodeId,
        address indexed provider,
        bytes32 indexed model,
        uint16 gpuCount,
        uint32 milliTu,
        address paymentToken,
        uint256 pricePerTuHour,
        uint256 stake,
        string uri
    );

    /// @notice Emitted when a provider changes a node's listed price or URI.
    /// @param nodeId The node.
    /// @param pricePerTuHour The new listed price.
    /// @param uri The new URI.
    event NodeUpdated(uint256 indexed nodeId, uint256 pricePerTuHour, string uri);

    /// @notice Emitted on every status transition, whoever caused it.
    /// @param nodeId The node.
    /// @param from The status before.
    /// @param to The status after.
    event StatusChanged(uint256 indexed nodeId, Status from, Status to);

    /// @notice Emitted once per check-in transaction: every node named was checked in at the
    /// block's timestamp, except those reported by `CheckInSkipped`.
    /// @param provider The nodes' provider.
    /// @param nodeIds The nodes named.
    event CheckedIn(address indexed provider, uint256[] nodeIds);

    /// @notice Emitted for each node a check-in passed over: Disconnect and still held by the
    /// escrow, so only ending its reservation lets it come back.
    /// @param nodeId The node.
    event CheckInSkipped(uint256 indexed nodeId);

    /// @notice Emitted when an auditor marks a node's hardware verified, or withdraws the mark.
    /// @param nodeId The node.
    /// @param auditor The `AUDITOR_ROLE` holder.
    /// @param verified The new mark.
    event NodeVerified(uint256 indexed nodeId, address indexed auditor, bool verified);

    /// @notice Emitted when a provider adds stake to a node.
    /// @param nodeId The node.
    /// @param amount The amount added.
    /// @param stake The node's stake after it.
    event StakeAdded(uint256 indexed nodeId, uint256 amount, uint256 stake);

    /// @notice Emitted when a deregistered node's stake starts unbonding.
    /// @param nodeId The node.
    /// @param provider The node's owner, who may withdraw the stake later.
    /// @param amount The stake.
    /// @param unbondingEnds The timestamp from which it can be withdrawn.
    event StakeUnbonding(uint256 indexed nodeId, address indexed provider, uint256 amount, uint256 unbondingEnds);

    /// @notice Emitted when a provider withdraws an unbonded stake.
    /// @param nodeId The node.
    /// @param provider The node's owner.
    /// @param to Where the stake went.
    /// @param amount The amount withdrawn.
    event StakeWithdrawn(uint256 indexed nodeId, address indexed provider, address to, uint256 amount);

    /// @notice Emitted when a provider names its operator, or revokes it (`operator` zero).
    /// @param provider The provider.
    /// @param operator The operator, or zero.
    event OperatorSet(address indexed provider, address indexed operator);

    /// @notice Emitted when the escrow takes a failed reservation's penalty from a node's stake.
    /// @param nodeId The node.
    /// @param treasury Who received the penalty: always the treasury, never a party to the lease.
    /// @param amount The amount taken from the stake.
    event Penalized(uint256 indexed nodeId, address indexed treasury, uint256 amount);

    /// @notice Emitted when the admin sets the stake per TU (also at deployment).
    /// @param minStakePerTu GUT (wei) locked per TU of a new node.
    event MinStakePerTuSet(uint256 minStakePerTu);

    /// @notice Emitted when the admin sets the check-in period (also at deployment).
    /// @param checkInPeriod Seconds after its last check-in at which anyone may mark an Idle or
    /// Reserved node Disconnect.
    event CheckInPeriodSet(uint256 checkInPeriod);

    /// @notice Emitted when the admin sets the unbonding period (also at deployment).
    /// @param unbondingPeriod Seconds between deregistration and the stake becoming withdrawable.
    event UnbondingPeriodSet(uint256 unbondingPeriod);

    /// @notice Emitted when the admin sets where penalties go (also at deployment).
    /// @param treasury The treasury.
    event TreasurySet(address indexed treasury);

    /// @notice The role of the lease escrow, the only caller of the escrow-facing functions.
    function ESCROW_ROLE() external view returns (bytes32);

    /// @notice The terms of a node, for checking quotes and holding the node.
    /// @param nodeId The node.
    function leaseTerms(uint256 nodeId) external view returns (LeaseTerms memory);

    /// @notice Marks an Idle or Reserved node Disconnect if its check-in is stale (as
    /// `markDisconnected` would), then returns its terms. Anyone may call it; the escrow calls it
    /// before judging a reservation, so a stale node is treated as down whoever touches it first.
    /// @param nodeId The node.
    function sync(uint256 nodeId) external returns (LeaseTerms memory);

    /// @notice Idle → Reserved: holds the node for a customer's future window, and counts as a
    /// check-in (the provider's fresh quote proves its agent is live). Marks the node engaged.
    /// @dev Only `ESCROW_ROLE`. Reverts with `InvalidStatus` unless Idle, and with
    /// `StakeBelowRequired` when a penalty left the stake short.
    function holdForReservation(uint256 nodeId) external;

    /// @notice Idle → Sharing, or Reserved → Sharing, when a lease opens; counts as a check-in.
    /// Marks the node engaged.
    /// @dev Only `ESCROW_ROLE`. Reverts with `InvalidStatus` from any other status, and from Idle
    /// with `StakeBelowRequired` when a penalty left the stake short. The escrow checks that a
    /// Reserved node is opened by its reserving customer.
    function startLease(uint256 nodeId) external;

    /// @notice Ends the escrow's hold on a node: Sharing → Idle (lease closed; counts as a
    /// check-in, since a leased node needs none) or Reserved → Idle (reservation ended). A node
    /// that went Disconnect while reserved stays Disconnect. Either way the node is no longer
    /// engaged.
    /// @dev Only `ESCROW_ROLE`. Reverts with `NotEngaged(nodeId)` if the node is not engaged.
    function release(uint256 nodeId) external;

    /// @notice Takes a failed reservation's penalty, at most `amount` and at most the stake, from
    /// the node's stake and pays it to the `treasury`: never to a party who could cause the
    /// failure. The node keeps running but cannot take a new lease or reservation until the
    /// provider restores its stake with `addStake`.
    /// @dev Only `ESCROW_ROLE`, on a node the escrow holds (`NotEngaged` otherwise). Returns the
    /// amount taken.
    /// @param nodeId The node whose stake pays.
    /// @param amount The penalty: the reservation's fee.
    function penalize(uint256 nodeId, uint256 amount) external returns (uint256 taken);

    // ---------------------------------------------------------------- roles, constants, parameters

    /// @notice The role that maintains the GPU catalogue.
    function CATALOG_ROLE() external view returns (bytes32);

    /// @notice The role that marks nodes' hardware verified.
    function AUDITOR_ROLE() external view returns (bytes32);

    /// @notice The largest model rating: 1000 TU per GPU.
    function MAX_MILLI_TU_PER_GPU() external view returns (uint32);

    /// @notice The largest GPU count of one node.
    function MAX_GPU_COUNT() external view returns (uint16);

    /// @notice The longest URI, in bytes.
    function MAX_URI_LENGTH() external view returns (uint256);

    /// @notice The largest `minStakePerTu`: 1,000,000 GUT per TU.
    function MAX_MIN_STAKE_PER_TU() external view returns (uint256);

    /// @notice The bounds of `checkInPeriod`: 1 hour to 7 days.
    function MIN_CHECK_IN_PERIOD() external view returns (uint256);

    /// @notice See `MIN_CHECK_IN_PERIOD`.
    function MAX_CHECK_IN_PERIOD() external view returns (uint256);

    /// @notice The bounds of `unbondingPeriod`: 1 day to 365 days.
    function MIN_UNBONDING_PERIOD() external view returns (uint256);

    /// @notice See `MIN_UNBONDING_PERIOD`.
    function MAX_UNBONDING_PERIOD() external view returns (uint256);

    /// @notice The stake token (GUT).
    function gut() external view returns (IERC20);

    /// @notice GUT (wei) locked per TU when a node registers. Changing it does not touch existing
    /// stakes.
    function minStakePerTu() external view returns (uint128);

    /// @notice Seconds after its last check-in at which anyone may mark an Idle or Reserved node
    /// Disconnect. Sharing nodes need no check-in.
    function checkInPeriod() external view returns (uint40);

    /// @notice Seconds between deregistration and the stake becoming withdrawable. Applies to
    /// deregistrations after a change; stakes already unbonding keep their end.
    function unbondingPeriod() external view returns (uint40);

    /// @notice Where failed reservations' penalties go.
    function treasury() external view returns (address);

    /// @notice Sets `minStakePerTu`. Only the default admin. Bounded by `[1, MAX_MIN_STAKE_PER_TU]`.
    function setMinStakePerTu(uint256 value) external;

    /// @notice Sets `checkInPeriod`. Only the default admin. Bounded by
    /// `[MIN_CHECK_IN_PERIOD, MAX_CHECK_IN_PERIOD]`.
    function setCheckInPeriod(uint256 value) external;

    /// @notice Sets `unbondingPeriod`. Only the default admin. Bounded by
    /// `[MIN_UNBONDING_PERIOD, MAX_UNBONDING_PERIOD]`.
    function setUnbondingPeriod(uint256 value) external;

    /// @notice Sets `treasury`. Only the default admin. Reverts with `ZeroAddress` for zero.
    function setTreasury(address value) external;

    // ---------------------------------------------------------------- catalogue

    /// @notice Adds a GPU model to the catalogue or changes its rating. Nodes already registered
    /// keep the rating they registered with.
    /// @dev Only `CATALOG_ROLE`. Emits `ModelRated`.
    /// @param model The catalogue id: the model name as a UTF-8 string of at most 31 bytes,
    /// right-padded with zeros (ethers' `encodeBytes32String("RTX 2080 Ti")`).
    /// @param milliTu The rating per GPU, in `[1, MAX_MILLI_TU_PER_GPU]`.
    function setModel(bytes32 model, uint32 milliTu) external;

    /// @notice Retires a model (no new nodes) or reinstates it. Existing nodes are not affected.
    /// @dev Only `CATALOG_ROLE`. Emits `ModelRetirementChanged`, also when nothing changes.
    function setModelRetired(bytes32 model, bool retired) external;

    /// @notice A catalogue entry; `milliTu == 0` if the model is unknown.
    function gpuModel(bytes32 model) external view returns (GpuModel memory);

    /// @notice Every model ever added, in the order added, with its entry.
    function catalog() external view returns (bytes32[] memory models, GpuModel[] memory entries);

    /// @notice The GUT stake `register` would lock for a node: `ceil(minStakePerTu × milliTu / 1000)`.
    /// @dev Reverts like `register` for an unknown or retired model or a bad GPU count.
    function requiredStake(bytes32 model, uint256 gpuCount) external view returns (uint256);

    // ---------------------------------------------------------------- provider

    /// @notice Registers a node (None → Idle) and locks its GUT stake, taken from the caller with
    /// `transferFrom` (approve `requiredStake(model, gpuCount)` first). The node is checked in now.
    /// @param model A catalogue id that is not retired.
    /// @param gpuCount The number of GPUs, in `[1, MAX_GPU_COUNT]`.
    /// @param pricePerTuHour The listed price of one TU-hour in `paymentToken` units, in
    /// `[1, 2^128 - 1]`. Leases run at the price of the provider's quote.
    /// @param paymentToken The token the listed price is in.
    /// @param uri The agent's endpoint or a metadata URI, of at most `MAX_URI_LENGTH` bytes.
    /// @return nodeId The new node's id.
    function register(
        bytes32 model,
        uint256 gpuCount,
        uint256 pricePerTuHour,
        address paymentToken,
        string calldata uri
    ) external returns (uint256 nodeId);

    /// @notice Changes a registered node's listed price and URI. Only the provider. The listing
    /// binds nothing: leases run at their quotes' prices.
    function update(uint256 nodeId, uint256 pricePerTuHour, string calldata uri) external;

    /// @notice Checks in nodes of one provider in one transaction: Idle, Reserved and Sharing
    /// nodes refresh `lastCheckIn` (one storage write each); a Disconnect node the escrow does not
    /// hold comes back (→ Idle). A node that is Disconnect and still held by the escrow is passed
    /// over (`CheckInSkipped`), as is one that went stale before this check-in (it goes
    /// Disconnect as of the moment it went stale, so a late check-in never erases an outage
    /// during a reservation; one the escrow does not hold then comes back at once).
    /// @dev The caller is the provider of every node or its operator (`NotNodeOperator`
    /// otherwise); a node that does not exist reverts with `InvalidStatus`.
    /// @param nodeIds The nodes, all of one provider.
    function checkIn(uint256[] calldata nodeIds) external;

    /// @notice Names `operator` as the caller's operator: a hot key that may check in, go offline,
    /// sign quotes, accept reservation starts, collect and withdraw to the provider, and nothing
    /// else: it can never move stake or send a payment elsewhere. Zero revokes it, at once.
    /// @param operator The operator, or zero.
    function setOperator(address operator) external;

    /// @notice The operator `provider` named, or zero.
    function operatorOf(address provider) external view returns (address);

    /// @notice Idle or Reserved → Disconnect. Only the provider or its operator. Not while
    /// Sharing: a running lease ends through the escrow.
    function goOffline(uint256 nodeId) external;

    /// @notice Idle or Reserved → Disconnect, by anyone, once
    /// `block.timestamp > lastCheckIn + checkInPeriod`.
    function markDisconnected(uint256 nodeId) external;

    /// @notice Adds GUT to a registered node's stake, taken from the caller (the provider) with
    /// `transferFrom`: after a penalty, the node takes new leases again once its stake is back to
    /// `requiredStake`.
    /// @param nodeId The node.
    /// @param amount The amount to add.
    function addStake(uint256 nodeId, uint256 amount) external;

    /// @notice Disconnect → None. Only the provider, not while the escrow holds the node. The
    /// stake starts unbonding and can be withdrawn after `unbondingPeriod`.
    function deregister(uint256 nodeId) external;

    /// @notice Sends a deregistered node's unbonded stake to `to`. Only the provider.
    /// @param nodeId The node.
    /// @param to The receiver (any address: a provider blocklisted by GUT is paid elsewhere).
    function withdrawStake(uint256 nodeId, address to) external;

    /// @notice Marks a node's hardware verified, or withdraws the mark. Only `AUDITOR_ROLE`.
    function setVerified(uint256 nodeId, bool verified) external;

    // ---------------------------------------------------------------- views

    /// @notice The number of nodes ever registered; ids run from 1 to `nodeCount()`.
    function nodeCount() external view returns (uint256);

    /// @notice The GUT locked in registered nodes' stakes.
    function totalStaked() external view returns (uint128);

    /// @notice The GUT in deregistered nodes' stakes not yet withdrawn.
    function totalUnbonding() external view returns (uint128);

    /// @notice Everything about a node. A node that never existed has `provider == address(0)`.
    function node(uint256 nodeId) external view returns (NodeInfo memory);

    /// @notice Whether anyone may mark the node Disconnect now: Idle or Reserved with a stale
    /// check-in.
    function isStale(uint256 nodeId) external view returns (bool);

    /// @notice Nodes by id: `nodes(0, 50)` is ids 1 to 50. Returns fewer past the end.
    function nodes(uint256 offset, uint256 limit) external view returns (NodeInfo[] memory page);

    /// @notice Scans ids `cursor + 1` to `cursor + limit` and returns the nodes in `status` among
    /// them, for `eth_call`. Call again with `next` until it is 0. `limit` must be above 0, or the
    /// scan makes no progress.
    /// @return page The matching nodes, in id order.
    /// @return next The cursor to continue from, or 0 when the scan reached the last node.
    function nodesByStatus(
        Status status,
        uint256 cursor,
        uint256 limit
    ) external view returns (NodeInfo[] memory page, uint256 next);

    /// @notice The nodes a provider ever registered (deregistered ones included, until and after
    /// their stake is withdrawn), in registration order, from `offset`, at most `limit`.
    /// @return page The nodes.
    /// @return total The provider's node count.
    function nodesOf(
        address provider,
        uint256 offset,
        uint256 limit
    ) external view returns (NodeInfo[] memory page, uint256 total);
}
