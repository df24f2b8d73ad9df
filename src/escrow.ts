import { MaxUint256, type ContractRunner, type ContractTransactionResponse, type Signer } from "ethers";

import { contractAddress } from "./connect.js";
import { preparePayment, tokenLabel } from "./erc20.js";
import { InputError } from "./errors.js";
import { formatToken } from "./format.js";
import type { Source } from "./parse.js";
import { mined, receiptEvent, receiptEvents } from "./receipts.js";
import { listNodes, statusName, type NodeStatus } from "./registry.js";
import { dryRun, revertLine } from "./revert.js";
import { inRanges } from "./rpc/ranges.js";
import { LeaseEscrow__factory } from "../types/factories/LeaseEscrow__factory.js";
import { ProviderRegistry__factory } from "../types/factories/ProviderRegistry__factory.js";
import type { LeaseEscrow } from "../types/LeaseEscrow.js";
import type { ProviderRegistry } from "../types/ProviderRegistry.js";

/** One second of a lease costs `rate / RATE_DIVISOR`, with `rate = pricePerTuHour × milliTu`. */
export const RATE_DIVISOR = 3_600_000n;
const BPS = 10_000n;

/** Lease statuses, as the escrow numbers them. */
export const LEASE_STATUS = ["None", "Open", "Closed"] as const;
/** Reservation statuses, as the escrow numbers them. */
export const RESERVATION_STATUS = ["None", "Pending", "Started", "Cancelled", "Expired"] as const;

/**
 * What a lease owes its provider at `until`, exactly as the escrow computes it: the cost since
 * the start, rounded down, capped at the deposit.
 */
export function owedAt(rate: bigint, start: bigint, until: bigint, deposit: bigint): bigint {
  if (until <= start) return 0n;
  const due = (rate * (until - start)) / RATE_DIVISOR;
  return due < deposit ? due : deposit;
}

/** The first second at which the deposit is used up, or `undefined` for a free lease. */
export function runsOutAt(rate: bigint, start: bigint, deposit: bigint): bigint | undefined {
  if (rate === 0n) return undefined;
  return start + (deposit * RATE_DIVISOR + rate - 1n) / rate;
}

/** The protocol fee on a lease's cumulative withdrawals, rounded down as the escrow does. */
export function feeOf(withdrawn: bigint, feeBps: bigint): bigint {
  return (withdrawn * feeBps) / BPS;
}

/** The escrow and the registry it leases from, connected to one runner. */
export interface EscrowHandle {
  escrow: LeaseEscrow;
  registry: ProviderRegistry;
}

/** Connects to an escrow, after checking that a contract lives there, and to its registry (read from the escrow). */
export async function connectEscrow(
  address: string,
  runner: ContractRunner,
  source: Source = "escrow",
): Promise<EscrowHandle> {
  const escrow = LeaseEscrow__factory.connect(await contractAddress(address, runner, source, "escrow"), runner);
  const registry = ProviderRegistry__factory.connect(await escrow.registry(), runner);
  return { escrow, registry };
}

/** Everything a customer or provider wants to know about a lease, as of `now`. */
export interface LeaseReport {
  leaseId: bigint;
  nodeId: bigint;
  status: (typeof LEASE_STATUS)[number];
  nodeStatus: NodeStatus;
  customer: string;
  provider: string;
  token: string;
  rate: bigint;
  start: bigint;
  deposit: bigint;
  /** What the provider has earned so far: what settling now would pay. */
  accrued: bigint;
  /** The deposit not yet earned (zero once closed). */
  remaining: bigint;
  withdrawn: bigint;
  /** Earnings not yet withdrawn, protocol fee included. */
  unwithdrawn: bigint;
  /** The protocol fee withdrawn but not yet sent to the fee collector. */
  unforwardedFee: bigint;
  /** When the deposit runs out at the current rate, or `undefined` (closed, or free). */
  runsOutAt: bigint | undefined;
  /** The node's last heartbeat: accrual never passes it. */
  lastHeartbeat: bigint;
}

