import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import type { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { encodeBigints, reviveBigints, type ModuleParameters } from "../../deploy/system-parameters.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";

type Connection = Awaited<ReturnType<typeof network.create>>;

/** Seconds in a day. */
export const DAY = 86_400n;

/**
 * `deploy/parameters/hardhat.json` with a public network's delays: the timelock's `minDelay` and
 * every contract's `adminDelay`, written to a temporary file for `deployLocalSystem`. The local
 * file keeps both at 0 so the demo needs no waiting; the attacks on governance need real notice.
 */
export function delayedParameterFile(timelockDelay: bigint, adminDelay: bigint): string {
  const params = reviveBigints(JSON.parse(readFileSync("deploy/parameters/hardhat.json", "utf8"))) as ModuleParameters;
  for (const id of ["GUT", "ProviderRegistry", "LeaseEscrow", "BuybackEmission", "TokenSwap"]) {
    params[id] = { ...params[id], adminDelay };
  }
  params.System = { ...params.System, timelockDelay };
  const file = path.join(mkdtempSync(path.join(tmpdir(), "gpufog-governance-")), "parameters.json");
  writeFileSync(file, JSON.stringify(encodeBigints(params)));
  return file;
}

/**
 * The `System` module on an in-process network with a two-day timelock and one-day admin
 * delays, as on a public network; `admin` (signer 1) is the multisig, `keeper` signer 2.
 */
export async function deployDelayedSystem(connection: Connection, timelockDelay = 2n * DAY, adminDelay = DAY) {
  const { ethers } = connection;
  const [deployer, admin, keeper, alice] = await ethers.getSigners();
  const tree = await buildTree([{ kind: LeafKind.Evm, holder: alice!.address, amount: 10n ** 21n }]);
  const { contracts, book } = await deployLocalSystem(
    connection,
    { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
    delayedParameterFile(timelockDelay, adminDelay),
  );
  return { ...contracts, book, deployer: deployer!, admin: admin!, keeper: keeper!, alice: alice! };
}
