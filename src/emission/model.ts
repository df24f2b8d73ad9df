/**
 * The buyback emission's arithmetic in TypeScript, mirroring contracts/libraries/EmissionMath.sol
 * and BuybackEmission._settle to the wei, plus the closed form of its milestones and a fast model
 * of the whole supply life.
 */

export const BPS = 10_000n;
export const RELEASE_BPS = 8_000n;
export const BURN_BPS = 5_000n;
export const TFT_UNIT = 10n ** 18n;
export const INITIAL_SUPPLY = 1_000_000_000n * TFT_UNIT;
export const SUPPLY_FLOOR = 100_000_000n * TFT_UNIT;
export const DEFAULT_RESERVE = 350_000_000n * TFT_UNIT;

/** The contract's `Phase` enum. */
export enum Phase {
  Unfunded = 0,
  One = 1,
  Two = 2,
  Floor = 3,
}

export const phaseName = (p: Phase): string => ["unfunded", "1 (reserve)", "2 (half burn)", "floor"][p] ?? `?${p}`;

/** How one buyback of `amount` TFT divides (the contract's `Split`). */
export interface Split {
  burned: bigint;
  fromReserve: bigint;
  fromBuyback: bigint;
  inPhaseOne: bigint;
  inPhaseTwo: bigint;
  atFloor: bigint;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const ceilDiv = (a: bigint, b: bigint) => (a === 0n ? 0n : (a - 1n) / b + 1n);

/** EmissionMath.split: the buyback of `amount` given the reserve left and what is burnable. */
export function split(amount: bigint, reserve: bigint, burnable: bigint): Split {
  const s: Split = { burned: 0n, fromReserve: 0n, fromBuyback: 0n, inPhaseOne: 0n, inPhaseTwo: 0n, atFloor: 0n };
  if (reserve > 0n) {
    const toExhaust = ceilDiv(reserve * BPS, RELEASE_BPS);
    s.inPhaseOne = min(amount, min(toExhaust, burnable));
    s.fromReserve = min((s.inPhaseOne * RELEASE_BPS) / BPS, reserve);
    s.burned = s.inPhaseOne;
  }
  const rest = amount - s.inPhaseOne;
  if (rest === 0n) return s;
  const burnableLeft = burnable - s.burned;
  if (s.fromReserve < reserve || burnableLeft === 0n) {
    s.atFloor = rest;
    s.fromBuyback = rest;
    return s;
  }
  const half = (rest * BURN_BPS) / BPS;
  if (half <= burnableLeft) {
    s.inPhaseTwo = rest;
    s.burned += half;
    s.fromBuyback = rest - half;
  } else {
    s.inPhaseTwo = ceilDiv(burnableLeft * BPS, BURN_BPS);
    s.atFloor = rest - s.inPhaseTwo;
    s.burned += burnableLeft;
    s.fromBuyback = rest - burnableLeft;
  }
  return s;
}

/** The supply-side state the model tracks (the contract's totals, plus per-phase volumes). */
export interface SupplyState {
  supply: bigint;
  reserve: bigint;
  burned: bigint;
  released: bigint;
  distributed: bigint;
  boughtBack: bigint;
  toMiners: bigint;
  toOperations: bigint;
  boughtInPhaseOne: bigint;
  boughtInPhaseTwo: bigint;
  boughtAtFloor: bigint;
}

export function initialState(supply = INITIAL_SUPPLY, reserve = DEFAULT_RESERVE): SupplyState {
  return {
    supply,
    reserve,
    burned: 0n,
    released: 0n,
    distributed: 0n,
    boughtBack: 0n,
    toMiners: 0n,
    toOperations: 0n,
    boughtInPhaseOne: 0n,
    boughtInPhaseTwo: 0n,
    boughtAtFloor: 0n,
  };
}

export function phaseOf(s: SupplyState, floor = SUPPLY_FLOOR): Phase {
  if (s.supply <= floor) return Phase.Floor;
  return s.reserve > 0n ? Phase.One : Phase.Two;
}

/** BuybackEmission._settle: the state after a buyback of `amount` TFT. */
export function applyBuyback(s: SupplyState, amount: bigint, minerShareBps: bigint, floor = SUPPLY_FLOOR): SupplyState {
  const p = split(amount, s.reserve, s.supply - floor);
  const released = p.fromReserve + p.fromBuyback;
  const toMiners = (released * minerShareBps) / BPS;
  return {
    supply: s.supply - p.burned,
    reserve: s.reserve - p.fromReserve,
    burned: s.burned + p.burned,
    released: s.released + p.fromReserve,
    distributed: s.distributed + p.fromBuyback,
    boughtBack: s.boughtBack + amount,
    toMiners: s.toMiners + toMiners,
    toOperations: s.toOperations + released - toMiners,
    boughtInPhaseOne: s.boughtInPhaseOne + p.inPhaseOne,
    boughtInPhaseTwo: s.boughtInPhaseTwo + p.inPhaseTwo,
    boughtAtFloor: s.boughtAtFloor + p.atFloor,
  };
}

/** The milestones of the supply life in closed form. */
export interface ClosedForm {
  /** TFT burned (= bought back) when the reserve runs out: `ceil(reserve / 0.8)`, unless the floor comes first. */
  phaseOneBurned: bigint;
  /** Total supply when phase one ends. */
  supplyAtPhaseOneEnd: bigint;
  /** TFT bought back in phase two until the floor: `ceil((supply − floor) / 0.5)`. */
  phaseTwoBoughtBack: bigint;
  /** Everything bought back until the floor. */
  boughtBackToFloor: bigint;
}

/** Closed-form milestones from a reserve and a burnable amount (supply − floor). */
export function closedForm(reserve: bigint, burnable: bigint): ClosedForm {
  const phaseOneBurned = reserve === 0n ? 0n : min(ceilDiv(reserve * BPS, RELEASE_BPS), burnable);
  const reserveRunsOut = reserve === 0n || (phaseOneBurned * RELEASE_BPS) / BPS >= reserve;
  const leftAfterPhaseOne = burnable - phaseOneBurned;
  const phaseTwoBoughtBack = reserveRunsOut ? ceilDiv(leftAfterPhaseOne * BPS, BURN_BPS) : 0n;
  return {
    phaseOneBurned,
    supplyAtPhaseOneEnd: SUPPLY_FLOOR + leftAfterPhaseOne,
    phaseTwoBoughtBack,
    boughtBackToFloor: phaseOneBurned + phaseTwoBoughtBack,
  };
}

/**
 * A synthetic revenue stream: TFT bought back per day, growing geometrically, in whole TFT. Whole
 * amounts keep every split exact; with arbitrary wei amounts each phase-one buyback may release up
 * to one wei less than 80 % (releases round down, in the reserve's favour), so phase one would
 * end a few hundred wei later than the closed form.
 */
export interface RevenueStream {
  /** TFT bought back on day 0. */
  firstDay: bigint;
  /** Daily growth in parts per million. */
  growthPpm: bigint;
}

export const DEFAULT_STREAM: RevenueStream = { firstDay: 150_000n * TFT_UNIT, growthPpm: 1_000n };

/** The TFT bought back on `day`. */
export function revenueOn(stream: RevenueStream, day: number): bigint {
  let amount = stream.firstDay;
  for (let d = 0; d < day; d++) amount += (amount * stream.growthPpm) / 1_000_000n;
  return amount - (amount % TFT_UNIT);
}

export interface SimulationPoint {
  day: number;
  state: SupplyState;
}

export interface Simulation {
  points: SimulationPoint[];
  /** The day the reserve ran out and the state right after that day's buyback. */
  phaseOneEnd?: SimulationPoint;
  floorReached?: SimulationPoint;
}

/** Runs the model one buyback a day until the floor (or `maxDays`). */
export function simulate(stream: RevenueStream, minerShareBps: bigint, maxDays = 20_000): Simulation {
  let state = initialState();
  let amount = stream.firstDay;
  const sim: Simulation = { points: [{ day: 0, state }] };
  for (let day = 1; day <= maxDays; day++) {
    state = applyBuyback(state, amount - (amount % TFT_UNIT), minerShareBps);
    amount += (amount * stream.growthPpm) / 1_000_000n;
    const point = { day, state };
    sim.points.push(point);
    if (sim.phaseOneEnd === undefined && state.reserve === 0n) sim.phaseOneEnd = point;
    if (state.supply === SUPPLY_FLOOR) {
      sim.floorReached = point;
      break;
    }
  }
  return sim;
}

/** What the keeper still has to buy back to end phase one and to reach the floor. */
export function projectBuybackVolume(reserve: bigint, burnable: bigint): { toPhaseOneEnd: bigint; toFloor: bigint } {
  const c = closedForm(reserve, burnable);
  return { toPhaseOneEnd: reserve === 0n ? 0n : c.phaseOneBurned, toFloor: c.boughtBackToFloor };
}

/**
 * EmissionMath.owed: what a provider with `fee` of a bucket's `fees` is owed of the bucket's
 * `rewards` after claiming `claimed` (its pro-rata part rounded down, less what it claimed).
 */
export function owed(rewards: bigint, fees: bigint, fee: bigint, claimed: bigint): bigint {
  return fee === 0n ? 0n : (rewards * fee) / fees - claimed;
}

/**
 * The most a buyback split `s` can credit to its bucket's providers: `RELEASE_BPS` of the part
 * bought in phase one, half (rounded up) of the part in phase two and all of the part at the floor,
 * times the miners' share. A provider's rewards from a bucket are at most its fee's part of the sum
 * of these over the bucket's buybacks: less than the TFT its own fee bought.
 */
export function rewardCap(s: Split, minerShareBps: bigint): bigint {
  const release = (s.inPhaseOne * RELEASE_BPS) / BPS + ceilDiv(s.inPhaseTwo * BURN_BPS, BPS) + s.atFloor;
  return (release * minerShareBps) / BPS;
}