/** Reads a lease and what it has accrued as of the latest block. */
export async function leaseReport({ escrow, registry }: EscrowHandle, leaseId: bigint): Promise<LeaseReport> {
  const l = await escrow.lease(leaseId);
  if (l.status === 0n) throw new Error(`lease ${leaseId} does not exist`);
  const [[accrued, remaining], terms, forwarded] = await Promise.all([
    escrow.accrued(leaseId),
    registry.leaseTerms(l.nodeId),
    escrow.forwardedFee(leaseId),
  ]);
  const open = l.status === 1n;
  return {
    leaseId,
    nodeId: l.nodeId,
    status: LEASE_STATUS[Number(l.status)]!,
    nodeStatus: statusName(terms.status),
    customer: l.customer,
    provider: l.provider,
    token: l.token,
    rate: l.rate,
    start: l.start,
    deposit: l.deposit,
    accrued,
    remaining,
    withdrawn: l.withdrawn,
    unwithdrawn: accrued - l.withdrawn,
    unforwardedFee: feeOf(l.withdrawn, l.feeBps) - forwarded,
    runsOutAt: open ? runsOutAt(l.rate, l.start, l.deposit) : undefined,
    lastHeartbeat: terms.lastHeartbeat,
  };
}

/** What a customer is shown of a node before leasing or reserving it. */
export interface NodeQuote {
  paymentToken: string;
  /** The price per TU-hour now: pass it as the bound of `openLease` and `reserve`. */
  pricePerTuHour: bigint;
  milliTu: bigint;
}

/** A node's token and price, for approving, parsing amounts and bounding the price. */
export async function nodeQuote({ registry }: EscrowHandle, nodeId: bigint): Promise<NodeQuote> {
  const terms = await registry.leaseTerms(nodeId);
  if (terms.status === 0n) throw new Error(`node ${nodeId} does not exist`);
  return { paymentToken: terms.paymentToken, pricePerTuHour: terms.pricePerTuHour, milliTu: terms.milliTu };
}

/** The payment token of a node, for approving and parsing amounts before opening or reserving. */
export async function nodeToken(h: EscrowHandle, nodeId: bigint): Promise<string> {
  return (await nodeQuote(h, nodeId)).paymentToken;
}

/**
 * Throws the escrow's own revert (`NodeNotAvailable`, `NodeReserved`, `PriceAboveBound`,
 * `TokenNotAllowed`, …) if it would refuse `signer` a lease on the node now; sends nothing. The
 * bound defaults to any price, for a check before the customer has been shown one.
 */
export async function checkLease(
  h: EscrowHandle,
  signer: Signer,
  nodeId: bigint,
  maxPricePerTuHour: bigint = MaxUint256,
): Promise<void> {
  const escrow = h.escrow.connect(signer);
  // With no deposit the dry run passes every check the escrow makes before it takes the deposit.
  await dryRun([h.escrow.interface], "ZeroAmount", () => escrow.openLease.staticCall(nodeId, 0n, maxPricePerTuHour));
}

/**
 * Opens a lease (or starts the caller's reservation of the node), approving the deposit first.
 * `maxPricePerTuHour` is the price the customer was shown: the escrow refuses the lease if the
 * provider raised it in the meantime. A lease the escrow would refuse, or a deposit the signer
 * does not hold, fails before anything is sent.
 */
export async function openLease(
  h: EscrowHandle,
  signer: Signer,
  nodeId: bigint,
  deposit: bigint,
  maxPricePerTuHour: bigint,
  source: Source = "openLease",
): Promise<bigint> {
  const escrow = h.escrow.connect(signer);
  await checkLease(h, signer, nodeId, maxPricePerTuHour);
  if (deposit > 0n) {
    await preparePayment(await nodeToken(h, nodeId), signer, await escrow.getAddress(), deposit, source, "deposit");
  }
  const receipt = await mined(escrow.openLease(nodeId, deposit, maxPricePerTuHour));
  return receiptEvent(h.escrow, receipt, "LeaseOpened").args.leaseId as bigint;
}

/** Adds `amount` to a lease's deposit, approving it first; a closed lease or missing funds fail before anything is sent. */
export async function topUp(
  h: EscrowHandle,
  signer: Signer,
  leaseId: bigint,
  amount: bigint,
  source: Source = "topUp",
): Promise<void> {
  const escrow = h.escrow.connect(signer);
  await dryRun([h.escrow.interface], "ZeroAmount", () => escrow.topUp.staticCall(leaseId, 0n));
  const l = await escrow.lease(leaseId);
  await preparePayment(l.token, signer, await escrow.getAddress(), amount, source, "amount");
  await mined(escrow.topUp(leaseId, amount));
}

/** What closing a lease did. */
export interface CloseResult {
  paid: bigint;
  refund: bigint;
  slashed: bigint;
}

/** Closes a lease: settles, refunds the customer and frees the node. */
export async function closeLease(h: EscrowHandle, signer: Signer, leaseId: bigint): Promise<CloseResult> {
  const receipt = await mined(h.escrow.connect(signer).closeLease(leaseId));
  const event = receiptEvent(h.escrow, receipt, "LeaseClosed");
  return { paid: event.args.paid, refund: event.args.refund, slashed: event.args.slashed };
}

