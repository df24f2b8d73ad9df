import { task } from "hardhat/config";

import { accountOption, UNSET } from "./options.js";

const registryOption = {
  name: "registry",
  description: "The ProviderRegistry address (default: the address book's)",
  ...UNSET,
} as const;
const nodeOption = { name: "node", description: "The node id (required)", ...UNSET } as const;

export const catalogListTask = task("catalog:list", "Lists the GPU catalogue: model, TU rating, retired")
  .addOption(registryOption)
  .setAction(() => import("./actions/catalog-list.js"))
  .build();

export const catalogSetTask = task(
  "catalog:set",
  "Adds or re-rates a GPU model, or retires or reinstates it (CATALOG_ROLE)",
)
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption({ name: "model", description: 'The model name, e.g. "RTX 3090" (required)', ...UNSET })
  .addOption({
    name: "tu",
    description:
      "The rating per GPU in TU, e.g. 1.35, where 1 TU is a GTX 1080 Ti (required unless --retire or --reinstate)",
    ...UNSET,
  })
  .addFlag({ name: "retire", description: "Retire the model: no new nodes, existing ones unaffected" })
  .addFlag({ name: "reinstate", description: "Reinstate a retired model" })
  .setAction(() => import("./actions/catalog-set.js"))
  .build();

export const nodeRegisterTask = task("node:register", "Registers a GPU node and locks its GUT stake")
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption({ name: "model", description: 'The GPU model, e.g. "RTX 2080 Ti" (required)', ...UNSET })
  .addOption({ name: "gpus", description: "The number of GPUs (required)", ...UNSET })
  .addOption({
    name: "price",
    description: "Price per TU-hour in payment-token units, e.g. 0.25 (required)",
    ...UNSET,
  })
  .addOption({
    name: "token",
    description: "The payment token address (default: the address book's GUT)",
    ...UNSET,
  })
  .addOption({ name: "uri", description: "The endpoint or metadata URI (default: none)", ...UNSET })
  .setAction(() => import("./actions/node-register.js"))
  .build();

export const nodeCheckInTask = task(
  "node:checkin",
  "Checks in Idle or Reserved nodes (at least once per checkInPeriod), or brings Disconnect nodes back to Idle",
)
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption({
    name: "nodes",
    description: "The node ids, e.g. 1,2,3 (required): one provider's, sent in bounded batches",
    ...UNSET,
  })
  .setAction(() => import("./actions/node-checkin.js"))
  .build();

export const nodeStakeTask = task(
  "node:stake",
  "Adds GUT to a node's stake (a node below its required stake takes no new lease)",
)
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption(nodeOption)
  .addOption({
    name: "amount",
    description: "The GUT to add (default: what the node lacks of its required stake)",
    ...UNSET,
  })
  .setAction(() => import("./actions/node-stake.js"))
  .build();

export const nodeStatusTask = task("node:status", "Shows a node: status, rating, price, stake, last check-in")
  .addOption(registryOption)
  .addOption(nodeOption)
  .setAction(() => import("./actions/node-status.js"))
  .build();

export const nodeOfflineTask = task("node:offline", "Takes an Idle or Reserved node offline (→ Disconnect)")
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption(nodeOption)
  .setAction(() => import("./actions/node-offline.js"))
  .build();

export const nodeDeregisterTask = task("node:deregister", "Deregisters a Disconnect node; its stake starts unbonding")
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption(nodeOption)
  .setAction(() => import("./actions/node-deregister.js"))
  .build();

export const nodeWithdrawStakeTask = task(
  "node:withdraw-stake",
  "Withdraws a deregistered node's stake after unbonding",
)
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption(nodeOption)
  .addOption({ name: "to", description: "The receiver (default: the provider)", ...UNSET })
  .setAction(() => import("./actions/node-withdraw-stake.js"))
  .build();

export const nodesListTask = task("nodes:list", "Lists nodes with status, TU and price")
  .addOption(registryOption)
  .addOption({
    name: "status",
    description: "Only nodes in this status: Idle, Sharing, … (default: every status)",
    ...UNSET,
  })
  .addOption({ name: "provider", description: "Only this provider's nodes (default: every provider's)", ...UNSET })
  .setAction(() => import("./actions/nodes-list.js"))
  .build();

export const registryTasks = [
  catalogListTask,
  catalogSetTask,
  nodeRegisterTask,
  nodeCheckInTask,
  nodeStakeTask,
  nodeStatusTask,
  nodeOfflineTask,
  nodeDeregisterTask,
  nodeWithdrawStakeTask,
  nodesListTask,
];
