import { benchTask } from "./bench.js";
import { emissionTasks } from "./emission.js";

/** Every task of the project, registered in hardhat.config.ts. */
export const tasks = [benchTask, ...emissionTasks];
