import { SystemLocalModule } from "./System.js";

/**
 * `System` for local networks (the in-process network, `hardhat node`): the same module id and
 * parameters, with Uniswap V2 (module `UniswapV2`) deployed alongside as the emission's router.
 */
export default SystemLocalModule;
