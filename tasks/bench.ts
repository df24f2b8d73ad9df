import { task } from "hardhat/config";

export const benchTask = task("bench", "Runs a benchmark suite and writes bench/results/<suite>.json")
  .addPositionalArgument({
    name: "suite",
    description: "The suite: a file name in bench/ without .ts (gas, …)",
  })
  .setAction(() => import("./actions/bench.js"))
  .build();
