// The keeper bot: the market's permissionless chores, each round in an order where one feeds the
// next: mark stale nodes Disconnect (paged over `nodesByStatus`), close drained leases and those of
// Disconnect nodes (the customer's refund), expire reservations past their deadline or on a
// Disconnect node, forward withdrawn fees to the emission contract, keep the TWAP observations of
// every fee token's route fresh, and buy back ended buckets in slices the pool can take, inside
// the TWAP band. Chores that keep the market honest run whatever they cost (below the gas cap);
// those that move value (forwarding, buybacks) are skipped when their gas costs more than they move.
import { Contract, formatUnits } from "ethers";

import { prepareBuyback, readBuckets } from "../emission/client.js";
import { feeOf } from "../escrow.js";
import { NODE_STATUSES } from "../registry.js";
import { getAmountOut } from "../uniswap.js";
import type { KeeperConfig } from "./config.js";
import { reasonOf } from "./log.js";
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
import { jobOf } from "./sender.js";

/** One transaction the keeper would send. */
export interface KeeperJob {
  label: string;
  to: string;
  data: string;
  /** Worth in wei of the native coin, for jobs that move value and whose token is priced. */
  valueWei?: bigint;
}

export const KEEPER_SERIES: [string, "counter" | "gauge", string][] = [
  ["gpufog_keeper_queue", "gauge", "Jobs found by the last round, by job."],
];

const PAIR_ABI = [
  "function getReserves() view returns (uint112, uint112, uint32)",
  "function token0() view returns (address)",
];
const FACTORY_ABI = ["function getPair(address, address) view returns (address)"];

/** Runs the keeper until SIGTERM; with `dryRun`, plans one round, logs each job, and returns it. */
export async function runKeeper(
  config: KeeperConfig,
  options: { dryRun?: boolean; once?: boolean } = {},
): Promise<KeeperJob[]> {
  const dryRun = options.dryRun ?? false;
  const rt = await startRuntime(config, "keeper", { dryRun, extraSeries: KEEPER_SERIES });
  const keeper = new Keeper(rt, config);
  let last: KeeperJob[] = [];
  try {
    await runLoop(
      rt,
      async () => {
        last = await keeper.round(
          async (job) => void (await runJob(rt, job.label, job)),
          () => rt.signal.aborted,
        );
      },
      options.once || dryRun,
    );
  } finally {
    await rt.close();
    rt.log("info", "stopped", { nonce: rt.state.nonce, pending: rt.state.pending?.label ?? null });
  }
  return last;
}

export class Keeper {
  private readonly decimals = new Map<string, number>();

  constructor(
    private readonly rt: Pick<
      Runtime,
      "contracts" | "provider" | "state" | "metrics" | "log" | "book" | "signal" | "config"
    >,
    private readonly config: KeeperConfig,
  ) {}

  /**
   * The round's phases, in the order to run them; each plans its jobs from the chain as it is when
   * the phase starts, so a buyback's TWAP quote and deadline are read just before it is sent.
   */
  phases(): ((now: bigint) => Promise<KeeperJob[]>)[] {
    return [
      (now) => this.staleNodes(now),
      (now) => this.leasesAndFees(now),
      (now) => this.reservations(now),
      (now) => this.observations(now),
      (now) => this.buybacks(now),
    ];
  }

  /** Runs each phase's jobs through `run` (or only lists them); returns every job planned. */
  async round(run?: (job: KeeperJob) => Promise<void>, stopped: () => boolean = () => false): Promise<KeeperJob[]> {
    const jobs: KeeperJob[] = [];
    await this.trackBuckets();
    for (const phase of this.phases()) {
      if (stopped()) break;
      const now = BigInt((await this.rt.provider.getBlock("latest"))!.timestamp);
      const planned = await phase(now);
      jobs.push(...planned);
      for (const job of planned) {
        if (stopped()) break;
        await run?.(job);
      }
    }
    const counts = new Map<string, number>();
    for (const j of jobs) counts.set(jobOf(j.label), (counts.get(jobOf(j.label)) ?? 0) + 1);
    for (const job of ["markDisconnected", "closeLease", "expireReservation", "forwardFees", "observe", "buyback"]) {
      this.rt.metrics.set("gpufog_keeper_queue", counts.get(job) ?? 0, { job });
    }
    return jobs;
  }

  /** Live nodes whose heartbeat is older than the timeout, found page by page. */
  private async staleNodes(now: bigint): Promise<KeeperJob[]> {
    const { registry } = this.rt.contracts;
    const timeout = await registry.heartbeatTimeout();
    const to = await registry.getAddress();
    const jobs: KeeperJob[] = [];
    for (const status of ["Idle", "Sharing", "Reserved"] as const) {
      let cursor = 0n;
      do {
        const [page, next] = await registry.nodesByStatus(NODE_STATUSES.indexOf(status), cursor, this.config.pageSize);
        for (const n of page) {
          if (now > n.lastHeartbeat + timeout) {
            jobs.push({
              label: `markDisconnected ${n.id}`,
              to,
              data: registry.interface.encodeFunctionData("markDisconnected", [n.id]),
            });
          }
        }
        cursor = next;
      } while (cursor !== 0n);
    }
    return jobs;
  }

