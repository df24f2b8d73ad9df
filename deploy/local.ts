import type { network } from "hardhat";

import { addressBookOf } from "./deploy-record.js";
import { getContracts, type AddressBook, type GpufogContracts } from "../src/deployments.js";
import { type AirdropManifest } from "../src/airdrop/format.js";
import { systemParameters } from "./system-parameters.js";
import { SystemLocalModule } from "./modules/System.js";

type Connection = Awaited<ReturnType<typeof network.create>>;

/**
 * Deploys the `System` module (its local variant, with Uniswap V2) through Ignition on a local
 * network connection (in-process, or a fresh `hardhat node` / anvil), with the parameters of
 * `deploy/parameters/hardhat.json` and the given airdrop, and returns the typed contracts and the
 * address book it would have. Over JSON-RPC Ignition keeps a journal under `deploymentId`; the
 * caller passes one of its own and clears it, as a fresh node has none of what it recorded.
 */
export async function deployLocalSystem(
  connection: Connection,
  airdrop: Pick<AirdropManifest, "root" | "total" | "topNodes" | "legacy">,
  file = "deploy/parameters/hardhat.json",
  /** For a node over JSON-RPC (anvil in the agents' tests): a journal of its own, one confirmation. */
  options: { deploymentId?: string } = {},
): Promise<{ contracts: GpufogContracts; book: AddressBook }> {
  const { ethers, ignition } = connection;
  const [deployer] = await ethers.getSigners();
  const latest = (await ethers.provider.getBlock("latest"))!;
  const parameters = systemParameters({
    file,
    deployer: deployer!.address,
    local: true,
    now: BigInt(latest.timestamp),
    airdrop,
  });
  const deployed = await ignition.deploy(SystemLocalModule, {
    parameters: parameters as never,
    ...(options.deploymentId === undefined
      ? {}
      : { deploymentId: options.deploymentId, config: { requiredConfirmations: 1 } }),
  });
  const contracts = Object.fromEntries(
    await Promise.all(Object.entries(deployed).map(async ([name, c]) => [name, await c.getAddress()] as const)),
  );
  const book = await addressBookOf({
    provider: ethers.provider,
    network: connection.networkName,
    deploymentId: options.deploymentId ?? "in-process",
    contracts,
    block: latest.number + 1,
  });
  return { contracts: getContracts(book, deployer!), book };
}
