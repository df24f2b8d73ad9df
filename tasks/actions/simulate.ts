import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { printTable, writeResult } from "../../bench/lib.js";
import {
  closedForm,
  DEFAULT_STREAM,
  INITIAL_SUPPLY,
  phaseName,
  phaseOf,
  revenueOn,
  simulate,
  SUPPLY_FLOOR,
  TFT_UNIT,
  type SupplyState,
} from "../../src/emission/model.js";
import { crossCheckContract } from "../../harness/emission-crosscheck.js";
import { renderLineChart, type Rgb } from "../../harness/emission-plot.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { writeFileAtomic } from "../../src/io.js";
import { cli } from "../cli.js";

const MINER_SHARE_BPS = 9_000n;
const PREFIX_DAYS = 60;
const COARSE_STEP = 25_000_000n * TFT_UNIT;

export default async function simulateAction({ model }: { model: string }, hre: HardhatRuntimeEnvironment) {
  await cli(async () => {
    if (model !== "emission")
      throw new InputError("simulate", undefined, "model", `unknown model "${model}"; the models are: emission`);
    await runEmission(hre);
  });
}

const mtft = (x: bigint) => Number((x * 1000n) / TFT_UNIT / 1_000_000n) / 1000;
const fmt = (x: bigint) => formatToken(x, "TFT");

async function runEmission(hre: HardhatRuntimeEnvironment): Promise<void> {
  const started = performance.now();
  const sim = simulate(DEFAULT_STREAM, MINER_SHARE_BPS);
  const modelMs = performance.now() - started;
  if (sim.phaseOneEnd === undefined || sim.floorReached === undefined)
    throw new Error("the model never reached the floor");
  const last = sim.floorReached.state;
  const c = closedForm(INITIAL_SUPPLY - 650_000_000n * TFT_UNIT, INITIAL_SUPPLY - SUPPLY_FLOOR);

  console.log(
    `emission model: ${formatToken(DEFAULT_STREAM.firstDay, "TFT")} bought back on day 0, ` +
      `growing ${Number(DEFAULT_STREAM.growthPpm) / 10_000} % a day, miners' share ${Number(MINER_SHARE_BPS) / 100} %\n`,
  );
  const rows = sim.points
    .filter((p) => p.day % 365 === 0 || p === sim.phaseOneEnd || p === sim.floorReached)
    .map((p) => [
      p.day,
      (p.day / 365).toFixed(2),
      phaseName(phaseOf(p.state)),
      mtft(revenueOn(DEFAULT_STREAM, Math.max(p.day - 1, 0))),
      mtft(p.state.supply),
      mtft(p.state.reserve),
      mtft(p.state.burned),
      mtft(p.state.released),
      mtft(p.state.distributed),
      mtft(p.state.boughtBack),
    ]);
  printTable(
    [
      "day",
      "year",
      "phase",
      "daily buyback M",
      "supply M",
      "reserve M",
      "burned M",
      "released M",
      "from buybacks M",
      "bought back M",
    ],
    rows,
  );

  const milestones = [
    { what: "burned when phase one ends", model: last.boughtInPhaseOne, closed: c.phaseOneBurned },
    {
      what: "supply when phase one ends",
      model: INITIAL_SUPPLY - last.boughtInPhaseOne,
      closed: c.supplyAtPhaseOneEnd,
    },
    { what: "bought back in phase two to the floor", model: last.boughtInPhaseTwo, closed: c.phaseTwoBoughtBack },
    {
      what: "bought back in total to the floor",
      model: last.boughtInPhaseOne + last.boughtInPhaseTwo,
      closed: c.boughtBackToFloor,
    },
  ];
  console.log("\nmilestones (model vs closed form)");
  printTable(
    ["milestone", "model", "closed form", "equal"],
    milestones.map((m) => [m.what, fmt(m.model), fmt(m.closed), m.model === m.closed ? "yes" : "NO"]),
  );
  console.log(`phase one ends on day ${sim.phaseOneEnd.day}, the floor is reached on day ${sim.floorReached.day}`);
  if (milestones.some((m) => m.model !== m.closed))
    throw new Error("the model's milestones differ from the closed form");

  const { ethers, networkHelpers } = await hre.network.create();
  const [deployer] = await ethers.getSigners();
  const chainStarted = performance.now();
  const prefix = await crossCheckContract(
    deployer!,
    networkHelpers.time,
    Array.from({ length: PREFIX_DAYS }, (_, d) => revenueOn(DEFAULT_STREAM, d)),
  );
  const coarse = await crossCheckContract(
    deployer!,
    networkHelpers.time,
    Array.from({ length: 200 }, () => COARSE_STEP),
    { stopAtFloor: true },
  );
  const chainMs = performance.now() - chainStarted;
  console.log(
    `\ncross-check on BuybackEmission (in-process chain): the first ${prefix.buybacks} daily buybacks, and a ` +
      `whole life in ${coarse.buybacks} buybacks of up to ${fmt(COARSE_STEP)}, match the model to the wei after every buyback`,
  );
  console.log(
    `  contract, whole life: phase one ended after ${fmt(coarse.state.boughtInPhaseOne)} burned; ` +
      `${fmt(coarse.state.boughtInPhaseTwo)} more bought back reached the floor (supply ${fmt(coarse.state.supply)})`,
  );
  if (
    coarse.state.boughtInPhaseOne !== c.phaseOneBurned ||
    coarse.state.boughtInPhaseTwo !== c.phaseTwoBoughtBack ||
    coarse.state.supply !== SUPPLY_FLOOR
  ) {
    throw new Error("the contract's whole life does not reach the closed-form milestones");
  }

  const root = hre.config.paths.root;
  const png = path.join(root, "bench", "results", "emission.png");
  writeFileAtomic(png, plot(sim.points, sim.phaseOneEnd.day, sim.floorReached.day));
  // Only what the model determines: a re-run of an unchanged model leaves the tracked files as
  // they were (no date, no timings; those are printed below).
  const json = writeResult(root, "emission", {
    stream: DEFAULT_STREAM,
    minerShareBps: MINER_SHARE_BPS,
    phaseOneEndDay: sim.phaseOneEnd.day,
    floorDay: sim.floorReached.day,
    milestones,
    final: last,
    crossCheck: { prefixBuybacks: prefix.buybacks, wholeLifeBuybacks: coarse.buybacks, state: coarse.state },
  });
  console.log(`\nwrote ${path.relative(root, png)} and ${path.relative(root, json)}`);
  console.log(`model ${modelMs.toFixed(0)} ms, on-chain cross-check ${(chainMs / 1000).toFixed(1)} s`);
}

