import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Contract, JsonRpcProvider } from "ethers";

import { loadAddressBook } from "../../src/deployments-fs.js";
import { writeAirdrop } from "../../src/airdrop/directory.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";

const HARDHAT = path.resolve("node_modules/hardhat/dist/src/cli.js");
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function hardhat(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [HARDHAT, ...args], {
    env: { ...process.env, ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, output })));
}

type Message = { type: string; futureId?: string; result?: { address?: string }; transaction?: { hash?: string } };

function journal(dir: string): Message[] {
  const file = path.join(dir, "journal.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Message];
      } catch {
        return []; // the last line of a killed writer may be cut short
      }
    });
}

const deployed = (messages: Message[]) =>
  new Map(
    messages
      .filter((m) => m.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE")
      .map((m) => [m.futureId!, m.result!.address!] as const),
  );

describe("deploy:system on a hardhat node", function () {
  this.timeout(240_000);
  let node: ChildProcess | undefined;
  let url = "";
  const work = mkdtempSync(path.join(tmpdir(), "gpufog-resume-"));
  const deploymentId = `resume-test-${process.pid}`;
  const deploymentDir = path.join("deploy", "deployments", deploymentId);

  before(async function () {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    node = hardhat(["node", "--hostname", "127.0.0.1", "--port", String(port)], {});
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    for (let i = 0; ; i++) {
      try {
        const answer = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
        if (answer.ok) break;
      } catch {
        // not listening yet
      }
      if (i > 240) throw new Error(`the hardhat node did not answer on ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  after(function () {
    node?.kill();
    rmSync(work, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  });

  it("resumes from Ignition's journal after the process is killed mid-way, with the same addresses", async function () {
    const tree = await buildTree([
      { kind: LeafKind.Evm, holder: "0x90F79bf6EB2c4f870365E785982E1f101E93b906", amount: 10n ** 21n },
      { kind: LeafKind.Evm, holder: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", amount: 10n ** 20n },
    ]);
    writeAirdrop(tree, path.join(work, "airdrop"));
    const args = [
      "deploy:system",
      "--network",
      "localhost",
      "--airdrop",
      path.join(work, "airdrop"),
      "--deployment-id",
      deploymentId,
      "--out",
      work,
    ];
    const env = { LOCALHOST_RPC_URL: url };

    // First run: once three contracts are deployed the node stops mining, so the deployment's
    // next transactions stay pending while Ignition waits for them, the way a slow network
    // leaves it; then the process is killed (SIGKILL: no chance to clean up) and mining resumes.
    // Killing at an arbitrary instant can land between sending a transaction and journaling it,
    // which Ignition cannot resume on its own (it asks for `ignition track-tx`); see the README.
    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true });
    const first = hardhat(args, env);
    const firstExit = exited(first);
    for (let paused = false; first.exitCode === null;) {
      const messages = journal(deploymentDir);
      if (!paused && deployed(messages).size >= 3) {
        await provider.send("evm_setAutomine", [false]);
        paused = true;
      }
      const last = messages.at(-1);
      if (paused && last?.type === "TRANSACTION_SEND") {
        const pending = (await provider.send("eth_getTransactionReceipt", [last.transaction!.hash])) === null;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (pending && journal(deploymentDir).length === messages.length) {
          first.kill("SIGKILL");
          break;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { signal, output } = await firstExit;
    expect(signal, `the first run ended on its own before it could be interrupted:\n${output}`).to.equal("SIGKILL");
    const killedAfter = deployed(journal(deploymentDir));
    const pendingAtKill = journal(deploymentDir).filter((m) => m.type === "TRANSACTION_SEND").length;
    await provider.send("evm_setAutomine", [true]);
    await provider.send("evm_mine", []);
    expect(existsSync(path.join(work, "31337.json")), "no address book after an interrupted run").to.equal(false);
    expect(killedAfter.size).to.be.within(3, 8);

    // Second run: the same command resumes and finishes.
    const second = await exited(hardhat(args, env));
    expect(second.code, second.output).to.equal(0);
    const messages = journal(deploymentDir);
    const all = deployed(messages);
    expect(all.size).to.equal(10); // six contracts, the timelock, Uniswap's WETH9, factory and router
    for (const [future, address] of killedAfter) expect(all.get(future), future).to.equal(address);

    // Off a terminal (the output is piped here) each step is one line, not a redraw of Ignition's
    // display, and the steps of the killed run are not printed again.
    expect(second.output).not.to.include("Batch #");
    const steps = second.output.split("\n").filter((line) => /^ {2}(deployed|done) /.test(line));
    for (const [future, address] of all) {
      const printed = steps.filter((line) => line.split(" ")[3] === future);
      expect(printed, future).to.deep.equal(killedAfter.has(future) ? [] : [`  deployed ${future} at ${address}`]);
    }
    expect(new Set(steps).size, second.output).to.equal(steps.length);

    const book = loadAddressBook(31337, work);
    expect(book.contracts.gut).to.equal(all.get("GUT#GUT"));
    expect(book.contracts.distributor).to.equal(all.get("TokenSwap#TokenSwapDistributor"));
    expect(book.deploymentId).to.equal(deploymentId);

    // Nothing was done twice: every future started once, and every transaction the deployer
    // sent is one the journal knows.
    const started = messages.filter((m) => m.type.endsWith("_EXECUTION_STATE_INITIALIZE")).map((m) => m.futureId);
    expect(new Set(started).size).to.equal(started.length);
    const sent = new Set(messages.filter((m) => m.type === "TRANSACTION_SEND").map((m) => m.transaction!.hash));
    expect(sent.size).to.be.above(pendingAtKill);
    expect(await provider.getTransactionCount(DEPLOYER)).to.equal(sent.size);
    const gut = new Contract(book.contracts.gut, ["function totalMinted() view returns (uint256)"], provider);
    expect(await gut.getFunction("totalMinted")()).to.equal(50_100_000n * 10n ** 18n + tree.total);
    provider.destroy();
  });
});
