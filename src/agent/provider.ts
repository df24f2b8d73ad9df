// The provider agent, with the operator (hot) key or the provider's own: checks in the provider's
// Idle and Reserved nodes in batches once per `checkInPeriod` (nothing while every node is
// Sharing), accepts reservation starts within the accept window, takes the customers' receipts
// from its inbox folder and collects the best one of each lease on a schedule (every
// `collectEverySeconds`, and always before a closing lease's collect window ends), closes a lease
// when told or when its deposit is spent, withdraws earnings above a threshold (paid to the
// provider, never to the operator) and claims mining rewards when they are worth the gas.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

import { formatUnits, parseUnits, verifyTypedData } from "ethers";

import { readBuckets, type BucketRef } from "../emission/client.js";
import { InputError } from "../errors.js";
import { writeFileAtomic } from "../io.js";
import { owedAt } from "../market/lease-math.js";
import { checkDomain, parseJsonText, parseSignedReceipt, type SignedReceipt } from "../market/quote.js";
import { escrowDomain, RECEIPT_TYPES, type EscrowDomain } from "../market/typed-data.js";
import { formatSpan } from "../format.js";
import { RESERVATION_STATUS } from "../market/lease-math.js";
import { listNodes, NODE_STATUSES, type NodeView } from "../registry.js";
import { startApi, type ApiServer, type SessionHost } from "./api.js";
import type { ProviderConfig } from "./config.js";
import { HookError, runHook, SessionBook, type HookInput, type Session } from "./hooks.js";
import { reasonOf } from "./log.js";
import {
  bucketKey,
  decimalsOf,
  nativeValue,
  runJob,
  runLoop,
  startRuntime,
  stateBuckets,
  type Runtime,
} from "./runtime.js";
import { saveState, type TrackedLease } from "./state.js";
import { CLOSING, OPEN, PENDING, STARTING, WorkList, type MarketEvent, type Scope } from "./worklist.js";

export const PROVIDER_SERIES: [string, "counter" | "gauge", string][] = [
  ["gpufog_check_ins_sent_total", "counter", "Node check-ins in mined checkIn transactions."],
  ["gpufog_check_in_batches_total", "counter", "checkIn transactions mined."],
  [
    "gpufog_check_ins_failed_total",
    "counter",
    "Node check-ins not recorded: batches that failed or were skipped, nodes passed over.",
  ],
  ["gpufog_check_in_age_seconds", "gauge", "Seconds since each node's last check-in, by node, at the latest block."],
  ["gpufog_node_up", "gauge", "1 while a node is Idle, Sharing or Reserved and not stale, else 0, by node."],
  ["gpufog_receipts_total", "counter", "Receipt files taken from the inbox, by result (stored, superseded, rejected)."],
  ["gpufog_uncollected", "gauge", "What the best receipts pay beyond what was collected, by token, in base units."],
  ["gpufog_earnings_unwithdrawn", "gauge", "Earnings not yet withdrawn, by token, in the token's base units."],
  ["gpufog_rewards_claimable", "gauge", "TFT mining rewards the provider can claim, in base units."],
  ["gpufog_api_requests_total", "counter", "API requests, by route and HTTP status."],
  ["gpufog_hook_runs_total", "counter", "Start and end hook runs, by hook and result (ok, failed)."],
];

const LIVE = new Set(["Idle", "Sharing", "Reserved"]);
const CHECKED = new Set(["Idle", "Reserved"]);
/** `sessionKeyUntil` of the lease's current session key: its receipts count without an end. */
const CURRENT_KEY = 2 ** 40 - 1;