function plot(points: { day: number; state: SupplyState }[], phaseOneEnd: number, floor: number): Buffer {
  const years = (day: number) => day / 365;
  const line = (name: string, color: Rgb, f: (s: SupplyState) => bigint) => ({
    name,
    color,
    points: points
      .filter((_, i) => i % 5 === 0 || i === points.length - 1)
      .map((p) => [years(p.day), mtft(f(p.state))] as [number, number]),
  });
  const lastYear = Math.ceil(years(points[points.length - 1]!.day));
  return renderLineChart({
    width: 1200,
    height: 700,
    title: "TFT SUPPLY LIFE: BUYBACK AND BURN",
    xLabel: "YEARS",
    yLabel: "MILLION TFT",
    xMax: lastYear,
    yMax: 1400,
    xTicks: Array.from({ length: lastYear + 1 }, (_, i) => i),
    yTicks: [0, 100, 200, 400, 600, 800, 1000, 1200, 1400],
    series: [
      // Bought back first: in phase one it equals burned, which is drawn over it.
      line("BOUGHT BACK", [148, 103, 189], (s) => s.boughtBack),
      line("TOTAL SUPPLY", [31, 119, 180], (s) => s.supply),
      line("RESERVE", [44, 160, 44], (s) => s.reserve),
      line("BURNED", [214, 39, 40], (s) => s.burned),
      line("RELEASED", [255, 127, 14], (s) => s.released + s.distributed),
    ],
    markers: [
      { x: years(phaseOneEnd), label: "PHASE 2" },
      { x: years(floor), label: "FLOOR" },
    ],
  });
}
