import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { TFT_UNIT } from "../../src/emission/model.js";
import { deployEmissionSystem } from "../../harness/emission-system.js";
import { minTftOut } from "../../src/uniswap.js";
import type { GasRow } from "../gas.js";
import { connect, gasOf, type BenchChain } from "../lib.js";

/**
 * Fees booked into buckets, buybacks of an ended bucket (a GUT swap on a real Uniswap V2 pool, and
 * a TFT fee burned with no swap) and claims of buckets.
 */
export default async function emission(hre: HardhatRuntimeEnvironment, chain: BenchChain = "l1"): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await connect(hre, chain);
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
  const pay = async (token: typeof gut | typeof tft, amount: bigint, who = provider.address) => {
    await token.transfer(emissionAddr, amount);
    await emission.recordFee(who, await token.getAddress(), amount);
  };

  // Eleven TFT buckets of one provider, each burned once its epoch has ended, so that claims of
  // 1 and 10 buckets pay.
  const buckets: { epoch: bigint; token: string }[] = [];
  for (let i = 0; i < 11; i++) {
    const epoch = await emission.currentEpoch();
    await pay(tft, 100n * TFT_UNIT);
    await time.increase(day);
    await emission.buyback(tftAddr, epoch, 100n * TFT_UNIT, 0n, await deadline());
    buckets.push({ epoch, token: tftAddr });
  }

  // A fee into a new bucket (the provider's first fee of the epoch and token), then another
  // provider's fee into the same bucket.
  const epoch = await emission.currentEpoch();
  await gut.transfer(emissionAddr, 1_000n * TFT_UNIT);
  const recordNew = await gasOf(emission.recordFee(provider.address, gutAddr, 1_000n * TFT_UNIT));
  await gut.transfer(emissionAddr, 1_000n * TFT_UNIT);
  const recordSame = await gasOf(emission.recordFee(admin.address, gutAddr, 1_000n * TFT_UNIT));
  await pay(tft, 100n * TFT_UNIT);
  await time.increase(day);
  const observeGas = await gasOf(emission.observe(gutAddr));
  await time.increase(1800);
  const quote = await emission.twapQuote(gutAddr, 1_000n * TFT_UNIT);
  const swapGas = await gasOf(
    emission.buyback(gutAddr, epoch, 1_000n * TFT_UNIT, minTftOut(quote, 150n), await deadline()),
  );
  const burnGas = await gasOf(emission.buyback(tftAddr, epoch, 100n * TFT_UNIT, 0n, await deadline()));
  const claimOne = await gasOf(emission.connect(provider).claim([buckets[0]!]));
  const claimTen = await gasOf(emission.connect(provider).claim(buckets.slice(1, 11)));
  return [
    { contract: "BuybackEmission", call: "recordFee (new bucket)", gas: recordNew, was: "recordFee" },
    { contract: "BuybackEmission", call: "recordFee (same bucket, another provider)", gas: recordSame },
    { contract: "BuybackEmission", call: "observe (1 pair)", gas: observeGas },
    { contract: "BuybackEmission", call: "buyback (GUT swap, phase 1)", gas: swapGas },
    { contract: "BuybackEmission", call: "buyback (TFT fee, burn)", gas: burnGas },
    { contract: "BuybackEmission", call: "claim (1 bucket)", gas: claimOne, was: "claim (1 epoch)" },
    { contract: "BuybackEmission", call: "claim (10 buckets)", gas: claimTen, was: "claim (10 epochs)" },
  ];
}
