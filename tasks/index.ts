import { airdropBuildTask, airdropClaimTask, airdropVerifyTask } from "./airdrop.js";
import { benchTask } from "./bench.js";

/** Every task of the project, registered in hardhat.config.ts. */
export const tasks = [benchTask, airdropBuildTask, airdropVerifyTask, airdropClaimTask];
