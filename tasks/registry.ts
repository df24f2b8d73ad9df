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

export const nodeHeartbeatTask = task(
  "node:heartbeat",
  "Sends a heartbeat; with --watch, keeps sending them (the provider agent)",
)
  .addOption(registryOption)
  .addOption(accountOption)
  .addOption(nodeOption)
  .addFlag({ name: "watch", description: "Keep sending heartbeats every --interval seconds until Ctrl-C" })
  .addOption({
    name: "interval",
    description: "Seconds between heartbeats in --watch mode (default: a third of the heartbeat timeout)",
    ...UNSET,
  })
  .setAction(() => import("./actions/node-heartbeat.js"))
  .build();

export const nodeStatusTask = task("node:status", "Shows a node: status, rating, price, stake, heartbeat")
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
  nodeHeartbeatTask,
  nodeStatusTask,
  nodeOfflineTask,
  nodeDeregisterTask,
  nodeWithdrawStakeTask,
  nodesListTask,
];