/** Runs the provider agent until SIGTERM (or for one round with `once`). */
export async function runProviderAgent(config: ProviderConfig, options: { once?: boolean } = {}): Promise<void> {
  const rt = await startRuntime(config, "provider", { dryRun: false, extraSeries: PROVIDER_SERIES });
  const agent = new ProviderAgent(rt, config);
  let api: ApiServer | undefined;
  try {
    if (config.api !== undefined) api = await startApi(agent, config.api);
    else rt.log("info", "api_off", { hint: 'set "apiPort" to serve quotes, receipts and access (docs/operators.md)' });
    await runLoop(
      rt,
      () => agent.round(),
      options.once,
      () => agent.summary(),
    );
  } finally {
    await api?.close();
    await agent.hooksSettled();
    await rt.close();
    rt.log("info", "stopped", { nonce: rt.state.nonce, pending: rt.state.pending?.label ?? null });
  }
}

/**
 * Leaves a request for the running agent to close `leaseId` with its best receipt (the agent
 * alone sends from its key, so that its nonces and journal stay its own). Returns the file.
 */
export function requestClose(config: Pick<ProviderConfig, "closeRequests">, leaseId: bigint): string {
  const file = path.join(config.closeRequests, leaseId.toString());
  writeFileAtomic(file, `${JSON.stringify({ leaseId: leaseId.toString(), at: new Date().toISOString() })}\n`);
  return file;
}

/** A receipt file the agent will never collect: malformed, for another lease, escrow or chain, or wrongly signed. */
class RefusedReceipt extends Error {
  override readonly name = "RefusedReceipt";
}

/** The pay a lease owes up to `until`, by the escrow's rule. */
function owedUntil(lease: TrackedLease, until: number): bigint {
  return owedAt(BigInt(lease.rate), BigInt(lease.start), BigInt(until), BigInt(lease.deposit));
}

export class ProviderAgent implements SessionHost {
  /** Each node's health at the last round, to report a change once. */
  private readonly health = new Map<bigint, string>();
  private readonly decimals = new Map<string, number>();
  private readonly scope: Scope;
  private readonly work: WorkList;
  private escrowDomain: EscrowDomain | undefined;
  private setupProblem: string | undefined;
  /** The nodes, chain time and check-in period the last round read, for the "alive" line. */
  private lastView: { nodes: NodeView[]; now: bigint; period: bigint } | undefined;
  /** Whether a round has read the provider's nodes (the API waits for it). */
  private nodesRead = false;
  /** The leases' sessions, when the API is on. */
  readonly sessions: SessionBook | undefined;
  /** The hooks running, by lease id. */
  private readonly hooks = new Map<string, Promise<void>>();
  /** When a failed start hook may run again (ms), by lease id. */
  private readonly retryAt = new Map<string, number>();

  constructor(
    readonly rt: Runtime,
    readonly config: ProviderConfig,
  ) {
    this.scope = { provider: this.provider, nodes: new Set() };
    this.work = new WorkList(rt, this.scope, (e) => this.onEvent(e));
    this.sessions = config.api === undefined ? undefined : new SessionBook(config.sessionsFile);
  }

  nodes(): Set<bigint> | undefined {
    return this.nodesRead ? this.scope.nodes : undefined;
  }

  async domain(): Promise<EscrowDomain> {
    this.escrowDomain ??= escrowDomain(BigInt(this.rt.book.chainId), await this.rt.contracts.escrow.getAddress());
    return this.escrowDomain;
  }

  /** Waits for the hooks in flight (each bounded by its timeout). */
  async hooksSettled(): Promise<void> {
    await Promise.allSettled([...this.hooks.values()]);
  }

  get provider(): string {
    return this.config.provider ?? this.rt.wallet.address;
  }

  private get own(): boolean {
    return this.provider.toLowerCase() === this.rt.wallet.address.toLowerCase();
  }

