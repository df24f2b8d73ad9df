import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

import { UNSET } from "./options.js";

export const snapshotEvmTask = task("snapshot:evm", "Snapshots an ERC-20's balances at a block into a CSV")
  .addOption({
    name: "token",
    description: "The ERC-20 contract address (required)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "fromBlock",
    description: "The first block to replay: the token's deployment block or earlier (required)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "block",
    description: "The snapshot height (default: the latest block minus --confirmations, or the checkpoint's block)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "confirmations",
    description: "Blocks kept back from the head when --block is not given",
    type: ArgumentType.INT,
    defaultValue: 12,
  })
  .addOption({
    name: "rpc",
    description: "A JSON-RPC URL to read from (default: the --network connection)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "out",
    description: "The CSV to write, address,amount (required)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "checkpoint",
    description: "The progress file (default: <out>.checkpoint.json)",
    type: ArgumentType.STRING_WITHOUT_DEFAULT,
    defaultValue: undefined,
  })
  .addOption({
    name: "exclude",
    description:
      "Addresses to leave out: comma-separated addresses and/or files with one address a line (default: none)",
    ...UNSET,
  })
  .addOption({
    name: "sample",
    description: "How many holders to check with balanceOf() at the block",
    type: ArgumentType.INT,
    defaultValue: 20,
  })
  .addOption({
    name: "maxRange",
    description: "The widest block range of one eth_getLogs request",
    type: ArgumentType.INT,
    defaultValue: 10_000,
  })
  .addOption({
    name: "attempts",
    description: "Attempts per request before an endpoint counts as unreachable",
    type: ArgumentType.INT,
    defaultValue: 6,
  })
  .setAction(() => import("./actions/snapshot-evm.js"))
  .build();
