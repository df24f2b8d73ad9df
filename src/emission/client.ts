import { isAddress, parseUnits, type Signer } from "ethers";

import { BuybackEmission__factory } from "../../types/factories/BuybackEmission__factory.js";
import { ITFT__factory } from "../../types/factories/interfaces/ITFT__factory.js";
import type { BuybackEmission } from "../../types/BuybackEmission.js";
import { Phase, projectBuybackVolume } from "./model.js";
import { InputError } from "../errors.js";
import { minTftOut } from "../uniswap.js";

/** What `emission:stats` prints. */
export interface EmissionStats {
  phase: Phase;
  reserveLeft: bigint;
  totalBurned: bigint;
  totalReleased: bigint;
  totalDistributed: bigint;
  totalBoughtBack: bigint;
  totalSupply: bigint;
  floor: bigint;
  floorDistance: bigint;
  maxCirculatingSupply: bigint;
  pendingTftFees: bigint;
  minerRewardsUnclaimed: bigint;
  carriedOver: bigint;
  currentEpoch: bigint;
  pendingPool: { rewardEpoch: bigint; amount: bigint };
  /** TFT still to buy back to end phase one (zero once it has ended). */
  toPhaseOneEnd: bigint;
  /** TFT still to buy back to reach the floor. */
  toFloor: bigint;
}

/** Reads the emission's state and projects the buyback volume left to each milestone. */
export async function readEmissionStats(emission: BuybackEmission): Promise<EmissionStats> {
  const tft = ITFT__factory.connect(await emission.tft(), emission.runner);
  const [phase, reserveLeft, totalSupply] = [
    await emission.phase(),
    await emission.reserveLeft(),
    await tft.totalSupply(),
  ];
  const floor = 100_000_000n * 10n ** 18n;
  const [rewardEpoch, amount] = await emission.pendingPool();
  const projection = projectBuybackVolume(reserveLeft, totalSupply - floor);
  return {
    phase: Number(phase) as Phase,
    reserveLeft,
    totalBurned: await emission.totalBurned(),
    totalReleased: await emission.totalReleased(),
    totalDistributed: await emission.totalDistributed(),
    totalBoughtBack: await emission.totalBoughtBack(),
    totalSupply,
    floor,
    floorDistance: totalSupply - floor,
    maxCirculatingSupply: await emission.maxCirculatingSupply(),
    pendingTftFees: await emission.pendingTftFees(),
    minerRewardsUnclaimed: await emission.minerRewardsUnclaimed(),
    carriedOver: await emission.carriedOver(),
    currentEpoch: await emission.currentEpoch(),
    pendingPool: { rewardEpoch, amount },
    toPhaseOneEnd: projection.toPhaseOneEnd,
    toFloor: projection.toFloor,
  };
}

/** A buyback the keeper is about to send. */
export interface PreparedBuyback {
  token: string;
  amountIn: bigint;
  twapQuote: bigint;
  minTftOut: bigint;
  deadline: bigint;
}

/**
 * The arguments of a buyback: the amount (by default everything the contract holds of the token,
 * or the TFT fees waiting for TFT), the TWAP quote and `minTftOut = quote × (1 − (maxSlippageBps −
 * marginBps))`. The margin keeps the minimum above the contract's limit when the average drifts
 * between this read and the block that includes the transaction.
 */
