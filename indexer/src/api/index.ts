// The indexer's HTTP API: lists paged, filtered and sorted in the database, so a page costs what
// it shows. `/sql/*` serves @ponder/client's typed SQL queries over the same tables (read-only).
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { SQL } from "drizzle-orm";
import { and, asc, client, desc, eq, graphql, gt, gte, inArray, lte, or, sql } from "ponder";
import { db } from "ponder:api";
import schema, { activity, bucket, earning, lease, node, operator, reservation, share, supply } from "ponder:schema";

const app = new Hono();
app.use("*", cors());
app.use("/sql/*", client({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

const MAX_LIMIT = 100;

/** One clear line for a bad query parameter, as a 400 answer. */
class BadQuery extends Error {}

function int(value: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new BadQuery(`${name}: a whole number up to ${max}`);
  return Number(value);
}

function address(value: string | undefined, name: string): `0x${string}` | undefined {
  if (value === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new BadQuery(`${name}: a 0x-prefixed 20-byte address`);
  return value.toLowerCase() as `0x${string}`;
}

/** `status=1` or a list, `status=1,2,3`: one status or any of several. */
function statuses(value: string, name: string, max: number): number[] {
  if (!/^\d+(,\d+)*$/.test(value))
    throw new BadQuery(`${name}: a status up to ${max}, or a comma-separated list of them`);
  const list = value.split(",").map((v) => int(v, name, 0, max));
  return [...new Set(list)];
}

function byStatus(column: Parameters<typeof eq>[0], value: string, max: number): SQL {
  const list = statuses(value, "status", max);
  return list.length === 1 ? eq(column, list[0]!) : inArray(column, list);
}

function page(query: Record<string, string>) {
  return { limit: int(query.limit, "limit", 50, MAX_LIMIT), offset: int(query.offset, "offset", 0) };
}

app.onError((error, c) => {
  if (error instanceof BadQuery) return c.json({ error: error.message }, 400);
  throw error;
});

/** bigint → decimal string, so any client reads amounts without losing digits. */
function json<T>(rows: T) {
  return JSON.parse(JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
}

// The market: nodes by status, cheapest first (an index covers status and price).
app.get("/nodes", async (c) => {
  const q = c.req.query();
  const { limit, offset } = page(q);
  const where: SQL[] = [];
  if (q.status !== undefined) where.push(byStatus(node.status, q.status, 4));
  const provider = address(q.provider, "provider");
  if (provider) where.push(eq(node.provider, provider));
  const rows = await db
    .select()
    .from(node)
    .where(and(...where))
    .orderBy(q.sort === "id" ? asc(node.id) : asc(node.pricePerTuHour), asc(node.id))
    .limit(limit)
    .offset(offset);
  return c.json(json(rows));
});

// A customer's or a provider's leases, newest first.
app.get("/leases", async (c) => {
  const q = c.req.query();
  const { limit, offset } = page(q);
  const where: SQL[] = [];
  const customer = address(q.customer, "customer");
  const provider = address(q.provider, "provider");
  if (customer) where.push(eq(lease.customer, customer));
  if (provider) where.push(eq(lease.provider, provider));
  if (q.status !== undefined) where.push(byStatus(lease.status, q.status, 3));
  if (q.node !== undefined) where.push(eq(lease.nodeId, BigInt(int(q.node, "node", 0))));
  const rows = await db
    .select()
    .from(lease)
    .where(and(...where))
    .orderBy(desc(lease.id))
    .limit(limit)
    .offset(offset);
  return c.json(json(rows));
});

// What a keeper or an agent has to do now: closing leases whose collect window ended by `at`.
app.get("/due/finalize", async (c) => {
  const q = c.req.query();
  const { limit, offset } = page(q);
  const at = BigInt(int(q.at, "at", Math.floor(Date.now() / 1000)));
  const rows = await db
    .select({ id: lease.id, collectDeadline: lease.collectDeadline })
    .from(lease)
    .where(and(eq(lease.status, 2), lte(lease.collectDeadline, at)))
    .orderBy(asc(lease.collectDeadline))
    .limit(limit)
    .offset(offset);
  return c.json(json(rows));
});

app.get("/reservations", async (c) => {
  const q = c.req.query();
  const { limit, offset } = page(q);
  const where: SQL[] = [];
  const customer = address(q.customer, "customer");
  const provider = address(q.provider, "provider");
  if (customer) where.push(eq(reservation.customer, customer));
  if (provider) where.push(eq(reservation.provider, provider));
  if (q.status !== undefined) where.push(byStatus(reservation.status, q.status, 6));
  const rows = await db
    .select()
    .from(reservation)
    .where(and(...where))
    .orderBy(desc(reservation.id))
    .limit(limit)
    .offset(offset);
  return c.json(json(rows));
});

app.get("/earnings/:provider", async (c) => {
  const provider = address(c.req.param("provider"), "provider")!;
  const rows = await db.select().from(earning).where(eq(earning.provider, provider));
  return c.json(json(rows));
});

// The providers that name `operator` their operator now: the accounts an operator acts for.
app.get("/operators", async (c) => {
  const q = c.req.query();
  const { limit, offset } = page(q);
  const named = address(q.operator, "operator");
  if (named === undefined) throw new BadQuery("operator: a 0x-prefixed 20-byte address");
  const rows = await db
    .select()
    .from(operator)
    .where(eq(operator.operator, named))
    .orderBy(asc(operator.provider))
    .limit(limit)
    .offset(offset);
  return c.json(json(rows));
});

// A provider's mining rewards, newest bucket first: its fee in each bucket, the bucket's figures
// and what it may claim now (the emission's `claimable`: rewards × fee / fees − claimed).
// `claimable=1`: only the buckets with something to claim, oldest first, as a claim names them.
app.get("/rewards/:provider", async (c) => {
  const provider = address(c.req.param("provider"), "provider")!;
  const q = c.req.query();
  const { limit, offset } = page(q);
  if (q.claimable !== undefined && q.claimable !== "1") throw new BadQuery("claimable: 1, or leave it out");
  const where: SQL[] = [eq(share.provider, provider)];
  // floor(rewards × fee / fees) > claimed, without a division: rewards × fee ≥ (claimed + 1) × fees.
  if (q.claimable === "1")
    where.push(
      sql`${bucket.fees} > 0 and ${bucket.toMiners} * ${share.fee} >= (${share.claimed} + 1) * ${bucket.fees}`,
    );
  const rows = await db
    .select({
      epoch: share.epoch,
      token: share.token,
      fee: share.fee,
      claimed: share.claimed,
      fees: bucket.fees,
      sold: bucket.sold,
      bought: bucket.tftBought,
      rewards: bucket.toMiners,
    })
    .from(share)
    .innerJoin(bucket, and(eq(bucket.epoch, share.epoch), eq(bucket.token, share.token)))
    .where(and(...where))
    .orderBy(q.claimable === "1" ? asc(share.epoch) : desc(share.epoch), asc(share.token))
    .limit(limit)
    .offset(offset);
  return c.json(
    json(rows.map((r) => ({ ...r, claimable: r.fees === 0n ? 0n : (r.rewards * r.fee) / r.fees - r.claimed }))),
  );
});

/** Points of the supply's history one answer holds: the newest ones when there are more. */
const MAX_HISTORY = 500;

// Token economics: the buckets of recent epochs, those with fees still to sell (oldest first),
// the latest buybacks and burns, and the supply's history from the reserve's funding on.
app.get("/economics", async (c) => {
  const q = c.req.query();
  const since = BigInt(int(q.since, "since", 0));
  const [buckets, unsold, recent, history] = await Promise.all([
    db.select().from(bucket).where(gte(bucket.epoch, since)).orderBy(desc(bucket.epoch)).limit(MAX_LIMIT),
    db
      .select()
      .from(bucket)
      .where(gt(bucket.fees, bucket.sold))
      .orderBy(asc(bucket.epoch), asc(bucket.token))
      .limit(MAX_LIMIT),
    db
      .select()
      .from(activity)
      .where(or(eq(activity.kind, "buyback"), eq(activity.kind, "burn")))
      .orderBy(desc(activity.timestamp))
      .limit(int(q.limit, "limit", 20, MAX_LIMIT)),
    db
      .select()
      .from(supply)
      .where(and(gte(supply.block, 0n), sql`${supply.reserve} + ${supply.released} > 0`))
      .orderBy(desc(supply.block))
      .limit(MAX_HISTORY),
  ]);
  // `complete`: the history goes back to the reserve's funding (fewer points than one answer holds).
  return c.json(json({ buckets, unsold, recent, history: history.reverse(), complete: history.length < MAX_HISTORY }));
});

export default app;
