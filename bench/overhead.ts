import path from "node:path";

import { encodeBytes32String, parseUnits } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { deployLocalSystem } from "../deploy/local.js";
import { InputError } from "../src/errors.js";
import { buildTree } from "../src/merkle/tree.js";
import { LeafKind } from "../src/merkle/proof.js";
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

/** One setup: its nodes, each with `gpus` GPUs of `model`; the provider heartbeats them in one transaction. */
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

/** The measured transactions of one setup on one chain. */
export interface SetupCosts {
  heartbeat: TxCost;
  withdraw: TxCost;
  forward: TxCost;
  open: TxCost;
  close: TxCost;
}

/**
 * Deploys the market (the System module, as `deploy:system` does) on a fresh in-process chain
 * and measures, in steady state (every first storage write paid by a warm-up), the transactions
 * a leased node causes: the provider's heartbeat (one node, or one batch of its nodes by its
 * operator), a withdrawal of its leases, the keeper's forwarding of their fees, and a customer's
 * open and close of one lease. Returns them with the registry's heartbeat timeout.
 */
export async function measureSetup(
  hre: HardhatRuntimeEnvironment,
  chain: BenchChain,
  setup: Setup,
  fees: OpFeeParameters,
): Promise<{ costs: SetupCosts; timeout: bigint }> {
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
  const price = parseUnits("1.5", 18);
  // Two rounds of the setup's nodes: the first warms every slot up, the second is measured.
  const ids: bigint[][] = [[], []];
  for (const round of ids) {
    for (let i = 0; i < setup.nodes; i++) {
      await (
        await registry.connect(provider!).register(encodeBytes32String(setup.model), setup.gpus, price, gutAddress, "")
      ).wait();
      round.push(await registry.nodeCount());
    }
  }
  const all = [...ids[0]!, ...ids[1]!];
  const leases: bigint[][] = [[], []];
  const open = async (round: number, node: bigint) => {
    const cost = await costOf(escrow.connect(customer!).openLease(node, 1_000n * UNIT, price));
    leases[round]!.push(await escrow.leaseCount());
    return cost;
  };
  for (const node of ids[0]!) await open(0, node);
  let openCost: TxCost | undefined;
  for (const node of ids[1]!) openCost ??= await open(1, node);
  for (const node of ids[1]!.slice(1)) await open(1, node);
  const timeout = await registry.heartbeatTimeout();
  const beat = (nodes: bigint[]) =>
    nodes.length === 1
      ? registry.connect(provider!).heartbeat(nodes[0]!)
      : registry.connect(operator!).heartbeatBatch(nodes);
  // A period of service: heartbeats within the timeout, then the provider withdraws and the
  // keeper forwards the fees (round 0 first, so round 1 is measured in steady state).
  await networkHelpers.time.increase(Number(timeout / 2n));
  await (await beat(ids[0]!)).wait();
  const heartbeat = await costOf(beat(ids[1]!));
  await (await escrow.connect(provider!).withdraw(leases[0]!)).wait();
  const withdraw = await costOf(escrow.connect(provider!).withdraw(leases[1]!));
  await (await escrow.connect(keeper!).forwardFees(leases[0]!)).wait();
  const forward = await costOf(escrow.connect(keeper!).forwardFees(leases[1]!));
  await networkHelpers.time.increase(60);
  await (await beat(all)).wait();
  await (await escrow.connect(customer!).closeLease(leases[0]![0]!)).wait();
  const close = await costOf(escrow.connect(customer!).closeLease(leases[1]![0]!));
  await connection.close();
  return { costs: { heartbeat, withdraw, forward, open: openCost!, close }, timeout };
}

