import type { Signer } from "ethers";

import { applyBuyback, initialState, type SupplyState } from "../src/emission/model.js";
import { deployEmissionSystem } from "./emission-system.js";

export interface CrossCheckResult {
  buybacks: number;
  /** The model's state after the last buyback, equal to the contract's. */
  state: SupplyState;
}

/** A clock the cross-check can move (the network helpers' `time` on a local chain). */
export interface Clock {
  increase(seconds: number): Promise<unknown>;
}

/**
 * Runs `amounts` as TFT-fee buybacks on a freshly deployed emission contract and compares, after
 * each one, the contract's supply, reserve, burned, released, distributed and the miners' and
 * operations' parts with the TypeScript model. The deployer is the payer, the provider and the
 * treasury: each amount is one TFT fee, burned as one bucket once its epoch has ended, whose
 * rewards the deployer claims at once, so TFT keeps circulating through all the phases. A
 * buyback larger than what the payer holds is cut to its balance, and the model gets the same
 * amount. Throws at the first difference.
 */
export async function crossCheckContract(
  deployer: Signer,
  clock: Clock,
  amounts: bigint[],
  opts: { stopAtFloor?: boolean } = {},
): Promise<CrossCheckResult> {
  const me = await deployer.getAddress();
  const { tft, emission } = await deployEmissionSystem(deployer, { poolGut: 0n });
  await (await emission.grantRole(await emission.KEEPER_ROLE(), me)).wait();
  await (await emission.grantRole(await emission.ESCROW_ROLE(), me)).wait();
  const [tftAddr, emissionAddr] = [await tft.getAddress(), await emission.getAddress()];
  const epochLength = Number(await emission.epochLength());
  const share = await emission.minerShareBps();
  let model = initialState(await tft.totalSupply(), await emission.reserveLeft());
  let claimed = 0n;
  let toOperations = 0n;
  let done = 0;
  for (const wanted of amounts) {
    // The fee goes into this epoch's TFT bucket, which is burned once the epoch has ended; the
    // payer, its only provider, then claims the bucket's rewards at once.
    const held = await tft.balanceOf(me);
    const amount = wanted < held ? wanted : held;
    if (amount === 0n) break;
    const epoch = await emission.currentEpoch();
    await (await tft.transfer(emissionAddr, amount)).wait();
    await (await emission.recordFee(me, tftAddr, amount)).wait();
    await clock.increase(epochLength);
    const beforeBuyback = await tft.balanceOf(me);
    await (await emission.buyback(tftAddr, epoch, amount, 0n, 2n ** 48n)).wait();
    toOperations += (await tft.balanceOf(me)) - beforeBuyback;
    const bucket = [{ epoch, token: tftAddr }];
    if ((await emission.claimable(me, bucket)) > 0n) {
      const before = await tft.balanceOf(me);
      await (await emission.claim(bucket)).wait();
      claimed += (await tft.balanceOf(me)) - before;
    }
    model = applyBuyback(model, amount, share);
    done++;
    const onChain = {
      supply: await tft.totalSupply(),
      reserve: await emission.reserveLeft(),
      burned: await emission.totalBurned(),
      released: await emission.totalReleased(),
      distributed: await emission.totalDistributed(),
      boughtBack: await emission.totalBoughtBack(),
      toMiners: (await emission.minerRewardsUnclaimed()) + claimed,
      toOperations,
    };
    for (const [key, value] of Object.entries(onChain)) {
      const expected = model[key as keyof SupplyState];
      if (value !== expected) {
        throw new Error(`buyback ${done} of ${amount}: contract ${key} ${value} != model ${expected}`);
      }
    }
    if (opts.stopAtFloor && model.supply === 100_000_000n * 10n ** 18n) break;
  }
  return { buybacks: done, state: model };
}
