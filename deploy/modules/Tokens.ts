import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GUTModule from "./GUT.js";
import TFTModule from "./TFT.js";

/** Both tokens, the part of the market that every other contract builds on. */
export default buildModule("Tokens", (m) => {
  const { gut } = m.useModule(GUTModule);
  const { tft } = m.useModule(TFTModule);
  return { gut, tft };
});
