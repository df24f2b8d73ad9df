import {
  airdropBuildTask,
  airdropClaimLegacyTask,
  airdropClaimTask,
  airdropSignLegacyTask,
  airdropVerifyTask,
} from "./airdrop.js";
import { benchTask } from "./bench.js";
import { deploySystemTask } from "./deploy.js";
import { emissionTasks } from "./emission.js";
import { fuzzTask, solidityTestCounts } from "./fuzz.js";
import { leaseTasks } from "./lease.js";
import { registryTasks } from "./registry.js";
import { snapshotEvmTask } from "./snapshot.js";

/** Every task of the project, registered in hardhat.config.ts. */
export const tasks = [
  benchTask,
  deploySystemTask,
  fuzzTask,
  solidityTestCounts,
  snapshotEvmTask,
  airdropBuildTask,
  airdropVerifyTask,
  airdropClaimTask,
  airdropSignLegacyTask,
  airdropClaimLegacyTask,
  ...registryTasks,
  ...leaseTasks,
  ...emissionTasks,
];
