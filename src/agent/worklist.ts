// The agents' work list: the market's events since the last block read, folded into the state
// (open and closing leases, pending and starting reservations, the check-in time of every Idle
// or Reserved node, the providers whose protocol fees may be due, the fee buckets), so that a round
// reads what is due and never rereads history. The keeper follows everyone's work and reads every
// event of the market. The provider agent follows its own nodes and asks the node only for their
// logs, so that its first start costs its own history, not the market's: events with an indexed
// node or provider by that key, and the events keyed by a lease or reservation (Collected,
// LeaseClosed, LeaseFinalized, LeaseRenewed, StartRequested, ReservationEnded index nothing else) by the ids it
// follows, those opened in the same chunk included. Each fold is idempotent: a chunk of logs read
// again after a failure or a stop leaves the same state.
import { getAddress, Log, toBeHex, toQuantity, zeroPadValue, type LogDescription } from "ethers";

import { bucketKey, readNewLogs, type LogRuntime } from "./runtime.js";
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
  "LeaseRenewed",
  "Reserved",
  "StartRequested",
  "ReservationEnded",
  "Withdrawn",
] as const;
const REGISTRY_EVENTS = ["NodeRegistered", "CheckedIn", "StatusChanged"] as const;
/** The provider's events that index the node (as their second topic, `nodeId`). */
const NODE_EVENTS = ["LeaseOpened", "Reserved"] as const;
/** The provider's events that index a lease id first, and nothing of the provider or node. */
const LEASE_EVENTS = ["Collected", "LeaseClosed", "LeaseFinalized", "LeaseRenewed"] as const;
/** The provider's events that index a reservation id first, and nothing of the provider or node. */
const RESERVATION_EVENTS = ["StartRequested", "ReservationEnded"] as const;
/**
 * The most values one topic's OR-list carries in a request: geth refuses more than 1,000, and a
 * provider with more open leases or nodes than this costs one more request a chunk per this many.
 */
export const TOPIC_LIST_MAX = 500;

/** One provider's work: its leases and reservations on `nodes`, its withdrawals and fee buckets. */
export interface Scope {
  provider: string;
  /** The nodes the agent runs: the leases and reservations it follows are on these. */
  nodes: Set<bigint>;
}

type Topics = (string | string[] | null)[];

/** A uint256 or address argument as a topic. */
const topicOf = (value: bigint | string): string =>
  zeroPadValue(typeof value === "bigint" ? toBeHex(value) : value.toLowerCase(), 32);

/** An event the list folded in, with where it happened: the provider agent logs these. */
export interface MarketEvent {
  name: string;
  args: LogDescription["args"];
  block: number;
  tx: string;
}

/** A log as `eth_getLogs` answers it; `blockTimestamp` from geth 1.16, reth and anvil on. */
interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  blockTimestamp?: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

export class WorkList {
  /** Block timestamps, for the events of the blocks being read. */
  private readonly times = new Map<number, number>();

  constructor(
    private readonly rt: LogRuntime,
    /** One provider's work; everyone's when absent (the keeper). */
    private readonly scope?: Scope,
    private readonly onEvent: (event: MarketEvent) => void = () => {},
  ) {}

  /** Folds in the events of the blocks after the state's `lastBlock` up to `latest`. */
  async read(latest: number): Promise<void> {
    const { escrow, registry, emission } = this.rt.contracts;
    const address = {
      escrow: await escrow.getAddress(),
      registry: await registry.getAddress(),
      emission: await emission.getAddress(),
    };
    const scope = this.scope;
    const chunk =
      scope === undefined
        ? (fromBlock: number, toBlock: number) =>
            this.getLogs({
              address: Object.values(address),
              topics: [
                [
                  ...ESCROW_EVENTS.map((e) => escrow.interface.getEvent(e).topicHash),
                  ...REGISTRY_EVENTS.map((e) => registry.interface.getEvent(e).topicHash),
                  emission.interface.getEvent("FeeRecorded").topicHash,
                ],
              ],
              fromBlock,
              toBlock,
            })
        : (fromBlock: number, toBlock: number) => this.ownLogs(scope, address, fromBlock, toBlock);
    try {
      await readNewLogs(this.rt, chunk, latest, (log) => this.fold(log));
    } finally {
      this.times.clear();
    }
  }