export async function prepareBuyback(
  emission: BuybackEmission,
  token: string,
  opts: { amount?: bigint; marginBps?: bigint; deadlineSeconds?: bigint; now: bigint },
): Promise<PreparedBuyback> {
  const tftAddress = await emission.tft();
  const isTft = token.toLowerCase() === tftAddress.toLowerCase();
  const available = isTft
    ? await emission.pendingTftFees()
    : await ITFT__factory.connect(token, emission.runner).balanceOf(await emission.getAddress());
  const amountIn = opts.amount ?? available;
  if (amountIn === 0n) throw new InputError("emission:buyback", undefined, "amount", "nothing to buy back");
  if (amountIn > available) {
    throw new InputError(
      "emission:buyback",
      undefined,
      "amount",
      `${amountIn} is more than the ${available} available`,
    );
  }
  const maxSlippage = await emission.maxSlippageBps();
  const margin = opts.marginBps ?? 10n;
  if (margin < 0n || margin >= maxSlippage) {
    throw new InputError("emission:buyback", undefined, "margin-bps", `must be in [0, ${maxSlippage})`);
  }
  const twapQuote = isTft ? amountIn : await emission.twapQuote(token, amountIn);
  return {
    token,
    amountIn,
    twapQuote,
    minTftOut: isTft ? 0n : minTftOut(twapQuote, maxSlippage - margin),
    deadline: opts.now + (opts.deadlineSeconds ?? 600n),
  };
}

/** Epochs in `[from, to]` (clamped to the final ones) where `provider` has unclaimed points. */
export async function claimableEpochs(
  emission: BuybackEmission,
  provider: string,
  from: bigint,
  to?: bigint,
): Promise<{ epochs: bigint[]; amount: bigint }> {
  const current = await emission.currentEpoch();
  if (current < 2n) return { epochs: [], amount: 0n };
  const last = to === undefined || to > current - 2n ? current - 2n : to;
  const epochs: bigint[] = [];
  for (let e = from; e <= last; e++) if ((await emission.pointsOf(e, provider)) > 0n) epochs.push(e);
  return { epochs, amount: epochs.length === 0 ? 0n : await emission.claimable(provider, epochs) };
}

/** The emission contract at `address` for `signer`, after checking the address and its code. */
export async function connectEmission(task: string, address: string, signer: Signer): Promise<BuybackEmission> {
  if (!isAddress(address)) throw new InputError(task, undefined, "emission", `"${address}" is not an address`);
  if (signer.provider === null || (await signer.provider.getCode(address)) === "0x") {
    throw new InputError(task, undefined, "emission", `no contract at ${address} on this network`);
  }
  return BuybackEmission__factory.connect(address, signer);
}

/** What a buyback sent by {@link sendBuyback} did. */
export interface BuybackResult extends PreparedBuyback {
  tftOut: bigint;
  hash: string;
}

/**
 * The keeper's buyback: {@link prepareBuyback} (TWAP quote, `minTftOut`), then `buyback` from the
 * emission's runner, which must hold KEEPER_ROLE. Returns the TFT bought and the transaction.
 */
export async function sendBuyback(
  emission: BuybackEmission,
  token: string,
  opts: { amount?: bigint; marginBps?: bigint; deadlineSeconds?: bigint; now: bigint },
): Promise<BuybackResult> {
  const b = await prepareBuyback(emission, token, opts);
  const receipt = await (await emission.buyback(b.token, b.amountIn, b.minTftOut, b.deadline)).wait();
  if (receipt === null) throw new Error("the buyback was not mined");
  for (const log of receipt.logs) {
    const parsed = emission.interface.parseLog(log);
    if (parsed?.name === "BoughtBack") return { ...b, tftOut: parsed.args.tftOut as bigint, hash: receipt.hash };
  }
  throw new Error("the buyback emitted no BoughtBack event");
}

/**
 * Claims every final epoch from `from` on where the emission's runner (a provider) has points,
 * in one call. Returns the epochs and the TFT paid; an empty list (and no transaction) when
 * there is nothing to claim.
 */
export async function claimRewards(
  emission: BuybackEmission,
  from = 0n,
): Promise<{ epochs: bigint[]; amount: bigint; hash?: string }> {
  const runner = emission.runner as Signer | null;
  if (runner === null || typeof runner.getAddress !== "function") throw new Error("the emission needs a signer");
  const { epochs, amount } = await claimableEpochs(emission, await runner.getAddress(), from);
  if (amount === 0n) return { epochs: [], amount: 0n };
  const receipt = await (await emission.claim(epochs)).wait();
  return { epochs, amount, hash: receipt?.hash };
}
