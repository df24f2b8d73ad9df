// The keeper bot: the market's permissionless chores, each round in an order where one feeds the
// next: mark stale Idle and Reserved nodes Disconnect, finalize leases past their collect window
// (the customer's refund) and close those whose deposit is spent, fail reservations whose start
// was not accepted in time or whose node went down, expire those past their deadline, forward
// the protocol fees due to the emission contract, keep the TWAP observations of every fee token's
// route fresh, and buy back ended buckets in slices the pool can take, inside the TWAP band. What
// is due comes from the work list (the events since the last block read, ./worklist.ts), so a
// round reads what is due, not the market's history. Chores that keep the market honest run whatever they cost (below the gas cap);
// those that move value (forwarding, buybacks) are skipped when their gas costs more than they move.
import { Contract, formatUnits } from "ethers";

import { prepareBuyback, readBuckets } from "../emission/client.js";
import { getAmountOut } from "../uniswap.js";
import type { KeeperConfig } from "./config.js";
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
import { jobOf } from "./sender.js";
import { CLOSING, IDLE, OPEN, PENDING, RESERVED, STARTING, WorkList } from "./worklist.js";

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
      () => ({ queue: `${last.length} job${last.length === 1 ? "" : "s"} in the last round` }),
    );
  } finally {
    await rt.close();
    rt.log("info", "stopped", { nonce: rt.state.nonce, pending: rt.state.pending?.label ?? null });
  }
  return last;
}

/** The keeper's jobs, in the order of its phases. */
export const KEEPER_JOBS = [
  "markDisconnected",
  "finalize",
  "closeLease",
  "failReservation",
  "expireReservation",
  "forwardFees",
  "observe",
  "buyback",
];

export class Keeper {
  private readonly decimals = new Map<string, number>();
  private readonly work: WorkList;

  constructor(
    private readonly rt: Pick<
      Runtime,
      "contracts" | "provider" | "state" | "metrics" | "log" | "book" | "signal" | "config"
    >,
    private readonly config: KeeperConfig,
  ) {
    this.work = new WorkList(rt);
  }

  /**
   * The round's phases, in the order to run them; each plans its jobs from the chain as it is when
   * the phase starts, so a buyback's TWAP quote and deadline are read just before it is sent.
   */
  phases(): ((now: bigint) => Promise<KeeperJob[]>)[] {
    return [
      (now) => this.staleNodes(now),
      (now) => this.leases(now),
      (now) => this.reservations(now),
      () => this.fees(),
      (now) => this.observations(now),
      (now) => this.buybacks(now),
    ];
  }

  /** Runs each phase's jobs through `run` (or only lists them); returns every job planned. */
  async round(run?: (job: KeeperJob) => Promise<void>, stopped: () => boolean = () => false): Promise<KeeperJob[]> {
    const jobs: KeeperJob[] = [];
    await this.work.read(await this.rt.provider.getBlockNumber());
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
    for (const job of KEEPER_JOBS) {
      this.rt.metrics.set("gpufog_keeper_queue", counts.get(job) ?? 0, { job });
    }
    return jobs;
  }

  /**
   * Idle and Reserved nodes past `checkInPeriod`, from the work list's check-in times; each
   * candidate is read once to confirm it (a node checked in since is put back on the list with its
   * real time).
   */
  private async staleNodes(now: bigint): Promise<KeeperJob[]> {
    const { registry } = this.rt.contracts;
    const period = await registry.checkInPeriod();
    const to = await registry.getAddress();
    const jobs: KeeperJob[] = [];
    for (const [id, at] of Object.entries(this.rt.state.checkIns)) {
      if (!(now > BigInt(at) + period)) continue;
      const terms = await registry.leaseTerms(id);
      if (terms.status !== IDLE && terms.status !== RESERVED) {
        delete this.rt.state.checkIns[id];
      } else if (now > terms.lastCheckIn + period) {
        jobs.push({
          label: `markDisconnected ${id}`,
          to,
          data: registry.interface.encodeFunctionData("markDisconnected", [id]),
        });
      } else {
        this.rt.state.checkIns[id] = Number(terms.lastCheckIn);
      }
    }
    return jobs;
  }

