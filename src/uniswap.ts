// Uniswap V2 arithmetic the emission contract relies on: swap output, the buyback's slippage
// floor and the TWAP quote. No contract artifacts (those are dev-only, in harness/uniswap.ts).
import type { Contract } from "ethers";

/** Uniswap V2's `getAmountOut`: the output of a swap of `amountIn` against the reserves, 0.3 % fee. */
export function getAmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  const withFee = amountIn * 997n;
  return (withFee * reserveOut) / (reserveIn * 1000n + withFee);
}

/** The least `minTftOut` the emission contract accepts for a TWAP quote: `quote × (1 − bps)`, rounded down. */
export function minTftOut(twapQuote: bigint, maxSlippageBps: bigint): bigint {
  if (maxSlippageBps < 0n || maxSlippageBps > 10_000n) throw new RangeError(`slippage ${maxSlippageBps} bps`);
  return (twapQuote * (10_000n - maxSlippageBps)) / 10_000n;
}

/** One cumulative-price observation, as the emission contract stores it. */
export interface CumulativeObservation {
  timestamp: bigint;
  price0Cumulative: bigint;
  price1Cumulative: bigint;
}

/** A pair's state as read in one block. */
export interface PairState {
  price0CumulativeLast: bigint;
  price1CumulativeLast: bigint;
  reserve0: bigint;
  reserve1: bigint;
  blockTimestampLast: bigint;
}

const U256 = 1n << 256n;

/** The pair's cumulative prices as if it were updated at `now` (UniswapV2OracleLibrary). */
export function currentCumulative(pair: PairState, now: bigint): [bigint, bigint] {
  const elapsed = (now - pair.blockTimestampLast) % (1n << 32n);
  let [c0, c1] = [pair.price0CumulativeLast, pair.price1CumulativeLast];
  if (elapsed > 0n && pair.reserve0 > 0n && pair.reserve1 > 0n) {
    c0 = (c0 + ((pair.reserve1 << 112n) / pair.reserve0) * elapsed) % U256;
    c1 = (c1 + ((pair.reserve0 << 112n) / pair.reserve1) * elapsed) % U256;
  }
  return [c0, c1];
}

/**
 * The TWAP quote the emission contract computes for one hop: from the newest observation at least
 * `window` old (refused when there is none, or when it is older than `2 × window`) to `now`.
 */
export function twapQuoteHop(
  observations: CumulativeObservation[],
  pair: PairState,
  now: bigint,
  window: bigint,
  tokenInIsToken0: boolean,
  amountIn: bigint,
): bigint {
  const aged = observations
    .filter((o) => o.timestamp > 0n && now - o.timestamp >= window)
    .sort((a, b) => (a.timestamp > b.timestamp ? -1 : 1));
  const best = aged[0];
  if (best === undefined) throw new Error(`no observation is ${window} s old yet: call observe and wait`);
  const age = now - best.timestamp;
  if (age > 2n * window) throw new Error(`the newest usable observation is stale (${age} s old): call observe`);
  const [c0, c1] = currentCumulative(pair, now);
  const diff = tokenInIsToken0 ? c0 - best.price0Cumulative : c1 - best.price1Cumulative;
  const average = (((diff % U256) + U256) % U256) / age;
  return (average * amountIn) >> 112n;
}

/** Reads a pair's state for {@link twapQuoteHop}. */
export async function readPairState(pair: Contract): Promise<PairState> {
  const [reserve0, reserve1, blockTimestampLast] = (await pair.getFunction("getReserves")()) as [
    bigint,
    bigint,
    bigint,
  ];
  return {
    price0CumulativeLast: (await pair.getFunction("price0CumulativeLast")()) as bigint,
    price1CumulativeLast: (await pair.getFunction("price1CumulativeLast")()) as bigint,
    reserve0,
    reserve1,
    blockTimestampLast,
  };
}
