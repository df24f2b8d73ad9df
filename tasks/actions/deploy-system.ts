import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { recordDeployment } from "../../src/deploy-record.js";
import { deploymentsDir } from "../../src/deployments.js";
import { InputError } from "../../src/errors.js";
import { writeJsonAtomic } from "../../src/io.js";
import { readManifest } from "../../src/merkle/output.js";
import { encodeBigints, systemParameters } from "../../src/system-parameters.js";
import { cli } from "../cli.js";

const SOURCE = "deploy:system";

interface Args {
  parameters: string;
  airdrop: string;
  deploymentId: string;
  out: string;
  verify: boolean;
}

interface DeployResult {
  type: string;
  contracts?: Record<string, { id: string; contractName: string; address: string }>;
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
      const { ethers } = connection;
      const chainId = (await ethers.provider.getNetwork()).chainId;
      const [deployer] = await ethers.getSigners();
      if (deployer === undefined) throw new InputError(SOURCE, undefined, "network", "the network has no accounts");
      const local = chainId === 31337n;
      const file = args.parameters === "" ? path.join("deploy", "parameters", `${connection.networkName}.json`) : args.parameters;
      const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      const airdrop = args.airdrop === "" ? undefined : await readManifest(args.airdrop);
      const parameters = systemParameters({ file, deployer: deployer.address, local, now, airdrop });
      const deploymentId = args.deploymentId === "" ? `chain-${chainId}` : args.deploymentId;

      // The Ignition task reads parameters from a file: the checked, completed ones go to a
      // temporary one, in Ignition's JSON convention for bigints.
      const tmp = mkdtempSync(path.join(tmpdir(), "gpufog-deploy-"));
      const parameterFile = path.join(tmp, "parameters.json");
      writeJsonAtomic(parameterFile, encodeBigints(parameters));
      let result: DeployResult | null;
      try {
        result = (await hre.tasks.getTask(["ignition", "deploy"]).run({
          modulePath: path.join("deploy", "modules", local ? "SystemLocal.ts" : "System.ts"),
          parameters: parameterFile,
          deploymentId,
          verify: args.verify,
        })) as DeployResult | null;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      if (result === null) throw new Error("the deployment was cancelled");
      if (result.type !== "SUCCESSFUL_DEPLOYMENT" || result.contracts === undefined) {
        throw new Error(`the deployment did not complete (${result.type}); fix the cause and run the same command to resume`);
      }
      const book = await recordDeployment({
        provider: ethers.provider,
        network: connection.networkName,
        deploymentId,
        deploymentDir: path.join(hre.config.paths.ignition, "deployments", deploymentId),
        contracts: Object.values(result.contracts),
        dir: args.out === "" ? deploymentsDir() : args.out,
      });
      console.log(`\naddress book ${book.file} (from block ${book.book.block}, ABI hash ${book.book.abiHash.slice(0, 10)}…)`);
      for (const [name, address] of Object.entries(book.book.contracts)) console.log(`  ${name.padEnd(12)} ${address}`);
      console.log(`  ${"router".padEnd(12)} ${book.book.uniswap.router}`);
    } finally {
      await connection.close();
    }
  });
}
