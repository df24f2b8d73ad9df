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

    /// @dev The first slot holds everything `heartbeat` reads and writes, so a heartbeat is one
    /// SSTORE: 20 + 1 + 1 + 1 + 5 + 4 = 32 bytes.
    struct Node {
        address provider;
        Status status;
        bool engaged;
        bool verified;
        uint40 lastHeartbeat;
        uint32 milliTu;
        address paymentToken;
        uint96 stake;
        uint128 pricePerTuHour;
        uint40 unbondingEnds;
        uint16 gpuCount;
        uint40 downSince;
        bytes32 model;
        string uri;
    }

    /// @dev The statuses of a node that is up: it must keep sending heartbeats.
    uint256 internal constant _LIVE =
        (1 << uint8(Status.Idle)) | (1 << uint8(Status.Sharing)) | (1 << uint8(Status.Reserved));

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
    /// @param heartbeatTimeout_ See `heartbeatTimeout`.
    /// @param unbondingPeriod_ See `unbondingPeriod`.
    /// @param slashBps_ See `slashBps`.
    constructor(
        uint48 adminDelay,
        address admin,
        IERC20 gut_,
        uint256 minStakePerTu_,
        uint256 heartbeatTimeout_,
        uint256 unbondingPeriod_,
        uint256 slashBps_
    ) ProviderRegistrySettings(adminDelay, admin, minStakePerTu_, heartbeatTimeout_, unbondingPeriod_, slashBps_) {
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
        n.lastHeartbeat = uint40(block.timestamp);
        n.milliTu = milliTu;
        n.paymentToken = paymentToken;
        n.stake = SafeCast.toUint96(stake);
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
        uint256 before = gut.balanceOf(address(this));
        gut.safeTransferFrom(msg.sender, address(this), stake);
        uint256 received = gut.balanceOf(address(this)) - before;
        if (received != stake) revert StakeNotReceived(stake, received);
    }

    /// @inheritdoc IProviderRegistry
    function update(uint256 nodeId, uint256 pricePerTuHour, string calldata uri) external {
        Node storage n = _provided(nodeId, 1 << uint8(Status.Idle));
        _checkTerms(pricePerTuHour, uri);
        n.pricePerTuHour = uint128(pricePerTuHour);
        n.uri = uri;
        emit NodeUpdated(nodeId, pricePerTuHour, uri);
    }

    /// @inheritdoc IProviderRegistry
    function heartbeat(uint256 nodeId) external {
        Node storage n = _operated(nodeId, _LIVE | (1 << uint8(Status.Disconnect)));
        if (!_beat(nodeId, n, heartbeatTimeout)) revert NodeEngaged(nodeId);
    }

    /// @inheritdoc IProviderRegistry
    function heartbeatBatch(uint256[] calldata nodeIds) external {
        uint256 timeout = heartbeatTimeout;
        address provider;
        for (uint256 i; i < nodeIds.length; ++i) {
            uint256 nodeId = nodeIds[i];
            Node storage n = _nodes[nodeId];
            _checkStatus(nodeId, n.status, _LIVE | (1 << uint8(Status.Disconnect)));
            // The caller is checked once per provider: a batch is normally one provider's nodes.
            if (n.provider != provider) {
                provider = n.provider;
                if (msg.sender != provider && msg.sender != operatorOf[provider])
                    revert NotProvider(nodeId, msg.sender);
            }
            if (!_beat(nodeId, n, timeout)) emit HeartbeatSkipped(nodeId);
        }
    }

    /// @inheritdoc IProviderRegistry
    function setOperator(address operator) external {
        operatorOf[msg.sender] = operator;
        emit OperatorSet(msg.sender, operator);
    }

    /// @inheritdoc IProviderRegistry
    function reconnect(uint256 nodeId) external {
        _reconnect(nodeId, _provided(nodeId, 1 << uint8(Status.Disconnect)));
    }

    /// @inheritdoc IProviderRegistry
    function goOffline(uint256 nodeId) external {
        Node storage n = _operated(nodeId, (1 << uint8(Status.Idle)) | (1 << uint8(Status.Reserved)));
        _markDown(nodeId, n, n.status);
    }

    /// @inheritdoc IProviderRegistry
    function markDisconnected(uint256 nodeId) external {
        Node storage n = _nodes[nodeId];
        Status from = _checkStatus(nodeId, n.status, _LIVE);
        if (!_stale(n)) revert HeartbeatNotStale(nodeId, uint256(n.lastHeartbeat) + heartbeatTimeout);
        _markDown(nodeId, n, from);
    }

    /// @inheritdoc IProviderRegistry
    function sync(uint256 nodeId) external returns (LeaseTerms memory) {
        Node storage n = _nodes[nodeId];
        _syncStatus(nodeId, n);
        return _terms(n);
    }

    /// @inheritdoc IProviderRegistry
    function syncHeartbeat(uint256 nodeId) external returns (uint40) {
        Node storage n = _nodes[nodeId];
        _syncStatus(nodeId, n);
        return n.lastHeartbeat;
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
    function withdrawStake(uint256 nodeId) external {
        Node storage n = _provided(nodeId, 1 << uint8(Status.None));
        uint96 stake = n.stake;
        if (stake == 0) revert NothingToWithdraw(nodeId);
        if (block.timestamp < n.unbondingEnds) revert StillUnbonding(nodeId, n.unbondingEnds);
        n.stake = 0;
        totalUnbonding -= stake;
        emit StakeWithdrawn(nodeId, msg.sender, stake);
        gut.safeTransfer(msg.sender, stake);
    }

    // ---------------------------------------------------------------- auditor

    /// @inheritdoc IProviderRegistry
    function setVerified(uint256 nodeId, bool verified) external onlyRole(AUDITOR_ROLE) {
        Node storage n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, _LIVE | (1 << uint8(Status.Disconnect)));
        n.verified = verified;
        emit NodeVerified(nodeId, msg.sender, verified);
    }

    // ---------------------------------------------------------------- escrow

    /// @inheritdoc IProviderRegistry
    function holdForReservation(uint256 nodeId) external onlyRole(ESCROW_ROLE) {
        Node storage n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, 1 << uint8(Status.Idle));
        n.status = Status.Reserved;
        n.engaged = true;
        emit StatusChanged(nodeId, Status.Idle, Status.Reserved);
    }

    /// @inheritdoc IProviderRegistry
    function startLease(uint256 nodeId) external onlyRole(ESCROW_ROLE) {
        Node storage n = _nodes[nodeId];
        Status from = _checkStatus(nodeId, n.status, (1 << uint8(Status.Idle)) | (1 << uint8(Status.Reserved)));
        n.status = Status.Sharing;
        n.engaged = true;
        emit StatusChanged(nodeId, from, Status.Sharing);
    }

    /// @inheritdoc IProviderRegistry
    function release(uint256 nodeId) external onlyRole(ESCROW_ROLE) {
        Node storage n = _nodes[nodeId];
        if (!n.engaged) revert NotEngaged(nodeId);
        Status from = n.status;
        n.engaged = false;
        if (from == Status.Disconnect) return;
        n.status = Status.Idle;
        emit StatusChanged(nodeId, from, Status.Idle);
    }

    /// @inheritdoc IProviderRegistry
    function slash(
        uint256 nodeId,
        address recipient,
        uint256 maxAmount
    ) external onlyRole(ESCROW_ROLE) returns (uint256 amount) {
        if (recipient == address(0)) revert ZeroAddress("recipient");
        Node storage n = _nodes[nodeId];
        // Engaged means the escrow holds a lease or reservation on the node, which also means it
        // cannot have been deregistered: the stake is still active.
        if (!n.engaged) revert NotEngaged(nodeId);
        amount = Math.min((uint256(n.stake) * slashBps) / _BPS, maxAmount);
        if (amount == 0) return 0;
        n.stake -= uint96(amount);
        totalStaked -= uint128(amount);
        emit Slashed(nodeId, recipient, amount);
        gut.safeTransfer(recipient, amount);
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
        return (_LIVE & (1 << uint8(n.status))) != 0 && _stale(n);
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
        if (n.provider != msg.sender) revert NotProvider(nodeId, msg.sender);
    }

    /// @dev Marks a live node whose heartbeat is stale Disconnect.
    function _syncStatus(uint256 nodeId, Node storage n) private {
        Status status = n.status;
        if ((_LIVE & (1 << uint8(status))) != 0 && _stale(n)) _markDown(nodeId, n, status);
    }

    /// @dev Live → Disconnect. `downSince` is when the node stopped holding its engagements: now,
    /// or the moment it went stale if that was earlier, so an outage is dated by the timestamps
    /// and not by whoever noticed it first.
    function _markDown(uint256 nodeId, Node storage n, Status from) private {
        uint256 staleAt = uint256(n.lastHeartbeat) + heartbeatTimeout;
        n.status = Status.Disconnect;
        n.downSince = uint40(Math.min(staleAt, block.timestamp));
        emit StatusChanged(nodeId, from, Status.Disconnect);
    }

    /// @dev One heartbeat, for `heartbeat` and `heartbeatBatch`. A node on time refreshes
    /// `lastHeartbeat` (one SSTORE). A late heartbeat must not erase the outage before it: the
    /// node goes Disconnect as of the moment it went stale, and a lease or reservation on it stays
    /// frozen there until the escrow closes it. A node the escrow does not hold reconnects. Returns
    /// false for a node that stays Disconnect because the escrow holds it.
    function _beat(uint256 nodeId, Node storage n, uint256 timeout) private returns (bool) {
        Status from = n.status;
        if (from != Status.Disconnect) {
            uint256 lastHeartbeat = n.lastHeartbeat;
            if (!(block.timestamp > lastHeartbeat + timeout)) {
                n.lastHeartbeat = uint40(block.timestamp);
                return true;
            }
            _markDown(nodeId, n, from);
        }
        if (n.engaged) return from != Status.Disconnect;
        _reconnect(nodeId, n);
        return true;
    }

    /// @dev The node, after checking its status and that the caller is its provider or the
    /// provider's operator.
    function _operated(uint256 nodeId, uint256 allowed) private view returns (Node storage n) {
        n = _nodes[nodeId];
        _checkStatus(nodeId, n.status, allowed);
        address provider = n.provider;
        if (msg.sender != provider && msg.sender != operatorOf[provider]) revert NotProvider(nodeId, msg.sender);
    }

    function _reconnect(uint256 nodeId, Node storage n) private {
        if (n.engaged) revert NodeEngaged(nodeId);
        n.status = Status.Idle;
        n.lastHeartbeat = uint40(block.timestamp);
        emit StatusChanged(nodeId, Status.Disconnect, Status.Idle);
    }

    function _checkTerms(uint256 pricePerTuHour, string calldata uri) private pure {
        if (pricePerTuHour == 0 || pricePerTuHour > type(uint128).max) revert PriceOutOfRange(pricePerTuHour);
        if (bytes(uri).length > MAX_URI_LENGTH) revert UriTooLong(bytes(uri).length, MAX_URI_LENGTH);
    }

    function _terms(Node storage n) private view returns (LeaseTerms memory) {
        return
            LeaseTerms(
                n.provider,
                n.status,
                n.engaged,
                n.lastHeartbeat,
                n.milliTu,
                n.paymentToken,
                n.pricePerTuHour,
                n.downSince
            );
    }

    function _stale(Node storage n) private view returns (bool) {
        return block.timestamp > uint256(n.lastHeartbeat) + heartbeatTimeout;
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
                lastHeartbeat: n.lastHeartbeat,
                milliTu: n.milliTu,
                gpuCount: n.gpuCount,
                model: n.model,
                paymentToken: n.paymentToken,
                pricePerTuHour: n.pricePerTuHour,
                stake: n.stake,
                unbondingEnds: n.unbondingEnds,
                downSince: n.downSince,
                uri: n.uri
            });
    }
}
