// `gpufog customer run`: the headless customer of one lease, for long jobs. It opens the lease with
// a quote fetched from the node's agent (or follows one opened elsewhere), then every receipt
// interval signs a cumulative receipt paying `horizon` seconds ahead of the chain's time with the
// lease's session key and sends it to the agent, fetches the lease's access once the agent serves
// it and writes it to a file, and keeps what a restart must not forget (the lease, the highest
// receipt signed) in a state file written before each receipt leaves. It stops on SIGTERM or at
// `--until`, closing the lease or leaving it to the provider as configured.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

import { parseUnits, Wallet, ZeroAddress, type HDNodeWallet } from "ethers";

import { getContracts } from "../deployments.js";
import { InputError } from "../errors.js";
import { tokenInfo } from "../erc20.js";
import {
  closeLease,
  expireReservation,
  failReservation,
  finalize,
  openLease,
  reserve,
  startReservation,
  type EscrowHandle,
} from "../escrow.js";
import { formatTime, formatToken } from "../format.js";
import { toJson } from "../io.js";
import { LEASE_STATUS, runsOutAt } from "../market/lease-math.js";
import { checkDomain, type SignedQuote } from "../market/quote.js";
import { escrowDomain, signReceipt, type EscrowDomain } from "../market/typed-data.js";
import { sleep } from "../registry.js";
import { revertLine } from "../revert.js";
import { inRanges } from "../rpc/ranges.js";
import { accessMessage } from "../session/messages.js";
import { writeDurably } from "../agent/hooks.js";
import { loadKey, refuseShared } from "../agent/keystore.js";
import { jsonLogger, reasonOf, type Logger } from "../agent/log.js";
import { Metrics, serveMetrics } from "../agent/metrics.js";
import { FallbackRpcProvider } from "../agent/rpc.js";
import { readBook } from "../agent/runtime.js";
import { AgentClient, AgentError } from "./agent.js";
import type { CustomerConfig } from "./config.js";
import {
  closesAtStop,
  nextPaidThrough,
  openingLapsed,
  planStart,
  reservationStep,
  retryDelayMs,
  serviceEndsAt,
  type StartPlan,
  type StopReason,
} from "./decisions.js";

const OPEN = 1n;
/** A chain time for a log line, against the machine's clock. */
const when = (t: bigint) => formatTime(t, BigInt(Math.floor(Date.now() / 1000)));
const CLOSING = 2n;

/** What a restart must not forget. Amounts and ids as decimal strings. */
export interface CustomerState {
  format: "gpufog-customer-state-v1";
  chainId: number;
  escrow: string;
  /** The lease followed; null before it is opened. */
  leaseId: string | null;
  /** The highest `paidThrough` signed, saved before the receipt is sent: a restart never signs less. */
  paidThrough: string;
  /** The highest `paidThrough` the agent acknowledged as stored. */
  acked: string;
  /** The reservation made (`windowStart` in the config), seen through to its lease or its end; null before. */
  reservationId: string | null;
  /**
   * An open (or, with `windowStart`, a reservation) sent but not yet seen mined: found on the chain
   * at restart, never sent twice.
   */
  opening: {
    nodeId: string;
    provider: string;
    nonce: string;
    expiry: string;
    fromBlock: number;
    windowStart?: string;
  } | null;
}

export const CUSTOMER_STATE_FORMAT = "gpufog-customer-state-v1";

const SERIES: [string, "counter" | "gauge", string][] = [
  ["gpufog_rpc_errors_total", "counter", "Failed JSON-RPC tries, by endpoint index and kind."],
  ["gpufog_customer_receipts_total", "counter", "Receipts sent to the agent, by result (stored, failed, refused)."],
  ["gpufog_customer_paid_through_seconds", "gauge", "The highest paidThrough signed (unix seconds)."],
  ["gpufog_customer_acked_through_seconds", "gauge", "The highest paidThrough the agent stored (unix seconds)."],
  ["gpufog_customer_missed_intervals", "gauge", "Receipt intervals in a row without the agent's acknowledgement."],
  ["gpufog_customer_access_written", "gauge", "1 once the lease's access is written to the access file."],
  ["gpufog_customer_runs_out_at_seconds", "gauge", "When the lease's deposit runs out at its rate (unix seconds)."],
];