  /**
   * Open leases that are drained or whose node is down (Disconnect, or stale: `closeLease` marks
   * it first), and the fees of withdrawn leases not yet forwarded. Leases below the state's floor
   * are done (closed, all withdrawn, fees forwarded) and not read again.
   */
  private async leasesAndFees(now: bigint): Promise<KeeperJob[]> {
    const { escrow, registry } = this.rt.contracts;
    const to = await escrow.getAddress();
    const timeout = await registry.heartbeatTimeout();
    const count = await escrow.leaseCount();
    const jobs: KeeperJob[] = [];
    const forward = new Map<string, { ids: bigint[]; fees: bigint }>();
    let floor = BigInt(this.rt.state.leaseFloor);
    let contiguous = true;
    for (let id = floor; id <= count; id++) {
      const lease = await escrow.lease(id);
      const [paid, remaining] = await escrow.accrued(id);
      const unforwarded = feeOf(lease.withdrawn, lease.feeBps) - (await escrow.forwardedFee(id));
      if (lease.status === 1n) {
        const terms = await registry.leaseTerms(lease.nodeId);
        const down = terms.status === 4n || now > terms.lastHeartbeat + timeout;
        if (remaining === 0n || down) {
          const why = remaining === 0n ? "drained" : "node down";
          jobs.push({
            label: `closeLease ${id} (${why})`,
            to,
            data: escrow.interface.encodeFunctionData("closeLease", [id]),
          });
        }
      }
      if (unforwarded > 0n) {
        const entry = forward.get(lease.token) ?? { ids: [], fees: 0n };
        entry.ids.push(id);
        entry.fees += unforwarded;
        forward.set(lease.token, entry);
      }
      const done = lease.status === 2n && paid === lease.withdrawn && unforwarded === 0n;
      if (contiguous && done) floor = id + 1n;
      else contiguous = false;
    }
    this.rt.state.leaseFloor = floor.toString();
    for (const [token, { ids, fees }] of forward) {
      for (let i = 0; i < ids.length; i += this.config.forwardBatch) {
        const chunk = ids.slice(i, i + this.config.forwardBatch);
        jobs.push({
          label: `forwardFees ${chunk.join(",")} (${fees} of ${token})`,
          to,
          data: escrow.interface.encodeFunctionData("forwardFees", [chunk]),
          valueWei: nativeValue(this.config, token, fees, await decimalsOf(this.decimals, token, this.rt.provider)),
        });
      }
    }
    return jobs;
  }

  /** Pending reservations past their deadline or on a down node. */
  private async reservations(now: bigint): Promise<KeeperJob[]> {
    const { escrow, registry } = this.rt.contracts;
    const to = await escrow.getAddress();
    const timeout = await registry.heartbeatTimeout();
    const count = await escrow.reservationCount();
    const jobs: KeeperJob[] = [];
    let floor = BigInt(this.rt.state.reservationFloor);
    let contiguous = true;
    for (let id = floor; id <= count; id++) {
      const r = await escrow.reservation(id);
      if (r.status !== 1n) {
        if (contiguous) floor = id + 1n;
        continue;
      }
      contiguous = false;
      const terms = await registry.leaseTerms(r.nodeId);
      const down = terms.status === 4n || now > terms.lastHeartbeat + timeout;
      if (now >= r.deadline || down) {
        jobs.push({
          label: `expireReservation ${id} (${now >= r.deadline ? "past its deadline" : "node down"})`,
          to,
          data: escrow.interface.encodeFunctionData("expireReservation", [id]),
        });
      }
    }
    this.rt.state.reservationFloor = floor.toString();
    return jobs;
  }

  /** Adds the buckets of new `FeeRecorded` events to the state (read once, a chunk at a time). */
  private async trackBuckets(): Promise<void> {
    const { emission } = this.rt.contracts;
    const latest = await this.rt.provider.getBlockNumber();
    const filter = {
      address: [await emission.getAddress()],
      topics: [[emission.interface.getEvent("FeeRecorded").topicHash]],
    };
    await readNewLogs(this.rt, filter, latest, (log) => {
      const a = emission.interface.parseLog(log)!.args;
      const key = bucketKey(a.epoch as bigint, a.token as string);
      if (!this.rt.state.buckets.includes(key)) this.rt.state.buckets.push(key);
    });
  }