/** One line of the model: a cost item of a setup on a chain, per GPU-hour. */
export interface OverheadLine {
  chain: BenchChain;
  setup: string;
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

const ITEMS = ["heartbeat", "withdraw", "forward", "open", "close"] as const;

const LABELS: Record<(typeof ITEMS)[number], string> = {
  heartbeat: "heartbeats",
  withdraw: "withdrawal (settles the leases)",
  forward: "fee forwarding (keeper)",
  open: "lease open (customer)",
  close: "lease close (customer)",
};

/** The cost model: each measured transaction at its rate, in USD per GPU-hour, against revenue. */
export function overheadLines(
  chain: BenchChain,
  setup: Setup,
  costs: SetupCosts,
  timeout: bigint,
  p: OverheadParameters,
): { lines: OverheadLine[]; revenuePerGpuHour: number } {
  const revenuePerGpuHour = p.price * setup.tu * p.gutUsd;
  const gpus = setup.gpus * setup.nodes;
  const perHour: Record<(typeof ITEMS)[number], number> = {
    heartbeat: (3600 * p.margin) / Number(timeout),
    withdraw: 1 / p.withdrawHours,
    forward: 1 / p.forwardHours,
    // One lease per node, open and closed once per lease.
    open: setup.nodes / p.leaseHours,
    close: setup.nodes / p.leaseHours,
  };
  const gasPrice = chain === "l1" ? p.l1Gwei : p.l2Gwei;
  const lines = ITEMS.map((item) => {
    const cost = costs[item];
    const gas = Number(cost.gas);
    const wei = gas * gasPrice * 1e9 + Number(cost.l1Fee);
    const usdPerGpuHour = (wei / 1e18) * p.ethUsd * (perHour[item] / gpus);
    const l1DataUsdPerGpuHour = (Number(cost.l1Fee) / 1e18) * p.ethUsd * (perHour[item] / gpus);
    return {
      chain,
      setup: setup.name,
      item: LABELS[item],
      perHour: perHour[item],
      gasPerGpuHour: (gas * perHour[item]) / gpus,
      usdPerGpuHour,
      percentOfRevenue: (100 * usdPerGpuHour) / revenuePerGpuHour,
      l1DataUsdPerGpuHour,
    };
  });
  return { lines, revenuePerGpuHour };
}

/**
 * What running a node costs on-chain: per GPU-hour of a leased node, the protocol's
 * transactions (heartbeats at the registry's timeout with the agent's margin, the provider's
 * withdrawal that settles its leases, the keeper's forwarding of the fees, a lease's open and
 * close) as a share of the lease's revenue, on L1 and on the OP Stack simulation, at the stated
 * prices. Gas is deterministic; the OP L1 data fee comes from each receipt (the simulation's
 * `L1Block` set to the stated L1 fees and OP Mainnet's scalars).
 */
export default async function overhead(hre: HardhatRuntimeEnvironment, options: BenchOptions): Promise<void> {
  const p = overheadParameters(options);
  const gwei = (value: number) => parseUnits(value.toFixed(9), 9);
  const fees: OpFeeParameters = { l1BaseFee: gwei(p.l1Gwei), blobBaseFee: gwei(p.blobGwei), ...OP_MAINNET_SCALARS };
  const measured: Record<string, unknown>[] = [];
  const lines: OverheadLine[] = [];
  const totals: {
    chain: BenchChain;
    setup: string;
    revenue: number;
    usd: number;
    percent: number;
    top: string;
    l1DataShare: number;
  }[] = [];
  for (const chain of ["l1", "op"] as const) {
    for (const setup of SETUPS) {
      const { costs, timeout } = await measureSetup(hre, chain, setup, fees);
      measured.push({ chain, setup: setup.name, timeout, costs });
      const model = overheadLines(chain, setup, costs, timeout, p);
      lines.push(...model.lines);
      const usd = model.lines.reduce((sum, l) => sum + l.usdPerGpuHour, 0);
      const top = [...model.lines].sort((a, b) => b.usdPerGpuHour - a.usdPerGpuHour)[0]!;
      totals.push({
        chain,
        setup: setup.name,
        revenue: model.revenuePerGpuHour,
        usd,
        percent: (100 * usd) / model.revenuePerGpuHour,
        top: `${top.item} (${((100 * top.usdPerGpuHour) / usd).toFixed(0)} %)`,
        l1DataShare: model.lines.reduce((sum, l) => sum + l.l1DataUsdPerGpuHour, 0) / usd,
      });
    }
  }
  const chainName = (c: BenchChain) => (c === "l1" ? "L1" : "OP");
  const pct = (v: number) => `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2)} %`;
  const usd = (v: number) => (v >= 0.01 ? `$${v.toFixed(4)}` : `$${v.toPrecision(3)}`);
  printTable(
    ["chain", "setup", "item", "tx/h", "gas/GPU-h", "USD/GPU-h", "% revenue"],
    lines.map((l) => [
      chainName(l.chain),
      l.setup,
      l.item,
      l.perHour.toFixed(3),
      Math.round(l.gasPerGpuHour).toLocaleString("en-US"),
      usd(l.usdPerGpuHour),
      pct(l.percentOfRevenue),
    ]),
  );
  console.log();
  printTable(
    ["chain", "setup", "revenue/GPU-h", "cost/GPU-h", "% revenue", "dominated by", "L1 data fee"],
    totals.map((t) => [
      chainName(t.chain),
      t.setup,
      usd(t.revenue),
      usd(t.usd),
      pct(t.percent),
      t.top,
      t.chain === "op" ? `${(100 * t.l1DataShare).toFixed(0)} % of the cost` : "",
    ]),
  );
  console.log(
    `\nAt: L1 gas ${p.l1Gwei} gwei; OP: L2 gas ${p.l2Gwei} gwei, L1 base fee ${p.l1Gwei} gwei, blob base fee ${p.blobGwei} gwei, ` +
      `OP Mainnet's scalars ${OP_MAINNET_SCALARS.baseFeeScalar}/${OP_MAINNET_SCALARS.blobBaseFeeScalar}; ETH $${p.ethUsd}, ` +
      `GUT $${p.gutUsd}, ${p.price} GUT per TU-hour; ${p.margin} heartbeats per timeout; withdrawal every ${p.withdrawHours} h, ` +
      `forwarding every ${p.forwardHours} h, leases of ${p.leaseHours} h. Change any with --<option> (npx hardhat bench --help).`,
  );
  const file = writeResult(hre.config.paths.root, "overhead", {
    measuredAt: new Date().toISOString(),
    parameters: p,
    opScalars: OP_MAINNET_SCALARS,
    measured,
    lines,
    totals,
  });
  console.log(`\nwrote ${path.relative(hre.config.paths.root, file)}`);
}
