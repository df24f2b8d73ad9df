import { task } from "hardhat/config";

/**
 * The options of the overhead suite (`npm run bench -- overhead --l1-gwei 20`), with their
 * defaults; the other suites ignore them. Shared with bench/overhead.ts.
 */
export const OVERHEAD_OPTIONS = {
  l1Gwei: ["2", "Gas price on L1, and the L1 base fee the OP Stack prices data with (gwei)"],
  blobGwei: ["1", "L1 blob base fee the OP Stack prices data with (gwei)"],
  l2Gwei: ["0.001", "Gas price on the OP Stack L2 (gwei)"],
  ethUsd: ["3000", "ETH price (USD)"],
  gutUsd: ["0.10", "GUT price (USD)"],
  price: ["1.5", "The node's price per TU-hour (GUT)"],
  margin: ["3", "Check-ins per check-in period while a node is Idle (the provider agent sends 2: at half the period)"],
  withdrawHours: ["24", "Hours between a provider's withdrawals (each pays what its collects earned)"],
  forwardHours: ["24", "Hours between the keeper's fee forwardings (keeper:sweep)"],
  leaseHours: ["24", "Length of a lease (its open and close are paid once per lease)"],
} as const;

let bench = task("bench", "Runs a benchmark suite and writes bench/results/<suite>.json").addPositionalArgument({
  name: "suite",
  description: "The suite: a file name in bench/ without .ts (gas, overhead, merkle, claim, scale)",
});
for (const [name, [defaultValue, description]] of Object.entries(OVERHEAD_OPTIONS)) {
  bench = bench.addOption({ name, description: `overhead: ${description}`, defaultValue });
}

export const benchTask = bench.setAction(() => import("./actions/bench.js")).build();
