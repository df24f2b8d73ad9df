// The provider agent: keeps every node of one provider heartbeating in batches with the operator
// (hot) key, frees a node the escrow holds after an outage so it can reconnect, logs what happens
// to its nodes' leases and reservations, withdraws earnings above a threshold (paid to the
// provider, never to the operator) and claims mining rewards when they are worth the gas.
import { formatUnits, parseUnits, type Log } from "ethers";

import { readBuckets, type BucketRef } from "../emission/client.js";
import { listNodes, type NodeView } from "../registry.js";
import type { ProviderConfig } from "./config.js";
import {
  bucketKey,
  decimalsOf,
  nativeValue,
  readNewLogs,
  runJob,
  runLoop,
  startRuntime,
  stateBuckets,
  type Runtime,
} from "./runtime.js";

export const PROVIDER_SERIES: [string, "counter" | "gauge", string][] = [
  ["gpufog_heartbeats_sent_total", "counter", "Node heartbeats in mined heartbeatBatch transactions."],
  ["gpufog_heartbeat_batches_total", "counter", "heartbeatBatch transactions mined."],
  [
    "gpufog_heartbeats_failed_total",
    "counter",
    "Node heartbeats not recorded: batches that failed or were skipped, nodes passed over.",
  ],
  ["gpufog_heartbeat_age_seconds", "gauge", "Seconds since each node's last heartbeat, by node, at the latest block."],
  ["gpufog_node_up", "gauge", "1 while a node is Idle, Sharing or Reserved and not stale, else 0, by node."],
  ["gpufog_earnings_unwithdrawn", "gauge", "Earnings not yet withdrawn, by token, in the token's base units."],
  ["gpufog_rewards_claimable", "gauge", "TFT mining rewards the provider can claim, in base units."],
];

const LIVE = new Set(["Idle", "Sharing", "Reserved"]);

/** Runs the provider agent until SIGTERM (or for one round with `once`). */
export async function runProviderAgent(config: ProviderConfig, options: { once?: boolean } = {}): Promise<void> {
  const rt = await startRuntime(config, "provider", { dryRun: false, extraSeries: PROVIDER_SERIES });
  const agent = new ProviderAgent(rt, config);
  try {
    await runLoop(rt, () => agent.round(), options.once);
  } finally {
    await rt.close();
    rt.log("info", "stopped", { nonce: rt.state.nonce, pending: rt.state.pending?.label ?? null });
  }
}

