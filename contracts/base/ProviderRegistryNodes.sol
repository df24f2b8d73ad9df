// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {ProviderRegistrySettings} from "./ProviderRegistrySettings.sol";

/// @title ProviderRegistryNodes
/// @notice The registry's nodes as stored, and every view of them: one node, lease terms for the
/// escrow, staleness, and the paged lists a dApp or keeper reads. {ProviderRegistry} changes them.
abstract contract ProviderRegistryNodes is ProviderRegistrySettings {
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
    uint256 public nodeCount;

    mapping(uint256 nodeId => Node) internal _nodes;
    mapping(address provider => uint256[] nodeIds) internal _nodesOf;

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

    function _terms(Node storage n) internal view returns (LeaseTerms memory) {
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

    function _stale(Node storage n) internal view returns (bool) {
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
