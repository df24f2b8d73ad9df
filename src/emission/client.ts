import { Contract, type ContractRunner, type Signer } from "ethers";

import { BuybackEmission__factory } from "../../types/factories/BuybackEmission__factory.js";
import { ITFT__factory } from "../../types/factories/interfaces/ITFT__factory.js";
import type { BuybackEmission } from "../../types/BuybackEmission.js";
import { Phase, projectBuybackVolume } from "./model.js";
import { contractAddress } from "../connect.js";
import { InputError } from "../errors.js";
import type { Source } from "../parse.js";
import { mined, receiptEvent } from "../receipts.js";
import { inRanges } from "../rpc/ranges.js";
import { minTftOut } from "../uniswap.js";

/** A bucket of fees: those of `token` forwarded in `epoch`. */
export interface BucketRef {
  epoch: bigint;
  token: string;
}

/** A bucket and what it holds: fees, the part sold, what it bought and its providers' rewards. */
export interface BucketReport extends BucketRef {
  fees: bigint;
  sold: bigint;
  /** Fees not sold yet (`fees − sold`): what a buyback of this bucket can still sell. */
  unsold: bigint;
  bought: bigint;
  rewards: bigint;
  /** Whether the bucket's epoch has ended, so that it can be sold. */
  ended: boolean;
}

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
  minerRewardsUnclaimed: bigint;
  currentEpoch: bigint;
  /** Every bucket with fees, oldest first. */
  buckets: BucketReport[];
  /** TFT still to buy back to end phase one (zero once it has ended). */
  toPhaseOneEnd: bigint;
  /** TFT still to buy back to reach the floor. */
  toFloor: bigint;
}

/** Where to start reading the emission's logs (its deployment block, say). */
export interface LogRange {
  fromBlock?: number;
}

const bucketKey = (b: BucketRef) => `${b.epoch}:${b.token.toLowerCase()}`;
const byEpochThenToken = (a: BucketRef, b: BucketRef) =>
  a.epoch < b.epoch ? -1 : a.epoch > b.epoch ? 1 : a.token.toLowerCase().localeCompare(b.token.toLowerCase());

/**
 * The buckets that have fees (of `provider` and of `token` when given), from the emission's
 * `FeeRecorded` logs, oldest first.
 */
export async function feeBuckets(
  emission: BuybackEmission,
  opts: LogRange & { provider?: string; token?: string } = {},
): Promise<BucketRef[]> {
  const filter = emission.filters.FeeRecorded(opts.provider, opts.token);
  const toBlock = await emission.runner!.provider!.getBlockNumber();
  const logs = await inRanges((from, to) => emission.queryFilter(filter, from, to), opts.fromBlock ?? 0, toBlock);
  const found = new Map<string, BucketRef>();
  for (const log of logs) {
    const ref = { epoch: log.args.epoch, token: log.args.token };
    found.set(bucketKey(ref), ref);
  }
  return [...found.values()].sort(byEpochThenToken);
}

/** Reads each bucket's state. */
export async function readBuckets(emission: BuybackEmission, refs: BucketRef[]): Promise<BucketReport[]> {
  const current = await emission.currentEpoch();
  const out: BucketReport[] = [];
  for (const ref of refs) {
    const b = await emission.bucket(ref.epoch, ref.token);
    out.push({
      ...ref,
      fees: b.fees,
      sold: b.sold,
      unsold: b.fees - b.sold,
      bought: b.bought,
      rewards: b.rewards,
      ended: ref.epoch < current,
    });
  }
  return out;
}

/** The buckets of `token` a keeper can sell now: ended, with unsold fees, oldest first. */
export async function endedBuckets(
  emission: BuybackEmission,
  token: string,
  opts: LogRange = {},
): Promise<BucketReport[]> {
  const buckets = await readBuckets(emission, await feeBuckets(emission, { ...opts, token }));
  return buckets.filter((b) => b.ended && b.unsold > 0n);
}

/** Reads the emission's state, its buckets, and projects the buyback volume left to each milestone. */
export async function readEmissionStats(emission: BuybackEmission, opts: LogRange = {}): Promise<EmissionStats> {
  const tft = ITFT__factory.connect(await emission.tft(), emission.runner);
  const [phase, reserveLeft, totalSupply] = [
    await emission.phase(),
    await emission.reserveLeft(),
    await tft.totalSupply(),
  ];
  const floor = 100_000_000n * 10n ** 18n;
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
    minerRewardsUnclaimed: await emission.minerRewardsUnclaimed(),
    currentEpoch: await emission.currentEpoch(),
    buckets: await readBuckets(emission, await feeBuckets(emission, opts)),
    toPhaseOneEnd: projection.toPhaseOneEnd,
    toFloor: projection.toFloor,
  };
}

