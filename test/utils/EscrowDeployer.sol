// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILeaseEscrow} from "../../contracts/interfaces/ILeaseEscrow.sol";
import {IProviderRegistry} from "../../contracts/interfaces/IProviderRegistry.sol";

interface ICodeCheat {
    function getCode(string calldata artifact) external view returns (bytes memory);
}

/// @dev Deploys the escrow from the project's own artifact, the bytecode hardhat.config.ts builds
/// for production (IR pipeline, optimizer runs 200). A test that imported LeaseEscrow.sol would
/// compile it again with the tests' legacy pipeline, which cannot fit its stack, and would test
/// other bytecode than the one deployed.
library EscrowDeployer {
    ICodeCheat private constant _VM = ICodeCheat(address(uint160(uint256(keccak256("hevm cheat code")))));

    error DeploymentFailed();

    struct Args {
        address admin;
        IProviderRegistry registry;
        address feeCollector;
        address gut;
        uint16 gutFeeBps;
        uint16 reservationFeeBps;
        uint40 reservationGrace;
        ILeaseEscrow.SessionTerms session;
    }

    function deploy(Args memory a) internal returns (ILeaseEscrow escrow) {
        bytes memory code = bytes.concat(
            _VM.getCode("LeaseEscrow.sol:LeaseEscrow"),
            abi.encode(
                uint48(0),
                a.admin,
                a.registry,
                a.feeCollector,
                a.gut,
                a.gutFeeBps,
                a.reservationFeeBps,
                a.reservationGrace,
                a.session
            )
        );
        address deployed;
        // solhint-disable-next-line no-inline-assembly
        assembly {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        if (deployed == address(0)) revert DeploymentFailed();
        return ILeaseEscrow(deployed);
    }
}
