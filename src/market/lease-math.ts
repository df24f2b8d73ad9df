// The escrow's money formulas (contracts/libraries/LeaseMath.sol and LeaseEscrow's views) in exact
// bigint arithmetic, so a dApp shows what a receipt, a close or a reservation will move before it
// asks the chain. Browser-safe: no client library is imported here.

/** One second of a lease costs `rate / RATE_DIVISOR`, with `rate = pricePerTuHour × milliTu`. */
export const RATE_DIVISOR = 3_600_000n;
/** Basis points in one whole. */
export const BPS = 10_000n;

/** Lease statuses, as the escrow numbers them (`ILeaseEscrow.LeaseStatus`). */
export const LEASE_STATUS = ["None", "Open", "Closing", "Closed"] as const;
export type LeaseStatusName = (typeof LEASE_STATUS)[number];
/** Reservation statuses, as the escrow numbers them (`ILeaseEscrow.ReservationStatus`). */
export const RESERVATION_STATUS = ["None", "Pending", "Starting", "Started", "Cancelled", "Expired", "Failed"] as const;
export type ReservationStatusName = (typeof RESERVATION_STATUS)[number];

/** A lease's rate: the quoted price per TU-hour times the node's rating in milli-TU. */
export function rateOf(pricePerTuHour: bigint, milliTu: bigint): bigint {
  return pricePerTuHour * milliTu;
}

/**
 * What a lease owes its provider at `until`, exactly as `LeaseMath.owedAt`: the cost since the
 * start, rounded down, capped at the deposit.
 */
export function owedAt(rate: bigint, start: bigint, until: bigint, deposit: bigint): bigint {
  if (until <= start) return 0n;
  const due = (rate * (until - start)) / RATE_DIVISOR;
  return due < deposit ? due : deposit;
}

/** The first second at which the deposit is used up, or `undefined` for a rate of zero. */
export function runsOutAt(rate: bigint, start: bigint, deposit: bigint): bigint | undefined {
  if (rate === 0n) return undefined;
  return start + (deposit * RATE_DIVISOR + rate - 1n) / rate;
}

/** The protocol fee on a lease's cumulative pay, rounded down as the escrow does. */
export function feeOf(paid: bigint, feeBps: bigint): bigint {
  return (paid * feeBps) / BPS;
}

/** The part of a lease that `collectable` reads. */
export interface LeaseTermsForPay {
  start: bigint;
  /** Zero while open. */
  closedAt: bigint;
  rate: bigint;
  deposit: bigint;
  /** What the lease has paid the provider so far. */
  paid: bigint;
}

/**
 * What a valid receipt up to `paidThrough` makes the lease's cumulative pay at `now`, and the
 * deposit left after it, as the escrow's `collectable` view: the receipt counts up to
 * `min(paidThrough, now, closedAt, keyUntil)` (`keyUntil`: a replaced session key's end; omit it
 * for the customer's or the current key's receipt), and pay never goes down.
 */
export function collectableAt(
  lease: LeaseTermsForPay,
  paidThrough: bigint,
  now: bigint,
  keyUntil?: bigint,
): { paid: bigint; remaining: bigint } {
  let until = paidThrough < now ? paidThrough : now;
  if (keyUntil !== undefined && keyUntil < until) until = keyUntil;
  if (lease.closedAt !== 0n && lease.closedAt < until) until = lease.closedAt;
  const owes = owedAt(lease.rate, lease.start, until, lease.deposit);
  const paid = owes > lease.paid ? owes : lease.paid;
  return { paid, remaining: lease.deposit - paid };
}

/**
 * The reservation fee and the hold's end for a window reserved at `now`, as the escrow's
 * `reservationFee` view: `feeBps` of the cost of the whole hold, from now to
 * `start + max(duration, grace)`. The deposit must be more than the fee.
 */
export function reservationFeeAt(
  rate: bigint,
  start: bigint,
  duration: bigint,
  now: bigint,
  terms: { reservationFeeBps: bigint; reservationGrace: bigint },
): { fee: bigint; heldUntil: bigint } {
  const heldUntil = start + (duration > terms.reservationGrace ? duration : terms.reservationGrace);
  const cost = (rate * (heldUntil - now)) / RATE_DIVISOR;
  return { fee: (cost * terms.reservationFeeBps) / BPS, heldUntil };
}

/**
 * How a reservation fee splits once the provider accepts the start, as the escrow does: the part
 * for the hold before the window is the provider's at once; the window's part is earned pro rata
 * while the lease stays open in the window, and what a close leaves unearned goes back.
 */
export function reservationFeeSplit(
  fee: bigint,
  reservedAt: bigint,
  start: bigint,
  heldUntil: bigint,
): { beforeWindow: bigint; window: bigint } {
  const beforeWindow = (fee * (start - reservedAt)) / (heldUntil - reservedAt);
  return { beforeWindow, window: fee - beforeWindow };
}

/** The window's part of the fee a lease earned by closing at `closedAt`, as the escrow's finalize. */
export function windowFeeEarned(windowFee: bigint, start: bigint, heldUntil: bigint, closedAt: bigint): bigint {
  const end = closedAt < heldUntil ? closedAt : heldUntil;
  if (end <= start) return 0n;
  return (windowFee * (end - start)) / (heldUntil - start);
}
