import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

export const fuzzTask = task(
  "fuzz",
  "Runs Solidity invariant campaigns and prints runs, depth and calls per invariant (GPUFOG_FUZZ=deep for the deep campaign)",
)
  .addVariadicArgument({
    name: "files",
    description: "The Solidity test files (default: the system campaign, test/System.t.sol and its handlers)",
    type: ArgumentType.STRING,
    defaultValue: [],
  })
  .setAction(() => import("./actions/fuzz.js"))
  .build();
