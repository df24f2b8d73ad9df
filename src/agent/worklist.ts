// The agents' work list: the market's events since the last block read, folded into the state
// (open and closing leases, pending and starting reservations, the check-in time of every Idle
// or Reserved node, the providers whose protocol fees may be due, the fee buckets), so that a round
// reads what is due and never rereads history. The provider agent follows its own leases and
// nodes; the keeper follows everyone's. Each fold is idempotent: a chunk of logs read again after
// a failure or a stop leaves the same state.
import type { Log, LogDescription } from "ethers";

import { bucketKey, readNewLogs, type Runtime } from "./runtime.js";
import type { AgentState } from "./state.js";

/** Node statuses, as the registry numbers them. */
export const IDLE = 1n;
export const SHARING = 2n;
export const RESERVED = 3n;
export const DISCONNECT = 4n;
/** Reservation statuses, as the escrow numbers them. */
export const PENDING = 1n;
export const STARTING = 2n;
/** Lease statuses, as the escrow numbers them. */
export const OPEN = 1n;
export const CLOSING = 2n;

const ESCROW_EVENTS = [
  "LeaseOpened",
  "Collected",
  "LeaseClosed",
  "LeaseFinalized",
  "Reserved",
  "StartRequested",
  "ReservationEnded",
  "Withdrawn",
] as const;
const REGISTRY_EVENTS = ["NodeRegistered", "CheckedIn", "StatusChanged"] as const;

/** Whose work the list follows: one provider's (with its nodes), or everyone's. */
export interface Scope {
  provider?: string;
  nodes?: Set<bigint>;
}

/** An event the list folded in, with where it happened: the provider agent logs these. */
export interface MarketEvent {
  name: string;
  args: LogDescription["args"];
  block: number;
  tx: string;
  time: number;
}

type Rt = Pick<Runtime, "contracts" | "provider" | "state" | "signal" | "config">;

export class WorkList {
  /** Block timestamps, for the events of the chunk being read. */
  private readonly times = new Map<number, number>();

  constructor(
    private readonly rt: Rt,
    private readonly scope: Scope = {},
    private readonly onEvent: (event: MarketEvent) => void = () => {},
  ) {}

  /** Folds in the events of the blocks after the state's `lastBlock` up to `latest`. */
  async read(latest: number): Promise<void> {
    const { escrow, registry, emission } = this.rt.contracts;
    const address = [await escrow.getAddress(), await registry.getAddress(), await emission.getAddress()];
    const topics = [
      [
        ...ESCROW_EVENTS.map((e) => escrow.interface.getEvent(e).topicHash),
        ...REGISTRY_EVENTS.map((e) => registry.interface.getEvent(e).topicHash),
        emission.interface.getEvent("FeeRecorded").topicHash,
      ],
    ];
    try {
      await readNewLogs(this.rt, { address, topics }, latest, (log) => this.fold(log));
    } finally {
      this.times.clear();
    }
  }

  private async timeOf(block: number): Promise<number> {
    let time = this.times.get(block);
    if (time === undefined) {
      const header = await this.rt.provider.getBlock(block);
      if (header === null) throw new Error(`block ${block} is not available from the endpoint`);
      time = header.timestamp;
      this.times.set(block, time);
    }
    return time;
  }

  private mine(provider: string): boolean {
    return this.scope.provider === undefined || provider.toLowerCase() === this.scope.provider.toLowerCase();
  }

  private myNode(nodeId: bigint): boolean {
    return this.scope.nodes === undefined || this.scope.nodes.has(nodeId);
  }

  /** Marks `provider`'s fees in `token` as possibly due (the keeper forwards them). */
  private feeDue(state: AgentState, token: string, provider: string): void {
    if (this.scope.provider !== undefined) return;
    const key = `${token}:${provider}`;
    if (!state.feesDue.includes(key)) state.feesDue.push(key);
  }

