// Runs the scale suite without the bench task's compile step (for developing it):
//   GPUFOG_SCALE_SIZES=40:200 npx hardhat run --no-compile bench/scale/dev.ts
import hre from "hardhat";

import scale from "../scale.js";

await scale(hre, {});
