// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/// @notice A stand-in for the escrow-facing part of the provider registry, whose nodes a test sets
/// directly: for escrow paths the real registry cannot reach (node ids past 64 bits, terms that
/// change under an open lease). It keeps the real registry's escrow-facing transitions and errors.
contract MockRegistry {
    error InvalidStatus(uint256 nodeId, IProviderRegistry.Status current);
    error NotEngaged(uint256 nodeId);
    error NotEscrow(address caller);

    bytes32 public constant ESCROW_ROLE = keccak256("ESCROW_ROLE");

    address public escrow;
    uint256 public slashAmount;
    uint256 public slashCount;
    address public lastSlashRecipient;

    mapping(uint256 nodeId => IProviderRegistry.LeaseTerms) internal _nodes;

    function setEscrow(address escrow_) external {
        escrow = escrow_;
    }

    function setSlashAmount(uint256 amount) external {
        slashAmount = amount;
    }

    function setNode(
        uint256 nodeId,
        address provider,
        IProviderRegistry.Status status,
        uint32 milliTu,
        address paymentToken,
        uint256 pricePerTuHour
    ) external {
        _nodes[nodeId] = IProviderRegistry.LeaseTerms({
            provider: provider,
            status: status,
            engaged: false,
            lastHeartbeat: uint40(block.timestamp),
            milliTu: milliTu,
            paymentToken: paymentToken,
            pricePerTuHour: pricePerTuHour,
            downSince: 0
        });
    }

    function setStatus(uint256 nodeId, IProviderRegistry.Status status) external {
        _nodes[nodeId].status = status;
        if (status == IProviderRegistry.Status.Disconnect) _nodes[nodeId].downSince = uint40(block.timestamp);
    }

    function heartbeat(uint256 nodeId) external {
        _nodes[nodeId].lastHeartbeat = uint40(block.timestamp);
    }

    function leaseTerms(uint256 nodeId) external view returns (IProviderRegistry.LeaseTerms memory) {
        return _nodes[nodeId];
    }

    /// @dev The mock's providers name no operator.
    function operatorOf(address) external pure returns (address) {
        return address(0);
    }

    function syncHeartbeat(uint256 nodeId) external view returns (uint40) {
        return _nodes[nodeId].lastHeartbeat;
    }

    /// @dev The mock's nodes never go stale on their own: a test sets their status.
    function sync(uint256 nodeId) external view returns (IProviderRegistry.LeaseTerms memory) {
        return _nodes[nodeId];
    }

    function holdForReservation(uint256 nodeId) external {
        IProviderRegistry.LeaseTerms storage n = _escrowed(nodeId);
        if (n.status != IProviderRegistry.Status.Idle) revert InvalidStatus(nodeId, n.status);
        (n.status, n.engaged) = (IProviderRegistry.Status.Reserved, true);
    }

    function startLease(uint256 nodeId) external {
        IProviderRegistry.LeaseTerms storage n = _escrowed(nodeId);
        if (n.status != IProviderRegistry.Status.Idle && n.status != IProviderRegistry.Status.Reserved)
            revert InvalidStatus(nodeId, n.status);
        (n.status, n.engaged) = (IProviderRegistry.Status.Sharing, true);
    }

    function release(uint256 nodeId) external {
        IProviderRegistry.LeaseTerms storage n = _escrowed(nodeId);
        if (!n.engaged) revert NotEngaged(nodeId);
        n.engaged = false;
        if (n.status != IProviderRegistry.Status.Disconnect) n.status = IProviderRegistry.Status.Idle;
    }

    function slash(uint256, address recipient, uint256 maxAmount) external returns (uint256) {
        if (msg.sender != escrow) revert NotEscrow(msg.sender);
        ++slashCount;
        lastSlashRecipient = recipient;
        return slashAmount < maxAmount ? slashAmount : maxAmount;
    }

    function _escrowed(uint256 nodeId) internal view returns (IProviderRegistry.LeaseTerms storage) {
        if (msg.sender != escrow) revert NotEscrow(msg.sender);
        return _nodes[nodeId];
    }
}
