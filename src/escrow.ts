import { Contract, type ContractRunner, type ContractTransactionResponse, type Signer } from "ethers";

import { statusName, type NodeStatus } from "./registry.js";
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

const ERC20_ABI = [
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

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

/** Connects to an escrow and to its registry (read from the escrow). */
export async function connectEscrow(address: string, runner: ContractRunner): Promise<EscrowHandle> {
  const escrow = LeaseEscrow__factory.connect(address, runner);
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

/** A token's symbol and decimals, for parsing and printing amounts. */
export async function tokenInfo(token: string, runner: ContractRunner): Promise<{ symbol: string; decimals: number }> {
  const erc20 = new Contract(token, ERC20_ABI, runner);
  const [symbol, decimals] = await Promise.all([erc20.getFunction("symbol")(), erc20.getFunction("decimals")()]);
  return { symbol: String(symbol), decimals: Number(decimals) };
}

/** Approves the escrow to take `amount` of `token` from `signer` if the allowance is short. */
export async function ensureAllowance(token: string, signer: Signer, spender: string, amount: bigint): Promise<void> {
  const erc20 = new Contract(token, ERC20_ABI, signer);
  const allowance = (await erc20.getFunction("allowance")(await signer.getAddress(), spender)) as bigint;
  if (allowance >= amount) return;
  const tx = (await erc20.getFunction("approve")(spender, amount)) as ContractTransactionResponse;
  await tx.wait();
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
 * Opens a lease (or starts the caller's reservation of the node), approving the deposit first.
 * `maxPricePerTuHour` is the price the customer was shown: the escrow refuses the lease if the
 * provider raised it in the meantime.
 */
export async function openLease(
  h: EscrowHandle,
  signer: Signer,
  nodeId: bigint,
  deposit: bigint,
  maxPricePerTuHour: bigint,
): Promise<bigint> {
  const escrow = h.escrow.connect(signer);
  if (deposit > 0n) await ensureAllowance(await nodeToken(h, nodeId), signer, await escrow.getAddress(), deposit);
  const receipt = await (await escrow.openLease(nodeId, deposit, maxPricePerTuHour)).wait();
  return eventArg(h.escrow, receipt?.logs ?? [], "LeaseOpened", "leaseId");
}

/** Adds `amount` to a lease's deposit, approving it first. */
export async function topUp(h: EscrowHandle, signer: Signer, leaseId: bigint, amount: bigint): Promise<void> {
  const escrow = h.escrow.connect(signer);
  const l = await escrow.lease(leaseId);
  if (l.status !== 1n) throw new Error(`lease ${leaseId} is not open`);
  await ensureAllowance(l.token, signer, await escrow.getAddress(), amount);
  await (await escrow.topUp(leaseId, amount)).wait();
}

/** What closing a lease did. */
export interface CloseResult {
  paid: bigint;
  refund: bigint;
  slashed: bigint;
}

/** Closes a lease: settles, refunds the customer and frees the node. */
export async function closeLease(h: EscrowHandle, signer: Signer, leaseId: bigint): Promise<CloseResult> {
  const receipt = await (await h.escrow.connect(signer).closeLease(leaseId)).wait();
  const event = findEvent(h.escrow, receipt?.logs ?? [], "LeaseClosed");
  return { paid: event.args.paid, refund: event.args.refund, slashed: event.args.slashed };
}

/** Every lease id of a provider (fee leases of reservations included), by scanning all leases. */
export async function providerLeases({ escrow }: EscrowHandle, provider: string): Promise<bigint[]> {
  const count = await escrow.leaseCount();
  const ids: bigint[] = [];
  const want = provider.toLowerCase();
  for (let id = 1n; id <= count; id++) {
    if ((await escrow.lease(id)).provider.toLowerCase() === want) ids.push(id);
  }
  return ids;
}

/** One token's part of a withdrawal. */
export interface Withdrawal {
  token: string;
  amount: bigint;
  fee: bigint;
}

/**
 * Withdraws everything the signer's leases have earned, in batches of `batch` leases per
 * transaction. Leases with nothing new are left out.
 */
export async function withdrawAll(h: EscrowHandle, signer: Signer, batch = 50): Promise<Withdrawal[]> {
  const provider = await signer.getAddress();
  const ids: bigint[] = [];
  for (const id of await providerLeases(h, provider)) {
    const [accrued] = await h.escrow.accrued(id);
    if (accrued > (await h.escrow.lease(id)).withdrawn) ids.push(id);
  }
  const out: Withdrawal[] = [];
  for (let i = 0; i < ids.length; i += batch) {
    const receipt = await (await h.escrow.connect(signer).withdraw(ids.slice(i, i + batch))).wait();
    for (const event of escrowEvents(h.escrow, receipt?.logs ?? [], "Withdrawn")) {
      out.push({ token: event.args.token, amount: event.args.amount, fee: event.args.fee });
    }
  }
  return out;
}

/**
 * Reserves a node for `[start, start + duration)`, approving the deposit first, refused if the
 * node's price is above `maxPricePerTuHour` (the price the customer was shown).
 */
export async function reserve(
  h: EscrowHandle,
  signer: Signer,
  nodeId: bigint,
  start: bigint,
  duration: bigint,
  deposit: bigint,
  maxPricePerTuHour: bigint,
): Promise<bigint> {
  const escrow = h.escrow.connect(signer);
  await ensureAllowance(await nodeToken(h, nodeId), signer, await escrow.getAddress(), deposit);
  const receipt = await (await escrow.reserve(nodeId, start, duration, deposit, maxPricePerTuHour)).wait();
  return eventArg(h.escrow, receipt?.logs ?? [], "Reserved", "reservationId");
}

/** Starts a reservation's lease; returns the lease id. */
export async function startReservation(h: EscrowHandle, signer: Signer, reservationId: bigint): Promise<bigint> {
  const receipt = await (await h.escrow.connect(signer).startReserved(reservationId)).wait();
  return eventArg(h.escrow, receipt?.logs ?? [], "LeaseOpened", "leaseId");
}

/** Cancels a reservation; returns the fee the provider earned and the refund. */
export async function cancelReservation(
  h: EscrowHandle,
  signer: Signer,
  reservationId: bigint,
): Promise<{ feePaid: bigint; refund: bigint }> {
  const receipt = await (await h.escrow.connect(signer).cancelReservation(reservationId)).wait();
  const event = findEvent(h.escrow, receipt?.logs ?? [], "ReservationEnded");
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
      await (await send()).wait();
      list.push(id);
    } catch (error) {
      report.failed.push({
        action,
        id,
        reason: error instanceof Error ? error.message.split("\n")[0]! : String(error),
      });
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

type Parsed = NonNullable<ReturnType<LeaseEscrow["interface"]["parseLog"]>>;

type Log = { topics: readonly string[]; data: string };

function escrowEvents(escrow: LeaseEscrow, logs: readonly Log[], name: string): Parsed[] {
  const found: Parsed[] = [];
  for (const log of logs) {
    let parsed: Parsed | null = null;
    try {
      parsed = escrow.interface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      // Another contract's event (the registry's, the token's): not ours to parse.
    }
    if (parsed?.name === name) found.push(parsed);
  }
  return found;
}

function findEvent(escrow: LeaseEscrow, logs: readonly Log[], name: string): Parsed {
  const [event] = escrowEvents(escrow, logs, name);
  if (event === undefined) throw new Error(`the transaction emitted no ${name}`);
  return event;
}

function eventArg(escrow: LeaseEscrow, logs: readonly Log[], name: string, arg: string): bigint {
  return findEvent(escrow, logs, name).args.getValue(arg) as bigint;
}
