// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Provider registry
/// @notice GPU nodes rated in Turing Units (1 TU = 24 h of a GTX 1080 Ti), staked in GUT, moving
/// through Idle / Sharing / Reserved / Disconnect. See DESIGN.md (ProviderRegistry) for the
/// transition table.
/// @dev The escrow-facing part below is the contract between the registry and the lease escrow.
/// A node the escrow has taken (a lease or a reservation) stays "engaged" until the escrow
/// releases it. While engaged, a Disconnect node cannot reconnect or deregister, so its
/// `lastHeartbeat` stays frozen at the moment the provider stopped sending heartbeats, and the
/// escrow can settle the lease up to it at any later time.
interface IProviderRegistry {
    /// @notice A node's status. `None` means the node does not exist (never registered, or
    /// deregistered).
    enum Status {
        None,
        Idle,
        Sharing,
        Reserved,
        Disconnect
    }

    /// @notice What the escrow needs to price and settle a lease on a node.
    /// @param provider The node's owner, who earns from its leases.
    /// @param status The node's current status.
    /// @param engaged Whether the escrow holds a lease or a reservation on the node.
    /// @param lastHeartbeat The timestamp of the node's last heartbeat.
    /// @param milliTu The node's rating: the model's milli-TU times the GPU count.
    /// @param paymentToken The token the provider prices in.
    /// @param pricePerTuHour The price of one TU for one hour, in `paymentToken` units.
    struct LeaseTerms {
        address provider;
        Status status;
        bool engaged;
        uint40 lastHeartbeat;
        uint32 milliTu;
        address paymentToken;
        uint256 pricePerTuHour;
    }

    /// @notice The role of the lease escrow, the only caller of the escrow-facing functions.
    function ESCROW_ROLE() external view returns (bytes32);

    /// @notice The terms of a node, for pricing and settling leases.
    /// @param nodeId The node.
    function leaseTerms(uint256 nodeId) external view returns (LeaseTerms memory);

    /// @notice Idle → Reserved for a customer's future window. Marks the node engaged.
    /// @dev Only `ESCROW_ROLE`. Reverts with `InvalidStatus(nodeId, current)` unless Idle.
    function startReservation(uint256 nodeId) external;

    /// @notice Idle → Sharing, or Reserved → Sharing, when a lease opens. Marks the node engaged.
    /// @dev Only `ESCROW_ROLE`. Reverts with `InvalidStatus(nodeId, current)` from any other
    /// status. The escrow checks that a Reserved node is opened by its reserving customer.
    function startLease(uint256 nodeId) external;

    /// @notice Ends the escrow's hold on a node: Sharing → Idle (lease closed) or Reserved → Idle
    /// (reservation cancelled, expired or started elsewhere). A node that went Disconnect in the
    /// meantime stays Disconnect. Either way the node is no longer engaged.
    /// @dev Only `ESCROW_ROLE`. Reverts with `NotEngaged(nodeId)` if the node is not engaged.
    function release(uint256 nodeId) external;

    /// @notice Pays `slashBps` of the node's stake to `recipient`, for a node that dropped into
    /// Disconnect during a lease. Works on a stake that is unbonding too.
    /// @dev Only `ESCROW_ROLE`. Returns the amount paid.
    /// @param nodeId The node whose stake is slashed.
    /// @param recipient Who receives the slash (the customer of the failed lease).
    function slash(uint256 nodeId, address recipient) external returns (uint256 amount);
}
