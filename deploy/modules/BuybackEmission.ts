import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  ContractFuture,
  IgnitionModuleBuilder,
  ModuleParameterRuntimeValue,
} from "@nomicfoundation/ignition-core";

import TFTModule from "./TFT.js";
import UniswapV2Module from "./UniswapV2.js";

const TWO_DAYS = 2n * 24n * 3600n;

type RouterOf = (m: IgnitionModuleBuilder) => ModuleParameterRuntimeValue<string> | ContractFuture<string>;

/**
 * The emission contract over TFT. The reserve is funded by the `System` module (TFT's reserve
 * holder calls `fundReserve`). Both variants below have the id `BuybackEmission`, so one
 * parameter file serves both; a deployment only ever holds one of them.
 */
function buybackEmissionModule(routerOf: RouterOf) {
  return buildModule("BuybackEmission", (m) => {
    const { tft } = m.useModule(TFTModule);
    const emission = m.contract("BuybackEmission", [
      m.getParameter("adminDelay", TWO_DAYS),
      m.getParameter("admin", m.getAccount(0)),
      tft,
      routerOf(m),
      m.getParameter("treasury", m.getAccount(0)),
      m.getParameter("epochLength", 86_400n),
    ]);
    return { emission, tft };
  });
}

/** For public networks: the existing Uniswap V2 Router02 is the `router` parameter. */
export default buybackEmissionModule((m) => m.getParameter<string>("router"));

/** For local networks: Uniswap V2 is deployed from the npm builds alongside (module `UniswapV2`). */
export const BuybackEmissionLocalModule = buybackEmissionModule((m) => m.useModule(UniswapV2Module).router);
