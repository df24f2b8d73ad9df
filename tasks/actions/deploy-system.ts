import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import SystemModule, { SystemLocalModule } from "../../deploy/modules/System.js";
import { recordDeployment } from "../../deploy/deploy-record.js";
import { deploymentsDir } from "../../src/deployments-fs.js";
import { InputError } from "../../src/errors.js";
import { writeJsonAtomic } from "../../src/io.js";
import { readManifest } from "../../src/airdrop/directory.js";
import { systemParameters } from "../../deploy/system-parameters.js";
import { cli } from "../cli.js";

const SOURCE = "deploy:system";

interface Args {
  parameters: string;
  airdrop: string;
  deploymentId: string;
  out: string;
  verify: boolean;
}

export default async function deploySystem(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.create();
    try {
      if (connection.networkConfig.type === "edr-simulated") {
        throw new InputError(
          SOURCE,
          undefined,
          "network",
          `"${connection.networkName}" is an in-process network that ends with this command; use --network localhost (a hardhat node) or a public network, or npm run demo`,
        );
      }
      const { ethers, ignition } = connection;
      const chainId = (await ethers.provider.getNetwork()).chainId;
      const [deployer] = await ethers.getSigners();
      if (deployer === undefined) throw new InputError(SOURCE, undefined, "network", "the network has no accounts");
      const local = chainId === 31337n;
      const file =
        args.parameters === "" ? path.join("deploy", "parameters", `${connection.networkName}.json`) : args.parameters;
      const airdrop = args.airdrop === "" ? undefined : await readManifest(args.airdrop);
      const deploymentId = args.deploymentId === "" ? `chain-${chainId}` : args.deploymentId;
      const deploymentDir = path.join(hre.config.paths.ignition, "deployments", deploymentId);
      const instanceId = local
        ? ((await ethers.provider.send("hardhat_metadata", [])) as { instanceId: string }).instanceId
        : undefined;
      const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      const { now } = runState(deploymentDir, instanceId, latest);
      const parameters = systemParameters({ file, deployer: deployer.address, local, now, airdrop });

      // The sources the tests and the typecheck compile (the default build profile), so a
      // deployment right after them compiles nothing.
      await hre.tasks.getTask("build").run({ quiet: true });
      console.log(`deploying the market to ${connection.networkName} (chain ${chainId}) as ${deployer.address}`);
      console.log(`journal ${deploymentDir}: run the same command again to resume an interrupted deployment\n`);
      const deployed = await ignition.deploy(local ? SystemLocalModule : SystemModule, {
        parameters: parameters as never,
        deploymentId,
        displayUi: true,
      });
      // The System module returns its contracts under the address book's names.
      const contracts = Object.fromEntries(
        await Promise.all(Object.entries(deployed).map(async ([name, c]) => [name, await c.getAddress()] as const)),
      );
      const { file: bookFile, book } = await recordDeployment({
        provider: ethers.provider,
        network: connection.networkName,
        deploymentId,
        deploymentDir,
        contracts,
        dir: args.out === "" ? deploymentsDir() : args.out,
      });
      console.log(`\naddress book ${bookFile} (from block ${book.block}, ABI hash ${book.abiHash.slice(0, 10)}…)`);
      for (const [name, address] of Object.entries(book.contracts)) console.log(`  ${name.padEnd(12)} ${address}`);
      console.log(`  ${"router".padEnd(12)} ${book.uniswap.router}`);
      if (args.verify) await hre.tasks.getTask(["ignition", "verify"]).run({ deploymentId });
    } finally {
      await connection.close();
    }
  });
}

/**
 * What a re-run must reuse: the time the first run took as "now" (a local claim window defaults
 * to start then; a new "now" would change the distributor's constructor arguments, and Ignition
 * refuses to resume a deployment whose executed futures changed). And, on a `hardhat node`, the
 * node instance: a node restarts empty with the same chain id, so a journal left by an earlier
 * instance would make Ignition "resume" against contracts that no longer exist. Like Ignition's
 * own deploy task, the journal is kept only for the instance that wrote it.
 */
function runState(deploymentDir: string, instanceId: string | undefined, latest: bigint): { now: bigint } {
  const file = path.join(deploymentDir, "gpufog-run.json");
  const saved = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as { instanceId?: string; now: string })
    : undefined;
  if (saved !== undefined && saved.instanceId === instanceId) return { now: BigInt(saved.now) };
  // Only a journal of another `hardhat node` instance is dropped, never one of a public network.
  if (instanceId !== undefined) rmSync(deploymentDir, { recursive: true, force: true });
  writeJsonAtomic(file, { instanceId, now: latest });
  return { now: latest };
}