  private async fold(log: Log): Promise<void> {
    const { escrow, registry, emission } = this.rt.contracts;
    const parsed =
      escrow.interface.parseLog(log) ?? registry.interface.parseLog(log) ?? emission.interface.parseLog(log);
    if (parsed === null) return;
    const a = parsed.args;
    const state = this.rt.state;
    const event = async () =>
      this.onEvent({
        name: parsed.name,
        args: a,
        block: log.blockNumber,
        tx: log.transactionHash,
        time: await this.timeOf(log.blockNumber),
      });
    switch (parsed.name) {
      case "LeaseOpened": {
        if (!this.mine(a.provider as string)) return;
        const time = await this.timeOf(log.blockNumber);
        state.leases[String(a.leaseId)] ??= {
          nodeId: String(a.nodeId),
          customer: a.customer as string,
          provider: a.provider as string,
          token: a.token as string,
          deposit: String(a.deposit),
          rate: String(a.rate),
          start: time,
          paid: "0",
          collectDeadline: 0,
          collectedAt: time,
        };
        return event();
      }
      case "Collected": {
        const lease = state.leases[String(a.leaseId)];
        if (lease === undefined) return;
        if (BigInt(a.paid as bigint) > BigInt(lease.paid)) lease.paid = String(a.paid);
        if ((a.fee as bigint) > 0n) this.feeDue(state, lease.token, lease.provider);
        return event();
      }
      case "LeaseClosed": {
        const lease = state.leases[String(a.leaseId)];
        if (lease === undefined) return;
        lease.collectDeadline = Number(a.collectDeadline);
        return event();
      }
      case "LeaseFinalized": {
        const lease = state.leases[String(a.leaseId)];
        if (lease === undefined) return;
        if ((a.windowFee as bigint) > 0n) this.feeDue(state, lease.token, lease.provider);
        delete state.leases[String(a.leaseId)];
        return event();
      }
      case "Reserved":
        if (!this.myNode(a.nodeId as bigint)) return;
        state.reservations[String(a.reservationId)] ??= {
          nodeId: String(a.nodeId),
          deadline: Number(a.deadline),
          acceptBy: 0,
        };
        return event();
      case "StartRequested": {
        const r = state.reservations[String(a.reservationId)];
        if (r === undefined) return;
        r.acceptBy = Number(a.acceptBy);
        return event();
      }
      case "ReservationEnded": {
        const id = String(a.reservationId);
        if (state.reservations[id] === undefined) return;
        if ((a.feeEarned as bigint) > 0n && this.scope.provider === undefined) {
          const r = await escrow.reservation(a.reservationId as bigint);
          this.feeDue(state, r.token, r.provider);
        }
        delete state.reservations[id];
        return event();
      }
      case "Withdrawn":
        if (this.scope.provider === undefined || !this.mine(a.provider as string)) return;
        return event();
      case "NodeRegistered":
        if (this.scope.provider !== undefined) return;
        state.checkIns[String(a.nodeId)] = await this.timeOf(log.blockNumber);
        return;
      case "CheckedIn": {
        if (this.scope.provider !== undefined) return;
        const time = await this.timeOf(log.blockNumber);
        for (const id of (a.nodeIds as bigint[]).map(String)) {
          if (state.checkIns[id] !== undefined && state.checkIns[id] < time) state.checkIns[id] = time;
        }
        return;
      }
      case "StatusChanged": {
        const id = String(a.nodeId);
        const [from, to] = [BigInt(a.from as bigint), BigInt(a.to as bigint)];
        if (this.scope.provider === undefined) {
          // Leaving Sharing, entering Reserved and coming back from Disconnect refresh the
          // check-in; Reserved → Idle does not, so the Reserved time stays.
          if (to === IDLE && from === RESERVED) state.checkIns[id] ??= 0;
          else if (to === IDLE || to === RESERVED) state.checkIns[id] = await this.timeOf(log.blockNumber);
          else delete state.checkIns[id];
          if (to === DISCONNECT) {
            for (const r of Object.values(state.reservations)) if (r.nodeId === id) r.down = true;
          }
        }
        if (!this.myNode(a.nodeId as bigint)) return;
        return event();
      }
      case "FeeRecorded": {
        if (!this.mine(a.provider as string)) return;
        const key = bucketKey(a.epoch as bigint, a.token as string);
        if (!state.buckets.includes(key)) state.buckets.push(key);
        return;
      }
    }
  }
}
