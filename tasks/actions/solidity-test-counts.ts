import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { TaskArguments } from "hardhat/types/tasks";

import { campaignRows, formatCampaign, fuzzCampaignName, type SolidityTestRun } from "../../harness/fuzz-report.js";

/**
 * `test solidity`, then the counts of every invariant campaign it ran: Hardhat's reporter prints
 * only the runs; the depth is the configuration's and the calls and reverts are in the result.
 */
export default async function solidityTestCounts(
  args: TaskArguments,
  hre: HardhatRuntimeEnvironment,
  runSuper: (args: TaskArguments) => Promise<unknown>,
): Promise<unknown> {
  const started = Date.now();
  const result = await runSuper(args);
  const invariant = hre.config.test.solidity.profiles.default.invariant ?? {};
  const [runs, depth] = [invariant.runs ?? 256, invariant.depth ?? 500];
  const rows = campaignRows(result as SolidityTestRun, depth);
  if (rows.length > 0) {
    const seconds = (Date.now() - started) / 1000;
    console.log(formatCampaign(fuzzCampaignName(), rows, runs, depth, seconds) + "\n");
  }
  return result;
}
