import { benchTask } from "./bench.js";
import { emissionTasks } from "./emission.js";
import { registryTasks } from "./registry.js";
import { snapshotEvmTask } from "./snapshot.js";

/** Every task of the project, registered in hardhat.config.ts. */
export const tasks = [benchTask, snapshotEvmTask, ...registryTasks, ...emissionTasks];
