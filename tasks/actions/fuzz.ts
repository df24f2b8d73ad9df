import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { writeJsonAtomic } from "../../src/io.js";
import { campaignRows, fuzzCampaignName, type SolidityTestRun } from "../../harness/fuzz-report.js";

const SYSTEM = [
  "test/invariants/System.t.sol",
  "test/invariants/system/MarketHandler.sol",
  "test/invariants/system/FlowHandler.sol",
  "test/invariants/system/SystemTree.sol",
];

export default async function fuzz({ files }: { files: string[] }, hre: HardhatRuntimeEnvironment): Promise<void> {
  const testFiles = files.length > 0 ? files : SYSTEM;
  const invariant = hre.config.test.solidity.profiles.default.invariant ?? {};
  const [runs, depth] = [invariant.runs ?? 256, invariant.depth ?? 500];
  const started = Date.now();
  const result = (await hre.tasks.getTask(["test", "solidity"]).run({ testFiles })) as SolidityTestRun;
  const seconds = (Date.now() - started) / 1000;
  const rows = campaignRows(result, depth);
  const campaign = fuzzCampaignName();
  const file = path.join(hre.config.paths.root, "bench", "results", `fuzz-${campaign}.json`);
  writeJsonAtomic(file, {
    campaign,
    runs,
    depth,
    seconds,
    invariants: rows,
  });
  console.log(`wrote ${path.relative(hre.config.paths.root, file)} (${seconds.toFixed(0)} s in all)`);
  if (!result.success) process.exitCode = 1;
}
