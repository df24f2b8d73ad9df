// Seeds the GUT/TFT pool of a deployment from the treasury (the first account), as the
// operators would before the keeper's first buyback:
//
//   npx hardhat run scripts/localhost/seed-pool.ts --network localhost
import { network } from "hardhat";

import { loadDeployment } from "../../src/deployments-fs.js";
import { formatToken } from "../../src/format.js";
import { addLiquidity, connectUniswapV2 } from "../../harness/uniswap.js";

const { ethers } = await network.create();
const [treasury] = await ethers.getSigners();
const { gut, tft, book } = await loadDeployment(treasury!);
const amount = 100_000n * 10n ** 18n;
const pair = await addLiquidity(
  await connectUniswapV2(book.uniswap.router, treasury!),
  treasury!,
  gut,
  amount,
  tft,
  amount,
);
console.log(`GUT/TFT pool ${pair} seeded with ${formatToken(amount, "GUT")} and ${formatToken(amount, "TFT")}`);
