import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { TFT_UNIT } from "../../src/emission/model.js";
import { deployEmissionSystem } from "../../harness/emission-system.js";
import { minTftOut } from "../../src/uniswap.js";
import type { GasRow } from "../gas.js";
import { gasOf } from "../lib.js";

/** Buyback (a GUT swap on a real Uniswap V2 pool, and a TFT fee burned with no swap) and claims. */
export default async function emission(hre: HardhatRuntimeEnvironment): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await hre.network.create();
  const { time } = networkHelpers;
  const [admin, provider] = await ethers.getSigners();
  const { gut, tft, emission } = await deployEmissionSystem(admin);
  await emission.grantRole(await emission.KEEPER_ROLE(), admin.address);
  await emission.grantRole(await emission.ESCROW_ROLE(), admin.address);
  const [gutAddr, tftAddr, emissionAddr] = [
    await gut.getAddress(),
    await tft.getAddress(),
    await emission.getAddress(),
  ];
  const day = Number(await emission.epochLength());
  const deadline = async () => BigInt(await time.latest()) + 600n;
  const pay = async (token: typeof gut | typeof tft, amount: bigint) => {
    await token.transfer(emissionAddr, amount);
    await emission.recordFee(provider.address, await token.getAddress(), amount, amount);
  };

  // Eleven epochs with points and a TFT-fee buyback each, so that claims of 1 and 10 epochs pay.
  const epochs: bigint[] = [];
  for (let i = 0; i < 12; i++) {
    await time.increase(day);
    if (i > 0) {
      await emission.buyback(tftAddr, 100n * TFT_UNIT, 0n, await deadline());
      epochs.push((await emission.currentEpoch()) - 1n);
    }
    await pay(tft, 100n * TFT_UNIT);
  }
  await time.increase(day);
  await time.increase(day);

  const recordGas = await gasOf(emission.recordFee(provider.address, gutAddr, 0n, 1n));
  await pay(gut, 1_000n * TFT_UNIT);
  const observeGas = await gasOf(emission.observe(gutAddr));
  await time.increase(1800);
  const quote = await emission.twapQuote(gutAddr, 1_000n * TFT_UNIT);
  const swapGas = await gasOf(emission.buyback(gutAddr, 1_000n * TFT_UNIT, minTftOut(quote, 150n), await deadline()));
  const burnGas = await gasOf(emission.buyback(tftAddr, 100n * TFT_UNIT, 0n, await deadline()));
  const claimOne = await gasOf(emission.connect(provider).claim([epochs[0]!]));
  const claimTen = await gasOf(emission.connect(provider).claim(epochs.slice(1, 11)));
  return [
    { contract: "BuybackEmission", call: "recordFee", gas: recordGas },
    { contract: "BuybackEmission", call: "observe (1 pair)", gas: observeGas },
    { contract: "BuybackEmission", call: "buyback (GUT swap, phase 1)", gas: swapGas },
    { contract: "BuybackEmission", call: "buyback (TFT fee, burn)", gas: burnGas },
    { contract: "BuybackEmission", call: "claim (1 epoch)", gas: claimOne },
    { contract: "BuybackEmission", call: "claim (10 epochs)", gas: claimTen },
  ];
}
