// The keeper bot: the market's permissionless chores, each round in an order where one feeds the
// next: mark stale Idle and Reserved nodes Disconnect, finalize leases past their collect window
// (the customer's refund) and close those whose deposit is spent, fail reservations whose start
// was not accepted in time or whose node went down, expire those past their deadline, forward
// the protocol fees due to the emission contract, keep the TWAP observations of every fee token's
// route fresh, and buy back ended buckets in slices the pool can take, inside the TWAP band. What
// is due comes from the work list (the events since the last block read, ./worklist.ts), so a
// round reads what is due, not the market's history. Chores that keep the market honest run whatever they cost (below the gas cap);
// those that move value (forwarding, buybacks) are skipped when their gas costs more than they move.
// This planner is the keeper's only policy: `keeperRound` and `buybackRound` run one round of it
// with any signer (the keeper:sweep and emission:buyback tasks).
import {
  Contract,
  formatUnits,
  type JsonRpcApiProvider,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";

import type { GpufogContracts } from "../deployments.js";
import { feeBuckets, prepareBuyback, readBuckets } from "../emission/client.js";
import { decodeRevert } from "../revert.js";
import { getAmountOut } from "../uniswap.js";
import type { KeeperConfig } from "./config.js";
import { reasonOf, type Logger } from "./log.js";
import { Metrics } from "./metrics.js";
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
import { loadState, type AgentState } from "./state.js";
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

/** What the keeper's planner reads: the agent's runtime, or a task's signer (see {@link keeperRound}). */
export interface KeeperRuntime {
  contracts: Pick<GpufogContracts, "registry" | "escrow" | "emission">;
  provider: Provider & Pick<JsonRpcApiProvider, "send">;
  state: AgentState;
  metrics: Metrics;
  log: Logger;
  signal: AbortSignal;
  config: Pick<Runtime["config"], "logRange">;
}

/** The keeper config's settings its planner follows. */
export type KeeperPolicy = Pick<
  KeeperConfig,
  "forwardBatch" | "spentCloseGraceSeconds" | "tokens" | "maxImpactBps" | "buybackMarginBps" | "nativePrice"
>;

export class Keeper {
  private readonly decimals = new Map<string, number>();
  private readonly work: WorkList;

  constructor(
    private readonly rt: KeeperRuntime,
    private readonly config: KeeperPolicy,
  ) {
    // The work list reads only the three contracts, `send` and `getBlock` of the provider, the
    // state, the signal and `logRange`: what a KeeperRuntime has, also when a task's signer runs it.
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
    const tokens = this.tokens();
    if (tokens.length === 0) return [];
    const tft = (await emission.tft()).toLowerCase();
    const half = (await emission.twapWindow()) / 2n;
    const jobs: KeeperJob[] = [];
    for (const token of tokens) {
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
  async buybacks(now: bigint): Promise<KeeperJob[]> {
    const { emission } = this.rt.contracts;
    const tokens = this.tokens().map((t) => t.toLowerCase());
    const refs = stateBuckets(this.rt.state).filter((b) => tokens.includes(b.token.toLowerCase()));
    if (refs.length === 0) return [];
    const tft = (await emission.tft()).toLowerCase();
    const to = await emission.getAddress();
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
        const reason = decodeRevert(error, [emission.interface])?.message ?? reasonOf(error);
        this.rt.log("info", "buyback_not_ready", { token: b.token, epoch: b.epoch, reason });
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

/** The keeper config's defaults (docs/operators.md), for a round run without a config file. */
export const KEEPER_DEFAULTS: Omit<KeeperPolicy, "tokens" | "nativePrice"> & { logRange: number } = {
  forwardBatch: 50,
  spentCloseGraceSeconds: 3600,
  maxImpactBps: 50n,
  buybackMarginBps: 10n,
  logRange: 2000,
};

/** A job of one round and what became of it. */
export interface KeeperOutcome extends KeeperJob {
  /**
   * `done` (mined), `skipped` (it would revert, or its gas costs more than it moves), `failed`
   * (sent and reverted, or refused by the node), `planned` (a dry run).
   */
  result: "done" | "skipped" | "failed" | "planned";
  reason?: string;
  /** The mined transaction, when done. */
  receipt?: TransactionReceipt;
}

export interface KeeperRoundOptions {
  /** Signs and sends the round's jobs; its provider reads the chain. */
  signer: Signer;
  contracts: KeeperRuntime["contracts"];
  /** The first block whose events the round reads (the deployment's). */
  fromBlock: number;
  policy?: Partial<KeeperPolicy> & { logRange?: number };
  /** Plans and checks each job (gas, revert) without sending it. */
  dryRun?: boolean;
  /** Told what the planner skips and why (a buyback outside the TWAP band, one not ready). */
  log?: Logger;
}

/**
 * One round of the keeper agent's planner with `signer`, what `gpufog keeper run --once` does
 * with the agent's key: the work list read from `fromBlock`, then each phase's jobs, each checked
 * before it is sent (one that would revert, or whose gas costs more than it moves, is skipped).
 */
export async function keeperRound(options: KeeperRoundOptions): Promise<KeeperOutcome[]> {
  const keeper = new Keeper(roundRuntime(options, options.fromBlock - 1), roundPolicy(options));
  const outcomes: KeeperOutcome[] = [];
  await keeper.round(async (job) => void outcomes.push(await sendJob(options, job)));
  return outcomes;
}

/**
 * The keeper's buyback phase alone, with `signer`: one slice of each ended bucket of `tokens`
 * with unsold fees, the buckets found in the emission's `FeeRecorded` events from `fromBlock`.
 */
export async function buybackRound(
  options: Omit<KeeperRoundOptions, "contracts"> & {
    emission: KeeperRuntime["contracts"]["emission"];
    tokens: string[];
  },
): Promise<KeeperOutcome[]> {
  // The buyback phase reads no contract but the emission.
  const round = { ...options, contracts: { emission: options.emission } as KeeperRuntime["contracts"] };
  const rt = roundRuntime(round, options.fromBlock - 1);
  for (const token of options.tokens) {
    for (const b of await feeBuckets(options.emission, { fromBlock: options.fromBlock, token })) {
      rt.state.buckets.push(bucketKey(b.epoch, b.token));
    }
  }
  const keeper = new Keeper(rt, { ...roundPolicy(options), tokens: options.tokens });
  const now = BigInt((await rt.provider.getBlock("latest"))!.timestamp);
  const outcomes: KeeperOutcome[] = [];
  for (const job of await keeper.buybacks(now)) outcomes.push(await sendJob(round, job));
  return outcomes;
}

function roundPolicy(options: Pick<KeeperRoundOptions, "policy">): KeeperPolicy {
  return { ...KEEPER_DEFAULTS, tokens: undefined, nativePrice: new Map(), ...options.policy };
}

function roundRuntime(options: KeeperRoundOptions, lastBlock: number): KeeperRuntime {
  const provider = options.signer.provider as KeeperRuntime["provider"] | null;
  if (provider === null || typeof provider.send !== "function") {
    throw new Error("the keeper's signer needs a JSON-RPC provider");
  }
  const metrics = new Metrics();
  for (const [name, type, help] of KEEPER_SERIES) metrics.define(name, type, help);
  // No state file: a round of its own reads the work list afresh from `lastBlock`.
  const state = loadState("", "keeper", 0, "", lastBlock);

  return {
    contracts: options.contracts,
    provider,
    state,
    metrics,
    log: options.log ?? (() => {}),
    signal: new AbortController().signal,
    config: { logRange: options.policy?.logRange ?? KEEPER_DEFAULTS.logRange },
  };
}

/** Checks a job as the agent's sender does (would it revert? is it worth its gas?), then sends it. */
async function sendJob(options: KeeperRoundOptions, job: KeeperJob): Promise<KeeperOutcome> {
  const { signer, contracts } = options;
  const abis = [contracts.emission.interface, contracts.escrow?.interface, contracts.registry?.interface].filter(
    (i) => i !== undefined,
  );
  const reason = (error: unknown) => decodeRevert(error, abis)?.message ?? reasonOf(error);
  let gas: bigint;
  try {
    gas = await signer.estimateGas({ to: job.to, data: job.data });
  } catch (error) {
    return { ...job, result: "skipped", reason: `would revert: ${reason(error)}` };
  }
  if (job.valueWei !== undefined) {
    const fees = await signer.provider!.getFeeData();
    const cost = gas * (fees.maxFeePerGas ?? fees.gasPrice ?? 0n);
    if (cost > job.valueWei) {
      return { ...job, result: "skipped", reason: `gas ${cost} wei exceeds the job's value ${job.valueWei} wei` };
    }
  }
  if (options.dryRun) return { ...job, result: "planned" };
  try {
    const tx = await signer.sendTransaction({ to: job.to, data: job.data });
    const receipt = await tx.wait();
    if (receipt === null) throw new Error(`${job.label}: ${tx.hash} was dropped`);
    return { ...job, result: "done", receipt };
  } catch (error) {
    return { ...job, result: "failed", reason: reason(error) };
  }
}