  /**
   * Closing leases past their collect window (`finalize`: the customer's refund) and open leases
   * whose deposit a collect spent (`closeLease`, which anyone may send: it frees the node). Only
   * the work list's candidates are read.
   */
  private async leases(now: bigint): Promise<KeeperJob[]> {
    const { escrow } = this.rt.contracts;
    const to = await escrow.getAddress();
    const jobs: KeeperJob[] = [];
    for (const [id, tracked] of Object.entries(this.rt.state.leases)) {
      const closing = tracked.collectDeadline !== 0;
      if (closing ? !(now > BigInt(tracked.collectDeadline)) : BigInt(tracked.paid) < BigInt(tracked.deposit)) continue;
      const lease = await escrow.lease(id);
      tracked.deposit = lease.deposit.toString();
      tracked.paid = lease.paid.toString();
      if (lease.status === CLOSING && now > lease.collectDeadline) {
        jobs.push({ label: `finalize ${id}`, to, data: escrow.interface.encodeFunctionData("finalize", [id]) });
      } else if (lease.status === OPEN && lease.paid === lease.deposit) {
        // The provider's agent closes its spent leases with its last receipt; the keeper is the
        // backstop for one gone quiet, after a grace, so that the two never race to one close.
        tracked.spentSeenAt ??= Number(now);
        if (now - BigInt(tracked.spentSeenAt) < BigInt(this.config.spentCloseGraceSeconds)) continue;
        jobs.push({
          label: `closeLease ${id} (deposit spent)`,
          to,
          data: escrow.interface.encodeFunctionData("closeLease", [id, 0n, "0x"]),
        });
      } else if (lease.status !== OPEN && lease.status !== CLOSING) {
        delete this.rt.state.leases[id];
      }
    }
    return jobs;
  }

  /**
   * Reservations whose provider did not hold them (`failReservation`: a start not accepted within
   * the accept window, or a node gone Disconnect) and pending ones past their deadline
   * (`expireReservation`). Only the work list's candidates are read.
   */
  private async reservations(now: bigint): Promise<KeeperJob[]> {
    const { escrow } = this.rt.contracts;
    const to = await escrow.getAddress();
    const jobs: KeeperJob[] = [];
    for (const [id, tracked] of Object.entries(this.rt.state.reservations)) {
      const unaccepted = tracked.acceptBy !== 0 && now > BigInt(tracked.acceptBy);
      const expired = tracked.acceptBy === 0 && now > BigInt(tracked.deadline);
      if (!unaccepted && !expired && tracked.down !== true) continue;
      const r = await escrow.reservation(id);
      if (r.status !== PENDING && r.status !== STARTING) {
        delete this.rt.state.reservations[id];
        continue;
      }
      const why =
        r.status === STARTING && now > r.acceptBy
          ? "start not accepted"
          : tracked.down === true
            ? "node down"
            : undefined;
      if (why !== undefined) {
        jobs.push({
          label: `failReservation ${id} (${why})`,
          to,
          data: escrow.interface.encodeFunctionData("failReservation", [id]),
        });
      } else if (r.status === PENDING && now > r.deadline) {
        jobs.push({
          label: `expireReservation ${id} (past its deadline)`,
          to,
          data: escrow.interface.encodeFunctionData("expireReservation", [id]),
        });
      }
    }
    return jobs;
  }

  /**
   * The protocol fees due from the providers the work list saw earn, forwarded per token in
   * `forwardFees(token, providers)` batches of `forwardBatch`; a provider with nothing due leaves
   * the list.
   */
  private async fees(): Promise<KeeperJob[]> {
    const { escrow } = this.rt.contracts;
    const to = await escrow.getAddress();
    const byToken = new Map<string, { providers: string[]; fees: bigint[] }>();
    const keep: string[] = [];
    for (const key of this.rt.state.feesDue) {
      const [token, provider] = key.split(":") as [string, string];
      const due = await escrow.feesDue(provider, token);
      if (due === 0n) continue;
      keep.push(key);
      const entry = byToken.get(token) ?? { providers: [], fees: [] };
      entry.providers.push(provider);
      entry.fees.push(due);
      byToken.set(token, entry);
    }
    this.rt.state.feesDue = keep;
    const jobs: KeeperJob[] = [];
    for (const [token, { providers, fees }] of byToken) {
      const decimals = await decimalsOf(this.decimals, token, this.rt.provider);
      for (let i = 0; i < providers.length; i += this.config.forwardBatch) {
        const chunk = providers.slice(i, i + this.config.forwardBatch);
        const sum = fees.slice(i, i + this.config.forwardBatch).reduce((s, f) => s + f, 0n);
        jobs.push({
          label: `forwardFees ${token} for ${chunk.length} provider(s) (${formatUnits(sum, decimals)})`,
          to,
          data: escrow.interface.encodeFunctionData("forwardFees", [token, chunk]),
          valueWei: nativeValue(this.config, token, sum, decimals),
        });
      }
    }
    return jobs;
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