/** How many ids one log filter ORs together: endpoints cap the topics of a filter. */
const IDS_PER_FILTER = 100;

/**
 * A topic that matches any of `ids`: ethers ORs the values of an array in a topic, which
 * typechain's filter types (one value per indexed argument) do not spell.
 */
const anyOf = (ids: bigint[]) => ids as unknown as bigint;

/** `ids` in slices an endpoint takes as one topic list. */
function slices<T>(ids: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_FILTER) out.push(ids.slice(i, i + IDS_PER_FILTER));
  return out;
}

/**
 * Every lease id of a provider, ascending: the leases of its nodes (`LeaseOpened` indexes the
 * node, and a node never changes provider) and the closed leases that book its reservation fees
 * (`feeLeaseId` of the `ReservationEnded` of its nodes' reservations). Reads only this provider's
 * events from `fromBlock` (the escrow's deployment block, from the address book), so the cost
 * grows with its own leases, not with the escrow's; an endpoint that caps a log query's range is
 * asked again over smaller ranges.
 */
export async function providerLeases(
  { escrow, registry }: EscrowHandle,
  provider: string,
  opts: { fromBlock?: number } = {},
): Promise<bigint[]> {
  const fromBlock = opts.fromBlock ?? 0;
  // One end for every query, so the three event kinds describe the same chain.
  const toBlock = await escrow.runner!.provider!.getBlockNumber();
  const nodeIds = (await listNodes(registry, { provider })).map((n) => n.id);
  const ids = new Set<bigint>();
  const reservations: bigint[] = [];
  for (const nodes of slices(nodeIds)) {
    const opened = escrow.filters.LeaseOpened(undefined, anyOf(nodes));
    for (const log of await inRanges((from, to) => escrow.queryFilter(opened, from, to), fromBlock, toBlock)) {
      ids.add(log.args.leaseId);
    }
    const reserved = escrow.filters.Reserved(undefined, anyOf(nodes));
    for (const log of await inRanges((from, to) => escrow.queryFilter(reserved, from, to), fromBlock, toBlock)) {
      reservations.push(log.args.reservationId);
    }
  }
  for (const some of slices(reservations)) {
    const ended = escrow.filters.ReservationEnded(anyOf(some));
    for (const log of await inRanges((from, to) => escrow.queryFilter(ended, from, to), fromBlock, toBlock)) {
      if (log.args.feeLeaseId !== 0n) ids.add(log.args.feeLeaseId);
    }
  }
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One token's part of a withdrawal. */
export interface Withdrawal {
  token: string;
  amount: bigint;
  fee: bigint;
}

/**
 * Withdraws everything the signer's leases have earned, in batches of `batch` leases per
 * transaction. Leases with nothing new are left out; they are found by {@link providerLeases}
 * from `opts.fromBlock`.
 */
export async function withdrawAll(
  h: EscrowHandle,
  signer: Signer,
  batch = 50,
  opts: { fromBlock?: number } = {},
): Promise<Withdrawal[]> {
  const provider = await signer.getAddress();
  const ids: bigint[] = [];
  for (const id of await providerLeases(h, provider, opts)) {
    const [accrued] = await h.escrow.accrued(id);
    if (accrued > (await h.escrow.lease(id)).withdrawn) ids.push(id);
  }
  const out: Withdrawal[] = [];
  for (let i = 0; i < ids.length; i += batch) {
    const receipt = await mined(h.escrow.connect(signer).withdraw(ids.slice(i, i + batch)));
    for (const event of receiptEvents(h.escrow, receipt, "Withdrawn")) {
      out.push({ token: event.args.token, amount: event.args.amount, fee: event.args.fee });
    }
  }
  return out;
}

/**
 * Reserves a node for `[start, start + duration)`, approving the deposit first, refused if the
 * node's price is above `maxPricePerTuHour` (the price the customer was shown). A reservation the
 * escrow would refuse, a deposit not above the reservation fee, or one the signer does not hold,
 * fails before anything is sent.
 */
export async function reserve(
  h: EscrowHandle,
  signer: Signer,
  nodeId: bigint,
  start: bigint,
  duration: bigint,
  deposit: bigint,
  maxPricePerTuHour: bigint,
  source: Source = "reserve",
): Promise<bigint> {
  const escrow = h.escrow.connect(signer);
  // With no deposit the dry run stops at the fee check, and names the fee.
  const refused = await dryRun([h.escrow.interface], "DepositBelowFee", () =>
    escrow.reserve.staticCall(nodeId, start, duration, 0n, maxPricePerTuHour),
  );
  const token = await nodeToken(h, nodeId);
  const fee = (refused?.args.fee as bigint | undefined) ?? 0n;
  if (deposit <= fee) {
    const { symbol, decimals } = await tokenLabel(token, signer);
    throw new InputError(
      source,
      undefined,
      "deposit",
      `${formatToken(deposit, symbol, decimals)} does not cover the reservation fee of ${formatToken(fee, symbol, decimals)} and some lease time`,
    );
  }
  await preparePayment(token, signer, await escrow.getAddress(), deposit, source, "deposit");
  const receipt = await mined(escrow.reserve(nodeId, start, duration, deposit, maxPricePerTuHour));
  return receiptEvent(h.escrow, receipt, "Reserved").args.reservationId as bigint;
}

/** Starts a reservation's lease; returns the lease id. */
export async function startReservation(h: EscrowHandle, signer: Signer, reservationId: bigint): Promise<bigint> {
  const receipt = await mined(h.escrow.connect(signer).startReserved(reservationId));
  return receiptEvent(h.escrow, receipt, "LeaseOpened").args.leaseId as bigint;
}

/** Cancels a reservation; returns the fee the provider earned and the refund. */
export async function cancelReservation(
  h: EscrowHandle,
  signer: Signer,
  reservationId: bigint,
): Promise<{ feePaid: bigint; refund: bigint }> {
  const receipt = await mined(h.escrow.connect(signer).cancelReservation(reservationId));
  const event = receiptEvent(h.escrow, receipt, "ReservationEnded");
  return { feePaid: event.args.feePaid, refund: event.args.refund };
}

/** What a keeper sweep did; `failed` lists actions that reverted (a race with another keeper). */
export interface SweepReport {
  disconnected: bigint[];
  closed: bigint[];
  expired: bigint[];
  feesForwarded: bigint[];
  failed: { action: string; id: bigint; reason: string }[];
}

/**
 * The keeper's rounds, in an order where each step feeds the next:
 * 1. marks stale live nodes Disconnect in the registry;
 * 2. closes open leases whose deposit is drained or whose node is Disconnect (settling them
 *    up to the last heartbeat, refunding the customer and, for a Disconnect node, slashing);
 * 3. expires pending reservations past their grace or on a Disconnect node;
 * 4. forwards the protocol fees of every lease with some withdrawn but not forwarded.
 * Every step is permissionless; one that reverts is reported and the sweep goes on.
 */
export async function keeperSweep(h: EscrowHandle, signer: Signer): Promise<SweepReport> {
  const report: SweepReport = { disconnected: [], closed: [], expired: [], feesForwarded: [], failed: [] };
  const escrow = h.escrow.connect(signer);
  const registry = h.registry.connect(signer);
  const attempt = async (
    action: string,
    id: bigint,
    list: bigint[],
    send: () => Promise<ContractTransactionResponse>,
  ) => {
    try {
      await mined(send());
      list.push(id);
    } catch (error) {
      report.failed.push({ action, id, reason: revertLine(error, [escrow.interface, registry.interface]) });
    }
  };

  const nodeCount = await registry.nodeCount();
  for (let id = 1n; id <= nodeCount; id++) {
    if (await registry.isStale(id))
      await attempt("markDisconnected", id, report.disconnected, () => registry.markDisconnected(id));
  }

  const leaseCount = await escrow.leaseCount();
  const toForward: bigint[] = [];
  for (let id = 1n; id <= leaseCount; id++) {
    const l = await escrow.lease(id);
    if (l.status === 1n) {
      const [, remaining] = await escrow.accrued(id);
      const down = (await registry.leaseTerms(l.nodeId)).status === 4n;
      if (remaining === 0n || down) await attempt("closeLease", id, report.closed, () => escrow.closeLease(id));
    }
    if (feeOf(l.withdrawn, l.feeBps) > (await escrow.forwardedFee(id))) toForward.push(id);
  }

  const reservationCount = await escrow.reservationCount();
  const now = BigInt((await signer.provider!.getBlock("latest"))!.timestamp);
  for (let id = 1n; id <= reservationCount; id++) {
    const r = await escrow.reservation(id);
    if (r.status !== 1n) continue;
    const down = (await registry.leaseTerms(r.nodeId)).status === 4n;
    if (now >= r.deadline || down)
      await attempt("expireReservation", id, report.expired, () => escrow.expireReservation(id));
  }

  if (toForward.length > 0) {
    const done: bigint[] = [];
    await attempt("forwardFees", 0n, done, () => escrow.forwardFees(toForward));
    if (done.length > 0) report.feesForwarded.push(...toForward);
  }
  return report;
}
