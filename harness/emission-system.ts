import type { Signer } from "ethers";

import {
  BuybackEmission__factory,
  GUT__factory,
  TFT__factory,
  type BuybackEmission,
  type GUT,
  type TFT,
} from "../types/index.js";
import { TFT_UNIT } from "../src/emission/model.js";
import { addLiquidity, deployUniswapV2, type UniswapV2 } from "./uniswap.js";

export interface EmissionSystemOptions {
  /** The TFT circulating allocation (650M by default); the reserve is the rest of 1B. */
  circulating?: bigint;
  /** The epoch length in seconds (1 day by default). */
  epochLength?: bigint;
  /** Where the operations part of releases goes (the deployer by default). */
  treasury?: string;
  /** GUT and TFT seeded into the GUT/TFT pool (1,000,000 of each by default; zero for no pool). */
  poolGut?: bigint;
  poolTft?: bigint;
}

export interface EmissionSystem {
  gut: GUT;
  tft: TFT;
  uni: UniswapV2;
  emission: BuybackEmission;
  /** The GUT/TFT pair, if seeded. */
  gutTftPair?: string;
}

/**
 * Deploys GUT, TFT, Uniswap V2 (from the npm artifacts) and the emission contract on a local
 * chain, funds the reserve from the deployer (TFT's reserve holder) and seeds a GUT/TFT pool from
 * the deployer's premine and circulating TFT. The deployer is the admin, with no delay.
 */
export async function deployEmissionSystem(
  deployer: Signer,
  opts: EmissionSystemOptions = {},
): Promise<EmissionSystem> {
  const me = await deployer.getAddress();
  const gut = await new GUT__factory(deployer).deploy(0n, me, me);
  const tft = await new TFT__factory(deployer).deploy(me, opts.circulating ?? 650_000_000n * TFT_UNIT, me);
  const uni = await deployUniswapV2(deployer);
  const emission = await new BuybackEmission__factory(deployer).deploy(
    0n,
    me,
    await tft.getAddress(),
    await uni.router.getAddress(),
    opts.treasury ?? me,
    opts.epochLength ?? 86_400n,
  );
  await (await tft.approve(await emission.getAddress(), await tft.reserveAllocation())).wait();
  await (await emission.fundReserve()).wait();
  const system: EmissionSystem = { gut, tft, uni, emission };
  const [poolGut, poolTft] = [opts.poolGut ?? 1_000_000n * TFT_UNIT, opts.poolTft ?? 1_000_000n * TFT_UNIT];
  if (poolGut > 0n && poolTft > 0n) system.gutTftPair = await addLiquidity(uni, deployer, gut, poolGut, tft, poolTft);
  return system;
}
