import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import SystemModule, { SystemLocalModule } from "../../deploy/modules/System.js";
import { recordDeployment } from "../../deploy/deploy-record.js";
import { followJournal } from "../../deploy/journal-progress.js";
import { addressBookPath, deploymentsDir } from "../../src/deployments-fs.js";
import { checkBookReplacement, deploymentRules, journalState } from "../../deploy/deploy-guard.js";
import { InputError } from "../../src/errors.js";
import { readManifest } from "../../src/airdrop/directory.js";
import { systemParameters } from "../../deploy/system-parameters.js";
import { cli, optionsGiven } from "../cli.js";

const SOURCE = "deploy:system";

interface Args {
  parameters: string;
  airdrop: string;
  deploymentId: string;
  out: string;
  verify: boolean;
  reset: boolean;
}

async function deploySystem(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
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
      const file =
        args.parameters === "" ? path.join("deploy", "parameters", `${connection.networkName}.json`) : args.parameters;
      if (args.parameters === "" && !existsSync(file)) {
        throw new InputError(
          file,
          undefined,
          undefined,
          `does not exist: the network "${connection.networkName}" has no parameter file; write one (see docs/deployment.md, "Any network") or name one with --parameters`,
        );
      }
      const { rules, why } = deploymentRules(file, readJsonLoosely(file), chainId);
      const local = rules === "local";
      const airdrop = args.airdrop === "" ? undefined : await readManifest(args.airdrop);
      const deploymentId = args.deploymentId === "" ? `chain-${chainId}` : args.deploymentId;
      const deploymentDir = path.join(hre.config.paths.ignition, "deployments", deploymentId);
      const genesis = (await ethers.provider.getBlock(0))!.hash!;
      const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      let parameters;
      try {
        parameters = systemParameters({ file, deployer: deployer.address, local, now: latest, airdrop });
      } catch (error) {
        if (!local && error instanceof InputError && /required/.test(error.problem)) {
          throw new InputError(error.file, error.line, error.field, `${error.problem} (public-network rules: ${why})`);
        }
        throw error;
      }
      // Nothing is replaced, and nothing sent, before both guards pass.
      const bookDir = args.out === "" ? deploymentsDir() : args.out;
      const bookFile = addressBookPath(chainId, bookDir);
      const { replaces } = checkBookReplacement(bookFile, genesis, deploymentId, args.reset);
      const { now, replaced } = journalState(deploymentDir, genesis, latest, args.reset);
      if (now !== latest) {
        parameters = systemParameters({ file, deployer: deployer.address, local, now, airdrop });
      }
      if (replaced) console.log(`--reset: the journal ${deploymentDir} of another run was removed`);
      if (replaces !== undefined) console.log(`--reset: ${bookFile}, the book of ${replaces}, will be replaced`);

      // The sources the tests and the typecheck compile (the default build profile), so a
      // deployment right after them compiles nothing.
      console.log("compiling the contracts if their sources changed (about 30 s from a clean checkout)…");
      await hre.tasks.getTask("build").run({ quiet: true });
      console.log(
        `deploying the market to ${connection.networkName} (chain ${chainId}, ${rules} rules: ${why}) as ${deployer.address}`,
      );
      console.log(`journal ${deploymentDir}: run the same command again to resume an interrupted deployment\n`);
      // Ignition's display redraws in place, which only a terminal can show; elsewhere (CI, a log)
      // each step is one line from the journal.
      const terminal = process.stdout.isTTY === true;
      const progress = terminal ? undefined : followJournal(deploymentDir, (line) => console.log(line));
      let deployed;
      try {
        deployed = await ignition.deploy(local ? SystemLocalModule : SystemModule, {
          parameters: parameters as never,
          deploymentId,
          displayUi: terminal,
        });
      } finally {
        progress?.stop();
      }
      // The System module returns its contracts under the address book's names.
      const contracts = Object.fromEntries(
        await Promise.all(Object.entries(deployed).map(async ([name, c]) => [name, await c.getAddress()] as const)),
      );
      const { book } = await recordDeployment({
        provider: ethers.provider,
        network: connection.networkName,
        deploymentId,
        deploymentDir,
        contracts,
        dir: bookDir,
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

/** The parameter file's JSON for the rules' key, or nothing (systemParameters reports a bad file). */
function readJsonLoosely(file: string): Record<string, unknown> {
  try {
    const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export default optionsGiven(deploySystem);
