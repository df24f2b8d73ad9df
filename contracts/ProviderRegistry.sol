// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ProviderRegistrySettings} from "./base/ProviderRegistrySettings.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";

/// @title ProviderRegistry
/// @notice GPU nodes rated in Turing Units, staked in GUT, with DESIGN.md's status machine. See
/// {IProviderRegistry}.
contract ProviderRegistry is ProviderRegistrySettings {
    using SafeERC20 for IERC20;

    /// @inheritdoc IProviderRegistry
    uint256 public constant MAX_URI_LENGTH = 512;

    /// @dev The first slot holds everything a check-in reads and writes, so a check-in is one
    /// SSTORE: 20 + 1 + 1 + 1 + 5 + 4 = 32 bytes.
    struct Node {
        address provider;
        Status status;
        bool engaged;
        bool verified;
        uint40 lastCheckIn;
        uint32 milliTu;
        address paymentToken;
        uint96 stake;
        uint128 pricePerTuHour;
        uint40 unbondingEnds;
        uint16 gpuCount;
        uint40 downSince;
        uint96 requiredStake;
        bytes32 model;
        string uri;
    }

    /// @dev The statuses that must check in: a Sharing node's receipts prove it is serving.
    uint256 internal constant _CHECKED = (1 << uint8(Status.Idle)) | (1 << uint8(Status.Reserved));

    /// @dev The statuses of a registered node.
    uint256 internal constant _REGISTERED =
        (1 << uint8(Status.Idle)) |
            (1 << uint8(Status.Sharing)) |
            (1 << uint8(Status.Reserved)) |
            (1 << uint8(Status.Disconnect));

    /// @inheritdoc IProviderRegistry
    IERC20 public immutable gut;

    /// @inheritdoc IProviderRegistry
    uint128 public totalStaked;
    /// @inheritdoc IProviderRegistry
    uint128 public totalUnbonding;

    /// @inheritdoc IProviderRegistry
    uint256 public nodeCount;

    mapping(uint256 nodeId => Node) internal _nodes;
    mapping(address provider => uint256[] nodeIds) internal _nodesOf;
    /// @inheritdoc IProviderRegistry
    mapping(address provider => address operator) public operatorOf;

    /// @param adminDelay The delay of a default-admin transfer (AccessControlDefaultAdminRules).
    /// @param admin The default admin, who sets the parameters and grants the other roles.
    /// @param gut_ The stake token (GUT).
    /// @param minStakePerTu_ See `minStakePerTu`.
    /// @param checkInPeriod_ See `checkInPeriod`.
    /// @param unbondingPeriod_ See `unbondingPeriod`.
    /// @param treasury_ See `treasury`.
    constructor(
        uint48 adminDelay,
        address admin,
        IERC20 gut_,
        uint256 minStakePerTu_,
        uint256 checkInPeriod_,
        uint256 unbondingPeriod_,
        address treasury_
    ) ProviderRegistrySettings(adminDelay, admin, minStakePerTu_, checkInPeriod_, unbondingPeriod_, treasury_) {
        if (address(gut_) == address(0)) revert ZeroAddress("gut");
        gut = gut_;
    }

    // ---------------------------------------------------------------- provider

    /// @inheritdoc IProviderRegistry
    function register(
        bytes32 model,
        uint256 gpuCount,
        uint256 pricePerTuHour,
        address paymentToken,
        string calldata uri
    ) external returns (uint256 nodeId) {
        (uint32 milliTu, uint256 stake) = _rate(model, gpuCount);
        _checkTerms(pricePerTuHour, uri);
        if (paymentToken == address(0)) revert ZeroAddress("paymentToken");
        nodeId = ++nodeCount;
        Node storage n = _nodes[nodeId];
        n.provider = msg.sender;
        n.status = Status.Idle;
        n.lastCheckIn = uint40(block.timestamp);
        n.milliTu = milliTu;
        n.paymentToken = paymentToken;
        n.stake = SafeCast.toUint96(stake);
        n.requiredStake = uint96(stake);
        n.pricePerTuHour = uint128(pricePerTuHour);
        n.gpuCount = uint16(gpuCount);
        n.model = model;
        n.uri = uri;
        _nodesOf[msg.sender].push(nodeId);
        totalStaked += uint128(stake);
        emit NodeRegistered(
            nodeId,
            msg.sender,
            model,
            uint16(gpuCount),
            milliTu,
            paymentToken,
            pricePerTuHour,
            stake,
            uri
        );
        emit StatusChanged(nodeId, Status.None, Status.Idle);
        _pullStake(stake);
    }

    /// @inheritdoc IProviderRegistry
    function update(uint256 nodeId, uint256 pricePerTuHour, string calldata uri) external {
        Node storage n = _provided(nodeId, _REGISTERED);
        _checkTerms(pricePerTuHour, uri);
        n.pricePerTuHour = uint128(pricePerTuHour);
        n.uri = uri;
        emit NodeUpdated(nodeId, pricePerTuHour, uri);
    }

    /// @inheritdoc IProviderRegistry
    function checkIn(uint256[] calldata nodeIds) external {
        uint256 period = checkInPeriod;
        address provider;
        for (uint256 i; i < nodeIds.length; ++i) {
            uint256 nodeId = nodeIds[i];
            Node storage n = _nodes[nodeId];
            _checkStatus(nodeId, n.status, _REGISTERED);
            // The caller is checked once per provider: a batch is normally one provider's nodes.
            if (n.provider != provider) {
                provider = n.provider;
                if (msg.sender != provider && msg.sender != operatorOf[provider])
                    revert NotNodeOperator(nodeId, msg.sender);
            }
            if (!_checkIn(nodeId, n, period)) emit CheckInSkipped(nodeId);
        }
        emit CheckedIn(provider, nodeIds);
    }

    /// @inheritdoc IProviderRegistry
    function setOperator(address operator) external {
        operatorOf[msg.sender] = operator;
        emit OperatorSet(msg.sender, operator);
    }

    /// @inheritdoc IProviderRegistry
    function goOffline(uint256 nodeId) external {
        Node storage n = _operated(nodeId, _CHECKED);
        _markDown(nodeId, n, n.status);
    }

    /// @inheritdoc IProviderRegistry
    function markDisconnected(uint256 nodeId) external {
        Node storage n = _nodes[nodeId];
        Status from = _checkStatus(nodeId, n.status, _CHECKED);
        if (!_stale(n)) revert CheckInNotStale(nodeId, uint256(n.lastCheckIn) + checkInPeriod);
        _markDown(nodeId, n, from);
    }

    /// @inheritdoc IProviderRegistry
    function sync(uint256 nodeId) external returns (LeaseTerms memory) {
        Node storage n = _nodes[nodeId];
        Status status = n.status;
        if ((_CHECKED & (1 << uint8(status))) != 0 && _stale(n)) _markDown(nodeId, n, status);
        return _terms(n);
    }

    /// @inheritdoc IProviderRegistry
    function addStake(uint256 nodeId, uint256 amount) external {
        Node storage n = _provided(nodeId, _REGISTERED);
        if (amount == 0) revert ZeroAmount();
        uint96 stake = SafeCast.toUint96(uint256(n.stake) + amount);
        n.stake = stake;
        totalStaked += uint128(amount);
        emit StakeAdded(nodeId, amount, stake);
        _pullStake(amount);
    }

    /// @inheritdoc IProviderRegistry
    function deregister(uint256 nodeId) external {
        Node storage n = _provided(nodeId, 1 << uint8(Status.Disconnect));
        if (n.engaged) revert NodeEngaged(nodeId);
        uint96 stake = n.stake;
        uint40 ends = uint40(block.timestamp) + unbondingPeriod;
        n.status = Status.None;
        n.unbondingEnds = ends;
        totalStaked -= stake;
        totalUnbonding += stake;
        emit StatusChanged(nodeId, Status.Disconnect, Status.None);
        emit StakeUnbonding(nodeId, msg.sender, stake, ends);
    }

    /// @inheritdoc IProviderRegistry
    function withdrawStake(uint256 nodeId, address to) external {
        Node storage n = _provided(nodeId, 1 << uint8(Status.None));
        if (to == address(0)) revert ZeroAddress("to");
        uint96 stake = n.stake;
        if (stake == 0) revert NothingToWithdraw(nodeId);
        if (block.timestamp < n.unbondingEnds) revert StillUnbonding(nodeId, n.unbondingEnds);
        n.stake = 0;
        totalUnbonding -= stake;
        emit StakeWithdrawn(nodeId, msg.sender, to, stake);
        gut.safeTransfer(to, stake);
    }

    // ---------------------------------------------------------------- auditor

    /// @inheritdoc IProviderRegistry
    function setVerified(uint256 nodeId, bool verified) external onlyRole(AUDITOR_ROLE) {
        Node storage n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, _REGISTERED);
        n.verified = verified;
        emit NodeVerified(nodeId, msg.sender, verified);
    }

    // ---------------------------------------------------------------- escrow

    /// @inheritdoc IProviderRegistry
    function holdForReservation(uint256 nodeId) external onlyRole(ESCROW_ROLE) {
        Node storage n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, 1 << uint8(Status.Idle));
        _checkStake(nodeId, n);
        n.status = Status.Reserved;
        n.engaged = true;
        n.lastCheckIn = uint40(block.timestamp);
        emit StatusChanged(nodeId, Status.Idle, Status.Reserved);
    }

    /// @inheritdoc IProviderRegistry
    function startLease(uint256 nodeId) external onlyRole(ESCROW_ROLE) {
        Node storage n = _nodes[nodeId];
        Status from = _checkStatus(nodeId, n.status, (1 << uint8(Status.Idle)) | (1 << uint8(Status.Reserved)));
        // A reservation was taken with the full stake; only a new engagement needs it again.
        if (from == Status.Idle) _checkStake(nodeId, n);
        n.status = Status.Sharing;
        n.engaged = true;
        n.lastCheckIn = uint40(block.timestamp);
        emit StatusChanged(nodeId, from, Status.Sharing);
    }

    /// @inheritdoc IProviderRegistry
    function release(uint256 nodeId) external onlyRole(ESCROW_ROLE) {
        Node storage n = _nodes[nodeId];
        if (!n.engaged) revert NotEngaged(nodeId);
        Status from = n.status;
        n.engaged = false;
        if (from == Status.Disconnect) return;
        // A leased node needed no check-in; the check-in clock restarts when it leaves Sharing.
        if (from == Status.Sharing) n.lastCheckIn = uint40(block.timestamp);
        n.status = Status.Idle;
        emit StatusChanged(nodeId, from, Status.Idle);
    }

    /// @inheritdoc IProviderRegistry
    function penalize(uint256 nodeId, uint256 amount) external onlyRole(ESCROW_ROLE) returns (uint256 taken) {
        Node storage n = _nodes[nodeId];
        // Engaged means the escrow holds a reservation on the node, which also means it cannot
        // have been deregistered: the stake is still active.
        if (!n.engaged) revert NotEngaged(nodeId);
        taken = Math.min(n.stake, amount);
        if (taken == 0) return 0;
        n.stake -= uint96(taken);
        totalStaked -= uint128(taken);
        address to = treasury;
        emit Penalized(nodeId, to, taken);
        gut.safeTransfer(to, taken);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProviderRegistry
    function leaseTerms(uint256 nodeId) external view returns (LeaseTerms memory) {
        return _terms(_nodes[nodeId]);
    }

    /// @inheritdoc IProviderRegistry
    function node(uint256 nodeId) external view returns (NodeInfo memory) {
        return _info(nodeId);
    }

    /// @inheritdoc IProviderRegistry
    function isStale(uint256 nodeId) external view returns (bool) {
        Node storage n = _nodes[nodeId];
        return (_CHECKED & (1 << uint8(n.status))) != 0 && _stale(n);
    }

    /// @inheritdoc IProviderRegistry
    function nodes(uint256 offset, uint256 limit) external view returns (NodeInfo[] memory page) {
        uint256 count = nodeCount;
        uint256 end = _pageEnd(offset, limit, count);
        page = new NodeInfo[](end - offset);
        for (uint256 i; i < page.length; ++i) page[i] = _info(offset + i + 1);
    }

    /// @inheritdoc IProviderRegistry
    function nodesByStatus(
        Status status,
        uint256 cursor,
        uint256 limit
    ) external view returns (NodeInfo[] memory page, uint256 next) {
        uint256 count = nodeCount;
        uint256 end = _pageEnd(cursor, limit, count);
        // Ids are 1-based: scanning indices [cursor, end) reads ids cursor + 1 to end.
        uint256 matches;
        for (uint256 i = cursor; i < end; ++i) if (_nodes[i + 1].status == status) ++matches;
        page = new NodeInfo[](matches);
        uint256 k;
        for (uint256 i = cursor; k < matches; ++i) {
            if (_nodes[i + 1].status != status) continue;
            page[k] = _info(i + 1);
            ++k;
        }
        next = end < count ? end : 0;
    }

    /// @inheritdoc IProviderRegistry
    function nodesOf(
        address provider,
        uint256 offset,
        uint256 limit
    ) external view returns (NodeInfo[] memory page, uint256 total) {
        uint256[] storage ids = _nodesOf[provider];
        total = ids.length;
        uint256 end = _pageEnd(offset, limit, total);
        page = new NodeInfo[](end - offset);
        for (uint256 i; i < page.length; ++i) page[i] = _info(ids[offset + i]);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The one place that refuses a transition: `allowed` is a bit mask of the statuses the
    /// caller may start from. Returns `current` for the caller's event.
    function _checkStatus(uint256 nodeId, Status current, uint256 allowed) private pure returns (Status) {
        if (allowed & (1 << uint8(current)) == 0) revert InvalidStatus(nodeId, current);
        return current;
    }

    /// @dev The node, after checking its status and that the caller is its provider.
    function _provided(uint256 nodeId, uint256 allowed) private view returns (Node storage n) {
        n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, allowed);
        if (n.provider != msg.sender) revert NotNodeProvider(nodeId, msg.sender);
    }

    /// @dev The node, after checking its status and that the caller is its provider or the
    /// provider's operator.
    function _operated(uint256 nodeId, uint256 allowed) private view returns (Node storage n) {
        n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, allowed);
        address provider = n.provider;
        if (msg.sender != provider && msg.sender != operatorOf[provider]) revert NotNodeOperator(nodeId, msg.sender);
    }

    /// @dev Idle or Reserved → Disconnect. `downSince` is when the node stopped holding its
    /// engagements: now, or the moment it went stale if that was earlier, so an outage is dated
    /// by the timestamps and not by whoever noticed it first.
    function _markDown(uint256 nodeId, Node storage n, Status from) private {
        uint256 staleAt = uint256(n.lastCheckIn) + checkInPeriod;
        n.status = Status.Disconnect;
        n.downSince = uint40(Math.min(staleAt, block.timestamp));
        emit StatusChanged(nodeId, from, Status.Disconnect);
    }

    /// @dev One node's check-in. A node on time refreshes `lastCheckIn` (one SSTORE). A late
    /// check-in must not erase the outage before it: the node goes Disconnect as of the moment it
    /// went stale, and a reservation on it stays failed. A Disconnect node the escrow does not
    /// hold comes back. Returns false for a node that stays Disconnect because the escrow holds it.
    function _checkIn(uint256 nodeId, Node storage n, uint256 period) private returns (bool) {
        Status from = n.status;
        if (from != Status.Disconnect) {
            if (from == Status.Sharing || !(block.timestamp > uint256(n.lastCheckIn) + period)) {
                n.lastCheckIn = uint40(block.timestamp);
                return true;
            }
            _markDown(nodeId, n, from);
        }
        if (n.engaged) return false;
        n.status = Status.Idle;
        n.lastCheckIn = uint40(block.timestamp);
        emit StatusChanged(nodeId, Status.Disconnect, Status.Idle);
        return true;
    }

    /// @dev A new lease or reservation needs the node's full stake: a penalty must be made good.
    function _checkStake(uint256 nodeId, Node storage n) private view {
        if (n.stake < n.requiredStake) revert StakeBelowRequired(nodeId, n.stake, n.requiredStake);
    }

    /// @dev Takes `amount` of GUT from the caller and refuses a token that delivers anything else.
    function _pullStake(uint256 amount) private {
        uint256 before = gut.balanceOf(address(this));
        gut.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = gut.balanceOf(address(this)) - before;
        if (received != amount) revert TransferMismatch(address(gut), amount, received);
    }

    function _checkTerms(uint256 pricePerTuHour, string calldata uri) private pure {
        if (pricePerTuHour == 0 || pricePerTuHour > type(uint128).max) revert PriceOutOfRange(pricePerTuHour);
        if (bytes(uri).length > MAX_URI_LENGTH) revert UriTooLong(bytes(uri).length, MAX_URI_LENGTH);
    }

    function _terms(Node storage n) private view returns (LeaseTerms memory) {
        address provider = n.provider;
        return LeaseTerms(provider, operatorOf[provider], n.status, n.engaged, n.milliTu, n.lastCheckIn, n.downSince);
    }

    function _stale(Node storage n) private view returns (bool) {
        return block.timestamp > uint256(n.lastCheckIn) + checkInPeriod;
    }

    /// @dev The end (exclusive) of the page `[offset, offset + limit)` of `total` items, without
    /// overflowing on a huge `limit`; `offset` itself (an empty page) when `offset` is past the end.
    function _pageEnd(uint256 offset, uint256 limit, uint256 total) private pure returns (uint256) {
        if (offset > total) return offset;
        return limit > total - offset ? total : offset + limit;
    }

    function _info(uint256 nodeId) private view returns (NodeInfo memory) {
        Node storage n = _nodes[nodeId];
        return
            NodeInfo({
                id: nodeId,
                provider: n.provider,
                status: n.status,
                engaged: n.engaged,
                verified: n.verified,
                lastCheckIn: n.lastCheckIn,
                milliTu: n.milliTu,
                gpuCount: n.gpuCount,
                model: n.model,
                paymentToken: n.paymentToken,
                pricePerTuHour: n.pricePerTuHour,
                stake: n.stake,
                requiredStake: n.requiredStake,
                unbondingEnds: n.unbondingEnds,
                downSince: n.downSince,
                uri: n.uri
            });
    }
}