  /**
   * The logs of `scope`'s provider in `fromBlock`..`toBlock`, in chain order: first those keyed by
   * its nodes or its address, then those keyed by the leases and reservations it follows, the ones
   * these first logs open included.
   */
  private async ownLogs(
    scope: Scope,
    address: { escrow: string; registry: string; emission: string },
    fromBlock: number,
    toBlock: number,
  ): Promise<Log[]> {
    const { escrow, registry, emission } = this.rt.contracts;
    const hashes = (names: readonly (typeof ESCROW_EVENTS)[number][]) =>
      names.map((n) => escrow.interface.getEvent(n).topicHash);
    const keyed = async (to: string[], topics: (keys: string[]) => Topics, keys: string[]) =>
      (
        await Promise.all(
          Array.from({ length: Math.ceil(keys.length / TOPIC_LIST_MAX) }, (_, i) =>
            this.getLogs({
              address: to,
              topics: topics(keys.slice(i * TOPIC_LIST_MAX, (i + 1) * TOPIC_LIST_MAX)),
              fromBlock,
              toBlock,
            }),
          ),
        )
      ).flat();
    const nodes = [...scope.nodes].map(topicOf);
    const owned = (
      await Promise.all([
        keyed([address.escrow], (ids) => [hashes(NODE_EVENTS), null, ids], nodes),
        // StatusChanged indexes the node first; CheckedIn, Withdrawn and FeeRecorded the provider.
        keyed(
          [address.registry, address.escrow, address.emission],
          (keys) => [
            [
              registry.interface.getEvent("StatusChanged").topicHash,
              registry.interface.getEvent("CheckedIn").topicHash,
              escrow.interface.getEvent("Withdrawn").topicHash,
              emission.interface.getEvent("FeeRecorded").topicHash,
            ],
            keys,
          ],
          [topicOf(scope.provider), ...nodes],
        ),
      ])
    ).flat();
    const state = this.rt.state;
    const leases = new Set(Object.keys(state.leases).map(BigInt));
    const reservations = new Set(Object.keys(state.reservations).map(BigInt));
    for (const log of owned) {
      const parsed = escrow.interface.parseLog(log);
      if (parsed?.name === "LeaseOpened") leases.add(parsed.args.leaseId as bigint);
      if (parsed?.name === "Reserved") reservations.add(parsed.args.reservationId as bigint);
    }
    // Two requests rather than one OR-list of both kinds of id: a lease and a reservation of the
    // same number would otherwise bring in another provider's events.
    const followed = (
      await Promise.all([
        keyed([address.escrow], (ids) => [hashes(LEASE_EVENTS), ids], [...leases].map(topicOf)),
        keyed([address.escrow], (ids) => [hashes(RESERVATION_EVENTS), ids], [...reservations].map(topicOf)),
      ])
    ).flat();
    return [...owned, ...followed].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  }

  /**
   * `eth_getLogs`, keeping the timestamp a node sends with each log (ethers drops it), so that
   * the folds read no block of their own: a block with hundreds of transactions is tens of
   * kilobytes of hashes for one timestamp.
   */
  private async getLogs(filter: { address: string[]; topics: Topics; fromBlock: number; toBlock: number }) {
    const raw = (await this.rt.provider.send("eth_getLogs", [
      { ...filter, fromBlock: toQuantity(filter.fromBlock), toBlock: toQuantity(filter.toBlock) },
    ])) as RawLog[];
    return raw.map((r) => {
      const blockNumber = Number(r.blockNumber);
      if (r.blockTimestamp !== undefined) this.times.set(blockNumber, Number(r.blockTimestamp));
      return new Log(
        {
          transactionHash: r.transactionHash,
          blockHash: r.blockHash,
          blockNumber,
          removed: r.removed ?? false,
          address: getAddress(r.address),
          data: r.data,
          topics: r.topics,
          index: Number(r.logIndex),
          transactionIndex: Number(r.transactionIndex),
        },
        this.rt.provider,
      );
    });
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
    return this.scope === undefined || provider.toLowerCase() === this.scope.provider.toLowerCase();
  }

  private myNode(nodeId: bigint): boolean {
    return this.scope === undefined || this.scope.nodes.has(nodeId);
  }

  /** Marks `provider`'s fees in `token` as possibly due (the keeper forwards them). */
  private feeDue(state: AgentState, token: string, provider: string): void {
    if (this.scope !== undefined) return;
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
    const event = () => this.onEvent({ name: parsed.name, args: a, block: log.blockNumber, tx: log.transactionHash });
    switch (parsed.name) {
      case "LeaseOpened": {
        if (!this.mine(a.provider as string) || !this.myNode(a.nodeId as bigint)) return;
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
      // After the old lease's LeaseFinalized and the new one's LeaseOpened, in the same transaction.
      case "LeaseRenewed":
        if (state.leases[String(a.newLeaseId)] === undefined) return;
        return event();
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
        if ((a.feeEarned as bigint) > 0n && this.scope === undefined) {
          const r = await escrow.reservation(a.reservationId as bigint);
          this.feeDue(state, r.token, r.provider);
        }
        delete state.reservations[id];
        return event();
      }
      case "Withdrawn":
        if (this.scope === undefined || !this.mine(a.provider as string)) return;
        return event();
      case "NodeRegistered":
        if (this.scope !== undefined) return;
        state.checkIns[String(a.nodeId)] = await this.timeOf(log.blockNumber);
        return;
      case "CheckedIn": {
        if (this.scope !== undefined) {
          if (this.mine(a.provider as string)) event();
          return;
        }
        const time = await this.timeOf(log.blockNumber);
        for (const id of (a.nodeIds as bigint[]).map(String)) {
          if (state.checkIns[id] !== undefined && state.checkIns[id] < time) state.checkIns[id] = time;
        }
        return;
      }
      case "StatusChanged": {
        const id = String(a.nodeId);
        const [from, to] = [BigInt(a.from as bigint), BigInt(a.to as bigint)];
        if (this.scope === undefined) {
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
