import { ArgumentType } from "hardhat/types/arguments";
import { task } from "hardhat/config";

export const airdropBuildTask = task(
  "airdrop:build",
  "Builds the Merkle tree and every proof from a snapshot CSV: manifest, OpenZeppelin dump, proof shards",
)
  .addOption({ name: "csv", description: "The snapshot CSV (address,amount)", defaultValue: "" })
  .addOption({ name: "out", description: "The output directory (replaced whole)", defaultValue: "" })
  .setAction(() => import("./actions/airdrop-build.js"))
  .build();

export const airdropVerifyTask = task(
  "airdrop:verify",
  "Checks an airdrop directory against a deployed distributor: root, total, top nodes, funding, sampled proofs",
)
  .addOption({ name: "airdrop", description: "The airdrop directory (from airdrop:build)", defaultValue: "" })
  .addOption({ name: "distributor", description: "The TokenSwapDistributor address", defaultValue: "" })
  .addOption({
    name: "samples",
    description: "How many random proofs to check",
    type: ArgumentType.INT,
    defaultValue: 20,
  })
  .setAction(() => import("./actions/airdrop-verify.js"))
  .build();

export const airdropClaimTask = task("airdrop:claim", "Claims an account's airdrop from the proof shards")
  .addOption({ name: "airdrop", description: "The airdrop directory (from airdrop:build)", defaultValue: "" })
  .addOption({ name: "distributor", description: "The TokenSwapDistributor address", defaultValue: "" })
  .addOption({
    name: "account",
    description: "The holder to claim for (default: the sending account); the tokens always go to it",
    defaultValue: "",
  })
  .setAction(() => import("./actions/airdrop-claim.js"))
  .build();
