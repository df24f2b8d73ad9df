import { ArgumentType } from "hardhat/types/arguments";
import { task } from "hardhat/config";

import { accountOption, UNSET } from "./options.js";

export const simulateTask = task("simulate", "Runs a model of the system and writes its results to bench/results/")
  .addPositionalArgument({ name: "model", description: "The model to run: emission" })
  .setAction(() => import("./actions/simulate.js"))
  .build();

export const emissionObserveTask = task("emission:observe", "Records a TWAP observation of a fee token's pairs")
  .addOption({
    name: "emission",
    description: "The BuybackEmission address (default: the address book's)",
    ...UNSET,
  })
  .addOption({ name: "token", description: "The fee token (default: the address book's GUT)", ...UNSET })
  .addOption(accountOption)
  .setAction(() => import("./actions/emission-observe.js"))
  .build();

export const emissionBuybackTask = task(
  "emission:buyback",
  "Buys TFT back with a token's ended fee buckets: the keeper's slice of each (at most --maxImpactBps of the pool), or with --epoch one bucket whole (or --amount) in one transaction; minTftOut from the TWAP",
)
  .addOption({
    name: "emission",
    description: "The BuybackEmission address (default: the address book's)",
    ...UNSET,
  })
  .addOption({
    name: "token",
    description: "The fee token; TFT burns TFT fees with no swap (default: the address book's GUT)",
    ...UNSET,
  })
  .addOption({
    name: "epoch",
    description:
      "Sell this bucket whole (or --amount of it) in one transaction, past the keeper's slice limit (default: the keeper's slice of every ended bucket of the token)",
    ...UNSET,
  })
  .addOption({
    name: "amount",
    description: "Amount in token units, with --epoch (default: all the bucket's unsold fees)",
    ...UNSET,
  })
  .addOption({
    name: "fromBlock",
    description:
      "The block whose FeeRecorded events the keeper's slices start from (default: the address book's deployment block, else 0)",
    ...UNSET,
  })
  .addOption({
    name: "maxImpactBps",
    description: "A slice moves the pool's price by at most this many basis points (default: the keeper's, 50)",
    ...UNSET,
  })
  .addOption({ ...accountOption, description: "The keeper (KEEPER_ROLE), one of the network's (default: the first)" })
  .addOption({
    name: "marginBps",
    description: "How far inside the contract's slippage limit minTftOut stays",
    type: ArgumentType.BIGINT,
    defaultValue: 10n,
  })
  .addOption({
    name: "deadlineSeconds",
    description: "Seconds until the swap's deadline, with --epoch (the keeper's slices take 600)",
    type: ArgumentType.BIGINT,
    defaultValue: 600n,
  })
  .setAction(() => import("./actions/emission-buyback.js"))
  .build();

export const emissionStatsTask = task(
  "emission:stats",
  "Prints the emission's phase, reserve, burns, projections, when a buyback can run, and every bucket",
)
  .addOption({
    name: "emission",
    description: "The BuybackEmission address (default: the address book's)",
    ...UNSET,
  })
  .addOption({
    name: "token",
    description: "The fee token whose buyback timing to show (default: the address book's GUT)",
    ...UNSET,
  })
  .setAction(() => import("./actions/emission-stats.js"))
  .build();

export const rewardsPendingTask = task(
  "rewards:pending",
  "Prints a provider's buckets: its fee, what is pending (unsold), bought and claimable",
)
  .addOption({
    name: "emission",
    description: "The BuybackEmission address (default: the address book's)",
    ...UNSET,
  })
  .addOption({ name: "provider", description: "The provider (default: the network's first account)", ...UNSET })
  .addOption({ name: "fromEpoch", description: "First epoch to look at (default: the earliest)", ...UNSET })
  .addOption({ name: "toEpoch", description: "Last epoch to look at (default: the latest)", ...UNSET })
  .setAction(() => import("./actions/rewards-pending.js"))
  .build();

export const rewardsClaimTask = task("rewards:claim", "Claims every bucket with rewards in one call")
  .addOption({
    name: "emission",
    description: "The BuybackEmission address (default: the address book's)",
    ...UNSET,
  })
  .addOption({ ...accountOption, description: "The provider, one of the network's (default: the first)" })
  .addOption({ name: "fromEpoch", description: "First epoch to claim (default: the earliest)", ...UNSET })
  .addOption({ name: "toEpoch", description: "Last epoch to claim (default: the latest)", ...UNSET })
  .setAction(() => import("./actions/rewards-claim.js"))
  .build();

export const emissionTasks = [
  simulateTask,
  emissionObserveTask,
  emissionBuybackTask,
  emissionStatsTask,
  rewardsPendingTask,
  rewardsClaimTask,
];
