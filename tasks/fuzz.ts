import { overrideTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

export const fuzzTask = task(
  "fuzz",
  "Runs Solidity invariant campaigns, prints runs, depth and calls per invariant and writes bench/results/fuzz-<campaign>.json (GPUFOG_FUZZ=deep for the deep campaign)",
)
  .addVariadicArgument({
    name: "files",
    description:
      "The Solidity test files (default: the system campaign, test/invariants/System.t.sol and its handlers)",
    type: ArgumentType.STRING,
    defaultValue: [],
  })
  .setAction(() => import("./actions/fuzz.js"))
  .build();

/** Every `test solidity` run (and so `npm test`) prints the counts of its invariant campaigns. */
export const solidityTestCounts = overrideTask(["test", "solidity"])
  .setAction(() => import("./actions/solidity-test-counts.js"))
  .build();
