import { task } from "hardhat/config";

import { UNSET } from "./options.js";

export const deploySystemTask = task(
  "deploy:system",
  "Deploys and wires the whole market with Ignition, then writes deployments/<chainId>.json",
)
  .addOption({
    name: "parameters",
    description: "The module parameters (default: deploy/parameters/<network>.json)",
    ...UNSET,
  })
  .addOption({
    name: "airdrop",
    description:
      "The airdrop directory from airdrop:build: the distributor's root, total and top nodes (default: the parameter file's)",
    ...UNSET,
  })
  .addOption({
    name: "deploymentId",
    description: "Ignition's deployment id, the journal's name: re-run with it to resume (default: chain-<id>)",
    ...UNSET,
  })
  .addOption({
    name: "out",
    description: "The directory of address books (default: $GPUFOG_DEPLOYMENTS, else deployments/)",
    ...UNSET,
  })
  .addFlag({
    name: "reset",
    description:
      "Replace the journal and the address book of another deployment or chain (a restarted node, another client), which are otherwise refused",
  })
  .addFlag({ name: "verify", description: "Verify the contracts on the block explorer afterwards (hardhat-verify)" })
  .setAction(() => import("./actions/deploy-system.js"))
  .build();