/** Loads the state file, or a fresh state; refuses one written for another chain or escrow. */
export function loadCustomerState(file: string, chainId: number, escrow: string): CustomerState {
  const fresh: CustomerState = {
    format: CUSTOMER_STATE_FORMAT,
    chainId,
    escrow,
    leaseId: null,
    reservationId: null,
    paidThrough: "0",
    acked: "0",
    opening: null,
  };
  if (!existsSync(file)) return fresh;
  let state: CustomerState;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as CustomerState;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not a customer state file: ${(error as Error).message}`);
  }
  if (state.format !== CUSTOMER_STATE_FORMAT) {
    throw new InputError(file, undefined, "format", `is ${JSON.stringify(state.format)}, not ${CUSTOMER_STATE_FORMAT}`);
  }
  for (const [field, want] of [
    ["chainId", chainId],
    ["escrow", escrow],
  ] as const) {
    if (String(state[field]).toLowerCase() !== String(want).toLowerCase()) {
      throw new InputError(
        file,
        undefined,
        field,
        `is ${state[field]} but the address book says ${want}: use another stateFile`,
      );
    }
  }
  return { ...fresh, ...state };
}

/**
 * The session key from its file (a 0x-hex private key, mode 600); with `create`, a new random key
 * is written there first when the file does not exist.
 */
export function loadSessionKey(file: string, configFile: string, create: boolean): Wallet | HDNodeWallet {
  if (!existsSync(file)) {
    if (!create) throw new InputError(configFile, undefined, "sessionKeyFile", `${file} does not exist`);
    const key = Wallet.createRandom();
    writeFileSync(file, key.privateKey + "\n", { mode: 0o600, flag: "wx" });
    return key;
  }
  refuseShared(file, configFile, "sessionKeyFile");
  const line = readFileSync(file, "utf8").split(/\r?\n/)[0]!.trim();
  // The key itself is never echoed in an error.
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(line)) {
    throw new InputError(
      configFile,
      undefined,
      "sessionKeyFile",
      `${file} does not hold a private key (64 hex digits, 0x optional)`,
    );
  }
  return new Wallet(line.startsWith("0x") ? line : `0x${line}`);
}

export interface RunOptions {
  /** Stop at this time (unix milliseconds, the machine's clock). */
  untilMs?: number;
  /** Writes each JSON log line (stdout by default). */
  write?: (line: string) => void;
  /** Stops the run as SIGTERM does (tests; the command wires SIGTERM and SIGINT itself). */
  signal?: AbortSignal;
}

/** The lease's outcome, when the run returns. */
export interface RunResult {
  leaseId: bigint | undefined;
  /** What the run did at its end. */
  outcome:
    | "closed"
    | "left"
    | "finalized"
    | "ended"
    | "waiting-collect-window"
    | "not-opened"
    | "reservation-failed"
    | "reservation-ended";
  paidThrough: bigint;
}

export class CustomerClient {
  private readonly log: Logger;
  private readonly metrics = new Metrics();
  private readonly provider: FallbackRpcProvider;
  private readonly h: EscrowHandle;
  private readonly domain: EscrowDomain;
  private readonly state: CustomerState;
  private readonly stop = new AbortController();
  private stopReason: StopReason | undefined;
  private agent: AgentClient | undefined;
  private intervalSeconds: number;
  /**
   * The interval the agent counts missed receipts in (chain seconds; `GET /`), which says when it
   * stops serving; the client's own until the agent has said.
   */
  private agentIntervalSeconds: number | undefined;
  private accessWritten = false;
  private missed = 0;

  private constructor(
    private readonly config: CustomerConfig,
    private readonly wallet: Wallet | HDNodeWallet | undefined,
    private readonly sessionKey: Wallet | HDNodeWallet | undefined,
    private readonly options: RunOptions,
  ) {
    this.log = jsonLogger("customer", options.write);
    for (const [name, type, help] of SERIES) this.metrics.define(name, type, help);
    const book = readBook(config);
    this.provider = new FallbackRpcProvider(config.rpc, {
      chainId: book.chainId,
      timeoutMs: config.rpcTimeoutMs,
      onError: (endpoint, kind) => this.metrics.inc("gpufog_rpc_errors_total", { endpoint: String(endpoint), kind }),
    });
    const contracts = getContracts(book, wallet?.connect(this.provider) ?? this.provider);
    this.h = { escrow: contracts.escrow, registry: contracts.registry };
    this.domain = escrowDomain(BigInt(book.chainId), book.contracts.escrow);
    this.state = loadCustomerState(config.stateFile, book.chainId, book.contracts.escrow);
    this.intervalSeconds = config.receiptIntervalSeconds;
  }

  /** Opens the keys a config names and reads its address book and state file. */
  static async create(config: CustomerConfig, options: RunOptions = {}): Promise<CustomerClient> {
    const wallet =
      config.keystore === undefined || config.passwordFile === undefined
        ? undefined
        : await loadKey({ file: config.file, keystore: config.keystore, passwordFile: config.passwordFile });
    const sessionKey =
      config.sessionKeyFile === undefined
        ? undefined
        : loadSessionKey(config.sessionKeyFile, config.file, config.nodeId !== undefined);
    return new CustomerClient(config, wallet, sessionKey, options);
  }

  /** Stops the run as SIGTERM does: the current step ends and the stop is handled. */
  requestStop(reason: StopReason): void {
    if (this.stop.signal.aborted) return;
    this.stopReason = reason;
    this.stop.abort();
  }

  private save(): void {
    writeDurably(this.config.stateFile, toJson(this.state) + "\n");
  }

  private async chainNow(): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    if (block === null) throw new Error("the node returned no latest block");
    return BigInt(block.timestamp);
  }

  /** The chain's time, or the machine's while the chain cannot be read. */
  private async nowForReceipt(): Promise<bigint> {
    return this.chainNow().catch(() => BigInt(Math.floor(Date.now() / 1000)));
  }

  /** Runs until a stop, `untilMs`, or the lease's end. */
  async run(): Promise<RunResult> {
    const signalled = () => this.requestStop("signal");
    this.options.signal?.addEventListener("abort", signalled);
    let timer: NodeJS.Timeout | undefined;
    if (this.options.untilMs !== undefined) {
      timer = setTimeout(() => this.requestStop("end"), Math.max(0, this.options.untilMs - Date.now()));
    }
    const server =
      this.config.metricsPort === 0
        ? undefined
        : await serveMetrics(this.metrics, this.config.metricsHost, this.config.metricsPort).catch((error: Error) => {
            throw new InputError(
              this.config.file,
              undefined,
              "metricsPort",
              `cannot listen on ${this.config.metricsHost}:${this.config.metricsPort}: ${error.message}`,
            );
          });
    this.log("info", "started", {
      customer: this.wallet?.address ?? null,
      sessionKey: this.sessionKey?.address ?? null,
      endpoints: this.provider.endpoints,
      stateFile: this.config.stateFile,
      horizonSeconds: this.config.horizonSeconds,
      receiptIntervalSeconds: this.config.receiptIntervalSeconds,
      until: this.options.untilMs === undefined ? null : new Date(this.options.untilMs).toISOString(),
      metrics: server === undefined ? null : `http://${this.config.metricsHost}:${server.port}/metrics`,
    });
    try {
      return await this.runLease();
    } finally {
      clearTimeout(timer);
      this.options.signal?.removeEventListener("abort", signalled);
      await server?.close();
      this.provider.destroy();
      this.log("info", "stopped", {});
    }
  }

  private async runLease(): Promise<RunResult> {
    const plan = planStart(this.state, this.config);
    if (plan.kind === "refuse") throw new InputError(this.config.stateFile, undefined, "leaseId", plan.reason);
    const leaseId = await this.leaseOf(plan);
    if (typeof leaseId !== "bigint") return leaseId;
    if (this.state.leaseId === null) {
      this.state.leaseId = leaseId.toString();
      this.save();
    }
    return this.follow(leaseId);
  }

  /** The lease to follow: the plan's, one opened now, or a reservation's once accepted; otherwise how the run ends. */
  private async leaseOf(plan: Exclude<StartPlan, { kind: "refuse" }>): Promise<bigint | RunResult> {
    if (plan.kind === "follow") return plan.leaseId;
    let reservationId = plan.kind === "reservation" ? plan.reservationId : undefined;
    if (reservationId === undefined) {
      const made = await this.openOrFind(plan.kind === "find-opening");
      if (made === undefined) return { leaseId: undefined, outcome: "not-opened", paidThrough: 0n };
      if (made.kind === "lease") return made.id;
      reservationId = made.id;
    }
    return this.seeReservation(reservationId);
  }

  /**
   * Opens the lease (or, with a window, reserves the node) with a fresh quote from the node's
   * agent; first finds an open or a reservation a previous run may have sent.
   */
  private async openOrFind(findFirst: boolean): Promise<{ kind: "lease" | "reservation"; id: bigint } | undefined> {
    const { escrow, registry } = this.h;
    const wallet = this.wallet!;
    const nodeId = this.config.nodeId!;
    while (findFirst && this.state.opening !== null && !this.stop.signal.aborted) {
      const o = this.state.opening;
      if (o.windowStart !== undefined) {
        const reserved = await escrow.queryFilter(
          escrow.filters.Reserved(undefined, BigInt(o.nodeId), wallet.address),
          o.fromBlock,
        );
        const made = reserved.find((e) => e.args.start === BigInt(o.windowStart!));
        if (made !== undefined) {
          this.log("info", "reservation_found", {
            reservation: made.args.reservationId,
            message: `the reservation sent before the restart was mined: reservation ${made.args.reservationId}; seeing it through`,
          });
          this.state.opening = null;
          this.state.reservationId = made.args.reservationId.toString();
          this.save();
          return { kind: "reservation", id: made.args.reservationId };
        }
      }
      const events =
        o.windowStart !== undefined
          ? []
          : await escrow.queryFilter(
              escrow.filters.LeaseOpened(undefined, BigInt(o.nodeId), wallet.address),
              o.fromBlock,
            );
      const found = events.at(-1);
      if (found !== undefined) {
        this.log("info", "lease_found", {
          lease: found.args.leaseId,
          message: `the open sent before the restart was mined: lease ${found.args.leaseId}; following it`,
        });
        this.state.opening = null;
        this.state.leaseId = found.args.leaseId.toString();
        this.save();
        return { kind: "lease", id: found.args.leaseId };
      }
      if (openingLapsed(BigInt(o.expiry), await this.chainNow(), false)) {
        this.log("info", "opening_lapsed", {
          message: `the open sent before the restart was not mined and its quote expired; asking for a new quote`,
        });
        this.state.opening = null;
        this.save();
        break;
      }
      await sleep(Math.min(5000, this.intervalSeconds * 1000), this.stop.signal);
    }
    if (this.stop.signal.aborted) return undefined;
    const node = await registry.node(nodeId);
    if (node.provider === ZeroAddress)
      throw new InputError(this.config.file, undefined, "node", `node ${nodeId} does not exist`);
    this.agent = new AgentClient(this.config.endpoint ?? node.uri, this.config.agentTimeoutMs);
    const signed = await this.fetchQuote(nodeId, wallet.address);
    if (signed === undefined) return undefined;
    const token = signed.quote.token;
    const { symbol, decimals } = await tokenInfo(token, this.provider);
    let deposit: bigint;
    try {
      deposit = parseUnits(this.config.deposit!, decimals);
    } catch {
      throw new InputError(
        this.config.file,
        undefined,
        "deposit",
        `"${this.config.deposit}" has more than ${decimals} decimals (${symbol})`,
      );
    }
    const sessionKey = this.sessionKey?.address ?? ZeroAddress;
    const window = this.config.window;
    this.state.opening = {
      nodeId: nodeId.toString(),
      provider: node.provider,
      nonce: signed.quote.nonce.toString(),
      expiry: signed.quote.expiry.toString(),
      fromBlock: await this.provider.getBlockNumber(),
      ...(window === undefined ? {} : { windowStart: window.start.toString() }),
    };
    this.save();
    if (window !== undefined)
      return { kind: "reservation", id: await this.reserveWith(signed, deposit, symbol, decimals) };
    this.log("info", "lease_opening", {
      node: nodeId,
      price: formatToken(signed.quote.pricePerTuHour, symbol, decimals),
      deposit: formatToken(deposit, symbol, decimals),
      sessionKey,
      quoteExpiry: signed.quote.expiry,
    });
    let leaseId: bigint;
    try {
      leaseId = await openLease(this.h, wallet.connect(this.provider), signed, deposit, sessionKey, {
        source: this.config.file,
      });
    } catch (error) {
      // Refused before sending (a revert named by the dry run, missing funds): nothing is in flight.
      this.state.opening = null;
      this.save();
      throw new InputError(
        this.config.file,
        undefined,
        "node",
        `the lease cannot be opened: ${revertLine(error, [escrow.interface])}`,
      );
    }
    this.state.opening = null;
    this.state.leaseId = leaseId.toString();
    this.save();
    this.log("info", "lease_opened", { lease: leaseId, node: nodeId, deposit: formatToken(deposit, symbol, decimals) });
    return { kind: "lease", id: leaseId };
  }

  /** Reserves the node for the config's window with the agent's reservation quote. */
  private async reserveWith(signed: SignedQuote, deposit: bigint, symbol: string, decimals: number): Promise<bigint> {
    const { escrow } = this.h;
    const q = signed.quote;
    const [fee] = await escrow.reservationFee(q.nodeId, q.pricePerTuHour, q.windowStart, q.windowDuration);
    this.log("info", "reserving", {
      node: q.nodeId,
      windowStart: q.windowStart,
      windowDuration: q.windowDuration,
      price: formatToken(q.pricePerTuHour, symbol, decimals),
      deposit: formatToken(deposit, symbol, decimals),
      fee: formatToken(fee, symbol, decimals),
    });
    let reservationId: bigint;
    try {
      reservationId = await reserve(this.h, this.wallet!.connect(this.provider), signed, deposit, {
        source: this.config.file,
      });
    } catch (error) {
      // Refused before sending: nothing is in flight.
      this.state.opening = null;
      this.save();
      if (error instanceof InputError) throw error;
      throw new InputError(
        this.config.file,
        undefined,
        "windowStart",
        `the node cannot be reserved: ${revertLine(error, [escrow.interface])}`,
      );
    }
    this.state.opening = null;
    this.state.reservationId = reservationId.toString();
    this.save();
    this.log("info", "reserved", {
      reservation: reservationId,
      node: q.nodeId,
      windowStart: q.windowStart,
      message: `reserved node ${q.nodeId} from ${when(q.windowStart)} for ${q.windowDuration} s: the fee of ${formatToken(fee, symbol, decimals)} pays for the hold; the lease starts in the window once the provider accepts`,
    });
    return reservationId;
  }

  /**
   * Sees a reservation through: waits for its window, starts it (`startReserved`, naming the
   * session key), waits for the provider's `acceptStart`, and fails it (`failReservation`: the
   * whole deposit comes back) once the accept window has passed without one. Returns its lease
   * once accepted; otherwise how the run ends.
   */
  private async seeReservation(reservationId: bigint): Promise<bigint | RunResult> {
    const { escrow } = this.h;
    const wallet = this.wallet;
    const ended = (outcome: RunResult["outcome"]): RunResult => ({ leaseId: undefined, outcome, paidThrough: 0n });
    let said = "";
    const once = (key: string, event: string, fields: Record<string, unknown>) => {
      if (said === key) return;
      said = key;
      this.log("info", event, { reservation: reservationId, ...fields });
    };
    while (!this.stop.signal.aborted) {
      try {
        const r = await escrow.reservation(reservationId);
        const step = reservationStep(r, await this.chainNow());
        const { symbol, decimals } = await tokenInfo(r.token, this.provider);
        const amount = (v: bigint) => formatToken(v, symbol, decimals);
        if (step.kind === "started") {
          this.state.leaseId = step.leaseId.toString();
          this.save();
          this.log("info", "reservation_started", {
            reservation: reservationId,
            lease: step.leaseId,
            message: `the provider accepted the start: reservation ${reservationId} is lease ${step.leaseId}`,
          });
          return step.leaseId;
        }
        if (step.kind === "ended") {
          this.log("warn", "reservation_ended", {
            reservation: reservationId,
            status: step.status,
            message: `reservation ${reservationId} is ${step.status}: no lease; a new one needs a new stateFile`,
          });
          return ended("reservation-ended");
        }
        if (step.kind === "wait-window") {
          once("window", "waiting_window", {
            opensAt: step.opensAt,
            message: `waiting for the window at ${when(step.opensAt)}`,
          });
        } else if (step.kind === "wait-accept") {
          once("accept", "waiting_accept", {
            acceptBy: step.acceptBy,
            message: `started; the provider must accept by ${when(step.acceptBy)}, or the reservation fails and the whole deposit comes back`,
          });
        } else if (wallet === undefined) {
          throw new InputError(
            this.config.file,
            undefined,
            "keystore",
            "is required to start, fail or expire a reservation",
          );
        } else if (step.kind === "start") {
          const acceptBy = await startReservation(this.h, wallet.connect(this.provider), reservationId, {
            sessionKey: this.sessionKey?.address ?? ZeroAddress,
            source: this.config.file,
          });
          this.log("info", "start_requested", {
            reservation: reservationId,
            acceptBy,
            message: `asked the provider to start reservation ${reservationId}; it must accept by ${when(acceptBy)}`,
          });
          said = "accept";
        } else if (step.kind === "fail") {
          const end = await failReservation(this.h, wallet.connect(this.provider), reservationId);
          this.log("warn", "reservation_failed", {
            reservation: reservationId,
            refund: end.refund,
            deposit: r.deposit,
            penalty: end.penalty,
            message:
              end.refund === r.deposit
                ? `the provider did not accept the start by ${when(r.acceptBy)}: reservation ${reservationId} failed and the whole deposit of ${amount(r.deposit)} came back; the provider's stake paid ${amount(end.penalty)}`
                : `the provider did not accept the start by ${when(r.acceptBy)}: reservation ${reservationId} failed and ${amount(end.refund)} of the deposit of ${amount(r.deposit)} came back`,
          });
          return ended("reservation-failed");
        } else {
          const end = await expireReservation(this.h, wallet.connect(this.provider), reservationId);
          this.log("warn", "reservation_expired", {
            reservation: reservationId,
            refund: end.refund,
            message: `reservation ${reservationId} was not started in its window: it expired, its fee is the provider's and ${amount(end.refund)} came back`,
          });
          return ended("reservation-ended");
        }
      } catch (error) {
        if (error instanceof InputError) throw error;
        this.log("error", "round_failed", {
          reservation: reservationId,
          reason: revertLine(error, [escrow.interface]),
        });
      }
      await sleep(this.intervalSeconds * 1000, this.stop.signal);
    }
    this.log("info", "reservation_left", {
      reservation: reservationId,
      message: `stopped while reservation ${reservationId} was not yet a lease: run again to go on with it`,
    });
    return ended("left");
  }

  /** The agent's quote for this customer, checked against the config and the escrow's domain. */
  private async fetchQuote(nodeId: bigint, customer: string): Promise<SignedQuote | undefined> {
    const window = this.config.window;
    for (let attempt = 1; !this.stop.signal.aborted; attempt++) {
      try {
        const signed = await this.agent!.quote({
          nodeId,
          customer,
          ...(this.config.token === undefined ? {} : { token: this.config.token }),
          ...(window === undefined ? {} : { windowStart: window.start, windowDuration: window.duration }),
        });
        const where = `the quote of ${this.agent!.endpoint}`;
        checkDomain(signed, this.domain, where);
        const q = signed.quote;
        if (q.nodeId !== nodeId || q.customer.toLowerCase() !== customer.toLowerCase()) {
          throw new InputError(
            where,
            undefined,
            "quote",
            `is for node ${q.nodeId} and ${q.customer}, not node ${nodeId} and ${customer}`,
          );
        }
        if (this.config.token !== undefined && q.token.toLowerCase() !== this.config.token.toLowerCase()) {
          throw new InputError(
            where,
            undefined,
            "quote.token",
            `is ${q.token}, not the configured ${this.config.token}`,
          );
        }
        if (window === undefined && (q.windowDuration !== 0n || q.windowStart !== 0n)) {
          throw new InputError(where, undefined, "quote.windowStart", "is a reservation's quote, not a lease's");
        }
        if (window !== undefined && (q.windowStart !== window.start || q.windowDuration !== window.duration)) {
          throw new InputError(
            where,
            undefined,
            "quote.windowStart",
            `is the window ${q.windowStart}+${q.windowDuration}, not the configured ${window.start}+${window.duration}`,
          );
        }
        return signed;
      } catch (error) {
        if (!(error instanceof AgentError) || !error.transient) throw error;
        const wait = retryDelayMs(attempt, 60_000, error.retryAfter);
        this.log("warn", "quote_failed", { reason: error.message, retryInMs: wait });
        await sleep(wait, this.stop.signal);
      }
    }
    return undefined;
  }

  /** The key that signs for the lease: its session key, or the customer's own key on a lease without one. */
  private signerFor(lease: { customer: string; sessionKey: string }, leaseId: bigint): Wallet | HDNodeWallet {
    if (this.sessionKey !== undefined && this.sessionKey.address.toLowerCase() === lease.sessionKey.toLowerCase()) {
      return this.sessionKey;
    }
    if (this.wallet !== undefined && this.wallet.address.toLowerCase() === lease.customer.toLowerCase()) {
      if (lease.sessionKey !== ZeroAddress) {
        this.log("warn", "signing_as_customer", {
          message: `the session key file's key is not lease ${leaseId}'s session key ${lease.sessionKey}: receipts are signed with the customer's key, and the agent gives the access only to the session key`,
        });
      }
      return this.wallet;
    }
    throw new InputError(
      this.config.file,
      undefined,
      this.sessionKey === undefined ? "keystore" : "sessionKeyFile",
      `neither key opened (${[this.sessionKey?.address, this.wallet?.address].filter(Boolean).join(", ")}) is lease ${leaseId}'s session key ${lease.sessionKey} or its customer ${lease.customer}`,
    );
  }

  private async follow(leaseId: bigint): Promise<RunResult> {
    const { escrow, registry } = this.h;
    const first = await escrow.lease(leaseId);
    if (first.status === 0n)
      throw new InputError(this.config.file, undefined, "lease", `lease ${leaseId} does not exist`);
    if (first.status !== OPEN) return this.afterOpen(leaseId);
    const signer = this.signerFor(first, leaseId);
    this.agent ??= new AgentClient(
      this.config.endpoint ?? (await registry.node(first.nodeId)).uri,
      this.config.agentTimeoutMs,
    );
    await this.adoptAgentInterval();
    this.log("info", "following", {
      lease: leaseId,
      node: first.nodeId,
      agent: this.agent.endpoint,
      signer: signer.address,
      paidThrough: this.state.paidThrough,
      message: `following lease ${leaseId}: a receipt every ${this.intervalSeconds} s paying ${this.config.horizonSeconds} s ahead; if the node stops now, the customer pays at most ${this.config.horizonSeconds} s of it`,
    });
    let aliveAt = -Infinity;
    let lease = first;
    // Where to look for a renewal of the lease followed: it can only come after this block.
    let followedFrom = await this.provider.getBlockNumber();
    while (!this.stop.signal.aborted) {
      const tickAt = Date.now();
      try {
        try {
          lease = await escrow.lease(leaseId);
        } catch (error) {
          // The agent, not the chain, needs the receipts: they go on with the last lease read.
          this.log("warn", "chain_unreadable", {
            lease: leaseId,
            reason: reasonOf(error),
            message: "the chain cannot be read; receipts go on, paying ahead of the machine's clock",
          });
        }
        if (lease.status !== OPEN) {
          const next = await this.renewalOf(leaseId, followedFrom);
          if (next !== undefined) {
            // Renewed by the customer at a new quote: same node and session key, so the same
            // session goes on under the new lease (its receipts are for the new id).
            this.log("info", "lease_renewed", {
              lease: leaseId,
              next,
              message: `lease ${leaseId} was renewed as lease ${next}: receipts go on for lease ${next}`,
            });
            leaseId = next;
            this.state.leaseId = next.toString();
            this.save();
            followedFrom = await this.provider.getBlockNumber();
            lease = await escrow.lease(leaseId);
            continue;
          }
          this.log("warn", "lease_not_open", {
            lease: leaseId,
            status: LEASE_STATUS[Number(lease.status)],
            message: `lease ${leaseId} is ${LEASE_STATUS[Number(lease.status)]} (closed by its provider or at the spent deposit): no more receipts`,
          });
          this.stopReason = "lease-ended";
          break;
        }
        const runsOut = runsOutAt(lease.rate, lease.start, lease.deposit);
        if (runsOut !== undefined) this.metrics.set("gpufog_customer_runs_out_at_seconds", Number(runsOut));
        await this.sendReceipt(leaseId, lease.start, signer, tickAt);
        if (!this.accessWritten && !this.stop.signal.aborted) await this.fetchAccess(leaseId, signer);
        if (Date.now() - aliveAt >= this.config.aliveMs) {
          aliveAt = Date.now();
          this.log("info", "alive", {
            lease: leaseId,
            paidThrough: this.state.paidThrough,
            acked: this.state.acked,
            missedIntervals: this.missed,
            access: this.accessWritten,
            runsOutAt: runsOut ?? null,
            message: `alive: lease ${leaseId} paid through ${when(BigInt(this.state.paidThrough))}; its deposit runs out at ${runsOut === undefined ? "never" : when(runsOut)} (top it up with lease:topup)`,
          });
        }
      } catch (error) {
        this.log("error", "round_failed", { lease: leaseId, reason: reasonOf(error) });
      }
      await sleep(Math.max(0, tickAt + this.intervalSeconds * 1000 - Date.now()), this.stop.signal);
    }
    return this.atStop(leaseId);
  }

  /** The lease a renewal of `leaseId` opened, if one was mined since `fromBlock`. */
  private async renewalOf(leaseId: bigint, fromBlock: number): Promise<bigint | undefined> {
    const { escrow } = this.h;
    const filter = escrow.filters.LeaseRenewed(leaseId);
    const latest = await this.provider.getBlockNumber();
    const logs = await inRanges((from, to) => escrow.queryFilter(filter, from, to), Math.max(0, fromBlock - 1), latest);
    return logs[0]?.args.newLeaseId;
  }

  /** Uses the agent's receipt interval when it is shorter than the config's: the agent counts in its own. */
  private async adoptAgentInterval(): Promise<void> {
    try {
      const info = await this.agent!.info();
      this.agentIntervalSeconds = info.receiptIntervalSeconds;
      if (info.receiptIntervalSeconds !== undefined && info.receiptIntervalSeconds < this.intervalSeconds) {
        this.log("warn", "interval_shortened", {
          message: `the agent expects a receipt every ${info.receiptIntervalSeconds} s; sending one that often instead of every ${this.intervalSeconds} s`,
        });
        this.intervalSeconds = info.receiptIntervalSeconds;
      }
    } catch (error) {
      this.log("warn", "agent_info_failed", { reason: reasonOf(error) });
    }
  }

  /**
   * Signs the next cumulative receipt (saved before it leaves) and sends it, trying again with
   * back-off within the interval while the agent does not answer.
   */
  private async sendReceipt(
    leaseId: bigint,
    start: bigint,
    signer: Wallet | HDNodeWallet,
    tickAt: number,
  ): Promise<void> {
    const paidThrough = nextPaidThrough(
      BigInt(this.state.paidThrough),
      await this.nowForReceipt(),
      BigInt(this.config.horizonSeconds),
    );
    if (paidThrough > BigInt(this.state.paidThrough)) {
      this.state.paidThrough = paidThrough.toString();
      this.save();
    }
    this.metrics.set("gpufog_customer_paid_through_seconds", Number(paidThrough));
    const receipt = { leaseId, paidThrough };
    const signature = await signReceipt(signer, this.domain, receipt);
    const signed = { chainId: this.domain.chainId, escrow: this.domain.verifyingContract, receipt, signature };
    const intervalMs = this.intervalSeconds * 1000;
    for (let attempt = 1; !this.stop.signal.aborted; attempt++) {
      try {
        const ack = await this.agent!.receipt(signed);
        if (ack.paidThrough > BigInt(this.state.acked)) {
          this.state.acked = ack.paidThrough.toString();
          this.save();
        }
        this.metrics.inc("gpufog_customer_receipts_total", { result: "stored" });
        this.metrics.set("gpufog_customer_acked_through_seconds", Number(this.state.acked));
        if (this.missed > 0) this.log("info", "agent_back", { lease: leaseId, missedIntervals: this.missed });
        this.missed = 0;
        this.metrics.set("gpufog_customer_missed_intervals", 0);
        this.log("info", "receipt_stored", { lease: leaseId, paidThrough: ack.paidThrough });
        return;
      } catch (error) {
        const transient = error instanceof AgentError && error.transient;
        const wait = retryDelayMs(attempt, intervalMs, error instanceof AgentError ? error.retryAfter : undefined);
        if (!transient || Date.now() + wait >= tickAt + intervalMs) {
          this.missed++;
          this.metrics.inc("gpufog_customer_receipts_total", { result: transient ? "failed" : "refused" });
          this.metrics.set("gpufog_customer_missed_intervals", this.missed);
          const ends = serviceEndsAt(
            BigInt(this.state.acked),
            start,
            this.agentIntervalSeconds ?? this.intervalSeconds,
          );
          this.log(transient ? "warn" : "error", transient ? "receipt_not_stored" : "receipt_refused", {
            lease: leaseId,
            paidThrough,
            reason: reasonOf(error),
            missedIntervals: this.missed,
            serviceEndsAt: ends,
            message: `the agent has not stored a receipt for ${this.missed} interval${this.missed === 1 ? "" : "s"}; the lease stays open and receipts keep being signed, but the provider stops serving two intervals past the last one stored, at ${when(ends)}, and closes the lease paid to it`,
          });
          return;
        }
        await sleep(wait, this.stop.signal);
      }
    }
  }

  /** Asks for the lease's access with the session key and writes it to the access file, atomically, mode 600. */
  private async fetchAccess(leaseId: bigint, signer: Wallet | HDNodeWallet): Promise<void> {
    const request = {
      chainId: this.domain.chainId,
      escrow: this.domain.verifyingContract,
      leaseId,
      at: BigInt(Math.floor(Date.now() / 1000)),
    };
    try {
      const answer = await this.agent!.access({ request, signature: await signer.signMessage(accessMessage(request)) });
      writeDurably(this.config.accessFile, toJson({ leaseId: answer.leaseId, access: answer.access }) + "\n");
      this.accessWritten = true;
      this.metrics.set("gpufog_customer_access_written", 1);
      this.log("info", "access_written", { lease: leaseId, file: this.config.accessFile });
    } catch (error) {
      const waiting = error instanceof AgentError && error.transient;
      this.log(waiting ? "info" : "warn", "access_not_ready", { lease: leaseId, reason: reasonOf(error) });
    }
  }

  /** The stop: the customer's close (the provider's collect window opens) or the lease left open. */
  private async atStop(leaseId: bigint): Promise<RunResult> {
    const reason = this.stopReason ?? "signal";
    const paidThrough = BigInt(this.state.paidThrough);
    if (reason === "lease-ended") return this.afterOpen(leaseId);
    if (closesAtStop(reason, this.config, this.wallet !== undefined)) {
      try {
        const closed = await closeLease(this.h, this.wallet!.connect(this.provider), leaseId);
        this.log("info", "lease_closed", {
          lease: leaseId,
          collectDeadline: closed.collectDeadline,
          message: `closed lease ${leaseId}: the node is free; its provider may collect up to the receipts signed until ${when(closed.collectDeadline)}, then the rest of the deposit is refunded by finalize (this command run again, the keeper, or anyone)`,
        });
        return { leaseId, outcome: "closed", paidThrough };
      } catch (error) {
        this.log("error", "close_failed", { lease: leaseId, reason: revertLine(error, [this.h.escrow.interface]) });
      }
    }
    const lease = await this.h.escrow.lease(leaseId);
    const ends = serviceEndsAt(
      BigInt(this.state.acked),
      lease.start,
      this.agentIntervalSeconds ?? this.intervalSeconds,
    );
    this.log("info", "lease_left_open", {
      lease: leaseId,
      paidThrough,
      serviceEndsAt: ends,
      message: `lease ${leaseId} left open: run again to go on paying; otherwise the provider stops serving at ${when(ends)} and closes it paid to the last receipt`,
    });
    return { leaseId, outcome: "left", paidThrough };
  }

  /** A lease no longer open: finalized once its collect window ended, or said when that will be. */
  private async afterOpen(leaseId: bigint): Promise<RunResult> {
    const paidThrough = BigInt(this.state.paidThrough);
    const lease = await this.h.escrow.lease(leaseId);
    if (lease.status === CLOSING) {
      const now = await this.chainNow();
      if (now > lease.collectDeadline && this.wallet !== undefined) {
        const final = await finalize(this.h, this.wallet.connect(this.provider), leaseId);
        this.log("info", "lease_finalized", { lease: leaseId, paid: final.paid, refund: final.refund });
        return { leaseId, outcome: "finalized", paidThrough };
      }
      this.log("info", "lease_closing", {
        lease: leaseId,
        collectDeadline: lease.collectDeadline,
        message: `lease ${leaseId} is closing: its provider may collect until ${when(lease.collectDeadline)}; run this again after that to finalize and get the rest of the deposit back`,
      });
      return { leaseId, outcome: "waiting-collect-window", paidThrough };
    }
    this.log("info", "lease_ended", {
      lease: leaseId,
      paid: lease.paid,
      deposit: lease.deposit,
      message: `lease ${leaseId} is closed for good; its refund was paid at its close. A new lease needs a new stateFile`,
    });
    return { leaseId, outcome: "ended", paidThrough };
  }
}

/** Runs the customer of a config until SIGTERM, SIGINT, `untilMs` or the lease's end. */
export async function runCustomer(config: CustomerConfig, options: RunOptions = {}): Promise<RunResult> {
  const client = await CustomerClient.create(config, options);
  const onSignal = () => client.requestStop("signal");
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await client.run();
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
