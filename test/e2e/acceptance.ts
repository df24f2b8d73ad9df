import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { formatUnits, HDNodeWallet, Mnemonic, parseEther, Wallet } from "ethers";
import { network } from "hardhat";

import type { deployLocalSystem } from "../../deploy/local.js";
import { owedAt, RATE_DIVISOR, rateOf } from "../../src/market/lease-math.js";
import { registerNode } from "../../src/registry.js";
import { startFaultProxy, stopChild, type FaultProxy } from "../helpers/faultProxy.js";
import { freePort, startAgent, startAnvil, until, writeKeystore, type AgentProcess } from "../helpers/agents.js";
import {
  deployForAgents,
  startChainClock,
  transactionsFrom,
  writeLoggingHook,
  type ChainClock,
} from "../helpers/session.js";

const UNIT = 10n ** 18n;
const MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
const account = (i: number) => HDNodeWallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`);

/**
 * Chain seconds per wall second once the leases run: an hour of chain time in about 30 s. The
 * agent counts its receipt interval in chain time (the latest block's timestamp) while the client
 * ticks on the machine's clock (Date.now) and pays ahead of the chain's time. So the two intervals
 * are set apart, as they must be on any chain whose clock runs faster than the wall: the client's
 * tick (1 wall s, 120 chain s) is shorter than the agent's interval (300 chain s), and the horizon
 * (600 chain s) covers a restart of the agent (a few wall seconds) with room to spare.
 */
const SPEED = 120;
const AGENT_INTERVAL = 300;
const CLIENT_TICK = 1;
const HORIZON = 600;
const HOUR = 3600n;
const PRICE = 36n * UNIT;

/**
 * Issue 24's first "done when", as one run on anvil: the real provider agents (`gpufog provider
 * run`, two providers) and real headless customers (`gpufog customer run`, five of them) as child
 * processes, everyone reading the chain through the fault proxy, chain time running 120 times
 * faster than the wall once the leases are open. What the provider earns and the customer gets
 * back is read from the chain's events and compared with `owedAt` of the receipts signed.
 */
describe("The lease session, accepted end to end (an hour of chain time at 120x)", function () {
  this.timeout(150_000);

  let anvil: Awaited<ReturnType<typeof startAnvil>> | undefined;
  let dir = "";
  let proxy: FaultProxy | undefined;
  let clock: ChainClock | undefined;
  let connection: Awaited<ReturnType<typeof network.create>>;
  let system: Awaited<ReturnType<typeof deployLocalSystem>>;
  const children: AgentProcess[] = [];
  const operatorA = Wallet.createRandom();
  const operatorB = Wallet.createRandom();
  const agents: Record<"A" | "B", AgentProcess | undefined> = { A: undefined, B: undefined };
  /** Every run of provider A's agent: it is killed and restarted mid-lease. */
  const runsOfA: AgentProcess[] = [];
  const clients: Record<string, AgentProcess> = {};
  let hook: ReturnType<typeof writeLoggingHook>;
  let firstBlock = 0;
  let hourCost = 0n;
  let windowStart = 0n;

  const chainNow = async () => BigInt((await connection.ethers.provider.getBlock("latest"))!.timestamp);
  const events = (p: AgentProcess, event: string) => p.lines.filter((l) => l.event === event);
  const customerState = (name: string) =>
    JSON.parse(readFileSync(path.join(dir, `${name}-state.json`), "utf8")) as {
      leaseId: string | null;
      paidThrough: string;
      acked: string;
    };
  const agentReceipts = (name: "A" | "B") =>
    (
      JSON.parse(readFileSync(path.join(dir, `provider${name}-state.json`), "utf8")) as {
        receipts: Record<string, { paidThrough: string; signature: string; until: number }>;
      }
    ).receipts;
  const leaseOf = (name: string) => BigInt(customerState(name).leaseId!);
  const stored = (p: AgentProcess, leaseId: bigint) =>
    events(p, "receipt_stored")
      .filter((l) => l.lease === String(leaseId))
      .map((l) => BigInt(l.paidThrough as string));

  function run(args: string[]): AgentProcess {
    const child = startAgent(args);
    children.push(child);
    return child;
  }
  function startProvider(name: "A" | "B"): AgentProcess {
    const agent = run(["provider", "run", "--config", path.join(dir, `provider${name}.json`)]);
    if (name === "A") runsOfA.push(agent);
    return (agents[name] = agent);
  }
  const storedByA = (leaseId: bigint) => runsOfA.flatMap((a) => stored(a, leaseId));
  const startCustomer = (name: string) =>
    (clients[name] = run(["customer", "run", "--config", path.join(dir, `${name}.json`)]));

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-acceptance-"));
    anvil = await startAnvil();
    connection = await network.create({ network: "localhost", override: { url: anvil.url } });
    const { ethers } = connection;
    const signers = await ethers.getSigners();
    const [deployer] = signers;
    const providerA = signers[3]!;
    const providerB = signers[9]!;
    const customers = [4, 5, 6, 7, 8].map((i) => signers[i]!);
    system = await deployForAgents(connection, dir, customers[0]!.address, UNIT);
    const { gut, registry } = system.contracts;
    for (const s of [providerA, providerB, ...customers]) {
      await (await gut.connect(deployer).transfer(s.address, 2_000n * UNIT)).wait();
    }
    proxy = await startFaultProxy(anvil.url, {
      drop: 0.02,
      rateLimit: 0.02,
      maxLogsSpan: 100_000,
      maxDelayMs: 10,
      seed: 24,
    });
    hook = writeLoggingHook(dir);
    const ports = { A: await freePort(), B: await freePort() };
    // Provider A runs nodes 1-3, provider B nodes 4-5; each node's registry URI is its agent's API.
    for (const [name, provider, operator, count] of [
      ["A", providerA, operatorA, 3],
      ["B", providerB, operatorB, 2],
    ] as const) {
      const node = {
        model: "GTX 1080 Ti",
        gpuCount: 1n,
        pricePerTuHour: PRICE,
        paymentToken: await gut.getAddress(),
        uri: `http://127.0.0.1:${ports[name]}`,
      };
      for (let i = 0; i < count; i++) await registerNode(registry.connect(provider), provider, node, "test");
      await (await registry.connect(provider).setOperator(operator.address)).wait();
      await (await deployer!.sendTransaction({ to: operator.address, value: parseEther("10") })).wait();
      await writeKeystore(dir, `provider${name}`, operator.address, operator.privateKey);
      writeFileSync(
        path.join(dir, `provider${name}.json`),
        JSON.stringify({
          kind: "provider",
          rpc: [proxy.url],
          addressBook: "book/31337.json",
          keystore: `provider${name}.keystore.json`,
          passwordFile: `provider${name}.pass`,
          stateFile: `provider${name}-state.json`,
          provider: provider.address,
          pollSeconds: 0.3,
          metricsPort: 0,
          receiptIntervalSeconds: AGENT_INTERVAL,
          apiPort: ports[name],
          startHook: hook.command,
          endHook: hook.command,
        }),
      );
    }
    const milliTu = (await registry.node(1n)).milliTu;
    hourCost = (rateOf(PRICE, milliTu) * HOUR) / RATE_DIVISOR;
    // Three hours' worth: the hour lease never runs out, and a reservation's fee is covered.
    const deposit = formatUnits(3n * hourCost, 18);
    windowStart = (await chainNow()) + 2_400n;
    const customer = (name: string, index: number, node: number, extra: Record<string, unknown> = {}) => {
      writeFileSync(
        path.join(dir, `${name}.json`),
        JSON.stringify({
          kind: "customer",
          rpc: [proxy!.url],
          addressBook: "book/31337.json",
          keystore: `${name}.keystore.json`,
          passwordFile: `${name}.pass`,
          stateFile: `${name}-state.json`,
          sessionKeyFile: `${name}.key`,
          accessFile: `${name}-access.json`,
          node,
          deposit,
          receiptIntervalSeconds: CLIENT_TICK,
          horizonSeconds: HORIZON,
          agentTimeoutSeconds: 1,
          closeOnSignal: true,
          metricsPort: 0,
          ...extra,
        }),
      );
      return writeKeystore(dir, name, account(index).address, account(index).privateKey);
    };
    // hour: an hour on node 1; gone: killed on node 2; reserved: node 3 in a window; orphaned: node
    // 4, whose provider disappears; jilted: node 5 in a window, its provider silent by then.
    await customer("hour", 4, 1);
    await customer("gone", 5, 2);
    await customer("reserved", 6, 3, { windowStart: Number(windowStart), windowDuration: 3_600 });
    await customer("orphaned", 7, 4);
    await customer("jilted", 8, 5, { windowStart: Number(windowStart), windowDuration: 3_600 });
    firstBlock = await ethers.provider.getBlockNumber();
    startProvider("A");
    startProvider("B");
    for (const name of ["hour", "gone", "reserved", "orphaned", "jilted"]) startCustomer(name);
    await until(
      "every lease is open and every reservation made",
      async () =>
        ["hour", "gone", "orphaned"].every((n) => events(clients[n]!, "receipt_stored").length > 0) &&
        ["reserved", "jilted"].every((n) => events(clients[n]!, "reserved").length > 0),
      40_000,
    );
    // From here an hour of chain time passes in about 30 s.
    clock = startChainClock(anvil.url, SPEED);
  });

  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const a of children) {
      console.log(a.stderr);
      for (const line of a.lines.slice(-20)) console.log(JSON.stringify(line));
    }
  });

  after(async function () {
    clock?.stop();
    for (const a of children) {
      if (a.child.signalCode === "SIGSTOP") a.child.kill("SIGCONT");
      await stopChild(a.child);
    }
    await proxy?.close();
    await connection?.close();
    anvil?.child.kill("SIGKILL");
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("the provider disappearing costs the customer nothing past its last receipt", async function () {
    const { escrow } = system.contracts;
    const leaseId = leaseOf("orphaned");
    await until("a receipt is stored under the clock", async () => stored(clients.orphaned!, leaseId).length >= 3);
    const client = clients.orphaned!;
    // Tries can fail before (the agent's timeout is 1 s and the proxy drops some): count from the kill.
    const missedBefore = events(client, "receipt_not_stored").length;
    agents.B!.child.kill("SIGKILL");
    await agents.B!.exited;
    await until(
      "the client notices",
      async () => events(client, "receipt_not_stored").length >= missedBefore + 2,
      15_000,
    );
    const missed = events(client, "receipt_not_stored").at(-1)!;
    expect(missed.message).to.match(/the provider stops serving two intervals/);
    // Counted in the agent's interval (chain seconds), not the client's tick.
    expect(BigInt(String(missed.serviceEndsAt))).to.equal(
      BigInt(customerState("orphaned").acked) + BigInt(2 * AGENT_INTERVAL),
    );
    // The lease stays open past the last receipt the provider stored; then the customer closes it
    // (SIGTERM with closeOnSignal) and the collect window opens.
    const best = agentReceipts("B")[String(leaseId)]!;
    const last = BigInt(best.paidThrough);
    await until("chain time passes the last stored receipt", async () => (await chainNow()) > last + 60n, 20_000);
    client.child.kill("SIGTERM");
    expect(await client.exited, client.stderr).to.equal(0);
    expect(events(client, "lease_closed")[0]!.lease).to.equal(String(leaseId));
    const lease = await escrow.lease(leaseId);
    expect(lease.status).to.equal(2n);
    // The most the provider can do: collect its best receipt and end the window at once. It holds
    // what it acknowledged, or one more if it stored a receipt and died before answering.
    const state = customerState("orphaned");
    expect(last >= BigInt(state.acked) && last <= BigInt(state.acked) + BigInt(2 * SPEED * CLIENT_TICK)).to.equal(true);
    expect(BigInt(state.paidThrough) > BigInt(state.acked), "receipts signed while nobody stored them").to.equal(true);
    const [, , , , , , , , , providerB] = await connection.ethers.getSigners();
    await (await escrow.connect(providerB!).closeLease(leaseId, BigInt(best.paidThrough), best.signature)).wait();
    const [final] = await escrow.queryFilter(escrow.filters.LeaseFinalized(leaseId));
    expect(BigInt(best.paidThrough) < lease.closedAt).to.equal(true);
    expect(final!.args.paid).to.equal(owedAt(lease.rate, lease.start, BigInt(best.paidThrough), lease.deposit));
    expect(final!.args.paid < owedAt(lease.rate, lease.start, lease.closedAt, lease.deposit)).to.equal(true);
    expect(final!.args.refund).to.equal(lease.deposit - final!.args.paid);
    // What the provider earned: that payment less the protocol's fee, and nothing else.
    const [collected] = await escrow.queryFilter(escrow.filters.Collected(leaseId));
    expect(collected!.args.paid).to.equal(final!.args.paid);
    expect(await escrow.earnings(providerB!.address, await system.contracts.gut.getAddress())).to.equal(
      collected!.args.paid - collected!.args.fee,
    );
  });

  it("the agent restarting mid-lease loses no receipt", async function () {
    const hour = leaseOf("hour");
    const gone = leaseOf("gone");
    const before = agents.A!;
    await until("receipts are stored under the clock", async () => stored(before, hour).length >= 5);
    before.child.kill("SIGKILL");
    await before.exited;
    // Every receipt the agent acknowledged is in its state file, killed at any moment.
    const held = agentReceipts("A");
    for (const id of [hour, gone]) {
      const acked = stored(before, id);
      expect(BigInt(held[String(id)]!.paidThrough) >= acked.at(-1)!, `lease ${id}`).to.equal(true);
    }
    const after = startProvider("A");
    await until(
      "the restarted agent takes receipts of both leases",
      async () => stored(after, hour).length > 0 && stored(after, gone).length > 0,
      30_000,
    );
    for (const id of [hour, gone]) {
      expect(stored(after, id)[0]! >= BigInt(held[String(id)]!.paidThrough)).to.equal(true);
      expect((await system.contracts.escrow.lease(id)).status, `lease ${id} still open`).to.equal(1n);
    }
  });

  it("the customer disappearing stops the service within two intervals and pays the provider to the last receipt", async function () {
    const { escrow } = system.contracts;
    const leaseId = leaseOf("gone");
    clients.gone!.child.kill("SIGKILL");
    await clients.gone!.exited;
    const signed = BigInt(customerState("gone").paidThrough);
    await until("the agent closes the lease", async () => (await escrow.lease(leaseId)).status === 3n, 40_000);
    const lease = await escrow.lease(leaseId);
    const held = agentReceipts("A")[String(leaseId)]!;
    const best = BigInt(held.paidThrough);
    expect(best <= signed).to.equal(true);
    // The agent found the lease unpaid two intervals past the best receipt, within its round (0.3
    // wall s) and a clock tick, and closed it no earlier.
    const unpaid = runsOfA.flatMap((a) => events(a, "lease_unpaid")).find((l) => l.lease === String(leaseId))!;
    expect(unpaid.paidThrough).to.equal(held.until);
    expect(Number(unpaid.now) - held.until).to.be.within(2 * AGENT_INTERVAL + 1, 2 * AGENT_INTERVAL + 2 * SPEED);
    expect(lease.closedAt > best + BigInt(2 * AGENT_INTERVAL)).to.equal(true);
    const [final] = await escrow.queryFilter(escrow.filters.LeaseFinalized(leaseId));
    expect(final!.args.paid).to.equal(owedAt(lease.rate, lease.start, best, lease.deposit));
    expect(final!.args.refund).to.equal(lease.deposit - final!.args.paid);
    await until(
      "the end hook ran",
      async () => hook.events().some((e) => e.event === "end" && e.leaseId === String(leaseId)),
      15_000,
    );
  });

  it("a reservation started and accepted; one failed by a silent provider with the whole deposit back", async function () {
    const { escrow, gut } = system.contracts;
    const reserved = clients.reserved!;
    await until("the reserved lease runs", async () => events(reserved, "receipt_stored").length >= 2, 40_000);
    const started = events(reserved, "reservation_started")[0]!;
    const leaseId = BigInt(started.lease as string);
    const reservation = await escrow.reservation(BigInt(started.reservation as string));
    expect(reservation.status).to.equal(3n);
    expect((await escrow.lease(leaseId)).sessionKey).to.equal(
      new Wallet(readFileSync(path.join(dir, "reserved.key"), "utf8").trim()).address,
    );
    expect(storedByA(leaseId)).to.not.deep.equal([]);
    await until("the reserved lease's access is written", async () => events(reserved, "access_written").length === 1);

    const jilted = clients.jilted!;
    expect(await jilted.exited, jilted.stderr).to.equal(0);
    const failed = events(jilted, "reservation_failed")[0]!;
    expect(failed.message).to.match(/the whole deposit of .* came back/);
    const id = BigInt(failed.reservation as string);
    const [ended] = await escrow.queryFilter(escrow.filters.ReservationEnded(id));
    const [made] = await escrow.queryFilter(escrow.filters.Reserved(id));
    expect([ended!.args.status, ended!.args.refund]).to.deep.equal([6n, made!.args.deposit]);
    expect(await gut.balanceOf(account(8).address)).to.equal(2_000n * UNIT);
  });

  it("a lease served for an hour of chain time with receipts every interval pays the provider exactly the signed time", async function () {
    const { escrow } = system.contracts;
    const leaseId = leaseOf("hour");
    const start = (await escrow.lease(leaseId)).start;
    await until("an hour of chain time has passed", async () => (await chainNow()) >= start + HOUR, 60_000);
    const client = clients.hour!;
    client.child.kill("SIGTERM");
    expect(await client.exited, client.stderr).to.equal(0);
    await until("the agent settles the lease", async () => (await escrow.lease(leaseId)).status === 3n, 30_000);
    const lease = await escrow.lease(leaseId);
    expect(lease.closedAt - lease.start >= HOUR).to.equal(true);
    const signed = BigInt(customerState("hour").paidThrough);
    // The agent collected the last receipt the customer signed, paying no further than the close.
    const collected = await escrow.queryFilter(escrow.filters.Collected(leaseId));
    const through = collected.at(-1)!.args.paidThrough;
    expect(through).to.equal(signed < lease.closedAt ? signed : lease.closedAt);
    const earned = owedAt(lease.rate, lease.start, through, lease.deposit);
    expect(earned > hourCost - hourCost / 100n).to.equal(true);
    expect(collected.reduce((sum, e) => sum + e.args.paid, 0n)).to.equal(earned);
    const [final] = await escrow.queryFilter(escrow.filters.LeaseFinalized(leaseId));
    expect(final!.args.paid).to.equal(earned);
    expect(final!.args.refund).to.equal(lease.deposit - earned);
    // Receipts every interval: the agent never found two intervals without one (across its
    // restart too), so the customer closed it, after at least a receipt per interval of the hour.
    const [closed] = await escrow.queryFilter(escrow.filters.LeaseClosed(leaseId));
    expect(closed!.args.closedBy).to.equal(account(4).address);
    expect(runsOfA.flatMap((a) => events(a, "lease_unpaid")).filter((l) => l.lease === String(leaseId))).to.deep.equal(
      [],
    );
    expect(storedByA(leaseId).length).to.be.at.least(Number(HOUR) / AGENT_INTERVAL);
    expect(await clock!.rate()).to.be.within(SPEED / 2, SPEED * 1.2);
  });

  it("the agents sent no transaction twice, across the restart: each succeeded, none repeated", async function () {
    const { escrow } = system.contracts;
    const escrowAddress = (await escrow.getAddress()).toLowerCase();
    const sent = await transactionsFrom(anvil!.url, operatorA.address, firstBlock);
    // Every nonce the operator used is here, so no transaction of its escapes the count.
    expect(sent.map((t) => t.nonce)).to.deep.equal(sent.map((_, i) => i));
    expect(sent.filter((t) => t.status !== 1)).to.deep.equal([]);
    const calls = sent
      .filter((t) => t.to.toLowerCase() === escrowAddress)
      .map((t) => escrow.interface.parseTransaction({ data: t.input })!)
      .map((c) => `${c.name}(${c.args.map(String).join(",")})`);
    expect(calls.filter((c, i) => calls.indexOf(c) !== i)).to.deep.equal([]);
    // The accepted reservation, and the two leases it closed: the customer-gone one and the hour's.
    expect(calls.filter((c) => c.startsWith("acceptStart"))).to.have.length(1);
    expect(calls.filter((c) => c.startsWith("closeLease"))).to.have.length(2);
  });
});
