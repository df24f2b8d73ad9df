// The handlers: each event updates the rows it names, from the event's own fields, so catching up
// costs one pass over the logs and no contract call.
import { ponder, type Context } from "ponder:registry";
import {
  activity,
  bucket,
  earning,
  lease,
  node,
  operator,
  paymentToken,
  reservation,
  share,
  supply,
} from "ponder:schema";

const BPS = 10_000n;
/** The registry's `Status` and the escrow's enums, by name where a handler sets one. */
const NODE = { Idle: 1, Sharing: 2, Reserved: 3, Disconnect: 4 } as const;
const LEASE = { Open: 1, Closing: 2, Closed: 3 } as const;
const RESERVATION = { Pending: 1, Starting: 2 } as const;

type Hex = `0x${string}`;

/** Books what a provider earned in a token (`gross`, of which `fee` is the protocol's). */
async function credit(context: Context, provider: Hex, token: Hex, gross: bigint, fee: bigint) {
  if (gross === 0n) return;
  await context.db
    .insert(earning)
    .values({ provider, token, earned: gross - fee, withdrawn: 0n, feesDue: fee, feesForwarded: 0n })
    .onConflictDoUpdate((row) => ({ earned: row.earned + gross - fee, feesDue: row.feesDue + fee }));
}

function activityId(event: { transaction: { hash: Hex }; log: { logIndex: number } }): string {
  return `${event.transaction.hash}-${event.log.logIndex}`;
}

// ---------------------------------------------------------------- registry

ponder.on("ProviderRegistry:NodeRegistered", async ({ event, context }) => {
  const a = event.args;
  await context.db.insert(node).values({
    id: a.nodeId,
    provider: a.provider,
    model: a.model,
    gpuCount: a.gpuCount,
    milliTu: a.milliTu,
    paymentToken: a.paymentToken,
    pricePerTuHour: a.pricePerTuHour,
    stake: a.stake,
    requiredStake: a.stake,
    uri: a.uri,
    status: NODE.Idle,
    verified: false,
    lastCheckIn: event.block.timestamp,
    registeredAt: event.block.timestamp,
  });
});

ponder.on("ProviderRegistry:NodeUpdated", async ({ event, context }) => {
  await context.db
    .update(node, { id: event.args.nodeId })
    .set({ pricePerTuHour: event.args.pricePerTuHour, uri: event.args.uri });
});

ponder.on("ProviderRegistry:StatusChanged", async ({ event, context }) => {
  const { nodeId, from, to } = event.args;
  // The escrow's hold, lease start and a lease's end each count as a check-in (IProviderRegistry).
  const checkedIn = to === NODE.Reserved || to === NODE.Sharing || (from === NODE.Sharing && to === NODE.Idle);
  if (to === 0) return; // deregistered: the row keeps its last state, StakeUnbonding follows
  await context.db
    .update(node, { id: nodeId })
    .set(checkedIn ? { status: to, lastCheckIn: event.block.timestamp } : { status: to });
});

ponder.on("ProviderRegistry:StakeUnbonding", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ status: 0 });
});

ponder.on("ProviderRegistry:CheckedIn", async ({ event, context }) => {
  for (const id of event.args.nodeIds) {
    // A node the escrow holds while Disconnect was passed over (CheckInSkipped): it stays down.
    await context.db
      .update(node, { id })
      .set((row) => (row.status === NODE.Disconnect ? {} : { lastCheckIn: event.block.timestamp }));
  }
});

ponder.on("ProviderRegistry:OperatorSet", async ({ event, context }) => {
  const { provider, operator: named } = event.args;
  await context.db.insert(operator).values({ provider, operator: named }).onConflictDoUpdate({ operator: named });
});

ponder.on("ProviderRegistry:NodeVerified", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ verified: event.args.verified });
});

ponder.on("ProviderRegistry:StakeAdded", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ stake: event.args.stake });
});

ponder.on("ProviderRegistry:Penalized", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set((row) => ({ stake: row.stake - event.args.amount }));
});

ponder.on("ProviderRegistry:StakeWithdrawn", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ stake: 0n });
});

// ---------------------------------------------------------------- escrow: leases

ponder.on("LeaseEscrow:PaymentTokenSet", async ({ event, context }) => {
  const { token, allowed, feeBps } = event.args;
  await context.db.insert(paymentToken).values({ token, allowed, feeBps }).onConflictDoUpdate({ allowed, feeBps });
});

