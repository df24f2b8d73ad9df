// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "../../utils/Vm.sol";

/// @dev Deploys Uniswap's own V2 contracts inside a Solidity test, from the creation bytecode in
/// the npm artifacts (the `build/` folders of the v2-core and v2-periphery packages), read at run time
/// with `vm.readFile` (allowed by `test.solidity.fsPermissions` in hardhat.config.ts). Hardhat's
/// `vm.getCode` only resolves the project's own artifacts, so it cannot load them.
library UniswapV2Deployer {
    Vm internal constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error DeploymentFailed(string artifact);

    struct Uniswap {
        address weth;
        address factory;
        address router;
    }

    function deploy(address feeToSetter) internal returns (Uniswap memory u) {
        u.weth = _create("node_modules/@uniswap/v2-periphery/build/WETH9.json", "");
        u.factory = _create("node_modules/@uniswap/v2-core/build/UniswapV2Factory.json", abi.encode(feeToSetter));
        u.router = _create(
            "node_modules/@uniswap/v2-periphery/build/UniswapV2Router02.json",
            abi.encode(u.factory, u.weth)
        );
    }

    function _create(string memory artifact, bytes memory args) private returns (address deployed) {
        bytes memory code = bytes.concat(VM.parseJsonBytes(VM.readFile(artifact), ".bytecode"), args);
        // solhint-disable-next-line no-inline-assembly
        assembly {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        if (deployed == address(0)) revert DeploymentFailed(artifact);
    }
}
