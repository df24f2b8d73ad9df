import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { HDNodeWallet, Mnemonic, parseEther, Wallet, type Signer, type TransactionResponse } from "ethers";
import { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { buildQuote, receiptToJson } from "../../src/market/quote.js";
import { escrowDomain, signQuote, signReceipt, type EscrowDomain } from "../../src/market/typed-data.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { mined, receiptEvent } from "../../src/receipts.js";
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
 * JSON-RPC -32005, delays) with a dead endpoint listed first. Time moves with `evm_increaseTime`;
 * the check-in period is its minimum, one hour. Provider P runs nodes 1–3 through the agent with
 * an operator key; provider Q's nodes 4 and 5 have no agent. With quotes from P's operator and Q,
 * a customer leases nodes 1 (long, receipts from its session key every step), 2 (one receipt far
 * ahead: its deposit is spent in 15 minutes) and 4 (closed by the customer: a collect window), and
 * reserves nodes 3 and 5 and starts both: P's agent accepts, Q never does. The provider agent is
 * killed outright once and restarted.
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
  const reservations: Record<string, bigint> = {};
  const sessionKey = Wallet.createRandom();
  let customer: Signer;
  let domain: EscrowDomain;

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
    const [deployer, , , p, c, q] = signers as [(typeof signers)[0], ...(typeof signers)[0][]];
    customer = c!;
    const tree = await buildTree([{ kind: LeafKind.Evm, holder: c!.address, amount: 1_000n * UNIT }]);
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
    for (const s of [p!, q!, c!]) await (await gut.connect(deployer).transfer(s.address, 10_000n * UNIT)).wait();
    const node = {
      model: "GTX 1080 Ti",
      gpuCount: 1n,
      pricePerTuHour: UNIT,
      paymentToken: await gut.getAddress(),
      uri: "https://n.example",
    };
    for (let i = 0; i < 3; i++) await registerNode(registry.connect(p!), p!, node, "test");
    for (let i = 0; i < 2; i++) await registerNode(registry.connect(q!), q!, node, "test");
    // The deployer is still the registry's admin: the timelock has not accepted the transfer.
    await (await registry.connect(deployer!).setCheckInPeriod(3600n)).wait();
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
    domain = escrowDomain(31337n, await escrow.getAddress());
    await (await gut.connect(c!).approve(await escrow.getAddress(), 1_000n * UNIT)).wait();
    const quote = async (nodeId: bigint, signer: Signer, window?: [bigint, bigint]) => {
      const q = buildQuote(
        {
          nodeId,
          customer: c!.address,
          token: await gut.getAddress(),
          pricePerTuHour: UNIT,
          windowStart: window?.[0],
          windowDuration: window?.[1],
        },
        await chainNow(),
      );
      return { q, signature: await signQuote(signer, domain, q) };
    };
    const open = async (nodeId: bigint, signer: Signer, deposit: bigint) => {
      const { q, signature } = await quote(nodeId, signer);
      const tx = escrow.connect(c!).openLease(q, signature, deposit, sessionKey.address);
      return receiptEvent(escrow, await mined(tx), "LeaseOpened").args.leaseId as bigint;
    };
    const reserveNode = async (nodeId: bigint, signer: Signer) => {
      const window: [bigint, bigint] = [(await chainNow()) + 120n, 600n];
      const { q, signature } = await quote(nodeId, signer, window);
      const [fee] = await escrow.reservationFee(nodeId, UNIT, window[0], window[1]);
      const tx = escrow.connect(c!).reserve(q, signature, fee + UNIT);
      return receiptEvent(escrow, await mined(tx), "Reserved").args.reservationId as bigint;
    };
    // 1 GUT per TU-hour on a 1-TU node: 1 GUT an hour.
    leases.long = await open(1n, operator, 10n * UNIT);
    leases.drained = await open(2n, operator, UNIT / 4n);
    leases.closed = await open(4n, q!, 10n * UNIT);
    reservations.accepted = await reserveNode(3n, operator);
    reservations.failed = await reserveNode(5n, q!);

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
    const file = await config("keeper", { forwardBatch: -3 });
    const run = await runCli(["keeper", "run", "--config", file]);
    expect(run.code).to.equal(1);
    expect(run.stderr.trim()).to.equal(`gpufog: ${file}, field "forwardBatch": must be between 1 and 500, not -3`);
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

  /** Drops a receipt of the customer's session key in the provider agent's inbox, as `receipt:sign` writes it. */
  async function dropReceipt(
    leaseId: bigint,
    paidThrough: bigint,
    signer: Signer = sessionKey,
    name = "",
  ): Promise<void> {
    const receipt = { leaseId, paidThrough };
    const signature = await signReceipt(signer, domain, receipt);
    mkdirSync(path.join(dir, "receipts"), { recursive: true });
    writeFileSync(
      path.join(dir, "receipts", name || `${leaseId}-${paidThrough}.json`),
      JSON.stringify(receiptToJson({ chainId: domain.chainId, escrow: domain.verifyingContract, receipt, signature })),
    );
  }

  it("runs both agents for hours of chain time: check-ins only when due, receipts collected, a start accepted, a failed reservation, a collect window, fees bought back, no double sends", async function () {
    const { registry, escrow, emission, gut } = system.contracts;
    const gutAddress = await gut.getAddress();
    const providerFile = await config("provider", {
      provider: account(3).address,
      withdrawThreshold: { [gutAddress]: "0.2" },
      collectEverySeconds: 900,
    });
    const keeperFile = await config("keeper", { tokens: [gutAddress] });
    const started = await connection.ethers.provider.getBlockNumber();
    let providerAgent = startAgent(["provider", "run", "--config", providerFile]);
    const keeperAgent = startAgent(["keeper", "run", "--config", keeperFile]);
    agents.push(providerAgent, keeperAgent);
    await until("both agents started", async () =>
      [providerAgent, keeperAgent].every((a) => a.lines.some((l) => l.event === "started")),
    );

    // Receipts: the drained lease's runs an hour ahead (its 0.25 GUT last 15 minutes); a receipt
    // signed by a stranger is refused; the long lease gets one every step.
    await dropReceipt(leases.drained!, (await chainNow()) + 3600n);
    await dropReceipt(leases.long!, (await chainNow()) + 60n, Wallet.createRandom(), "stranger.json");
    // The customer closes Q's lease at once: Q has no agent, so the keeper finalizes it after
    // the collect window.
    await (await escrow.connect(customer).closeLease(leases.closed!, 0n, "0x")).wait();

    // Nothing is due while a P node is Idle or Reserved and checked in less than half a period ago.
    const checkInsDue = async () => {
      const now = await chainNow();
      const nodes = await Promise.all([1n, 2n, 3n].map((id) => registry.node(id)));
      return nodes.filter((n) => (n.status === 1n || n.status === 3n) && now + 1800n >= n.lastCheckIn + 3600n);
    };
    let restartedAt = 0;
    let boughtBack = false;
    let finalized = false;
    let failed = false;
    let closeAsked = false;
    for (let step = 1; step <= 48 && !(boughtBack && finalized && failed && closeAsked); step++) {
      await later(250);
      await dropReceipt(leases.long!, (await chainNow()) + 120n);
      if (step === 1) {
        // The window opened: the customer starts both reservations.
        for (const id of [reservations.accepted!, reservations.failed!]) {
          await (await escrow.connect(customer).startReserved(id, 0n, sessionKey.address)).wait();
        }
        await until(
          "P's agent accepts the start",
          async () => (await escrow.reservation(reservations.accepted!)).status === 3n,
        );
      }
      if (step === 4) {
        // Kill the provider agent outright mid-run, then start it again.
        await delay(150);
        providerAgent.child.kill("SIGKILL");
        await providerAgent.exited;
        restartedAt = await connection.ethers.provider.getBlockNumber();
        providerAgent = startAgent(["provider", "run", "--config", providerFile]);
        agents.push(providerAgent);
      }
      if (step === 20) {
        const asked = await runCli(["provider", "close", "--config", providerFile, "--lease", String(leases.long)]);
        expect(asked.code, asked.stderr).to.equal(0);
        closeAsked = true;
      }
      // One round of the provider agent per step at least: it takes the step's receipt.
      await until(
        `P's agent takes the receipt (step ${step})`,
        async () => readdirSync(path.join(dir, "receipts")).every((f) => !f.endsWith(".json")),
        60_000,
      );
      await until(
        `P's Idle and Reserved nodes are checked in (step ${step})`,
        async () => (await checkInsDue()).length === 0,
        60_000,
      );
      boughtBack = (await emission.queryFilter(emission.filters.BoughtBack(), started)).length > 0;
      finalized = (await escrow.lease(leases.closed!)).status === 3n;
      failed = (await escrow.reservation(reservations.failed!)).status === 6n;
    }
    await until(
      "the long lease is closed as asked",
      async () => (await escrow.lease(leases.long!)).status === 3n,
      60_000,
    );
    expect(boughtBack, "a buyback within 48 steps").to.equal(true);

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
    const reverted = calls.filter((c) => !c.ok && c.name !== "buyback");
    // Each reverted call replayed on the state before its block, for its error in words.
    const why = async (c: (typeof calls)[number]) => {
      try {
        await connection.ethers.provider.call({ ...c.tx, blockTag: c.block - 1 });
        return `${c.name}(${c.args.join(", ")}) by ${c.from}: passes on the state before its block`;
      } catch (error) {
        const data = (error as { data?: string }).data;
        const parsed = data ? (escrow.interface.parseError(data) ?? registry.interface.parseError(data)) : null;
        return `${c.name}(${c.args.join(", ")}) by ${c.from}: ${parsed ? `${parsed.name}(${parsed.args.join(", ")})` : String(error)}`;
      }
    };
    expect(await Promise.all(reverted.map(why))).to.deep.equal([]);
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
    for (const name of ["closeLease", "finalize", "acceptStart", "failReservation", "markDisconnected"]) {
      expect(new Set(once(name)).size, `${name} sent once per id`).to.equal(once(name).length);
    }

    // Check-ins come in one batch of P's Idle and Reserved nodes, from the operator key, never
    // naming a node that was Sharing.
    const checkIns = calls.filter((c) => c.name === "checkIn");
    expect(checkIns).to.not.have.length(0);
    for (const c of checkIns) {
      expect(c.from).to.equal(operator.address);
      for (const id of c.args[0] as bigint[]) {
        expect([1n, 2n, 3n]).to.include(id);
        const before = await registry.node(id, { blockTag: c.block - 1 });
        expect(before.status, `node ${id} in the check-in of block ${c.block}`).to.not.equal(2n);
      }
    }

    // P's agent accepted the start; the keeper failed Q's unaccepted one, finalized the lease the
    // customer closed, and marked Q's idle nodes Disconnect once stale.
    expect(once("acceptStart")).to.deep.equal([String(reservations.accepted)]);
    const ended = await escrow.queryFilter(escrow.filters.ReservationEnded(reservations.failed), started);
    expect(ended.map((e) => [Number(e.args.status), e.args.by])).to.deep.equal([[6, keeper.address]]);
    expect(ended[0]!.args.penalty).to.be.greaterThan(0n);
    expect(calls.some((c) => c.name === "finalize" && c.from === keeper.address)).to.equal(true);
    expect((await registry.node(4n)).status).to.equal(4n);

    // Receipts: the stranger's was refused, the drained lease closed by P's agent with the whole
    // deposit paid, the long lease collected on schedule and closed as asked with its best receipt.
    expect(readFileSync(path.join(dir, "receipts", "rejected", "stranger.json"), "utf8")).to.include(
      String(leases.long),
    );
    const drained = await escrow.lease(leases.drained!);
    expect(drained.paid).to.equal(drained.deposit);
    expect(
      calls.filter((c) => c.name === "collect" && String(c.args[0]) === String(leases.long)).length,
    ).to.be.greaterThan(1);
    const long = await escrow.lease(leases.long!);
    expect(long.paid).to.be.greaterThan(0n);
    const closedBy = calls
      .filter((c) => c.name === "closeLease" && c.from === operator.address)
      .map((c) => String(c.args[0]));
    expect(closedBy.sort()).to.deep.equal([String(leases.long), String(leases.drained)].sort());

    // Earnings withdrawn to P by the operator, fees forwarded, a bucket bought back.
    expect(calls.some((c) => c.name === "withdrawFor" && c.from === operator.address)).to.equal(true);
    expect(await escrow.queryFilter(escrow.filters.FeesForwarded(), started)).to.not.have.length(0);
    expect(calls.some((c) => c.name === "observe")).to.equal(true);

    // The metrics count what the chain shows: check-ins since the restart.
    const sinceRestart = checkIns.filter((b) => b.block > restartedAt);
    expect(sample(providerMetrics, "gpufog_check_in_batches_total")).to.equal(sinceRestart.length);
    expect(sample(providerMetrics, "gpufog_check_ins_sent_total")).to.equal(
      sinceRestart.reduce((n, c) => n + (c.args[0] as bigint[]).length, 0),
    );
    expect(sample(providerMetrics, "gpufog_check_ins_failed_total")).to.equal(0);
    expect(providerMetrics).to.match(/gpufog_check_in_age_seconds\{node="1"\} \d+/);
    expect(providerMetrics).to.not.match(/heartbeat/);
    expect(sample(keeperMetrics, 'gpufog_jobs_total{job="finalize",result="done"}')).to.equal(
      calls.filter((c) => c.name === "finalize" && c.from === keeper.address).length,
    );
    expect(sample(keeperMetrics, "gpufog_rpc_errors_total")).to.be.greaterThan(0);

    // The logs in words: an "alive" summary after the first round (then every aliveMinutes),
    // statuses as names, ages as spans.
    const alive = providerAgent.lines.find((l) => l.event === "alive");
    expect(alive, "the provider agent's alive line").to.not.equal(undefined);
    expect(alive!.nodes).to.match(/^3 nodes \((\d (Idle|Sharing|Reserved|Disconnect)(, )?)+\)$/);
    expect(alive!.leases).to.match(/^\d+ leases? open, \d+ closing$/);
    expect(alive!.nextCheckIn).to.match(
      /^(next check-in due (now|in \d+ (d|h|min|s)( \d+ (h|min|s))?)|no check-in needed.*)$/,
    );
    expect(alive!.balance).to.match(/^\d{1,3}(,\d{3})*(\.\d{1,4})? ETH$/);
    expect(alive!.message).to.match(/^alive: 3 nodes .*; balance \d{1,3}(,\d{3})*(\.\d{1,4})? ETH$/);
    expect(keeperAgent.lines.find((l) => l.event === "alive")?.message).to.match(
      /^alive: \d+ jobs? in the last round; balance /,
    );
    const worded = agents
      .flatMap((a) => a.lines)
      .filter((l) => ["status_changed", "reservation_ended", "node_down"].includes(String(l.event)));
    expect(worded).to.not.have.length(0);
    for (const l of worded) {
      for (const field of ["status", "from", "to"])
        if (field in l) expect(l[field], JSON.stringify(l)).to.match(/^[A-Z][a-z]+$/);
      if ("checkInAge" in l) expect(l.checkInAge).to.match(/ ago$/);
    }
    console.log(
      `      ${checkIns.length} check-ins, ${calls.length} transactions; proxy: ${JSON.stringify(proxy!.injected)}`,
    );
  });

  it("replaces a stuck check-in with bumped fees, and after a kill resumes it instead of sending it again", async function () {
    const { registry } = system.contracts;
    const providerFile = await config("provider", {
      provider: account(3).address,
      checkInMarginSeconds: 3590,
      stuckAfterSeconds: 1,
    });
    const nonceBefore = await connection.ethers.provider.getTransactionCount(operator.address);
    const from = await connection.ethers.provider.getBlockNumber();
    await rpc(anvil!.url, "evm_setAutomine", [false]);
    try {
      // A margin of 3590 s of the 3600 s period: the check-in of the Idle nodes is due at once.
      let agent = startAgent(["provider", "run", "--config", providerFile]);
      agents.push(agent);
      await until("the check-in is replaced", async () => agent.lines.some((l) => l.event === "tx_replaced"));
      agent.child.kill("SIGKILL");
      await agent.exited;
      const state = JSON.parse(readFileSync(path.join(dir, "provider-state.json"), "utf8")) as {
        pending: { nonce: number; hashes: string[]; label: string };
      };
      expect(state.pending.nonce).to.equal(nonceBefore);
      expect(state.pending.label).to.match(/^checkIn /);
      expect(state.pending.hashes.length).to.be.greaterThan(1);
      agent = startAgent(["provider", "run", "--config", providerFile]);
      agents.push(agent);
      await until("the restarted agent resumes the pending check-in", async () =>
        agent.lines.some((l) => l.event === "tx_resume"),
      );
      await rpc(anvil!.url, "evm_setAutomine", [true]);
      await rpc(anvil!.url, "evm_mine");
      await until("the check-in is mined", async () => agent.lines.some((l) => l.event === "tx_mined"));
      // The resumed transaction is in the restarted agent's metrics: resumed, then mined.
      const metricsUrl = String(agent.lines.find((l) => l.event === "started")!.metrics);
      const text = await (await fetch(metricsUrl)).text();
      expect(text).to.include('gpufog_transactions_resumed_total{job="checkIn"} 1');
      expect(text).to.include('gpufog_transactions_total{job="checkIn",outcome="mined"} 1');
      agent.child.kill("SIGTERM");
      expect(await agent.exited, agent.stderr).to.equal(0);
      const mined = agent.lines.find((l) => l.event === "tx_mined")!;
      expect(mined.nonce).to.equal(nonceBefore);
      // One check-in reached the chain for that nonce, in a version with bumped fees, and
      // nothing after it: the restarted agent found nothing more due.
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
      for (const id of [1n, 2n]) expect(now - (await registry.node(id)).lastCheckIn).to.be.lessThan(300n);
    } finally {
      await rpc(anvil!.url, "evm_setAutomine", [true]);
    }
  });

  it("gpufog status prints the provider's nodes, check-in, leases, earnings and rewards, and the keeper's queue", async function () {
    const providerFile = await config("provider", { provider: account(3).address });
    const p = await runCli(["status", "--config", providerFile]);
    expect(p.code, p.stderr).to.equal(0);
    expect(p.stdout).to.include(`provider ${account(3).address}`);
    expect(p.stdout).to.include("(the provider's operator)");
    expect(p.stdout).to.match(/check-in period 1 h; check-in due (now|in \d+ (min|s)( \d+ s)?)\n/);
    expect(p.stdout).to.match(
      /agent key 0x[0-9a-fA-F]{40} \(the provider's operator\), balance \d{1,3}(,\d{3})*(\.\d{1,4})? ETH\n/,
    );
    expect(p.stdout).to.match(/\n1 +Idle +GTX 1080 Ti .* \d+ (min|s)( \d+ s)? ago/);
    expect(p.stdout).to.not.match(/\b\d{4,} ?s\b/);
    expect(p.stdout).to.not.match(/native/);
    expect(p.stdout).to.match(/\n3 +Sharing +GTX 1080 Ti/);
    expect(p.stdout).to.match(/1 open lease\(s\), 0 closing/);
    expect(p.stdout).to.match(/earnings not withdrawn: [\d.]+ GUT \(protocol fee due [\d.]+ GUT\)/);
    expect(p.stdout).to.match(/mining rewards: [\d.]+ TFT claimable/);
    const k = await runCli(["status", "--config", await config("keeper", {})]);
    expect(k.code, k.stderr).to.equal(0);
    expect(k.stdout).to.match(/job\(s\) queued/);
    expect(k.stdout).to.match(/^keeper 0x[0-9a-fA-F]{40} on chain 31337, balance \d{1,3}(,\d{3})*(\.\d{1,4})? ETH/);
  });

  it("gpufog operator set/show and fund: the provider's cold key names the operator and funds it; another key is refused", async function () {
    const { registry } = system.contracts;
    const p = account(3);
    await writeKeystore(dir, "cold", p.address, p.privateKey);
    const providerFile = await config("provider", {
      provider: p.address,
      providerKeystore: "cold.keystore.json",
      providerPasswordFile: "cold.pass",
    });
    const show = await runCli(["operator", "show", "--config", providerFile]);
    expect(show.code, show.stderr).to.equal(0);
    expect(show.stdout).to.include(`provider ${p.address} on chain 31337\noperator ${operator.address}\n`);
    expect(show.stdout).to.match(/balance \d{1,3}(,\d{3})*(\.\d{1,4})? ETH: the agent's key is the operator/);

    // The keeper's key is not the provider's: one line, nothing sent.
    const nonce = await connection.ethers.provider.getTransactionCount(keeper.address);
    const refused = await runCli([
      "operator",
      "set",
      "--config",
      providerFile,
      "--keystore",
      path.join(dir, "keeper.keystore.json"),
      "--password-file",
      path.join(dir, "keeper.pass"),
    ]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim()).to.equal(
      `gpufog: ${path.join(dir, "keeper.keystore.json")}: holds ${keeper.address}, not the provider ${p.address}: only the provider's own key can do this`,
    );
    expect(await connection.ethers.provider.getTransactionCount(keeper.address)).to.equal(nonce);

    const other = Wallet.createRandom().address;
    const set = await runCli(["operator", "set", "--config", providerFile, "--operator", other]);
    expect(set.code, set.stderr).to.equal(0);
    expect(set.stdout.trim()).to.match(
      new RegExp(
        `^operator of ${p.address} set to ${other} \\(was ${operator.address}\\) in 0x[0-9a-f]{64}, block \\d+$`,
      ),
    );
    expect(await registry.operatorOf(p.address)).to.equal(other);
    const notIt = await runCli(["operator", "show", "--config", providerFile]);
    expect(notIt.stdout).to.include(`the agent's key ${operator.address} is NOT the operator`);
    // Without --operator: the config's own keystore, the agent's key.
    const back = await runCli(["operator", "set", "--config", providerFile]);
    expect(back.code, back.stderr).to.equal(0);
    expect(await registry.operatorOf(p.address)).to.equal(operator.address);

    const before = await connection.ethers.provider.getBalance(operator.address);
    const funded = await runCli(["fund", "--config", providerFile, "--to", "operator", "--amount", "0.05"]);
    expect(funded.code, funded.stderr).to.equal(0);
    const eth = "\\d{1,3}(,\\d{3})*(\\.\\d{1,4})? ETH";
    expect(funded.stdout.trim()).to.match(
      new RegExp(
        `^sent 0\\.05 ETH from ${p.address} to ${operator.address} in 0x[0-9a-f]{64}, block \\d+; provider ${eth} → ${eth}, operator ${eth} → ${eth}$`,
      ),
    );
    expect((await connection.ethers.provider.getBalance(operator.address)) - before).to.equal(parseEther("0.05"));
    const bad = await runCli(["fund", "--config", providerFile, "--to", "operator", "--amount", "lots"]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr.trim()).to.equal('gpufog: --amount: "lots" is not an amount of ETH such as 0.05');
  });
});

function await0(c: { target: unknown }): string {
  return String(c.target);
}