ponder.on("LeaseEscrow:LeaseOpened", async ({ event, context }) => {
  const a = event.args;
  const config = await context.db.find(paymentToken, { token: a.token });
  await context.db.insert(lease).values({
    id: a.leaseId,
    nodeId: a.nodeId,
    customer: a.customer,
    provider: a.provider,
    token: a.token,
    feeBps: config?.feeBps ?? 0,
    rate: a.rate,
    deposit: a.deposit,
    sessionKey: a.sessionKey,
    status: LEASE.Open,
    start: event.block.timestamp,
    paid: 0n,
    paidThrough: 0n,
    feePaid: 0n,
    collects: 0,
  });
});

ponder.on("LeaseEscrow:ToppedUp", async ({ event, context }) => {
  await context.db
    .update(lease, { id: event.args.leaseId })
    .set((row) => ({ deposit: row.deposit + event.args.amount }));
});

ponder.on("LeaseEscrow:SessionKeySet", async ({ event, context }) => {
  await context.db.update(lease, { id: event.args.leaseId }).set({ sessionKey: event.args.sessionKey });
});

ponder.on("LeaseEscrow:Collected", async ({ event, context }) => {
  const { leaseId, paidThrough, paid, fee } = event.args;
  const row = await context.db.find(lease, { id: leaseId });
  if (row === null) return;
  // Read before the update: the store hands out the cached row, which the update changes.
  const { provider, token } = row;
  const gross = paid - row.paid;
  await context.db.update(lease, { id: leaseId }).set({
    paid,
    paidThrough,
    feePaid: row.feePaid + fee,
    collects: row.collects + 1,
  });
  await credit(context, provider, token, gross, fee);
  await context.db.insert(activity).values({
    id: activityId(event),
    kind: "collect",
    timestamp: event.block.timestamp,
    block: event.block.number,
    account: provider,
    leaseId,
    token,
    amount: gross,
  });
});

ponder.on("LeaseEscrow:LeaseClosed", async ({ event, context }) => {
  const { leaseId, closedBy, collectDeadline } = event.args;
  await context.db.update(lease, { id: leaseId }).set({
    closedAt: event.block.timestamp,
    closedBy,
    collectDeadline: collectDeadline === 0n ? null : collectDeadline,
    status: collectDeadline === 0n ? LEASE.Open : LEASE.Closing,
  });
});

ponder.on("LeaseEscrow:LeaseFinalized", async ({ event, context }) => {
  const { leaseId, refund, windowFee } = event.args;
  const row = await context.db.update(lease, { id: leaseId }).set({ status: LEASE.Closed, refund, windowFee });
  await credit(context, row.provider, row.token, windowFee, (windowFee * BigInt(row.feeBps)) / BPS);
});

// ---------------------------------------------------------------- escrow: reservations

ponder.on("LeaseEscrow:Reserved", async ({ event, context }) => {
  const a = event.args;
  const held = await context.db.find(node, { id: a.nodeId });
  const config = await context.db.find(paymentToken, { token: a.token });
  await context.db.insert(reservation).values({
    id: a.reservationId,
    nodeId: a.nodeId,
    customer: a.customer,
    // A reservation is only ever made on a registered node, whose row the registry's events made.
    provider: held!.provider,
    token: a.token,
    feeBps: config?.feeBps ?? 0,
    start: BigInt(a.start),
    deadline: BigInt(a.deadline),
    heldUntil: BigInt(a.heldUntil),
    deposit: a.deposit,
    fee: a.fee,
    status: RESERVATION.Pending,
  });
});

ponder.on("LeaseEscrow:StartRequested", async ({ event, context }) => {
  await context.db.update(reservation, { id: event.args.reservationId }).set((row) => ({
    status: RESERVATION.Starting,
    deposit: row.deposit + event.args.added,
    acceptBy: event.args.acceptBy,
  }));
});

ponder.on("LeaseEscrow:ReservationEnded", async ({ event, context }) => {
  const { reservationId, status, feeEarned, refund, leaseId, penalty } = event.args;
  const row = await context.db.update(reservation, { id: reservationId }).set({
    status,
    feeEarned,
    refund,
    penalty,
    leaseId: leaseId === 0n ? null : leaseId,
  });
  await credit(context, row.provider, row.token, feeEarned, (feeEarned * BigInt(row.feeBps)) / BPS);
});

// ---------------------------------------------------------------- escrow: money out

ponder.on("LeaseEscrow:Withdrawn", async ({ event, context }) => {
  const { provider, token, amount } = event.args;
  await context.db.update(earning, { provider, token }).set((row) => ({ withdrawn: row.withdrawn + amount }));
});

