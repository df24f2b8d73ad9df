import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { dataSlice, getAddress, id, JsonRpcProvider, ZeroAddress } from "ethers";

import { loadAddressBook } from "../../src/deployments-fs.js";
import { writeAirdrop } from "../../src/airdrop/directory.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { HttpTransport } from "../../src/rpc/http.js";
import { snapshotEvm } from "../../src/airdrop/snapshot/evm.js";
import { MockTransferLog__factory } from "../../types/index.js";
import { delay, prng } from "../helpers/rpc.js";
import {
  runHardhat,
  startFaultProxy,
  startHardhatNode,
  stopChild,
  type FaultProxy,
  type HardhatNode,
} from "../helpers/faultProxy.js";

const ROOT = process.cwd();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The snapshot tooling against a real `hardhat node` behind a proxy that drops connections,
 * rate-limits, refuses wide log ranges and delays at random. The task runs as a child process,
 * the way an operator runs it, and is killed outright (SIGKILL) in the middle of a run.
 */
describe("Fault injection: snapshot:evm through a faulty endpoint", function () {
  this.timeout(600_000);

  let node: HardhatNode | undefined;
  const proxies: FaultProxy[] = [];
  let dir = "";
  let token: string;
  let block: bigint;
  let reference: string;

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-faults-"));
    node = await startHardhatNode(await freePort(), ROOT);
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const contract = await new MockTransferLog__factory(await provider.getSigner(0)).deploy();
    await contract.waitForDeployment();
    token = await contract.getAddress();
    const random = prng(42);
    const holders = Array.from({ length: 30 }, (_, i) => getAddress(dataSlice(id(`fault holder ${i}`), 12)));
    const balances = new Map<string, bigint>();
    // 60 batches of mints, transfers and burns, spread over about 240 blocks.
    for (let b = 0; b < 60; b++) {
      const [from, to, amount]: [string[], string[], bigint[]] = [[], [], []];
      for (let k = 0; k < 4; k++) {
        const src = random() < 0.4 ? ZeroAddress : holders[Math.floor(random() * holders.length)]!;
        const dst = random() < 0.1 ? ZeroAddress : holders[Math.floor(random() * holders.length)]!;
        const held = src === ZeroAddress ? 10n ** 24n : (balances.get(src) ?? 0n);
        const value = held === 0n ? 0n : (held * BigInt(Math.floor(random() * 1000))) / 1000n;
        if (src !== ZeroAddress) balances.set(src, held - value);
        if (dst !== ZeroAddress) balances.set(dst, (balances.get(dst) ?? 0n) + value);
        if (src === ZeroAddress && dst === ZeroAddress) continue;
        from.push(src);
        to.push(dst);
        amount.push(value);
      }
      await (await contract.batch(from, to, amount)).wait();
      for (let m = 0; m < 3; m++) await provider.send("evm_mine", []);
    }
    block = BigInt(await provider.getBlockNumber());
    provider.destroy();
    const refOut = path.join(dir, "reference.csv");
    await snapshotEvm({ transport: new HttpTransport(node.url), token, fromBlock: 0n, block, out: refOut, sample: 10 });
    reference = readFileSync(refOut, "utf8");
    expect(reference.split("\n").length).to.be.greaterThan(10);
  });

  after(async function () {
    for (const proxy of proxies) await proxy.close();
    await node?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  function args(proxy: FaultProxy, out: string, maxRange: number): string[] {
    return [
      "snapshot:evm",
      "--rpc",
      proxy.url,
      "--token",
      token,
      "--from-block",
      "0",
      "--block",
      block.toString(),
      "--out",
      out,
      "--max-range",
      String(maxRange),
      "--attempts",
      "40",
      "--sample",
      "10",
    ];
  }

  it("writes the identical CSV through dropped connections, rate limits, range refusals and delays", async function () {
    const proxy = await startFaultProxy(node!.url, {
      drop: 0.1,
      rateLimit: 0.15,
      maxLogsSpan: 16,
      maxDelayMs: 30,
      seed: 7,
    });
    proxies.push(proxy);
    const out = path.join(dir, "faulty.csv");
    const run = await runHardhat(args(proxy, out, 128), ROOT).done;
    expect(run.code, run.output).to.equal(0);
    expect(readFileSync(out, "utf8")).to.equal(reference);
    expect(existsSync(`${out}.checkpoint.json`)).to.equal(false);
    const { dropped, http429, rpc32005, rangeRefused } = proxy.injected;
    expect(
      [dropped, http429, rpc32005, rangeRefused].every((n) => n > 0),
      JSON.stringify(proxy.injected),
    ).to.equal(true);
  });

  it("resumes after being killed (SIGKILL) once its checkpoint exists, and never leaves a partial CSV", async function () {
    const proxy = await startFaultProxy(node!.url, {
      drop: 0.05,
      rateLimit: 0.1,
      maxLogsSpan: 8,
      maxDelayMs: 120,
      seed: 11,
    });
    proxies.push(proxy);
    const out = path.join(dir, "killed.csv");
    const checkpoint = `${out}.checkpoint.json`;
    const first = runHardhat(args(proxy, out, 4), ROOT);
    try {
      const deadline = Date.now() + 180_000;
      while (!existsSync(checkpoint) && first.child.exitCode === null && Date.now() < deadline) await delay(50);
      expect(existsSync(checkpoint), "the checkpoint appeared before the run ended").to.equal(true);
      first.child.kill("SIGKILL");
      const killed = await first.done;
      expect(killed.signal).to.equal("SIGKILL");
      expect(existsSync(out), "no output after a kill").to.equal(false);
      expect(readdirSync(dir).filter((f) => f.startsWith("killed.csv") && f.endsWith(".tmp"))).to.deep.equal([]);

      const second = await runHardhat(args(proxy, out, 4), ROOT).done;
      expect(second.code, second.output).to.equal(0);
      expect(second.output).to.match(/resumed from the checkpoint at block \d+/);
      expect(readFileSync(out, "utf8")).to.equal(reference);
      expect(existsSync(checkpoint)).to.equal(false);
    } finally {
      await stopChild(first.child);
    }
  });
});

