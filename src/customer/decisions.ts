// The headless customer's decisions, as pure functions of what it knows: what a receipt pays
// through, how long to wait before trying the agent again, when the provider will stop serving,
// how a run starts from its state file, how a reservation goes on and how it ends.
// src/customer/client.ts acts on them.
import { RESERVATION_STATUS } from "../market/lease-math.js";

/**
 * The next receipt's `paidThrough`: `horizon` seconds ahead of `now`, and never less than a
 * receipt already signed (receipts are cumulative: signing less would only be refused).
 */
export function nextPaidThrough(signed: bigint, now: bigint, horizon: bigint): bigint {
  const ahead = now + horizon;
  return ahead > signed ? ahead : signed;
}

/**
 * How long to wait before sending a receipt again after the agent's `attempt`-th failure (1, 2, …)
 * within one interval: doubling from 1 s, at least what the agent asked for (Retry-After), and at
 * most half the interval, so that every interval still gets a try.
 */
export function retryDelayMs(attempt: number, intervalMs: number, retryAfterSeconds?: number): number {
  const doubling = 1000 * 2 ** Math.max(0, attempt - 1);
  const asked = retryAfterSeconds === undefined ? 0 : retryAfterSeconds * 1000;
  return Math.max(1, Math.min(Math.max(doubling, asked), intervalMs / 2));
}

/**
 * When the provider's agent stops serving a lease that gets no more receipts: two receipt
 * intervals past what its best receipt pays through (or the lease's start, before any receipt).
 */
export function serviceEndsAt(ackedThrough: bigint, start: bigint, intervalSeconds: number): bigint {
  const covered = ackedThrough > start ? ackedThrough : start;
  return covered + 2n * BigInt(intervalSeconds);
}

/** What a run does first, from its state file and its config. */
export type StartPlan =
  | { kind: "follow"; leaseId: bigint }
  | { kind: "reservation"; reservationId: bigint }
  | { kind: "find-opening" }
  | { kind: "open" }
  | { kind: "refuse"; reason: string };

export function planStart(
  state: { leaseId: string | null; reservationId?: string | null; opening: unknown },
  config: { leaseId: bigint | undefined; nodeId: bigint | undefined },
): StartPlan {
  if (state.leaseId !== null) {
    const followed = BigInt(state.leaseId);
    if (config.leaseId !== undefined && config.leaseId !== followed) {
      return {
        kind: "refuse",
        reason: `the state file follows lease ${followed}, the config names lease ${config.leaseId}: use another stateFile`,
      };
    }
    // A lease this state opened is followed to its end: a restart never opens another.
    return { kind: "follow", leaseId: followed };
  }
  // A reservation this state made is seen through (started, or failed) before anything else.
  if (state.reservationId !== undefined && state.reservationId !== null) {
    return { kind: "reservation", reservationId: BigInt(state.reservationId) };
  }
  if (config.leaseId !== undefined) return { kind: "follow", leaseId: config.leaseId };
  // An open was sent and its outcome not recorded: find it on the chain before opening again.
  if (state.opening !== null) return { kind: "find-opening" };
  return { kind: "open" };
}

/** Why a run stops following its lease. */
export type StopReason = "signal" | "end" | "lease-ended";

/** Whether a stop closes the lease (the customer's close) or leaves it to the provider. */
export function closesAtStop(
  reason: StopReason,
  config: { closeOnSignal: boolean; closeAtEnd: boolean },
  canClose: boolean,
): boolean {
  if (!canClose || reason === "lease-ended") return false;
  return reason === "signal" ? config.closeOnSignal : config.closeAtEnd;
}

/**
 * Whether an opening whose outcome was not recorded can be forgotten and a new one sent: only
 * once its quote has expired at the chain's latest block (no later block can mine it) and no lease
 * was found for it.
 */
export function openingLapsed(quoteExpiry: bigint, now: bigint, found: boolean): boolean {
  return !found && now > quoteExpiry;
}

/** What the customer of a reservation does next, from the reservation on the chain and the chain's time. */
export type ReservationStep =
  /** Before the window: wait for it. */
  | { kind: "wait-window"; opensAt: bigint }
  /** In the window: start the lease (`startReserved`). */
  | { kind: "start" }
  /** Started: wait for the provider's `acceptStart` until `acceptBy`. */
  | { kind: "wait-accept"; acceptBy: bigint }
  /** The accept window passed without an accept: fail it (`failReservation`), the whole deposit comes back. */
  | { kind: "fail" }
  /** The window's grace passed unstarted: end it (`expireReservation`), the fee is the provider's. */
  | { kind: "expire" }
  /** Accepted: its lease runs. */
  | { kind: "started"; leaseId: bigint }
  /** Ended without a lease (cancelled, expired or failed). */
  | { kind: "ended"; status: string };

export function reservationStep(
  r: { status: bigint; start: bigint; deadline: bigint; acceptBy: bigint; leaseId: bigint },
  now: bigint,
): ReservationStep {
  const status = RESERVATION_STATUS[Number(r.status)] ?? String(r.status);
  switch (status) {
    case "Pending":
      if (now < r.start) return { kind: "wait-window", opensAt: r.start };
      return now > r.deadline ? { kind: "expire" } : { kind: "start" };
    case "Starting":
      return now > r.acceptBy ? { kind: "fail" } : { kind: "wait-accept", acceptBy: r.acceptBy };
    case "Started":
      return { kind: "started", leaseId: r.leaseId };
    default:
      return { kind: "ended", status };
  }
}