/** A buyback the keeper is about to send. */
export interface PreparedBuyback {
  token: string;
  epoch: bigint;
  amountIn: bigint;
  twapQuote: bigint;
  minTftOut: bigint;
  deadline: bigint;
}

/** How a buyback is sent. */
export interface BuybackOptions {
  /** The amount to sell (default: all the bucket's unsold fees). */
  amount?: bigint;
  marginBps?: bigint;
  deadlineSeconds?: bigint;
  now: bigint;
}

/**
 * The arguments of a buyback of the bucket (`epoch`, `token`): the amount (by default all its
 * unsold fees), the TWAP quote and `minTftOut = quote × (1 − (maxSlippageBps − marginBps))`. The
 * margin keeps the minimum above the contract's limit when the average drifts between this read
 * and the block that includes the transaction. A bucket whose epoch has not ended is refused.
 */
export async function prepareBuyback(
  emission: BuybackEmission,
  token: string,
  epoch: bigint,
  opts: BuybackOptions,
): Promise<PreparedBuyback> {
  const tftAddress = await emission.tft();
  const isTft = token.toLowerCase() === tftAddress.toLowerCase();
  const current = await emission.currentEpoch();
  if (epoch >= current) {
    throw new InputError(
      "emission:buyback",
      undefined,
      "epoch",
      `the bucket of epoch ${epoch} can be sold once its epoch has ended (the current epoch is ${current})`,
    );
  }
  const b = await emission.bucket(epoch, token);
  const available = b.fees - b.sold;
  const amountIn = opts.amount ?? available;
  if (amountIn === 0n) {
    throw new InputError(
      "emission:buyback",
      undefined,
      "amount",
      `nothing to buy back in the bucket of epoch ${epoch}`,
    );
  }
  if (amountIn > available) {
    throw new InputError(
      "emission:buyback",
      undefined,
      "amount",
      `${amountIn} is more than the ${available} unsold in the bucket of epoch ${epoch}`,
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
    epoch,
    amountIn,
    twapQuote,
    minTftOut: isTft ? 0n : minTftOut(twapQuote, maxSlippage - margin),
    deadline: opts.now + (opts.deadlineSeconds ?? 600n),
  };
}

/** One bucket of a provider: its fee there and what it is owed of the bucket's rewards. */
export interface ProviderBucket extends BucketReport {
  /** The provider's fee in the bucket. */
  fee: bigint;
  /** The TFT the provider's fee bought so far: `bought × fee / fees`. */
  boughtByFee: bigint;
  claimed: bigint;
  claimable: bigint;
}

/** The buckets where `provider` has fees, in `[fromEpoch, toEpoch]` when given, oldest first. */
export async function providerBuckets(
  emission: BuybackEmission,
  provider: string,
  opts: LogRange & { fromEpoch?: bigint; toEpoch?: bigint } = {},
): Promise<ProviderBucket[]> {
  const refs = (await feeBuckets(emission, { provider, fromBlock: opts.fromBlock })).filter(
    (b) =>
      (opts.fromEpoch === undefined || b.epoch >= opts.fromEpoch) &&
      (opts.toEpoch === undefined || b.epoch <= opts.toEpoch),
  );
  const out: ProviderBucket[] = [];
  for (const b of await readBuckets(emission, refs)) {
    const fee = await emission.feeOf(b.epoch, b.token, provider);
    out.push({
      ...b,
      fee,
      boughtByFee: b.fees === 0n ? 0n : (b.bought * fee) / b.fees,
      claimed: await emission.claimedOf(b.epoch, b.token, provider),
      claimable: await emission.claimable(provider, [{ epoch: b.epoch, token: b.token }]),
    });
  }
  return out;
}
/** The emission contract at `address`, after checking that a contract lives there. */
export async function connectEmission(
  address: string,
  runner: ContractRunner,
  source: Source = "emission",
): Promise<BuybackEmission> {
  return BuybackEmission__factory.connect(await contractAddress(address, runner, source, "emission"), runner);
}

/** What a buyback sent by {@link sendBuyback} did. */
export interface BuybackResult extends PreparedBuyback {
  tftOut: bigint;
  hash: string;
}

/**
 * The keeper's buyback of one bucket: {@link prepareBuyback} (TWAP quote, `minTftOut`), then
 * `buyback` from the emission's runner, which must hold KEEPER_ROLE. Returns the TFT bought and
 * the transaction.
 */
export async function sendBuyback(
  emission: BuybackEmission,
  token: string,
  epoch: bigint,
  opts: BuybackOptions,
): Promise<BuybackResult> {
  const b = await prepareBuyback(emission, token, epoch, opts);
  const receipt = await mined(emission.buyback(b.token, b.epoch, b.amountIn, b.minTftOut, b.deadline));
  return { ...b, tftOut: receiptEvent(emission, receipt, "BoughtBack").args.tftOut as bigint, hash: receipt.hash };
}

/**
 * Claims, in one call, every bucket in `[fromEpoch, toEpoch]` where the emission's runner (a
 * provider) has something to claim. Returns the buckets and the TFT paid; an empty list (and no
 * transaction) when there is nothing to claim.
 */
export async function claimRewards(
  emission: BuybackEmission,
  opts: LogRange & { fromEpoch?: bigint; toEpoch?: bigint } = {},
): Promise<{ buckets: BucketRef[]; amount: bigint; hash?: string }> {
  const runner = emission.runner as Signer | null;
  if (runner === null || typeof runner.getAddress !== "function") throw new Error("the emission needs a signer");
  const mine = (await providerBuckets(emission, await runner.getAddress(), opts)).filter((b) => b.claimable > 0n);
  if (mine.length === 0) return { buckets: [], amount: 0n };
  const buckets = mine.map((b) => ({ epoch: b.epoch, token: b.token }));
  const amount = mine.reduce((a, b) => a + b.claimable, 0n);
  const receipt = await mined(emission.claim(buckets));
  return { buckets, amount, hash: receipt.hash };
}

/** One pair of a fee token's route, and when its observations let a buyback pass the TWAP guard. */
export interface PairTiming {
  pair: string;
  /** The age of the newest observation, or undefined when the pair has none. */
  newestAge?: bigint;
  /** The window in which a buyback can pass, from the observations recorded so far (unix seconds). */
  usableFrom?: bigint;
  usableUntil?: bigint;
}

/** When the current epoch ends (its fees become sellable) and when a buyback of `token` can run. */
export interface BuybackTiming {
  now: bigint;
  epoch: bigint;
  epochEndsAt: bigint;
  window: bigint;
  pairs: PairTiming[];
}

const FACTORY_ABI = ["function getPair(address tokenA, address tokenB) view returns (address)"];

/**
 * The timing a keeper needs: the guard quotes from an observation between one and two TWAP
 * windows old, so a buyback can run in `[t + window, t + 2 × window]` for an observation taken at
 * `t`; the earliest such window that has not passed is reported per pair.
 */
export async function buybackTiming(emission: BuybackEmission, token: string): Promise<BuybackTiming> {
  const runner = emission.runner!;
  const block = await runner.provider!.getBlock("latest");
  const now = BigInt(block!.timestamp);
  const [genesis, epochLength, window, path, factoryAddress] = await Promise.all([
    emission.genesis(),
    emission.epochLength(),
    emission.twapWindow(),
    emission.routeOf(token),
    emission.factory(),
  ]);
  const epoch = (now - genesis) / epochLength;
  const factory = new Contract(factoryAddress, FACTORY_ABI, runner);
  const pairs: PairTiming[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const pair = (await factory.getFunction("getPair")(path[i], path[i + 1])) as string;
    const stamps = (await emission.observationsOf(pair)).map((o) => o.timestamp).filter((t) => t > 0n);
    const timing: PairTiming = { pair };
    if (stamps.length > 0) {
      timing.newestAge = now - stamps.reduce((a, b) => (a > b ? a : b));
      const open = stamps.filter((t) => t + 2n * window >= now).sort((a, b) => (a < b ? -1 : 1));
      if (open.length > 0) {
        const from = open.find((t) => t + window <= now) ?? open[0]!;
        timing.usableFrom = from + window;
        timing.usableUntil = open[open.length - 1]! + 2n * window;
      }
    }
    pairs.push(timing);
  }
  return { now, epoch, epochEndsAt: genesis + (epoch + 1n) * epochLength, window, pairs };
}