  /** The fee tokens to observe and buy back: the config's, or those with fees recorded. */
  private tokens(): string[] {
    return this.config.tokens ?? [...new Set(stateBuckets(this.rt.state).map((b) => b.token))];
  }

  /** The pairs of a token's route to TFT. */
  private async pairs(token: string): Promise<{ pair: Contract; tokenIn: string }[]> {
    const { emission } = this.rt.contracts;
    const factory = new Contract(await emission.factory(), FACTORY_ABI, this.rt.provider);
    const path = await emission.routeOf(token);
    const out: { pair: Contract; tokenIn: string }[] = [];
    for (let i = 0; i + 1 < path.length; i++) {
      const address = (await factory.getFunction("getPair")(path[i], path[i + 1])) as string;
      out.push({ pair: new Contract(address, PAIR_ABI, this.rt.provider), tokenIn: path[i]! });
    }
    return out;
  }

  /** `observe` for each fee token with a pair whose newest observation is half a window old. */
  private async observations(now: bigint): Promise<KeeperJob[]> {
    const { emission } = this.rt.contracts;
    const tft = (await emission.tft()).toLowerCase();
    const half = (await emission.twapWindow()) / 2n;
    const jobs: KeeperJob[] = [];
    for (const token of this.tokens()) {
      if (token.toLowerCase() === tft) continue;
      for (const { pair } of await this.pairs(token)) {
        const newest = (await emission.observationsOf(await pair.getAddress())).reduce(
          (max, o) => (o.timestamp > max ? o.timestamp : max),
          0n,
        );
        if (now - newest >= half) {
          jobs.push({
            label: `observe ${token}`,
            to: await emission.getAddress(),
            data: emission.interface.encodeFunctionData("observe", [token]),
          });
          break;
        }
      }
    }
    return jobs;
  }

  /**
   * One slice of each ended bucket with unsold fees: at most what moves the first pool's price by
   * `maxImpactBps`, and only while the pool's spot output stays inside the TWAP band (at least the
   * `minTftOut` the TWAP allows); the next round sells the next slice.
   */
  private async buybacks(now: bigint): Promise<KeeperJob[]> {
    const { emission } = this.rt.contracts;
    const tft = (await emission.tft()).toLowerCase();
    const to = await emission.getAddress();
    const tokens = this.tokens().map((t) => t.toLowerCase());
    const refs = stateBuckets(this.rt.state).filter((b) => tokens.includes(b.token.toLowerCase()));
    const jobs: KeeperJob[] = [];
    const read = await readBuckets(emission, refs);
    // A bucket sold out is done: forget it.
    const done = new Set(read.filter((b) => b.ended && b.unsold === 0n).map((b) => bucketKey(b.epoch, b.token)));
    this.rt.state.buckets = this.rt.state.buckets.filter((key) => !done.has(key));
    for (const b of read) {
      if (!b.ended || b.unsold === 0n) continue;
      let amount = b.unsold;
      let spot: bigint | undefined;
      if (b.token.toLowerCase() !== tft) {
        const hops = await this.pairs(b.token);
        const reserves: [bigint, bigint][] = [];
        for (const { pair, tokenIn } of hops) {
          const [r0, r1] = (await pair.getFunction("getReserves")()) as [bigint, bigint, bigint];
          const zeroIn = ((await pair.getFunction("token0")()) as string).toLowerCase() === tokenIn.toLowerCase();
          reserves.push(zeroIn ? [r0, r1] : [r1, r0]);
        }
        const maxSlice = (reserves[0]![0] * this.config.maxImpactBps) / (10_000n - this.config.maxImpactBps);
        if (maxSlice < amount) amount = maxSlice;
        if (amount === 0n) continue;
        spot = reserves.reduce((x, [rin, rout]) => getAmountOut(x, rin, rout), amount);
      }
      let prepared;
      try {
        prepared = await prepareBuyback(emission, b.token, b.epoch, {
          amount,
          marginBps: this.config.buybackMarginBps,
          now,
        });
      } catch (error) {
        this.rt.log("info", "buyback_not_ready", { token: b.token, epoch: b.epoch, reason: reasonOf(error) });
        continue;
      }
      if (spot !== undefined && spot < prepared.minTftOut) {
        this.rt.log("warn", "buyback_outside_band", {
          token: b.token,
          epoch: b.epoch,
          amount,
          spotOut: spot,
          minTftOut: prepared.minTftOut,
        });
        continue;
      }
      jobs.push({
        label: `buyback ${b.token} epoch ${b.epoch}: ${formatUnits(amount)} of ${formatUnits(b.unsold)} unsold`,
        to,
        data: emission.interface.encodeFunctionData("buyback", [
          b.token,
          b.epoch,
          amount,
          prepared.minTftOut,
          prepared.deadline,
        ]),
        valueWei: nativeValue(this.config, await emission.tft(), prepared.twapQuote, 18),
      });
    }
    return jobs;
  }
}
