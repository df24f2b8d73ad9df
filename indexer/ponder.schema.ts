// The indexer's tables: what the app's lists and histories read, each row kept current by the
// handlers in src/index.ts from the contracts' events alone (no contract reads while indexing).
import { index, onchainTable, primaryKey } from "ponder";

/** A node as the registry's events left it. `status` is the registry's enum (1 Idle … 4 Disconnect). */
export const node = onchainTable(
  "node",
  (t) => ({
    id: t.bigint().primaryKey(),
    provider: t.hex().notNull(),
    model: t.hex().notNull(),
    gpuCount: t.integer().notNull(),
    milliTu: t.integer().notNull(),
    paymentToken: t.hex().notNull(),
    pricePerTuHour: t.bigint().notNull(),
    stake: t.bigint().notNull(),
    requiredStake: t.bigint().notNull(),
    uri: t.text().notNull(),
    status: t.integer().notNull(),
    verified: t.boolean().notNull(),
    lastCheckIn: t.bigint().notNull(),
    registeredAt: t.bigint().notNull(),
  }),
  (table) => ({
    providerIdx: index().on(table.provider),
    statusIdx: index().on(table.status, table.pricePerTuHour),
  }),
);

/** A lease, with what its receipts paid and how it ended. `status` is the escrow's LeaseStatus. */
export const lease = onchainTable(
  "lease",
  (t) => ({
    id: t.bigint().primaryKey(),
    nodeId: t.bigint().notNull(),
    customer: t.hex().notNull(),
    provider: t.hex().notNull(),
    token: t.hex().notNull(),
    feeBps: t.integer().notNull(),
    rate: t.bigint().notNull(),
    deposit: t.bigint().notNull(),
    sessionKey: t.hex().notNull(),
    status: t.integer().notNull(),
    start: t.bigint().notNull(),
    paid: t.bigint().notNull(),
    paidThrough: t.bigint().notNull(),
    feePaid: t.bigint().notNull(),
    collects: t.integer().notNull(),
    closedAt: t.bigint(),
    closedBy: t.hex(),
    collectDeadline: t.bigint(),
    refund: t.bigint(),
    windowFee: t.bigint(),
  }),
  (table) => ({
    customerIdx: index().on(table.customer, table.id),
    providerIdx: index().on(table.provider, table.id),
    nodeIdx: index().on(table.nodeId, table.id),
    statusIdx: index().on(table.status, table.collectDeadline),
  }),
);

/** A reservation. `status` is the escrow's ReservationStatus. */
export const reservation = onchainTable(
  "reservation",
  (t) => ({
    id: t.bigint().primaryKey(),
    nodeId: t.bigint().notNull(),
    customer: t.hex().notNull(),
    provider: t.hex().notNull(),
    token: t.hex().notNull(),
    feeBps: t.integer().notNull(),
    start: t.bigint().notNull(),
    deadline: t.bigint().notNull(),
    heldUntil: t.bigint().notNull(),
    deposit: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    status: t.integer().notNull(),
    acceptBy: t.bigint(),
    leaseId: t.bigint(),
    feeEarned: t.bigint(),
    refund: t.bigint(),
    penalty: t.bigint(),
  }),
  (table) => ({
    customerIdx: index().on(table.customer, table.id),
    nodeIdx: index().on(table.nodeId, table.id),
    statusIdx: index().on(table.status, table.deadline),
  }),
);

/** A payment token's protocol fee, as the escrow's admin last set it: leases snapshot it at open. */
export const paymentToken = onchainTable("payment_token", (t) => ({
  token: t.hex().primaryKey(),
  allowed: t.boolean().notNull(),
  feeBps: t.integer().notNull(),
}));

/** A provider's money in one token: earned net of fees, withdrawn, and fees due and forwarded. */
export const earning = onchainTable(
  "earning",
  (t) => ({
    provider: t.hex().notNull(),
    token: t.hex().notNull(),
    earned: t.bigint().notNull(),
    withdrawn: t.bigint().notNull(),
    feesDue: t.bigint().notNull(),
    feesForwarded: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.provider, table.token] }) }),
);

/** The emission's fee buckets: what was recorded, sold and released for one epoch and token. */
export const bucket = onchainTable(
  "bucket",
  (t) => ({
    epoch: t.bigint().notNull(),
    token: t.hex().notNull(),
    fees: t.bigint().notNull(),
    sold: t.bigint().notNull(),
    tftBought: t.bigint().notNull(),
    toMiners: t.bigint().notNull(),
    toOperations: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.epoch, table.token] }) }),
);

/** One event of the market's history, for timelines: buybacks, burns, releases, collects. */
export const activity = onchainTable(
  "activity",
  (t) => ({
    id: t.text().primaryKey(),
    kind: t.text().notNull(),
    timestamp: t.bigint().notNull(),
    block: t.bigint().notNull(),
    account: t.hex(),
    leaseId: t.bigint(),
    token: t.hex(),
    amount: t.bigint().notNull(),
  }),
  (table) => ({
    kindIdx: index().on(table.kind, table.timestamp),
    accountIdx: index().on(table.account, table.timestamp),
  }),
);

/** A provider's operator, as its latest `OperatorSet` named it (the zero address once removed). */
export const operator = onchainTable(
  "operator",
  (t) => ({
    provider: t.hex().primaryKey(),
    operator: t.hex().notNull(),
  }),
  (table) => ({ operatorIdx: index().on(table.operator) }),
);

/** A provider's part of a fee bucket: its fee there and the TFT it claimed from the bucket's rewards. */
export const share = onchainTable(
  "share",
  (t) => ({
    provider: t.hex().notNull(),
    epoch: t.bigint().notNull(),
    token: t.hex().notNull(),
    fee: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.provider, table.epoch, table.token] }),
    providerIdx: index().on(table.provider, table.epoch),
  }),
);

/**
 * The emission's figures after each block that changed them: the reserve (its funding, less its
 * releases), what the emission burned and released, and every TFT burned so far, a holder's own
 * burns included (TFT mints only at its creation, so the supply at a point is today's supply plus
 * what was burned since). The row of block -1 is the running state the handlers carry forward.
 */
export const supply = onchainTable("supply", (t) => ({
  block: t.bigint().primaryKey(),
  timestamp: t.bigint().notNull(),
  allBurned: t.bigint().notNull(),
  reserve: t.bigint().notNull(),
  burned: t.bigint().notNull(),
  released: t.bigint().notNull(),
}));