  async round(): Promise<void> {
    const { registry, escrow } = this.rt.contracts;
    const latest = (await this.rt.provider.getBlock("latest"))!;
    const now = latest.timestamp;
    const period = await registry.checkInPeriod();
    const nodes = (await listNodes(registry, { provider: this.provider })).filter(
      (n) => n.status !== "None" && (this.config.nodes === undefined || this.config.nodes.includes(n.id)),
    );
    await this.domain();
    await this.checkSetup(nodes.length);
    this.scope.nodes = new Set(nodes.map((n) => n.id));
    this.nodesRead = true;
    await this.work.read(latest.number);
    for (const n of nodes) this.report(n, BigInt(now), period);
    this.lastView = { nodes, now: BigInt(now), period };

    await this.acceptStarts(now);
    await this.takeReceipts();
    this.serveSessions(now);
    await this.collect(now);
    await this.checkIn(nodes, BigInt(now), period);
    await this.withdraw();
    await this.claim();
  }

  /**
   * What the agent watches, in words, for the "alive" line: nodes by status, leases open and
   * closing, and when the next check-in is due.
   */
  summary(): Record<string, string> {
    const view = this.lastView;
    if (view === undefined) return {};
    const counts = new Map<string, number>();
    for (const n of view.nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
    const byStatus = [...counts].map(([status, count]) => `${count} ${status}`).join(", ");
    const leases = Object.values(this.rt.state.leases);
    const closing = leases.filter((l) => l.collectDeadline !== 0).length;
    const margin = this.config.checkInMarginSeconds ?? view.period / 2n;
    const due = view.nodes
      .filter((n) => CHECKED.has(n.status))
      .map((n) => n.lastCheckIn + view.period - margin)
      .reduce<bigint | undefined>((min, t) => (min === undefined || t < min ? t : min), undefined);
    return {
      nodes: `${view.nodes.length} node${view.nodes.length === 1 ? "" : "s"}${byStatus === "" ? "" : ` (${byStatus})`}`,
      leases: `${leases.length - closing} lease${leases.length - closing === 1 ? "" : "s"} open, ${closing} closing`,
      nextCheckIn:
        due === undefined
          ? "no check-in needed (no Idle or Reserved node)"
          : due <= view.now
            ? "next check-in due now"
            : `next check-in due in ${formatSpan(due - view.now)}`,
    };
  }

  /** Says once, loudly, when the agent can do nothing: no nodes, or a key that is not the operator. */
  private async checkSetup(nodes: number): Promise<void> {
    const problem =
      nodes === 0
        ? `${this.provider} has no registered nodes${this.config.nodes === undefined ? "" : " among those configured"}${this.config.provider === undefined ? ' (set "provider" to the cold address when the key is an operator\'s)' : ""}`
        : !this.own && (await this.rt.contracts.registry.operatorOf(this.provider)) !== this.rt.wallet.address
          ? `${this.rt.wallet.address} is not the operator of ${this.provider}: the provider must call setOperator(${this.rt.wallet.address})`
          : undefined;
    if (problem !== this.setupProblem && problem !== undefined) this.rt.log("error", "setup", { problem });
    this.setupProblem = problem;
  }

  /** Logs a node's change of health (up, stale, Disconnect) and sets its gauges. */
  private report(n: NodeView, now: bigint, period: bigint): void {
    const age = now - n.lastCheckIn;
    const stale = CHECKED.has(n.status) && age > period;
    const health = n.status === "Disconnect" ? "disconnect" : stale ? "stale" : LIVE.has(n.status) ? "up" : n.status;
    const node = n.id.toString();
    this.rt.metrics.set("gpufog_check_in_age_seconds", Number(age), { node });
    this.rt.metrics.set("gpufog_node_up", health === "up" ? 1 : 0, { node });
    const before = this.health.get(n.id);
    if (before !== health) {
      if (health !== "up")
        this.rt.log("warn", "node_down", {
          node: n.id,
          status: n.status,
          health,
          engaged: n.engaged,
          checkInAge: `${formatSpan(age)} ago`,
        });
      else if (before !== undefined) this.rt.log("info", "node_up", { node: n.id, status: n.status });
      this.health.set(n.id, health);
    }
  }

  /** Logs the events of the provider's leases, reservations and nodes as the work list reads them. */
  private onEvent(e: MarketEvent): void {
    const a = e.args;
    const at = { block: e.block, tx: e.tx };
    switch (e.name) {
      case "LeaseOpened":
        return this.rt.log("info", "lease_opened", {
          lease: a.leaseId,
          node: a.nodeId,
          customer: a.customer,
          deposit: a.deposit,
          rate: a.rate,
          sessionKey: a.sessionKey,
          ...at,
        });
      case "Collected":
        return this.rt.log("info", "collected", { lease: a.leaseId, paidThrough: a.paidThrough, paid: a.paid, ...at });
      case "LeaseClosed":
        return this.rt.log("info", "lease_closed", {
          lease: a.leaseId,
          by: a.closedBy,
          collectDeadline: a.collectDeadline,
          ...at,
        });
      case "LeaseRenewed":
        this.carrySession(String(a.leaseId), String(a.newLeaseId));
        return this.rt.log("info", "lease_renewed", { lease: a.leaseId, next: a.newLeaseId, ...at });
      case "LeaseFinalized":
        delete this.rt.state.receipts[String(a.leaseId)];
        return this.rt.log("info", "lease_finalized", { lease: a.leaseId, paid: a.paid, refund: a.refund, ...at });
      case "Reserved":
        return this.rt.log("info", "reserved", {
          reservation: a.reservationId,
          node: a.nodeId,
          customer: a.customer,
          start: a.start,
          deadline: a.deadline,
          fee: a.fee,
          ...at,
        });
      case "StartRequested":
        return this.rt.log("info", "start_requested", { reservation: a.reservationId, acceptBy: a.acceptBy, ...at });
      case "ReservationEnded":
        return this.rt.log(Number(a.status) === 6 ? "warn" : "info", "reservation_ended", {
          reservation: a.reservationId,
          status: RESERVATION_STATUS[Number(a.status)] ?? String(a.status),
          by: a.by,
          feeEarned: a.feeEarned,
          lease: a.leaseId,
          penalty: a.penalty,
          ...at,
        });
      case "Withdrawn":
        return this.rt.log("info", "withdrawn", { token: a.token, to: a.to, amount: a.amount, ...at });
      case "StatusChanged":
        return this.rt.log("info", "status_changed", {
          node: a.nodeId,
          from: NODE_STATUSES[Number(a.from)] ?? String(a.from),
          to: NODE_STATUSES[Number(a.to)] ?? String(a.to),
          ...at,
        });
    }
  }

  /** Accepts every start the customer requested whose accept window is still open. */
  private async acceptStarts(now: number): Promise<void> {
    const { escrow } = this.rt.contracts;
    for (const [id, r] of Object.entries(this.rt.state.reservations)) {
      if (r.acceptBy === 0 || now > r.acceptBy) continue;
      const status = (await escrow.reservation(id)).status;
      if (status !== STARTING) {
        if (status !== PENDING) delete this.rt.state.reservations[id];
        continue;
      }
      const data = escrow.interface.encodeFunctionData("acceptStart", [id]);
      await runJob(this.rt, `acceptStart ${id} (node ${r.nodeId})`, { to: await escrow.getAddress(), data });
    }
  }

  /**
   * Takes the receipt files of the inbox: each is checked (format, chain and escrow, a lease of
   * the provider, signed by its customer or one of its session keys) and kept when it pays more
   * than the lease's best receipt so far. The state is saved before any file is removed, so a
   * receipt is never lost; a refused file moves to `rejected/` with its reason logged.
   */
  private async takeReceipts(): Promise<void> {
    const inbox = this.config.inbox;
    mkdirSync(inbox, { recursive: true });
    const files = readdirSync(inbox, { withFileTypes: true })
      .filter((f) => f.isFile() && f.name.endsWith(".json"))
      .map((f) => f.name)
      .sort();
    if (files.length === 0) return;
    const done: string[] = [];
    const rejected: [string, string][] = [];
    for (const name of files) {
      const file = path.join(inbox, name);
      try {
        const stored = await this.takeReceipt(file);
        this.rt.metrics.inc("gpufog_receipts_total", { result: stored ? "stored" : "superseded" });
        done.push(file);
      } catch (error) {
        // Anything else (an endpoint down) leaves the file for the next round.
        if (!(error instanceof RefusedReceipt)) throw error;
        this.rt.metrics.inc("gpufog_receipts_total", { result: "rejected" });
        rejected.push([file, reasonOf(error)]);
      }
    }
    saveState(this.rt.config.stateFile, this.rt.state);
    for (const file of done) rmSync(file, { force: true });
    for (const [file, reason] of rejected) {
      mkdirSync(path.join(inbox, "rejected"), { recursive: true });
      renameSync(file, path.join(inbox, "rejected", path.basename(file)));
      this.rt.log("warn", "receipt_rejected", { file, reason });
    }
  }

  /** Checks one receipt file; true when it became its lease's best receipt. */
  private async takeReceipt(file: string): Promise<boolean> {
    let signed: SignedReceipt;
    let signer: string;
    try {
      signed = parseSignedReceipt(parseJsonText(readFileSync(file, "utf8"), file), file);
      checkDomain(signed, this.escrowDomain!, file);
      signer = verifyTypedData(
        this.escrowDomain!,
        { Receipt: [...RECEIPT_TYPES.Receipt] },
        { ...signed.receipt },
        signed.signature,
      );
    } catch (error) {
      throw new RefusedReceipt(error instanceof InputError ? error.message : `${file}: ${reasonOf(error)}`);
    }
    const { leaseId, paidThrough } = signed.receipt;
    const id = leaseId.toString();
    const lease = this.rt.state.leases[id];
    if (lease === undefined) {
      throw new RefusedReceipt(`${file}: lease ${id} is not an open or closing lease of ${this.provider}`);
    }
    const keyEnd =
      signer.toLowerCase() === lease.customer.toLowerCase()
        ? CURRENT_KEY
        : Number(await this.rt.contracts.escrow.sessionKeyUntil(leaseId, signer));
    if (keyEnd === 0) {
      throw new RefusedReceipt(`${file}: signed by ${signer}, neither the customer nor a session key of lease ${id}`);
    }
    const until = Math.min(Number(paidThrough), keyEnd);
    const best = this.rt.state.receipts[id];
    if (best !== undefined && best.until >= until) return false;
    this.rt.state.receipts[id] = { paidThrough: paidThrough.toString(), signature: signed.signature, until };
    this.rt.log("info", "receipt_stored", { lease: id, paidThrough, until, signer });
    return true;
  }

  /**
   * Serves the leases' sessions (with the API on): runs the start hook of each open lease that
   * has not started, the end hook of each lease that closed or was finalized, and of each open
   * lease unpaid for two receipt intervals (its best receipt's time, or its start, more than two
   * intervals ago), which the agent then closes with its best receipt (the close request is left
   * before the hook runs, so a restart still closes it). Hooks run in the background, one at a
   * time per lease; the sessions file is saved after each change.
   */
  private serveSessions(now: number): void {
    const book = this.sessions;
    if (book === undefined) return;
    const stamp = () => new Date().toISOString();
    for (const [id, s] of Object.entries(book.sessions)) {
      if (this.hooks.has(id)) continue;
      const lease = this.rt.state.leases[id];
      if (s.phase === "ended") {
        // A lease no longer followed is done: forget its session.
        if (lease === undefined) {
          delete book.sessions[id];
          book.save();
        }
        continue;
      }
      if (lease === undefined) this.end(id, s, "finalized");
      else if (lease.collectDeadline !== 0) this.end(id, s, "closed");
    }
    const interval = this.config.receiptIntervalSeconds;
    for (const [id, lease] of Object.entries(this.rt.state.leases)) {
      if (lease.collectDeadline !== 0 || this.hooks.has(id)) continue;
      let s = book.sessions[id];
      if (s === undefined) {
        s = { nodeId: lease.nodeId, phase: "starting", failures: 0, at: stamp() };
        book.sessions[id] = s;
        book.save();
      }
      if (s.phase === "ended") continue;
      const covered = Math.max(this.rt.state.receipts[id]?.until ?? 0, lease.start);
      if (now > covered + 2 * interval) {
        this.rt.log("warn", "lease_unpaid", { lease: id, paidThrough: covered, now, intervals: 2 });
        requestClose(this.config, BigInt(id));
        this.end(id, s, "unpaid");
        continue;
      }
      if (s.phase === "starting" && Date.now() >= (this.retryAt.get(id) ?? 0)) this.start(id, s);
    }
  }

  /**
   * A renewal continues the customer's session under the new lease, same node and session key:
   * the session (its access, and a start hook still running) moves over, and the old lease's ends
   * without its end hook, so the customer's container is not stopped and started again.
   */
  private carrySession(from: string, to: string): void {
    const book = this.sessions;
    const s = book?.sessions[from];
    if (book === undefined || s === undefined || book.sessions[to] !== undefined) return;
    book.sessions[to] = s;
    book.sessions[from] = { ...s, phase: "ended", reason: "renewed", at: new Date().toISOString() };
    book.save();
  }

  /** The hook's stdin for a lease. */
  private async hookInput(id: string, event: HookInput["event"], s: Session): Promise<HookInput> {
    const onChain = await this.rt.contracts.escrow.lease(id);
    const domain = await this.domain();
    return {
      event,
      chainId: this.rt.book.chainId,
      escrow: domain.verifyingContract,
      leaseId: id,
      nodeId: s.nodeId,
      customer: onChain.customer,
      sessionKey: onChain.sessionKey,
      start: Number(onChain.start),
      ...(event === "end" ? { reason: s.reason, access: s.access ?? {} } : {}),
    };
  }

  private track(id: string, work: Promise<void>): void {
    const running = work.finally(() => this.hooks.delete(id));
    this.hooks.set(id, running);
  }

  /** Runs a lease's start hook in the background; its output becomes the lease's access. */
  private start(id: string, s: Session): void {
    const book = this.sessions!;
    const argv = this.config.hooks.start;
    this.track(
      id,
      (async () => {
        try {
          const access =
            argv === undefined ? {} : await runHook(argv, await this.hookInput(id, "start", s), this.config.hooks);
          s.phase = "serving";
          s.access = access;
          s.failures = 0;
          s.at = new Date().toISOString();
          book.save();
          this.retryAt.delete(id);
          if (argv !== undefined) this.rt.metrics.inc("gpufog_hook_runs_total", { hook: "start", result: "ok" });
          this.rt.log("info", "session_started", { lease: id, node: s.nodeId, hook: argv !== undefined });
        } catch (error) {
          s.failures += 1;
          book.save();
          this.retryAt.set(id, Date.now() + Math.min(300_000, 1000 * 2 ** Math.min(s.failures, 9)));
          this.rt.metrics.inc("gpufog_hook_runs_total", { hook: "start", result: "failed" });
          this.rt.log("error", "hook_failed", {
            hook: "start",
            lease: id,
            failures: s.failures,
            reason: error instanceof HookError ? error.message : reasonOf(error),
          });
        }
      })(),
    );
  }

  /** Runs a lease's end hook in the background (tried up to 5 times), then marks it ended. */
  private end(id: string, s: Session, reason: string): void {
    const book = this.sessions!;
    const argv = this.config.hooks.end;
    s.reason = reason;
    this.track(
      id,
      (async () => {
        try {
          if (argv !== undefined && s.phase === "serving") {
            await runHook(argv, await this.hookInput(id, "end", s), this.config.hooks);
            this.rt.metrics.inc("gpufog_hook_runs_total", { hook: "end", result: "ok" });
          }
        } catch (error) {
          s.failures += 1;
          this.rt.metrics.inc("gpufog_hook_runs_total", { hook: "end", result: "failed" });
          this.rt.log("error", "hook_failed", {
            hook: "end",
            lease: id,
            failures: s.failures,
            reason: error instanceof HookError ? error.message : reasonOf(error),
          });
          if (s.failures < 5) {
            book.save();
            return;
          }
        }
        s.phase = "ended";
        s.at = new Date().toISOString();
        book.save();
        this.rt.log("info", "session_ended", { lease: id, node: s.nodeId, reason });
      })(),
    );
  }

  /**
   * Collects or closes each lease whose time has come, with its best receipt:
   * - a close the operator asked for (`gpufog provider close`): `closeLease` with the receipt;
   * - a lease the customer closed: `closeLease` (collect and finalize at once) as soon as the
   *   receipt covers the close, or at the latest `collectMarginSeconds` before the window ends;
   * - an open lease whose deposit the receipt spends: `closeLease`, which frees the node;
   * - an open lease last collected `collectEverySeconds` ago: `collect`.
   * Nothing is sent for a receipt that pays nothing more.
   */
  private async collect(now: number): Promise<void> {
    const { escrow } = this.rt.contracts;
    const to = await escrow.getAddress();
    const asked = new Set(this.closeRequests());
    const uncollected = new Map<string, bigint>();
    for (const [id, lease] of Object.entries(this.rt.state.leases)) {
      const best = this.rt.state.receipts[id];
      const gain = best === undefined ? 0n : owedUntil(lease, Math.min(best.until, now)) - BigInt(lease.paid);
      if (gain > 0n) uncollected.set(lease.token, (uncollected.get(lease.token) ?? 0n) + gain);
      const closing = lease.collectDeadline !== 0;
      const close = (why: string) =>
        runJob(this.rt, `closeLease ${id} (${why})`, {
          to,
          data: escrow.interface.encodeFunctionData("closeLease", [
            id,
            best?.paidThrough ?? 0n,
            best?.signature ?? "0x",
          ]),
        });
      if (asked.has(id)) {
        if (closing && now > lease.collectDeadline) continue;
        if (await this.live(id)) await close("asked");
        continue;
      }
      if (best === undefined || gain <= 0n) continue;
      if (closing) {
        if (now > lease.collectDeadline) continue;
        const closedAt = Number((await escrow.lease(id)).closedAt);
        if (best.until >= closedAt || now >= lease.collectDeadline - this.config.collectMarginSeconds) {
          if (await this.live(id)) await close("customer closed");
        }
        continue;
      }
      const spent = owedUntil(lease, Math.min(best.until, now)) >= BigInt(lease.deposit);
      const due = now - lease.collectedAt >= this.config.collectEverySeconds;
      if (!spent && !due) continue;
      const [paid, remaining] = await escrow.collectable(id, best.until);
      const onChain = await escrow.lease(id);
      lease.deposit = onChain.deposit.toString();
      lease.paid = onChain.paid.toString();
      if (onChain.status !== OPEN) continue;
      // `collectable` pays no further than now: nothing remaining means the deposit is spent.
      if (remaining === 0n) {
        await close("deposit spent");
      } else if (due && paid > onChain.paid) {
        const data = escrow.interface.encodeFunctionData("collect", [id, best.paidThrough, best.signature]);
        if ((await runJob(this.rt, `collect ${id} through ${best.until}`, { to, data })) !== null) {
          lease.collectedAt = now;
        }
      }
    }
    for (const [token, amount] of uncollected) this.rt.metrics.set("gpufog_uncollected", Number(amount), { token });
    // A request is done once its lease is no longer followed (finalized, or never the provider's).
    for (const id of asked) {
      if (this.rt.state.leases[id] === undefined) {
        rmSync(path.join(this.config.closeRequests, id), { force: true });
        this.rt.log("info", "close_request_done", { lease: id });
      }
    }
  }

  /** Whether a lease can still be closed by the provider (open, or closing in its window). */
  private async live(id: string): Promise<boolean> {
    const status = (await this.rt.contracts.escrow.lease(id)).status;
    return status === OPEN || status === CLOSING;
  }

  /** The lease ids of the close requests left by `gpufog provider close`. */
  private closeRequests(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.config.closeRequests);
    } catch {
      return [];
    }
    return names.filter((n) => /^\d+$/.test(n));
  }

  /**
   * One `checkIn` per `batchSize` of the provider's Idle and Reserved nodes (and its Disconnect
   * nodes the escrow does not hold, with `reconnect`) when any of them is within the margin of
   * going stale. Sharing nodes need none: a provider whose nodes are all leased sends nothing.
   */
  private async checkIn(nodes: NodeView[], now: bigint, period: bigint): Promise<void> {
    const margin = this.config.checkInMarginSeconds ?? period / 2n;
    const back = (n: NodeView) => this.config.reconnect && n.status === "Disconnect" && !n.engaged;
    const batch = nodes.filter((n) => CHECKED.has(n.status) || back(n));
    if (!batch.some((n) => back(n) || now + margin >= n.lastCheckIn + period)) return;
    const { registry } = this.rt.contracts;
    const to = await registry.getAddress();
    const skippedTopic = registry.interface.getEvent("CheckInSkipped").topicHash;
    const ids = batch.map((n) => n.id);
    for (let i = 0; i < ids.length; i += this.config.batchSize) {
      const chunk = ids.slice(i, i + this.config.batchSize);
      const data = registry.interface.encodeFunctionData("checkIn", [chunk]);
      const receipt = await runJob(this.rt, `checkIn ${chunk.join(",")}`, { to, data });
      if (receipt === null) {
        if (!this.rt.signal.aborted) this.rt.metrics.inc("gpufog_check_ins_failed_total", {}, chunk.length);
        continue;
      }
      const skipped = receipt.logs.filter((l) => l.topics[0] === skippedTopic).length;
      this.rt.metrics.inc("gpufog_check_in_batches_total");
      // The "alive" line's next check-in counts from this one.
      for (const n of this.lastView?.nodes ?? []) if (chunk.includes(n.id)) n.lastCheckIn = now;
      this.rt.metrics.inc("gpufog_check_ins_sent_total", {}, chunk.length - skipped);
      if (skipped > 0) this.rt.metrics.inc("gpufog_check_ins_failed_total", {}, skipped);
      this.rt.log("info", "checked_in", {
        nodes: chunk.length - skipped,
        skipped,
        block: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      });
    }
  }

  /**
   * Withdraws each token whose earnings reach its `withdrawThreshold`: `withdrawFor` with the
   * operator key (paid to the provider), `withdraw(token, provider)` with the provider's own.
   */
  private async withdraw(): Promise<void> {
    const { escrow } = this.rt.contracts;
    const tokens = new Set([
      ...this.config.withdrawThreshold.keys(),
      ...Object.values(this.rt.state.leases).map((l) => l.token),
    ]);
    for (const token of tokens) {
      const amount = await escrow.earnings(this.provider, token);
      this.rt.metrics.set("gpufog_earnings_unwithdrawn", Number(amount), { token });
      const threshold = this.config.withdrawThreshold.get(token);
      if (threshold === undefined || amount === 0n) continue;
      const decimals = await decimalsOf(this.decimals, token, this.rt.provider);
      if (amount < parseUnits(threshold, decimals)) continue;
      const data = this.own
        ? escrow.interface.encodeFunctionData("withdraw", [token, this.provider])
        : escrow.interface.encodeFunctionData("withdrawFor", [this.provider, token]);
      const label = `${this.own ? "withdraw" : "withdrawFor"} ${formatUnits(amount, decimals)} of ${token}`;
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
    if (amount === 0n || !this.own || !this.config.claimRewards) return;
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