ponder.on("LeaseEscrow:FeesForwarded", async ({ event, context }) => {
  const { provider, token, fee } = event.args;
  await context.db
    .update(earning, { provider, token })
    .set((row) => ({ feesDue: row.feesDue - fee, feesForwarded: row.feesForwarded + fee }));
});

// ---------------------------------------------------------------- emission

async function bucketOf(context: Context, epoch: bigint, token: Hex) {
  return context.db
    .insert(bucket)
    .values({ epoch, token, fees: 0n, sold: 0n, tftBought: 0n, toMiners: 0n, toOperations: 0n, claimed: 0n })
    .onConflictDoNothing();
}

ponder.on("BuybackEmission:FeeRecorded", async ({ event, context }) => {
  const { provider, token, epoch, fee } = event.args;
  await bucketOf(context, epoch, token);
  await context.db.update(bucket, { epoch, token }).set((row) => ({ fees: row.fees + fee }));
  await context.db
    .insert(share)
    .values({ provider, epoch, token, fee, claimed: 0n })
    .onConflictDoUpdate((row) => ({ fee: row.fee + fee }));
});

ponder.on("BuybackEmission:BoughtBack", async ({ event, context }) => {
  const { keeper, tokenIn, epoch, amountIn, tftOut } = event.args;
  await bucketOf(context, epoch, tokenIn);
  await context.db
    .update(bucket, { epoch, token: tokenIn })
    .set((row) => ({ sold: row.sold + amountIn, tftBought: row.tftBought + tftOut }));
  await context.db.insert(activity).values({
    id: activityId(event),
    kind: "buyback",
    timestamp: event.block.timestamp,
    block: event.block.number,
    account: keeper,
    token: tokenIn,
    amount: tftOut,
  });
});

ponder.on("BuybackEmission:Burned", async ({ event, context }) => {
  await supplyChange(context, event.block, () => ({ burned: event.args.totalBurned }));
  await context.db.insert(activity).values({
    id: activityId(event),
    kind: "burn",
    timestamp: event.block.timestamp,
    block: event.block.number,
    amount: event.args.amount,
  });
});

ponder.on("BuybackEmission:Released", async ({ event, context }) => {
  const { epoch, token, fromReserve, toMiners, toOperations } = event.args;
  await supplyChange(context, event.block, (state) => ({
    reserve: state.reserve - fromReserve,
    released: state.released + fromReserve,
  }));
  await bucketOf(context, epoch, token);
  await context.db
    .update(bucket, { epoch, token })
    .set((row) => ({ toMiners: row.toMiners + toMiners, toOperations: row.toOperations + toOperations }));
});

ponder.on("BuybackEmission:RewardClaimed", async ({ event, context }) => {
  const { provider, epoch, token, amount } = event.args;
  await context.db.update(bucket, { epoch, token }).set((row) => ({ claimed: row.claimed + amount }));
  await context.db.update(share, { provider, epoch, token }).set((row) => ({ claimed: row.claimed + amount }));
});

ponder.on("BuybackEmission:ReserveFunded", async ({ event, context }) => {
  await supplyChange(context, event.block, () => ({ reserve: event.args.amount }));
});

// ---------------------------------------------------------------- TFT's supply

/** The running supply figures, kept in the row of block -1 (see the schema's `supply`). */
const RUNNING = -1n;
type Figures = { allBurned: bigint; reserve: bigint; burned: bigint; released: bigint };

/** Applies a change to the running figures and records them as they stand after `block`. */
async function supplyChange(
  context: Context,
  block: { number: bigint; timestamp: bigint },
  change: (state: Figures) => Partial<Figures>,
) {
  const state = (await context.db.find(supply, { block: RUNNING })) ?? {
    block: RUNNING,
    timestamp: 0n,
    allBurned: 0n,
    reserve: 0n,
    burned: 0n,
    released: 0n,
  };
  const { allBurned, reserve, burned, released } = { ...state, ...change(state) };
  const figures = { timestamp: block.timestamp, allBurned, reserve, burned, released };
  for (const at of [RUNNING, block.number]) {
    await context.db
      .insert(supply)
      .values({ block: at, ...figures })
      .onConflictDoUpdate(figures);
  }
}

// Only burns (transfers to zero) are fetched, by the config's filter.
ponder.on("TFT:Transfer", async ({ event, context }) => {
  await supplyChange(context, event.block, (state) => ({ allBurned: state.allBurned + event.args.value }));
});
