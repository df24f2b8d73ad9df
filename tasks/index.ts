import { benchTask } from "./bench.js";
import { leaseTasks } from "./lease.js";
import { registryTasks } from "./registry.js";

/** Every task of the project, registered in hardhat.config.ts. */
export const tasks = [benchTask, ...registryTasks, ...leaseTasks];
