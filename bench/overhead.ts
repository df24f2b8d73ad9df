import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { encodeBytes32String, parseUnits } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { deployLocalSystem } from "../deploy/local.js";
import { InputError } from "../src/errors.js";
import { nextQuoteNonce } from "../src/market/quote.js";
import { escrowDomain, signQuote, signReceipt, type Quote } from "../src/market/typed-data.js";
import { buildTree } from "../src/airdrop/merkle/tree.js";
import { LeafKind } from "../src/airdrop/merkle/proof.js";
import { OVERHEAD_OPTIONS } from "../tasks/bench.js";
import {
  connect,
  costOf,
  OP_MAINNET_SCALARS,
  printTable,
  writeResult,
  type BenchChain,
  type BenchOptions,
  type OpFeeParameters,
  type TxCost,
} from "./lib.js";

const UNIT = 10n ** 18n;

/** The parameters of the cost model, from the bench task's options (see tasks/bench.ts). */
export interface OverheadParameters {
  l1Gwei: number;
  blobGwei: number;
  l2Gwei: number;
  ethUsd: number;
  gutUsd: number;
  /** GUT per TU-hour. */
  price: number;
  /** Check-ins per check-in period while a node is Idle (the agent's margin). */
  margin: number;
  withdrawHours: number;
  forwardHours: number;
  leaseHours: number;
}

/** The options as numbers; a bad one is an `InputError` naming the option. */
export function overheadParameters(options: BenchOptions): OverheadParameters {
  const out = {} as Record<string, number>;
  for (const [name, [fallback]] of Object.entries(OVERHEAD_OPTIONS)) {
    const text = options[name] ?? fallback;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
      const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new InputError("bench overhead", undefined, flag, `"${text}" is not a positive number`);
    }
    out[name] = value;
  }
  return out as unknown as OverheadParameters;
}

/** One setup: its nodes, each with `gpus` GPUs of `model`, one provider's; its agent checks them in in one transaction. */
export interface Setup {
  name: string;
  model: string;
  /** TU per GPU. */
  tu: number;
  gpus: number;
  nodes: number;
}

export const SETUPS: readonly Setup[] = [
  { name: "1 × GTX 1080 Ti (one node)", model: "GTX 1080 Ti", tu: 1, gpus: 1, nodes: 1 },
  { name: "8 × V100 (one 8-GPU node)", model: "V100", tu: 1.85, gpus: 8, nodes: 1 },
  { name: "8 × V100 (8 one-GPU nodes, batched)", model: "V100", tu: 1.85, gpus: 1, nodes: 8 },
];

/** The lease lengths the issue sets goals for besides the `leaseHours` option: an hour. */
export const SHORT_LEASE_HOURS = 1;

/** How long a customer who renews hourly keeps the node in the renewal model: a day. */
export const STAY_HOURS = 24;

/**
 * One way a node is leased: a new customer every `leaseHours`, or (with `stayHours`) terms of
 * `leaseHours` renewed by one customer who stays `stayHours`: an open, a renewal an hour, a close.
 */
export interface LeaseModel {
  label: string;
  leaseHours: number;
  stayHours?: number;
}

/** The models the bench prices: `leaseHours`-long leases, 1-h leases, and 1-h terms renewed. */
export function leaseModels(leaseHours: number): LeaseModel[] {
  const models: LeaseModel[] = [{ label: `${leaseHours} h`, leaseHours }];
  if (leaseHours !== SHORT_LEASE_HOURS) {
    models.push({ label: `${SHORT_LEASE_HOURS} h, a new customer each`, leaseHours: SHORT_LEASE_HOURS });
  }
  models.push({
    label: `${SHORT_LEASE_HOURS} h, renewed in a ${STAY_HOURS}-h stay`,
    leaseHours: SHORT_LEASE_HOURS,
    stayHours: STAY_HOURS,
  });
  return models;
}

/**
 * The goals of issue 23 for the 1-TU node on the OP Stack, in % of revenue, by lease length in
 * hours; and the share of revenue above which L1 is declared unsupported for leases.
 */
export const GOALS = { op: { 24: 0.1, 1: 1 } as Record<number, number>, l1UnsupportedAbove: 10 };

