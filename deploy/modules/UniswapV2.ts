import { createRequire } from "node:module";

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Artifact } from "@nomicfoundation/ignition-core";

const require = createRequire(import.meta.url);

/** One of Uniswap's published build files (ABI and bytecode only) as the artifact Ignition takes. */
function uniswapArtifact(contractName: string, file: string): Artifact {
  const json = require(file) as { abi: Artifact["abi"]; bytecode: string };
  const bytecode = json.bytecode.startsWith("0x") ? json.bytecode : `0x${json.bytecode}`;
  return {
    _format: "hh-sol-artifact-1",
    contractName,
    sourceName: file,
    abi: json.abi,
    bytecode,
    deployedBytecode: "0x",
    linkReferences: {},
    deployedLinkReferences: {},
  };
}

/**
 * Uniswap V2 (WETH9, the factory and Router02) from the npm builds, for local networks only. On a
 * public network the emission contract takes the existing Router02 as the `router` parameter of
 * the `System` module.
 */
export default buildModule("UniswapV2", (m) => {
  const weth = m.contract("WETH9", uniswapArtifact("WETH9", "@uniswap/v2-periphery/build/WETH9.json"));
  const factory = m.contract(
    "UniswapV2Factory",
    uniswapArtifact("UniswapV2Factory", "@uniswap/v2-core/build/UniswapV2Factory.json"),
    [m.getParameter("feeToSetter", m.getAccount(0))],
  );
  const router = m.contract(
    "UniswapV2Router02",
    uniswapArtifact("UniswapV2Router02", "@uniswap/v2-periphery/build/UniswapV2Router02.json"),
    [factory, weth],
  );
  return { weth, factory, router };
});
