import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { HDNodeWallet, Mnemonic, parseEther, Wallet, type TransactionResponse } from "ethers";
import { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { openLease, reserve, type EscrowHandle } from "../../src/escrow.js";
import { buildTree } from "../../src/merkle/tree.js";
import { LeafKind } from "../../src/merkle/proof.js";
import { registerNode } from "../../src/registry.js";
import { addLiquidity, connectUniswapV2 } from "../../harness/uniswap.js";
import { startFaultProxy, stopChild, type FaultProxy } from "../helpers/faultProxy.js";
import {
  freePort,
  rpc,
  runCli,
  startAgent,
  startAnvil,
  until,
  writeKeystore,
  type AgentProcess,
} from "../helpers/agents.js";
import { delay } from "../helpers/rpc.js";

const UNIT = 10n ** 18n;
const MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
const account = (i: number) => HDNodeWallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`);

/**
 * The operators' agents against anvil, deployed over JSON-RPC, each agent a child process
 * reaching the node through the fault-injecting proxy (dropped connections, HTTP 429 and
 * JSON-RPC -32005, delays) with a dead endpoint listed first. Time moves with `evm_increaseTime`.
 * Provider P runs nodes 1–3 through the agent with an operator key; provider Q's node 4 has no
 * agent. A customer leases nodes 1 (long), 2 (drains in 15 minutes) and 4, and reserves node 3
 * without ever starting it. The provider agent is killed outright once and restarted.
 */
describe("Operators: gpufog provider and keeper agents on anvil, through faults", function () {
  this.timeout(300_000);

  let anvil: Awaited<ReturnType<typeof startAnvil>> | undefined;
  let proxy: FaultProxy | undefined;
  let dir = "";
  const agents: AgentProcess[] = [];
  let connection: Awaited<ReturnType<typeof network.create>>;
  let system: Awaited<ReturnType<typeof deployLocalSystem>>;
  const operator = Wallet.createRandom();
  const keeper = account(2);
  const leases: Record<string, bigint> = {};
  let reservationId = 0n;

  const chainNow = async () => BigInt((await connection.ethers.provider.getBlock("latest"))!.timestamp);
  const later = async (seconds: number) => {
    await rpc(anvil!.url, "evm_increaseTime", [seconds]);
    await rpc(anvil!.url, "evm_mine");
  };

  async function config(kind: "provider" | "keeper", extra: Record<string, unknown>): Promise<string> {
    const file = path.join(dir, `${kind}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        kind,
        // The first endpoint refuses connections: every request falls back to the proxy.
        rpc: [`http://127.0.0.1:${deadPort}`, proxy!.url],
        addressBook: "book/31337.json",
        keystore: `${kind}.keystore.json`,
        passwordFile: `${kind}.pass`,
        stateFile: `${kind}-state.json`,
        pollSeconds: 0.3,
        stuckAfterSeconds: 20,
        rpcTimeoutSeconds: 5,
        metricsPort: await freePort(),
        ...extra,
      }),
    );
    return file;
  }
  let deadPort = 0;

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-agents-"));
    anvil = await startAnvil();
    deadPort = await freePort();
    connection = await network.create({ network: "localhost", override: { url: anvil.url } });
    const { ethers } = connection;
    const signers = await ethers.getSigners();
    const [deployer, , , p, customer, q] = signers as [(typeof signers)[0], ...(typeof signers)[0][]];
    const tree = await buildTree([{ kind: LeafKind.Evm, holder: customer!.address, amount: 1_000n * UNIT }]);
    const id = `agents-test-${path.basename(dir)}`;
    system = await deployLocalSystem(
      connection,
      { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
      undefined,
      {
        deploymentId: id,
      },
    );
    rmSync(path.join("deploy", "deployments", id), { recursive: true, force: true });
    writeAddressBook(system.book, path.join(dir, "book"));
    const { gut, tft, registry, escrow } = system.contracts;
    for (const s of [p!, q!, customer!]) await (await gut.connect(deployer).transfer(s.address, 10_000n * UNIT)).wait();
    const node = {
      model: "GTX 1080 Ti",
      gpuCount: 1n,
      pricePerTuHour: UNIT,
      paymentToken: await gut.getAddress(),
      uri: "https://n.example",
    };
    for (let i = 0; i < 3; i++) await registerNode(registry.connect(p!), p!, node, "test");
    await registerNode(registry.connect(q!), q!, node, "test");
    await (await registry.connect(p!).setOperator(operator.address)).wait();
    await (await deployer!.sendTransaction({ to: operator.address, value: parseEther("10") })).wait();
    await addLiquidity(
      await connectUniswapV2(system.book.uniswap.router, deployer!),
      deployer!,
      gut,
      100_000n * UNIT,
      tft,
      100_000n * UNIT,
    );
    const h: EscrowHandle = { escrow: escrow.connect(customer!), registry };
    // 1 GUT per TU-hour on a 1-TU node: 1 GUT an hour.
    leases.long = await openLease(h, customer!, 1n, 10n * UNIT, UNIT);
    leases.drained = await openLease(h, customer!, 2n, UNIT / 4n, UNIT);
    leases.orphan = await openLease(h, customer!, 4n, 10n * UNIT, UNIT);
    reservationId = await reserve(h, customer!, 3n, (await chainNow()) + 120n, 600n, UNIT, UNIT);

    await writeKeystore(dir, "provider", operator.address, operator.privateKey);
    await writeKeystore(dir, "keeper", keeper.address, keeper.privateKey);
    proxy = await startFaultProxy(anvil.url, {
      drop: 0.05,
      rateLimit: 0.1,
      maxLogsSpan: 100_000,
      maxDelayMs: 15,
      seed: 17,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const a of agents) {
      console.log(a.stderr);
      for (const line of a.lines.slice(-25)) console.log(JSON.stringify(line));
    }
  });

  after(async function () {
    for (const a of agents) await stopChild(a.child);
    await proxy?.close();
    await connection?.close();
    if (anvil !== undefined) await stopChild(anvil.child);
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a bad config with one line naming the file and the field", async function () {
    const file = await config("keeper", { pageSize: -3 });
    const run = await runCli(["keeper", "run", "--config", file]);
    expect(run.code).to.equal(1);
    expect(run.stderr.trim()).to.equal(`gpufog: ${file}, field "pageSize": must be between 1 and 10000, not -3`);
  });

  it("keeper --dry-run prints the round it would run and sends nothing", async function () {
    const gut = await system.contracts.gut.getAddress();
    const file = await config("keeper", { tokens: [gut] });
    const before = await connection.ethers.provider.getTransactionCount(keeper.address);
    const run = await runCli(["keeper", "run", "--config", file, "--dry-run"]);
    expect(run.code, run.stderr).to.equal(0);
    const labels = run.stdout
      .split("\n")
      .filter((l) => l.includes('"would_send"'))
      .map((l) => (JSON.parse(l) as { label: string }).label);
    // The pool has never been observed: the first chore is its TWAP observation.
    expect(labels).to.deep.equal([`observe ${gut}`]);
    expect(await connection.ethers.provider.getTransactionCount(keeper.address)).to.equal(before);
  });

  it("runs both agents for hours of chain time: batches, a stale node refunded, drained lease, expiry, fees bought back, no double sends", async function () {
    const { registry, escrow, emission, gut } = system.contracts;
    const gutAddress = await gut.getAddress();
    const providerFile = await config("provider", {
      provider: account(3).address,
      heartbeatMarginSeconds: 300,
      withdrawThreshold: { [gutAddress]: "0.2" },
    });
    const keeperFile = await config("keeper", { tokens: [gutAddress] });
    const started = await connection.ethers.provider.getBlockNumber();
    let providerAgent = startAgent(["provider", "run", "--config", providerFile]);
    const keeperAgent = startAgent(["keeper", "run", "--config", keeperFile]);
    agents.push(providerAgent, keeperAgent);

    const ages = async () => {
      const now = await chainNow();
      const nodes = await Promise.all([1n, 2n, 3n].map((id) => registry.node(id)));
      return nodes.map((n) => now - n.lastHeartbeat);
    };
    await until("both agents started", async () =>
      [providerAgent, keeperAgent].every((a) => a.lines.some((l) => l.event === "started")),
    );

    let restartedAt = 0;
    let boughtBack = false;
    let expired = false;
    for (let step = 1; step <= 40 && !(boughtBack && expired); step++) {
      await later(250);
      if (step === 4) {
        // Kill the provider agent outright while its heartbeat is due, then start it again.
        await delay(150);
        providerAgent.child.kill("SIGKILL");
        await providerAgent.exited;
        restartedAt = await connection.ethers.provider.getBlockNumber();
        providerAgent = startAgent(["provider", "run", "--config", providerFile]);
        agents.push(providerAgent);
      }
      await until(
        `P's nodes are heartbeated (step ${step})`,
        async () => (await ages()).every((a) => a < 300n),
        60_000,
      );
      const bought = await emission.queryFilter(emission.filters.BoughtBack(), started);
      boughtBack = bought.length > 0;
      expired = (await escrow.queryFilter(escrow.filters.ReservationEnded(reservationId), started)).length > 0;
    }
    expect(boughtBack, "a buyback within 40 steps").to.equal(true);

    // Metrics, then a clean stop.
    const metricsOf = async (agent: AgentProcess) => {
      const startedLine = agent.lines.find((l) => l.event === "started")!;
      return (await (await fetch(String(startedLine.metrics))).text()) as string;
    };
    const sample = (text: string, series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(series + " ") || l.startsWith(series + "{"));
      return line === undefined ? 0 : Number(line.split(" ").at(-1));
    };
    await delay(1000); // let the rounds in flight finish
    // A transaction the agent sent but has not seen mined is on the chain before it is in the
    // metrics: wait until every nonce sent has its outcome logged.
    const settled = (agent: AgentProcess) => {
      const open = new Set<unknown>();
      for (const line of agent.lines) {
        if (line.event === "tx_sent" || line.event === "tx_resume") open.add(line.nonce);
        if (["tx_mined", "tx_reverted", "tx_replaced_elsewhere"].includes(String(line.event))) open.delete(line.nonce);
      }
      return open.size === 0;
    };
    await until("the agents' transactions in flight are mined", async () =>
      [providerAgent, keeperAgent].every(settled),
    );
    const providerMetrics = await metricsOf(providerAgent);
    const keeperMetrics = await metricsOf(keeperAgent);
    for (const a of [providerAgent, keeperAgent]) {
      a.child.kill("SIGTERM");
      expect(await a.exited, a.stderr).to.equal(0);
      expect(a.lines.at(-1)!.event).to.equal("stopped");
    }

    // Every transaction of the operator and the keeper, from the chain.
    const latest = await connection.ethers.provider.getBlockNumber();
    const sent: { from: string; tx: TransactionResponse; ok: boolean; block: number }[] = [];
    for (let b = started + 1; b <= latest; b++) {
      const block = await connection.ethers.provider.getBlock(b, true);
      for (const tx of block!.prefetchedTransactions) {
        if (tx.from !== operator.address && tx.from !== keeper.address) continue;
        const receipt = await connection.ethers.provider.getTransactionReceipt(tx.hash);
        sent.push({ from: tx.from, tx, ok: receipt!.status === 1, block: b });
      }
    }
    const calls = sent.map((s) => {
      const iface =
        s.tx.to === await0(registry)
          ? registry.interface
          : s.tx.to === await0(escrow)
            ? escrow.interface
            : emission.interface;
      const parsed = iface.parseTransaction({ data: s.tx.data })!;
      return { ...s, name: parsed.name, args: parsed.args };
    });

    // Nothing sent twice, nothing reverted; nonces without gaps; the state file has the next nonce.
    // A buyback may revert when the test jumps 250 s of chain time between its estimate and its
    // block (the TWAP moves under it); no other job may.
    expect(calls.filter((c) => !c.ok && c.name !== "buyback").map((c) => c.name)).to.deep.equal([]);
    for (const who of [operator.address, keeper.address]) {
      const nonces = sent.filter((s) => s.from === who).map((s) => s.tx.nonce);
      expect(nonces).to.deep.equal([...nonces].sort((a, b) => a - b));
      expect(new Set(nonces).size).to.equal(nonces.length);
    }
    const state = JSON.parse(readFileSync(path.join(dir, "provider-state.json"), "utf8")) as {
      nonce: number;
      pending: unknown;
    };
    expect(state.pending).to.equal(null);
    expect(state.nonce).to.equal(await connection.ethers.provider.getTransactionCount(operator.address));
    const once = (name: string) => calls.filter((c) => c.name === name).map((c) => String(c.args[0]));
    for (const name of ["closeLease", "expireReservation", "markDisconnected"]) {
      expect(new Set(once(name)).size, `${name} sent once per id`).to.equal(once(name).length);
    }

    // Heartbeats land in batches of P's three nodes, from the operator key.
    const batches = calls.filter((c) => c.name === "heartbeatBatch");
    expect(batches.length).to.be.greaterThan(5);
    for (const b of batches) {
      expect(b.from).to.equal(operator.address);
      expect((b.args[0] as bigint[]).map(Number)).to.deep.equal([1, 2, 3]);
    }
    expect(calls.filter((c) => c.name === "heartbeat")).to.have.length(0);

    // Node 4 (no agent) was marked Disconnect by the keeper and its lease closed with a refund.
    expect((await registry.node(4n)).status).to.equal(4n);
    const closes = await escrow.queryFilter(escrow.filters.LeaseClosed(), started);
    const orphan = closes.find((e) => e.args.leaseId === leases.orphan)!;
    expect(orphan.args.closedBy).to.equal(keeper.address);
    expect(orphan.args.refund).to.be.greaterThan(0n);
    // The drained lease was closed by the keeper.
    const drained = closes.find((e) => e.args.leaseId === leases.drained)!;
    expect(drained.args.closedBy).to.equal(keeper.address);
    // The reservation nobody started expired.
    const ended = await escrow.queryFilter(escrow.filters.ReservationEnded(reservationId), started);
    expect(ended.map((e) => Number(e.args.status))).to.deep.equal([4]);
    // Earnings withdrawn to P by the operator, fees forwarded, a bucket bought back.
    expect(calls.some((c) => c.name === "withdrawFor" && c.from === operator.address)).to.equal(true);
    expect(await escrow.queryFilter(escrow.filters.FeesForwarded(), started)).to.not.have.length(0);
    expect(calls.some((c) => c.name === "observe")).to.equal(true);

    // The metrics count what the chain shows: batches since the restart, three nodes each.
    const sinceRestart = batches.filter((b) => b.block > restartedAt).length;
    expect(sample(providerMetrics, "gpufog_heartbeat_batches_total")).to.equal(sinceRestart);
    expect(sample(providerMetrics, "gpufog_heartbeats_sent_total")).to.equal(3 * sinceRestart);
    expect(sample(providerMetrics, "gpufog_heartbeats_failed_total")).to.equal(0);
    expect(providerMetrics).to.match(/gpufog_heartbeat_age_seconds\{node="1"\} \d+/);
    expect(sample(keeperMetrics, 'gpufog_jobs_total{job="closeLease",result="done"}')).to.equal(
      calls.filter((c) => c.name === "closeLease" && c.from === keeper.address).length,
    );
    expect(sample(keeperMetrics, "gpufog_rpc_errors_total")).to.be.greaterThan(0);
    console.log(
      `      ${batches.length} batches, ${calls.length} transactions; proxy: ${JSON.stringify(proxy!.injected)}`,
    );
  });

  it("replaces a stuck heartbeat with bumped fees, and after a kill resumes it instead of sending it again", async function () {
    const { registry } = system.contracts;
    const providerFile = await config("provider", {
      provider: account(3).address,
      heartbeatMarginSeconds: 590,
      stuckAfterSeconds: 1,
    });
    const nonceBefore = await connection.ethers.provider.getTransactionCount(operator.address);
    const from = await connection.ethers.provider.getBlockNumber();
    await rpc(anvil!.url, "evm_setAutomine", [false]);
    try {
      // A margin of 590 s of the 600 s timeout: the heartbeat is due 100 s on, and no node goes stale.
      await later(100);
      let agent = startAgent(["provider", "run", "--config", providerFile]);
      agents.push(agent);
      await until("the heartbeat is replaced", async () => agent.lines.some((l) => l.event === "tx_replaced"));
      agent.child.kill("SIGKILL");
      await agent.exited;
      const state = JSON.parse(readFileSync(path.join(dir, "provider-state.json"), "utf8")) as {
        pending: { nonce: number; hashes: string[]; maxFeePerGas: string };
      };
      expect(state.pending.nonce).to.equal(nonceBefore);
      expect(state.pending.hashes.length).to.be.greaterThan(1);
      agent = startAgent(["provider", "run", "--config", providerFile]);
      agents.push(agent);
      await until("the restarted agent resumes the pending heartbeat", async () =>
        agent.lines.some((l) => l.event === "tx_resume"),
      );
      await rpc(anvil!.url, "evm_setAutomine", [true]);
      await rpc(anvil!.url, "evm_mine");
      await until("the heartbeat is mined", async () => agent.lines.some((l) => l.event === "tx_mined"));
      agent.child.kill("SIGTERM");
      expect(await agent.exited, agent.stderr).to.equal(0);
      const mined = agent.lines.find((l) => l.event === "tx_mined")!;
      expect(mined.nonce).to.equal(nonceBefore);
      // One heartbeat batch reached the chain for that nonce, in a version with bumped fees.
      const latest = await connection.ethers.provider.getBlockNumber();
      const txs = [];
      for (let b = from + 1; b <= latest; b++) {
        for (const tx of (await connection.ethers.provider.getBlock(b, true))!.prefetchedTransactions) {
          if (tx.from === operator.address) txs.push(tx);
        }
      }
      expect(txs.filter((t) => t.nonce === nonceBefore)).to.have.length(1);
      expect(state.pending.hashes).to.include(txs[0]!.hash);
      expect(txs.filter((t) => t.nonce > nonceBefore)).to.have.length(0);
      const now = await chainNow();
      for (const id of [1n, 2n, 3n]) expect(now - (await registry.node(id)).lastHeartbeat).to.be.lessThan(300n);
    } finally {
      await rpc(anvil!.url, "evm_setAutomine", [true]);
    }
  });

  it("gpufog status prints the provider's nodes, leases, earnings and rewards, and the keeper's queue", async function () {
    const providerFile = await config("provider", { provider: account(3).address });
    const p = await runCli(["status", "--config", providerFile]);
    expect(p.code, p.stderr).to.equal(0);
    expect(p.stdout).to.include(`provider ${account(3).address}`);
    expect(p.stdout).to.include("(the provider's operator)");
    expect(p.stdout).to.match(/\n1 +Sharing +GTX 1080 Ti/);
    expect(p.stdout).to.match(/earnings not withdrawn: [\d.]+ GUT/);
    expect(p.stdout).to.match(/mining rewards: [\d.]+ TFT claimable/);
    const k = await runCli(["status", "--config", await config("keeper", {})]);
    expect(k.code, k.stderr).to.equal(0);
    expect(k.stdout).to.match(/job\(s\) queued/);
  });
});

function await0(c: { target: unknown }): string {
  return String(c.target);
}