interface JournalMessage {
  type: string;
  futureId?: string;
  result?: { address?: string };
  transaction?: { hash?: string };
}

/** Ignition's journal; the last line of a killed writer may be cut short and is left out. */
function journal(dir: string): JournalMessage[] {
  const file = path.join(dir, "journal.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalMessage];
      } catch {
        return [];
      }
    });
}

function deployedBy(messages: JournalMessage[]): Map<string, string> {
  return new Map(
    messages
      .filter((m) => m.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE")
      .map((m) => [m.futureId!, m.result!.address!] as const),
  );
}

/**
 * `deploy:system` (the Ignition System module) against a `hardhat node` behind the fault proxy:
 * rate limits (HTTP 429, which Hardhat's HTTP provider retries) and random delays on every
 * request, and a SIGKILL in the middle. The node is reached directly only to hold a transaction
 * pending, so that the kill lands after Ignition journaled it: a kill between sending and
 * journaling is the one case Ignition cannot resume by itself (`ignition track-tx`, see README).
 */
describe("Fault injection: deploy:system through a faulty endpoint", function () {
  this.timeout(600_000);

  let node: HardhatNode | undefined;
  let proxy: FaultProxy | undefined;
  const work = mkdtempSync(path.join(tmpdir(), "gpufog-deploy-faults-"));
  const deploymentId = `fault-test-${process.pid}`;
  const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);

  before(async function () {
    node = await startHardhatNode(await freePort(), ROOT);
    proxy = await startFaultProxy(node.url, {
      drop: 0,
      rateLimit: 0.1,
      http429Share: 1,
      maxLogsSpan: 1_000_000,
      maxDelayMs: 10,
      seed: 3,
    });
  });

  after(async function () {
    await proxy?.close();
    await node?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  });

  it("resumes after being killed mid-way, with the same addresses and nothing deployed twice", async function () {
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
    const env = { LOCALHOST_RPC_URL: proxy!.url };
    const direct = new JsonRpcProvider(node!.url, 31337, { staticNetwork: true });
    const first = runHardhat(args, ROOT, 300_000, env);
    let killedAfter: Map<string, string>;
    try {
      const deadline = Date.now() + 240_000;
      for (let paused = false; first.child.exitCode === null && Date.now() < deadline;) {
        const messages = journal(deploymentDir);
        if (!paused && deployedBy(messages).size >= 3) {
          await direct.send("evm_setAutomine", [false]);
          paused = true;
        }
        const last = messages.at(-1);
        if (paused && last?.type === "TRANSACTION_SEND") {
          const pending = (await direct.send("eth_getTransactionReceipt", [last.transaction!.hash])) === null;
          await delay(1_000);
          if (pending && journal(deploymentDir).length === messages.length) {
            first.child.kill("SIGKILL");
            break;
          }
        }
        await delay(20);
      }
      const killed = await first.done;
      expect(killed.signal, `the first run was not interrupted:\n${killed.output}`).to.equal("SIGKILL");
      killedAfter = deployedBy(journal(deploymentDir));
      expect(killedAfter.size).to.be.within(3, 8);
      expect(existsSync(path.join(work, "31337.json")), "no address book after a kill").to.equal(false);
    } finally {
      await stopChild(first.child);
      await direct.send("evm_setAutomine", [true]);
      await direct.send("evm_mine", []);
    }

    const second = await runHardhat(args, ROOT, 300_000, env).done;
    expect(second.code, second.output).to.equal(0);
    const messages = journal(deploymentDir);
    const all = deployedBy(messages);
    expect(all.size).to.equal(10); // six contracts, the timelock, Uniswap's WETH9, factory and router
    for (const [future, address] of killedAfter) expect(all.get(future), future).to.equal(address);
    const started = messages.filter((m) => m.type.endsWith("_EXECUTION_STATE_INITIALIZE")).map((m) => m.futureId);
    expect(new Set(started).size, "a future started twice").to.equal(started.length);
    const book = loadAddressBook(31337, work);
    expect(book.contracts.gut).to.equal(all.get("GUT#GUT"));
    expect(proxy!.injected.http429, JSON.stringify(proxy!.injected)).to.be.greaterThan(0);
    direct.destroy();
  });
});