/** The measured transactions of one setup on one chain. */
export interface SetupCosts {
  /** The customer's `openLease` with the provider's quote. */
  open: TxCost;
  /** The provider's `closeLease` carrying the customer's last receipt: the lease's one collect. */
  close: TxCost;
  /** The customer's `renewLease` with the next quote: the old lease paid through now, the rest carried. */
  renew: TxCost;
  /** A `collect` of a lease still open (the path of a lease the customer closes). */
  collect: TxCost;
  /** The provider's withdrawal of its earnings in the token. */
  withdraw: TxCost;
  /** The keeper's forwarding of the provider's fees. */
  forward: TxCost;
  /** The agent's check-in of the setup's nodes (one transaction), while they are Idle. */
  checkIn: TxCost;
}

/**
 * Deploys the market (the System module, as `deploy:system` does) on a fresh in-process chain
 * and measures, in steady state (every first storage write paid by a warm-up round), the
 * transactions a node's leases cause: the customer's open with the provider's quote (signed by
 * the operator), the provider's close with the customer's last receipt (signed by the session
 * key), a collect, the provider's withdrawal, the keeper's fee forwarding, and the agent's
 * check-in of the setup's nodes. Nothing is sent while the leases run. Returns them with the
 * registry's check-in period.
 */
export async function measureSetup(
  hre: HardhatRuntimeEnvironment,
  chain: BenchChain,
  setup: Setup,
  fees: OpFeeParameters,
): Promise<{ costs: SetupCosts; checkInPeriod: bigint }> {
  const connection = await connect(hre, chain, fees);
  const { ethers, networkHelpers } = connection;
  const [deployer, , keeper, provider, customer, operator] = await ethers.getSigners();
  const tree = await buildTree([{ kind: LeafKind.Evm, holder: customer!.address, amount: UNIT }]);
  const parameters = chain === "op" ? "deploy/parameters/opSimulated.json" : "deploy/parameters/hardhat.json";
  const { contracts } = await deployLocalSystem(
    connection,
    { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
    parameters,
  );
  const { gut, registry, escrow } = contracts;
  const [gutAddress, registryAddress, escrowAddress] = await Promise.all([
    gut.getAddress(),
    registry.getAddress(),
    escrow.getAddress(),
  ]);
  await (await gut.connect(deployer!).transfer(provider!.address, 1_000_000n * UNIT)).wait();
  await (await gut.connect(deployer!).transfer(customer!.address, 1_000_000n * UNIT)).wait();
  await (await gut.connect(provider!).approve(registryAddress, ethers.MaxUint256)).wait();
  await (await gut.connect(customer!).approve(escrowAddress, ethers.MaxUint256)).wait();
  await (await registry.connect(provider!).setOperator(operator!.address)).wait();
  const domain = escrowDomain((await ethers.provider.getNetwork()).chainId, escrowAddress);
  const session = ethers.Wallet.createRandom();
  const price = parseUnits("1.5", 18);
  // Three rounds of the setup's nodes: round 0 warms every slot up, round 1 is closed by the
  // provider, round 2 collected.
  const ids: bigint[][] = [[], [], []];
  for (const round of ids) {
    for (let i = 0; i < setup.nodes; i++) {
      await (
        await registry.connect(provider!).register(encodeBytes32String(setup.model), setup.gpus, price, gutAddress, "")
      ).wait();
      round.push(await registry.nodeCount());
    }
  }
  const leases: bigint[][] = [[], [], []];
  // The operator's quote, as the agent signs it.
  const quoteFor = async (nodeId: bigint) => {
    const quote: Quote = {
      nodeId,
      customer: customer!.address,
      token: gutAddress,
      pricePerTuHour: price,
      windowStart: 0n,
      windowDuration: 0n,
      expiry: BigInt(await networkHelpers.time.latest()) + 600n,
      nonce: nextQuoteNonce(),
    };
    return { quote, signature: await signQuote(operator!, domain, quote) };
  };
  const open = async (round: number, nodeId: bigint) => {
    const { quote, signature } = await quoteFor(nodeId);
    const cost = await costOf(escrow.connect(customer!).openLease(quote, signature, 1_000n * UNIT, session.address));
    leases[round]!.push(await escrow.leaseCount());
    return cost;
  };
  let openCost: TxCost | undefined;
  for (const [round, nodes] of ids.entries()) {
    for (const nodeId of nodes) {
      const cost = await open(round, nodeId);
      if (round === 1) openCost ??= cost;
    }
  }
  // The leases run an hour: the customer's client signs receipts off-chain, nothing is sent.
  await networkHelpers.time.increase(3_600);
  const lastReceipt = async (leaseId: bigint) => {
    const paidThrough = (await escrow.lease(leaseId)).start + 3_600n;
    return [leaseId, paidThrough, await signReceipt(session, domain, { leaseId, paidThrough })] as const;
  };
  const closeRound = async (round: number) => {
    let first: TxCost | undefined;
    for (const leaseId of leases[round]!) {
      const cost = await costOf(escrow.connect(operator!).closeLease(...(await lastReceipt(leaseId))));
      first ??= cost;
    }
    return first!;
  };
  const withdraw = () => costOf(escrow.connect(provider!).withdraw(gutAddress, provider!.address));
  const forward = () => costOf(escrow.connect(keeper!).forwardFees(gutAddress, [provider!.address]));
  const checkIn = (round: number) => costOf(registry.connect(operator!).checkIn(ids[round]!));
  await closeRound(0);
  await withdraw();
  await forward();
  await checkIn(0);
  const close = await closeRound(1);
  const checkInCost = await checkIn(1);
  let collect: TxCost | undefined;
  for (const leaseId of leases[2]!)
    collect ??= await costOf(escrow.connect(operator!).collect(...(await lastReceipt(leaseId))));
  // An hour later the customer renews round 2's leases at the provider's next quote.
  await networkHelpers.time.increase(3_600);
  let renew: TxCost | undefined;
  for (const leaseId of leases[2]!) {
    const { quote, signature } = await quoteFor((await escrow.lease(leaseId)).nodeId);
    renew ??= await costOf(
      escrow.connect(customer!).renewLease(leaseId, quote.pricePerTuHour, quote.expiry, quote.nonce, signature, 0n),
    );
  }
  const withdrawCost = await withdraw();
  const forwardCost = await forward();
  const checkInPeriod = await registry.checkInPeriod();
  await connection.close();
  return {
    costs: {
      open: openCost!,
      close,
      renew: renew!,
      collect: collect!,
      withdraw: withdrawCost,
      forward: forwardCost,
      checkIn: checkInCost,
    },
    checkInPeriod,
  };
}

/** One line of the model: a cost item of a setup on a chain with leases of some length, per GPU-hour. */
export interface OverheadLine {
  chain: BenchChain;
  setup: string;
  /** The lease model's label (see {@link leaseModels}). */
  lease: string;
  leaseHours: number;
  item: string;
  /** Transactions of this item per hour (for the whole setup). */
  perHour: number;
  /** Execution gas per GPU-hour. */
  gasPerGpuHour: number;
  /** USD per GPU-hour, execution and (OP) L1 data. */
  usdPerGpuHour: number;
  /** Share of the lease's revenue. */
  percentOfRevenue: number;
  /** Of `usdPerGpuHour`, what the OP Stack's L1 data fee is (0 on L1). */
  l1DataUsdPerGpuHour: number;
}

/** The items a leased node pays for; check-ins are not among them: a Sharing node sends none. */
const ITEMS = ["open", "renew", "close", "withdraw", "forward"] as const;

const LABELS: Record<(typeof ITEMS)[number], string> = {
  open: "lease open with the quote (customer)",
  renew: "renewal with the next quote (customer)",
  close: "provider's close with the last receipt",
  withdraw: "withdrawal (provider)",
  forward: "fee forwarding (keeper)",
};

/** A transaction's cost in USD at the model's prices: L2 (or L1) execution plus the L1 data fee. */
function usdOf(chain: BenchChain, cost: TxCost, p: OverheadParameters): { usd: number; l1DataUsd: number } {
  const gasPrice = chain === "l1" ? p.l1Gwei : p.l2Gwei;
  const wei = Number(cost.gas) * gasPrice * 1e9 + Number(cost.l1Fee);
  return { usd: (wei / 1e18) * p.ethUsd, l1DataUsd: (Number(cost.l1Fee) / 1e18) * p.ethUsd };
}

/**
 * The cost model of a leased node: each lease is opened with a quote and closed by the provider
 * with the customer's last receipt (its one collect), one lease per node every `leaseHours`, or,
 * in a renewal model, one open and one close a stay and a renewal for every other term; the
 * provider withdraws every `withdrawHours` and the keeper forwards its fees every `forwardHours`;
 * no check-in and no receipt goes on-chain while the node is Sharing. In USD per GPU-hour against
 * the lease's revenue.
 */
export function overheadLines(
  chain: BenchChain,
  setup: Setup,
  costs: SetupCosts,
  model: LeaseModel,
  p: OverheadParameters,
): { lines: OverheadLine[]; revenuePerGpuHour: number } {
  const revenuePerGpuHour = p.price * setup.tu * p.gutUsd;
  const gpus = setup.gpus * setup.nodes;
  const stay = model.stayHours ?? model.leaseHours;
  const perHour: Record<(typeof ITEMS)[number], number> = {
    open: setup.nodes / stay,
    renew: setup.nodes * (1 / model.leaseHours - 1 / stay),
    close: setup.nodes / stay,
    withdraw: 1 / p.withdrawHours,
    forward: 1 / p.forwardHours,
  };
  const lines = ITEMS.filter((item) => perHour[item] > 0).map((item) => {
    const { usd, l1DataUsd } = usdOf(chain, costs[item], p);
    const usdPerGpuHour = usd * (perHour[item] / gpus);
    return {
      chain,
      setup: setup.name,
      lease: model.label,
      leaseHours: model.leaseHours,
      item: LABELS[item],
      perHour: perHour[item],
      gasPerGpuHour: (Number(costs[item].gas) * perHour[item]) / gpus,
      usdPerGpuHour,
      percentOfRevenue: (100 * usdPerGpuHour) / revenuePerGpuHour,
      l1DataUsdPerGpuHour: l1DataUsd * (perHour[item] / gpus),
    };
  });
  return { lines, revenuePerGpuHour };
}

/** The overhead of a setup on a chain with leases of one length. */
export interface OverheadTotal {
  chain: BenchChain;
  setup: string;
  lease: string;
  leaseHours: number;
  revenue: number;
  usd: number;
  percent: number;
  gasPerGpuHour: number;
  top: string;
  l1DataShare: number;
}

/** The figures of the turn-2 model (heartbeats), kept beside the new ones. */
interface Before {
  model: string;
  measuredAt: string;
  totals: { chain: BenchChain; setup: string; percent: number; gasPerGpuHour: number; top: string }[];
}

/**
 * Today's figures to show beside the new ones: the `before` a previous run kept, or, when the
 * previous results are the heartbeat model's (they have no `model`), their totals.
 */
function previousFigures(file: string): Before | undefined {
  if (!existsSync(file)) return undefined;
  const data = JSON.parse(readFileSync(file, "utf8")) as {
    model?: string;
    measuredAt: string;
    before?: Before;
    totals: { chain: BenchChain; setup: string; percent: number; top: string }[];
    lines: { chain: BenchChain; setup: string; gasPerGpuHour: number }[];
  };
  if (data.model !== undefined) return data.before;
  return {
    model: "heartbeats (turn 2, 6be7894): a heartbeat per node every timeout / margin, withdrawals settling leases",
    measuredAt: data.measuredAt,
    totals: data.totals.map(({ chain, setup, percent, top }) => ({
      chain,
      setup,
      percent,
      gasPerGpuHour: data.lines
        .filter((l) => l.chain === chain && l.setup === setup)
        .reduce((sum, l) => sum + l.gasPerGpuHour, 0),
      top,
    })),
  };
}

/**
 * What running a node costs on-chain: per GPU-hour of a leased node, the protocol's
 * transactions (a lease's open with the quote and the provider's close with the last receipt,
 * the provider's withdrawal, the keeper's fee forwarding; nothing while the node is Sharing) as a
 * share of the lease's revenue, with leases of `leaseHours` and of an hour, on L1 and on the OP
 * Stack simulation, at the stated prices, against the goals of issue 23. Gas is deterministic;
 * the OP L1 data fee comes from each receipt (the simulation's `L1Block` set to the stated L1
 * fees and OP Mainnet's scalars). An Idle node's check-ins are priced apart: they are paid while
 * the node earns nothing.
 */
export default async function overhead(hre: HardhatRuntimeEnvironment, options: BenchOptions): Promise<void> {
  const p = overheadParameters(options);
  const gwei = (value: number) => parseUnits(value.toFixed(9), 9);
  const fees: OpFeeParameters = { l1BaseFee: gwei(p.l1Gwei), blobBaseFee: gwei(p.blobGwei), ...OP_MAINNET_SCALARS };
  const models = leaseModels(p.leaseHours);
  const measured: Record<string, unknown>[] = [];
  const actions: (string | number)[][] = [];
  const lines: OverheadLine[] = [];
  const totals: OverheadTotal[] = [];
  const idle: { chain: BenchChain; setup: string; checkInsPerDay: number; usdPerNodeDay: number }[] = [];
  for (const chain of ["l1", "op"] as const) {
    for (const setup of SETUPS) {
      const { costs, checkInPeriod } = await measureSetup(hre, chain, setup, fees);
      measured.push({ chain, setup: setup.name, checkInPeriod, costs });
      for (const [action, cost] of Object.entries(costs)) {
        const { usd, l1DataUsd } = usdOf(chain, cost, p);
        actions.push([
          chainName(chain),
          setup.name,
          action,
          Number(cost.gas).toLocaleString("en-US"),
          Number(cost.l1DataGas).toLocaleString("en-US"),
          usdText(usd - l1DataUsd),
          chain === "op" ? usdText(l1DataUsd) : "",
        ]);
      }
      // The agent checks in `margin` times a period while the nodes are Idle, all in one transaction.
      const checkInsPerDay = (86_400 * p.margin) / Number(checkInPeriod);
      idle.push({
        chain,
        setup: setup.name,
        checkInsPerDay,
        usdPerNodeDay: (usdOf(chain, costs.checkIn, p).usd * checkInsPerDay) / setup.nodes,
      });
      for (const leaseModel of models) {
        const model = overheadLines(chain, setup, costs, leaseModel, p);
        lines.push(...model.lines);
        const usd = model.lines.reduce((sum, l) => sum + l.usdPerGpuHour, 0);
        const top = [...model.lines].sort((a, b) => b.usdPerGpuHour - a.usdPerGpuHour)[0]!;
        totals.push({
          chain,
          setup: setup.name,
          lease: leaseModel.label,
          leaseHours: leaseModel.leaseHours,
          revenue: model.revenuePerGpuHour,
          usd,
          percent: (100 * usd) / model.revenuePerGpuHour,
          gasPerGpuHour: model.lines.reduce((sum, l) => sum + l.gasPerGpuHour, 0),
          top: `${top.item} (${((100 * top.usdPerGpuHour) / usd).toFixed(0)} %)`,
          l1DataShare: model.lines.reduce((sum, l) => sum + l.l1DataUsdPerGpuHour, 0) / usd,
        });
      }
    }
  }
  const oneTu = SETUPS[0]!.name;
  // Every model of a length the issue sets a goal for is held to it: the 1-h goal is shown both
  // for leases to a new customer each hour and for 1-h terms one customer renews.
  const goals = totals
    .filter((t) => t.chain === "op" && t.setup === oneTu && GOALS.op[t.leaseHours] !== undefined)
    .map((t) => ({
      chain: "op",
      setup: oneTu,
      lease: t.lease,
      leaseHours: t.leaseHours,
      goalPercent: GOALS.op[t.leaseHours]!,
      percent: t.percent,
      met: t.percent <= GOALS.op[t.leaseHours]!,
    }));
  const l1Worst = Math.max(...totals.filter((t) => t.chain === "l1").map((t) => t.percent));
  const l1 = {
    supportedForLeases: l1Worst <= GOALS.l1UnsupportedAbove,
    worstPercent: l1Worst,
    rule: `a chain whose overhead is above ${GOALS.l1UnsupportedAbove} % of revenue is declared unsupported for leases`,
  };

  printTable(["chain", "setup", "action", "gas", "L1 data gas", "execution USD", "L1 data fee USD"], actions);
  console.log();
  printTable(
    ["chain", "setup", "lease", "item", "tx/h", "gas/GPU-h", "USD/GPU-h", "% revenue"],
    lines.map((l) => [
      chainName(l.chain),
      l.setup,
      l.lease,
      l.item,
      l.perHour.toFixed(3),
      Math.round(l.gasPerGpuHour).toLocaleString("en-US"),
      usdText(l.usdPerGpuHour),
      pct(l.percentOfRevenue),
    ]),
  );
  console.log();
  const file = path.join(hre.config.paths.root, "bench", "results", "overhead.json");
  const before = previousFigures(file);
  const beforeOf = (t: OverheadTotal) => before?.totals.find((b) => b.chain === t.chain && b.setup === t.setup);
  printTable(
    [
      "chain",
      "setup",
      "lease",
      "revenue/GPU-h",
      "cost/GPU-h",
      "gas/GPU-h",
      "% revenue",
      "before",
      "dominated by",
      "L1 data fee",
    ],
    totals.map((t) => [
      chainName(t.chain),
      t.setup,
      t.lease,
      usdText(t.revenue),
      usdText(t.usd),
      Math.round(t.gasPerGpuHour).toLocaleString("en-US"),
      pct(t.percent),
      beforeOf(t) === undefined ? "" : pct(beforeOf(t)!.percent),
      t.top,
      t.chain === "op" ? `${(100 * t.l1DataShare).toFixed(0)} % of the cost` : "",
    ]),
  );
  console.log();
  for (const g of goals) {
    console.log(
      `goal, 1-TU node on the OP Stack, leases of ${g.lease}: ≤ ${g.goalPercent} % of revenue; measured ${pct(g.percent)}: ${g.met ? "met" : "NOT MET"}`,
    );
  }
  console.log("transactions while a node is Sharing: 0 (no check-in, no receipt on-chain)");
  console.log(
    `L1: up to ${pct(l1Worst)} of revenue: ${l1.supportedForLeases ? "supported" : "declared unsupported for leases"} (over ${GOALS.l1UnsupportedAbove} %)`,
  );
  for (const i of idle.filter((i) => i.chain === "op")) {
    console.log(`an Idle node's check-ins on the OP Stack (${i.setup}): ${usdText(i.usdPerNodeDay)} a node-day`);
  }
  console.log(
    `\nAt: L1 gas ${p.l1Gwei} gwei; OP: L2 gas ${p.l2Gwei} gwei, L1 base fee ${p.l1Gwei} gwei, blob base fee ${p.blobGwei} gwei, ` +
      `OP Mainnet's scalars ${OP_MAINNET_SCALARS.baseFeeScalar}/${OP_MAINNET_SCALARS.blobBaseFeeScalar}; ETH $${p.ethUsd}, ` +
      `GUT $${p.gutUsd}, ${p.price} GUT per TU-hour; ${p.margin} check-ins per check-in period while Idle; withdrawal every ${p.withdrawHours} h, ` +
      `forwarding every ${p.forwardHours} h, leases of ${models.map((m) => m.label).join("; ")}. Change any with --<option> (npx hardhat bench --help).`,
  );
  writeResult(hre.config.paths.root, "overhead", {
    measuredAt: new Date().toISOString(),
    model:
      "receipts (issue 23): per lease an open with the quote and the provider's close with the last receipt, or per renewed term one renewal; nothing while Sharing",
    parameters: p,
    opScalars: OP_MAINNET_SCALARS,
    measured,
    lines,
    totals,
    goals,
    transactionsWhileSharing: 0,
    l1,
    idleCheckIns: idle,
    before,
  });
  console.log(`\nwrote ${path.relative(hre.config.paths.root, file)}`);
}

const chainName = (c: BenchChain) => (c === "l1" ? "L1" : "OP");
const pct = (v: number) => `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2)} %`;
const usdText = (v: number) => (v >= 0.01 ? `$${v.toFixed(4)}` : `$${v.toPrecision(3)}`);