export class ProviderAgent {
  /** Each node's health at the last round, to report a change once. */
  private readonly health = new Map<bigint, string>();
  private readonly decimals = new Map<string, number>();
  private setupProblem: string | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly config: ProviderConfig,
  ) {}

  get provider(): string {
    return this.config.provider ?? this.rt.wallet.address;
  }

  async round(): Promise<void> {
    const { registry } = this.rt.contracts;
    const latest = (await this.rt.provider.getBlock("latest"))!;
    const now = BigInt(latest.timestamp);
    const timeout = await registry.heartbeatTimeout();
    const margin = this.config.heartbeatMarginSeconds ?? timeout / 4n;
    const nodes = (await listNodes(registry, { provider: this.provider })).filter(
      (n) => n.status !== "None" && (this.config.nodes === undefined || this.config.nodes.includes(n.id)),
    );
    await this.checkSetup(nodes.length);
    await this.scanEvents(latest.number, new Set(nodes.map((n) => n.id)));
    for (const n of nodes) this.report(n, now, timeout);

    const freed = new Set<bigint>();
    for (const n of nodes.filter((n) => n.status === "Disconnect" && n.engaged)) {
      if (this.config.reconnect && (await this.free(n))) freed.add(n.id);
    }
    const batch = nodes.filter((n) =>
      n.status === "Disconnect" ? this.config.reconnect && (!n.engaged || freed.has(n.id)) : true,
    );
    const due = batch.some((n) => n.status === "Disconnect" || now + margin >= n.lastHeartbeat + timeout);
    if (due) await this.heartbeat(batch.map((n) => n.id));
    await this.withdraw();
    await this.claim();
  }

  /** Says once, loudly, when the agent can do nothing: no nodes, or a key that is not the operator. */
  private async checkSetup(nodes: number): Promise<void> {
    const problem =
      nodes === 0
        ? `${this.provider} has no registered nodes${this.config.nodes === undefined ? "" : " among those configured"}${this.config.provider === undefined ? ' (set "provider" to the cold address when the key is an operator\'s)' : ""}`
        : this.provider !== this.rt.wallet.address &&
            (await this.rt.contracts.registry.operatorOf(this.provider)) !== this.rt.wallet.address
          ? `${this.rt.wallet.address} is not the operator of ${this.provider}: the provider must call setOperator(${this.rt.wallet.address})`
          : undefined;
    if (problem !== this.setupProblem && problem !== undefined) this.rt.log("error", "setup", { problem });
    this.setupProblem = problem;
  }

  /** Logs a node's change of health (up, stale, Disconnect) and sets its gauges. */
  private report(n: NodeView, now: bigint, timeout: bigint): void {
    const age = now - n.lastHeartbeat;
    const health =
      n.status === "Disconnect" ? "disconnect" : age > timeout ? "stale" : LIVE.has(n.status) ? "up" : n.status;
    const node = n.id.toString();
    this.rt.metrics.set("gpufog_heartbeat_age_seconds", Number(age), { node });
    this.rt.metrics.set("gpufog_node_up", health === "up" ? 1 : 0, { node });
    const before = this.health.get(n.id);
    if (before !== health) {
      if (health !== "up")
        this.rt.log("warn", "node_down", {
          node: n.id,
          status: n.status,
          health,
          engaged: n.engaged,
          heartbeatAge: age,
        });
      else if (before !== undefined) this.rt.log("info", "node_up", { node: n.id, status: n.status });
      this.health.set(n.id, health);
    }
  }

  /**
   * Ends what holds a Disconnect node so that it can reconnect: its open lease (anyone may close
   * the lease of a Disconnect node; the escrow settles it up to the last heartbeat) or its
   * pending reservation (anyone may expire it). True when the node is free.
   */
  private async free(n: NodeView): Promise<boolean> {
    const { escrow } = this.rt.contracts;
    const to = await escrow.getAddress();
    for (const id of this.rt.state.leases.map(BigInt)) {
      const lease = await escrow.lease(id);
      if (lease.status !== 1n || lease.nodeId !== n.id) continue;
      const data = escrow.interface.encodeFunctionData("closeLease", [id]);
      return (await runJob(this.rt, `closeLease ${id}`, { to, data })) !== null;
    }
    const reservationId = await escrow.reservationOf(n.id);
    if (reservationId !== 0n && (await escrow.reservation(reservationId)).status === 1n) {
      const data = escrow.interface.encodeFunctionData("expireReservation", [reservationId]);
      return (await runJob(this.rt, `expireReservation ${reservationId}`, { to, data })) !== null;
    }
    return false;
  }

  /** One `heartbeatBatch` per `batchSize` nodes. */
  private async heartbeat(ids: bigint[]): Promise<void> {
    const { registry } = this.rt.contracts;
    const to = await registry.getAddress();
    const skippedTopic = registry.interface.getEvent("HeartbeatSkipped").topicHash;
    for (let i = 0; i < ids.length; i += this.config.batchSize) {
      const chunk = ids.slice(i, i + this.config.batchSize);
      const data = registry.interface.encodeFunctionData("heartbeatBatch", [chunk]);
      const receipt = await runJob(this.rt, `heartbeatBatch ${chunk.join(",")}`, { to, data });
      if (receipt === null) {
        if (!this.rt.signal.aborted) this.rt.metrics.inc("gpufog_heartbeats_failed_total", {}, chunk.length);
        continue;
      }
      const skipped = receipt.logs.filter((l) => l.topics[0] === skippedTopic).length;
      this.rt.metrics.inc("gpufog_heartbeat_batches_total");
      this.rt.metrics.inc("gpufog_heartbeats_sent_total", {}, chunk.length - skipped);
      if (skipped > 0) this.rt.metrics.inc("gpufog_heartbeats_failed_total", {}, skipped);
      this.rt.log("info", "heartbeats", {
        nodes: chunk.length - skipped,
        skipped,
        block: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      });
    }
  }

  /**
   * Reads the escrow's and the registry's events since the last block read, logs those of the
   * provider's nodes, and remembers their leases and reservations. The range is halved when an
   * endpoint refuses it as too wide.
   */
  private async scanEvents(latest: number, mine: Set<bigint>): Promise<void> {
    const { escrow, registry, emission } = this.rt.contracts;
    const address = [await escrow.getAddress(), await registry.getAddress(), await emission.getAddress()];
    const topics = [
      [
        ...(["LeaseOpened", "LeaseClosed", "Reserved", "ReservationEnded", "Withdrawn"] as const).map(
          (e) => escrow.interface.getEvent(e).topicHash,
        ),
        registry.interface.getEvent("StatusChanged").topicHash,
        emission.interface.getEvent("FeeRecorded").topicHash,
      ],
    ];
    await readNewLogs(this.rt, { address, topics }, latest, (log) => this.onLog(log, mine));
  }

  private onLog(log: Log, mine: Set<bigint>): void {
    const { escrow, registry } = this.rt.contracts;
    const state = this.rt.state;
    const { emission } = this.rt.contracts;
    const parsed =
      escrow.interface.parseLog(log) ?? registry.interface.parseLog(log) ?? emission.interface.parseLog(log);
    if (parsed === null) return;
    const a = parsed.args;
    const at = { block: log.blockNumber, tx: log.transactionHash };
    switch (parsed.name) {
      case "LeaseOpened":
        if (!mine.has(a.nodeId as bigint)) return;
        if (!state.leases.includes(String(a.leaseId))) state.leases.push(String(a.leaseId));
        this.rt.log("info", "lease_opened", {
          lease: a.leaseId,
          node: a.nodeId,
          customer: a.customer,
          deposit: a.deposit,
          rate: a.rate,
          ...at,
        });
        return;
      case "LeaseClosed":
        if (!state.leases.includes(String(a.leaseId))) return;
        this.rt.log("info", "lease_closed", {
          lease: a.leaseId,
          by: a.closedBy,
          paid: a.paid,
          refund: a.refund,
          slashed: a.slashed,
          ...at,
        });
        return;
      case "Reserved":
        if (!mine.has(a.nodeId as bigint)) return;
        if (!state.reservations.includes(String(a.reservationId))) state.reservations.push(String(a.reservationId));
        this.rt.log("info", "reserved", {
          reservation: a.reservationId,
          node: a.nodeId,
          customer: a.customer,
          start: a.start,
          deadline: a.deadline,
          ...at,
        });
        return;
      case "ReservationEnded":
        if (!state.reservations.includes(String(a.reservationId))) return;
        // A reservation's fee is paid through a lease of its own: one more lease to withdraw from.
        if ((a.feeLeaseId as bigint) !== 0n && !state.leases.includes(String(a.feeLeaseId)))
          state.leases.push(String(a.feeLeaseId));
        state.reservations = state.reservations.filter((r) => r !== String(a.reservationId));
        this.rt.log("info", "reservation_ended", {
          reservation: a.reservationId,
          status: Number(a.status),
          by: a.by,
          feePaid: a.feePaid,
          refund: a.refund,
          lease: a.leaseId,
          ...at,
        });
        return;
      case "Withdrawn":
        if ((a.provider as string).toLowerCase() !== this.provider.toLowerCase()) return;
        this.rt.log("info", "withdrawn", { token: a.token, amount: a.amount, fee: a.fee, ...at });
        return;
      case "FeeRecorded": {
        if ((a.provider as string).toLowerCase() !== this.provider.toLowerCase()) return;
        const key = bucketKey(a.epoch as bigint, a.token as string);
        if (!state.buckets.includes(key)) state.buckets.push(key);
        return;
      }
      case "StatusChanged":
        if (!mine.has(a.nodeId as bigint)) return;
        this.rt.log("info", "status_changed", { node: a.nodeId, from: Number(a.from), to: Number(a.to), ...at });
        return;
    }
  }

  /** Withdraws each token whose unwithdrawn earnings reach its `withdrawThreshold`. */
  private async withdraw(): Promise<void> {
    const { escrow } = this.rt.contracts;
    const byToken = new Map<string, { ids: bigint[]; amount: bigint }>();
    const keep: string[] = [];
    for (const id of this.rt.state.leases.map(BigInt)) {
      const [lease, [paid]] = await Promise.all([escrow.lease(id), escrow.accrued(id)]);
      const unwithdrawn = paid - lease.withdrawn;
      // A closed lease with nothing left to withdraw is done: forget it.
      if (lease.status === 2n && unwithdrawn === 0n) continue;
      keep.push(id.toString());
      if (unwithdrawn === 0n) continue;
      const entry = byToken.get(lease.token) ?? { ids: [], amount: 0n };
      entry.ids.push(id);
      entry.amount += unwithdrawn;
      byToken.set(lease.token, entry);
    }
    this.rt.state.leases = keep;
    for (const [token, { ids, amount }] of byToken) {
      this.rt.metrics.set("gpufog_earnings_unwithdrawn", Number(amount), { token });
      const threshold = this.config.withdrawThreshold.get(token);
      if (threshold === undefined) continue;
      const decimals = await decimalsOf(this.decimals, token, this.rt.provider);
      if (amount < parseUnits(threshold, decimals)) continue;
      const own = this.provider.toLowerCase() === this.rt.wallet.address.toLowerCase();
      const data = own
        ? escrow.interface.encodeFunctionData("withdraw", [ids])
        : escrow.interface.encodeFunctionData("withdrawFor", [this.provider, ids]);
      const label = `withdraw ${formatUnits(amount, decimals)} of ${token} from leases ${ids.join(",")}`;
      if (
        (await runJob(this.rt, label, {
          to: await escrow.getAddress(),
          data,
          valueWei: nativeValue(this.config, token, amount, decimals),
        })) !== null
      ) {
        this.rt.metrics.set("gpufog_earnings_unwithdrawn", 0, { token });
      }
    }
  }

  /**
   * Claims the provider's mining rewards when they are worth the gas. A claim pays its caller, so
   * only an agent running with the provider's own key claims; with an operator key the rewards
   * are reported (metric and `gpufog status`) for the provider to claim with the cold key.
   */
  private async claim(): Promise<void> {
    const { emission } = this.rt.contracts;
    const provider = this.provider;
    const buckets: (BucketRef & { claimable: bigint })[] = [];
    const keep: string[] = [];
    for (const b of await readBuckets(emission, stateBuckets(this.rt.state))) {
      const claimable = await emission.claimable(provider, [{ epoch: b.epoch, token: b.token }]);
      // A bucket sold out and claimed has nothing more to give: forget it.
      if (b.ended && b.unsold === 0n && claimable === 0n) continue;
      keep.push(bucketKey(b.epoch, b.token));
      if (claimable > 0n) buckets.push({ epoch: b.epoch, token: b.token, claimable });
    }
    this.rt.state.buckets = keep;
    const amount = buckets.reduce((sum, b) => sum + b.claimable, 0n);
    this.rt.metrics.set("gpufog_rewards_claimable", Number(amount));
    const own = this.provider.toLowerCase() === this.rt.wallet.address.toLowerCase();
    if (amount === 0n || !own || !this.config.claimRewards) return;
    const data = emission.interface.encodeFunctionData("claim", [
      buckets.map((b) => ({ epoch: b.epoch, token: b.token })),
    ]);
    const tft = await emission.tft();
    await runJob(this.rt, `claim ${formatUnits(amount)} TFT`, {
      to: await emission.getAddress(),
      data,
      valueWei: nativeValue(this.config, tft, amount, 18),
    });
  }
}
