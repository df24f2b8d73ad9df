import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { HDNodeWallet, Mnemonic, parseEther, Wallet } from "ethers";
import { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { owedAt, rateOf } from "../../src/market/lease-math.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { openLease, renewLease } from "../../src/escrow.js";
import { registerNode } from "../../src/registry.js";
import { parseQuoteAnswer, quoteRequestToJson } from "../../src/session/index.js";
import { startFaultProxy, stopChild, type FaultProxy } from "../helpers/faultProxy.js";
import { freePort, rpc, startAgent, startAnvil, until, writeKeystore, type AgentProcess } from "../helpers/agents.js";

const UNIT = 10n ** 18n;
const MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
const account = (i: number) => HDNodeWallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`);
/** Both sides' receipt interval and the customer's horizon, in seconds: short, for a quick test. */
const INTERVAL = 2;
const HORIZON = 4;

/** The start hook prints the access; both hooks log their event. */
const HOOK = `
import { appendFileSync, readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(0, "utf8"));
appendFileSync(process.argv[2], JSON.stringify(input) + "\\n");
if (input.event === "start") console.log(JSON.stringify({ ssh: "ssh -p 2222 lease" + input.leaseId + "@127.0.0.1" }));
`;

/**
 * `gpufog customer run` against the real provider agent on anvil (a block a second, so chain time
 * runs): the client opens a lease from the agent's quote, sends receipts every interval and writes
 * the access; killed and restarted, it follows the same lease and signs on from where it was;
 * killed for good, the agent stops serving within two intervals of the last receipt and closes the
 * lease paid exactly to it. A second lease, opened by a run killed before it recorded it, is found by
 * the next run, which runs for a duration and closes it.
 */
describe("gpufog customer run: the headless customer against the provider agent", function () {
  this.timeout(180_000);

  let anvil: Awaited<ReturnType<typeof startAnvil>> | undefined;
  let dir = "";
  let mining: NodeJS.Timeout | undefined;
  let proxy: FaultProxy | undefined;
  const children: AgentProcess[] = [];
  let provider: AgentProcess;
  let connection: Awaited<ReturnType<typeof network.create>>;
  let system: Awaited<ReturnType<typeof deployLocalSystem>>;
  const operator = Wallet.createRandom();
  let customerFile = "";
  let closingFile = "";
  let hookLog = "";
  let api = "";

  const chainNow = async () => BigInt((await connection.ethers.provider.getBlock("latest"))!.timestamp);
  const customerState = (file = "customer-state.json") =>
    JSON.parse(readFileSync(path.join(dir, file), "utf8")) as { leaseId: string; paidThrough: string; acked: string };
  const providerReceipt = (leaseId: bigint) =>
    (JSON.parse(readFileSync(path.join(dir, "provider-state.json"), "utf8")) as { receipts: Record<string, any> })
      .receipts[String(leaseId)] as { paidThrough: string } | undefined;
  const events = (p: AgentProcess, event: string) => p.lines.filter((l) => l.event === event);

  function run(args: string[]): AgentProcess {
    const child = startAgent(args);
    children.push(child);
    return child;
  }

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-customer-"));
    anvil = await startAnvil();
    connection = await network.create({ network: "localhost", override: { url: anvil.url } });
    const { ethers } = connection;
    const signers = await ethers.getSigners();
    const [deployer, , , p, c] = signers as [(typeof signers)[0], ...(typeof signers)[0][]];
    const tree = await buildTree([{ kind: LeafKind.Evm, holder: c!.address, amount: 1_000n * UNIT }]);
    const id = `customer-test-${path.basename(dir)}`;
    system = await deployLocalSystem(
      connection,
      { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
      undefined,
      { deploymentId: id },
    );
    rmSync(path.join("deploy", "deployments", id), { recursive: true, force: true });
    writeAddressBook(system.book, path.join(dir, "book"));
    const { gut, registry } = system.contracts;
    for (const s of [p!, c!]) await (await gut.connect(deployer).transfer(s.address, 1_000n * UNIT)).wait();
    const apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    // The nodes' registry URI is the agent's API: the customer finds it there.
    const node = {
      model: "GTX 1080 Ti",
      gpuCount: 1n,
      pricePerTuHour: 3600n * UNIT,
      paymentToken: await gut.getAddress(),
      uri: `http://127.0.0.1:${apiPort}`,
    };
    for (let i = 0; i < 2; i++) await registerNode(registry.connect(p!), p!, node, "test");
    await (await registry.connect(p!).setOperator(operator.address)).wait();
    await (await deployer!.sendTransaction({ to: operator.address, value: parseEther("10") })).wait();
    await writeKeystore(dir, "provider", operator.address, operator.privateKey);
    await writeKeystore(dir, "customer", account(4).address, account(4).privateKey);
    // A block a second: chain time runs, and the agent and the customer both count in it.
    mining = setInterval(() => void rpc(anvil!.url, "evm_mine").catch(() => undefined), 1000);

    writeFileSync(path.join(dir, "hook.mjs"), HOOK);
    hookLog = path.join(dir, "hooks.log");
    writeFileSync(hookLog, "");
    writeFileSync(
      path.join(dir, "provider.json"),
      JSON.stringify({
        kind: "provider",
        rpc: [anvil.url],
        addressBook: "book/31337.json",
        keystore: "provider.keystore.json",
        passwordFile: "provider.pass",
        stateFile: "provider-state.json",
        provider: account(3).address,
        pollSeconds: 0.3,
        metricsPort: 0,
        receiptIntervalSeconds: INTERVAL,
        apiPort,
        startHook: [process.execPath, "./hook.mjs", hookLog],
        endHook: [process.execPath, "./hook.mjs", hookLog],
      }),
    );
    // The customers read the chain through a faulty endpoint: dropped connections and rate limits.
    proxy = await startFaultProxy(anvil.url, {
      drop: 0.03,
      rateLimit: 0.03,
      maxLogsSpan: 100_000,
      maxDelayMs: 10,
      seed: 7,
    });
    const customer = (name: string, nodeId: number, extra: Record<string, unknown> = {}) => {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          kind: "customer",
          rpc: [proxy!.url],
          addressBook: "book/31337.json",
          keystore: "customer.keystore.json",
          passwordFile: "customer.pass",
          stateFile: `${name}-state.json`,
          sessionKeyFile: `${name}.key`,
          accessFile: `${name}-access.json`,
          node: nodeId,
          deposit: "100",
          receiptIntervalSeconds: INTERVAL,
          horizonSeconds: HORIZON,
          metricsPort: 0,
          ...extra,
        }),
      );
      return file;
    };
    customerFile = customer("customer", 1, { metricsPort: await freePort(), agentTimeoutSeconds: 1 });
    closingFile = customer("closing", 2);
    provider = run(["provider", "run", "--config", path.join(dir, "provider.json")]);
  });

  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const a of children) {
      console.log(a.stderr);
      for (const line of a.lines.slice(-25)) console.log(JSON.stringify(line));
    }
  });

  after(async function () {
    clearInterval(mining);
    for (const a of children) await stopChild(a.child);
    await proxy?.close();
    await connection?.close();
    anvil?.child.kill("SIGKILL");
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  let leaseId = 0n;

  it("opens a lease from the agent's quote, sends receipts every interval and writes the access", async function () {
    const { escrow } = system.contracts;
    const client = run(["customer", "run", "--config", customerFile]);
    await until("the lease is opened", async () => events(client, "lease_opened").length === 1, 40_000);
    leaseId = BigInt(events(client, "lease_opened")[0]!.lease as string);
    const lease = await escrow.lease(leaseId);
    const sessionKey = new Wallet(readFileSync(path.join(dir, "customer.key"), "utf8").trim());
    expect([lease.customer, lease.sessionKey, lease.nodeId]).to.deep.equal([
      account(4).address,
      sessionKey.address,
      1n,
    ]);
    // The quote's price (the node's listed one, signed by the operator) is the lease's rate.
    expect(lease.rate).to.equal(rateOf(3600n * UNIT, (await system.contracts.registry.node(1n)).milliTu));
    expect(statSync(path.join(dir, "customer.key")).mode & 0o777).to.equal(0o600);

    await until("three receipts are stored", async () => events(client, "receipt_stored").length >= 3, 30_000);
    const stored = events(client, "receipt_stored").map((l) => BigInt(l.paidThrough as string));
    for (let i = 1; i < stored.length; i++) expect(stored[i]! > stored[i - 1]!).to.equal(true);
    // Each receipt pays the horizon ahead of the chain's time, and the agent holds the last one.
    expect(stored.at(-1)! - (await chainNow())).to.be.within(0n, BigInt(HORIZON + INTERVAL));
    await until("the access is written", async () => existsSync(path.join(dir, "customer-access.json")), 30_000);
    const access = JSON.parse(readFileSync(path.join(dir, "customer-access.json"), "utf8")) as Record<string, unknown>;
    expect(access).to.deep.equal({
      leaseId: String(leaseId),
      access: { ssh: `ssh -p 2222 lease${leaseId}@127.0.0.1` },
    });
    expect(statSync(path.join(dir, "customer-access.json")).mode & 0o777).to.equal(0o600);
    expect(BigInt(providerReceipt(leaseId)!.paidThrough) >= stored.at(-2)!).to.equal(true);

    // Killed outright, then restarted: the same lease, receipts on from the highest signed.
    client.child.kill("SIGKILL");
    await client.exited;
    const signedBefore = BigInt(customerState().paidThrough);
    const again = run(["customer", "run", "--config", customerFile]);
    await until("receipts flow again", async () => events(again, "receipt_stored").length >= 2, 30_000);
    expect(events(again, "lease_opened")).to.have.length(0);
    expect(events(again, "following")[0]!.lease).to.equal(String(leaseId));
    expect(BigInt(events(again, "receipt_stored")[0]!.paidThrough as string) >= signedBefore).to.equal(true);
    expect(await escrow.queryFilter(escrow.filters.LeaseOpened(undefined, 1n))).to.have.length(1);

    // The agent stops answering for a moment: the client says what that risks, keeps signing, and
    // the agent takes the receipts again once it is back.
    provider.child.kill("SIGSTOP");
    await until("a missed interval is logged", async () => events(again, "receipt_not_stored").length > 0, 15_000);
    provider.child.kill("SIGCONT");
    const missed = events(again, "receipt_not_stored")[0]!;
    expect(missed.missedIntervals).to.equal(1);
    expect(missed.message).to.match(
      /the lease stays open .* the provider stops serving two intervals past the last one stored, at /,
    );
    await until("the agent is back", async () => events(again, "agent_back").length > 0, 15_000);
    const metrics = await (await fetch(String(events(again, "started")[0]!.metrics))).text();
    expect(metrics).to.match(/^gpufog_customer_receipts_total\{result="stored"\} [1-9]/m);
    expect(metrics).to.match(/^gpufog_customer_receipts_total\{result="failed"\} [1-9]/m);
    expect(metrics).to.match(/^gpufog_customer_access_written 1$/m);

    // The customer renews at the agent's next quote: the client follows the new lease, the agent
    // carries the session over (neither hook runs again) and takes its receipts.
    const answer = await fetch(`${api}/quote`, {
      method: "POST",
      body: JSON.stringify(quoteRequestToJson({ nodeId: 1n, customer: account(4).address })),
    });
    const [, , , , c] = await connection.ethers.getSigners();
    const renewed = leaseId;
    leaseId = await renewLease(
      { escrow, registry: system.contracts.registry },
      c!,
      renewed,
      parseQuoteAnswer(await answer.text()),
    );
    await until("the client follows the renewal", async () => events(again, "lease_renewed").length === 1, 30_000);
    expect(events(again, "lease_renewed")[0]!.next).to.equal(String(leaseId));
    await until(
      "receipts for the new lease are stored",
      async () => events(again, "receipt_stored").some((l) => l.lease === String(leaseId)),
      30_000,
    );
    expect(customerState().leaseId).to.equal(String(leaseId));
    await until(
      "the agent holds a receipt of the new lease",
      async () => providerReceipt(leaseId) !== undefined,
      15_000,
    );
    const hooks = readFileSync(hookLog, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(hooks.filter((e) => e.leaseId === String(renewed) && e.event === "end")).to.have.length(0);
    expect(hooks.filter((e) => e.leaseId === String(leaseId))).to.have.length(0);
    again.child.kill("SIGKILL");
    await again.exited;
  });

  it("killed for good: the agent stops serving within two intervals and closes the lease paid to the last receipt", async function () {
    const { escrow } = system.contracts;
    const best = BigInt(providerReceipt(leaseId)!.paidThrough);
    const state = customerState();
    // What the agent holds is what the client signed, or at least what it saw acknowledged.
    expect(best >= BigInt(state.acked) && best <= BigInt(state.paidThrough)).to.equal(true);
    await until("the agent closes the lease", async () => (await escrow.lease(leaseId)).status === 3n, 40_000);
    const lease = await escrow.lease(leaseId);
    // The agent's rounds run every 0.3 s and blocks come every second: a few seconds of slack.
    expect(lease.closedAt - best).to.be.within(BigInt(2 * INTERVAL), BigInt(2 * INTERVAL + 4));
    expect(lease.paid).to.equal(owedAt(lease.rate, lease.start, best, lease.deposit));
    const unpaid = events(provider, "lease_unpaid").find((l) => l.lease === String(leaseId));
    expect(unpaid, "the agent's lease_unpaid line").to.not.equal(undefined);
    const ends = () =>
      readFileSync(hookLog, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.event === "end" && e.leaseId === String(leaseId));
    await until("the end hook ran", async () => ends().length === 1, 20_000);
    expect(ends()[0]!.reason).to.equal("unpaid");
  });

  it("finds an open a killed run sent but did not record, runs for a duration and closes the lease; run again, it does not reopen", async function () {
    const { escrow } = system.contracts;
    // A run killed after its open was sent and before it recorded the lease leaves this state.
    const sessionKey = Wallet.createRandom();
    writeFileSync(path.join(dir, "closing.key"), sessionKey.privateKey + "\n", { mode: 0o600 });
    const fromBlock = await connection.ethers.provider.getBlockNumber();
    const answer = await fetch(`${api}/quote`, {
      method: "POST",
      body: JSON.stringify(quoteRequestToJson({ nodeId: 2n, customer: account(4).address })),
    });
    const quote = parseQuoteAnswer(await answer.text());
    const [, , , , c] = await connection.ethers.getSigners();
    const opened = await openLease(
      { escrow, registry: system.contracts.registry },
      c!,
      quote,
      100n * UNIT,
      sessionKey.address,
    );
    const book = system.book;
    writeFileSync(
      path.join(dir, "closing-state.json"),
      JSON.stringify({
        format: "gpufog-customer-state-v1",
        chainId: 31337,
        escrow: book.contracts.escrow,
        leaseId: null,
        paidThrough: "0",
        acked: "0",
        opening: {
          nodeId: "2",
          provider: account(3).address,
          nonce: String(quote.quote.nonce),
          expiry: String(quote.quote.expiry),
          fromBlock,
        },
      }),
    );

    const client = run(["customer", "run", "--config", closingFile, "--duration", "10s"]);
    expect(await client.exited, client.stderr).to.equal(0);
    expect(events(client, "lease_opened")).to.have.length(0);
    expect(events(client, "lease_found")[0]!.lease).to.equal(String(opened));
    expect(events(client, "receipt_stored").length).to.be.at.least(2);
    const closed = events(client, "lease_closed")[0]!;
    expect(closed.lease).to.equal(String(opened));
    const closes = await escrow.queryFilter(escrow.filters.LeaseClosed(opened));
    expect(closes.map((e) => [e.args.closedBy, String(e.args.collectDeadline)])[0]).to.deep.equal([
      account(4).address,
      closed.collectDeadline,
    ]);

    // The agent collects its best receipt at once, capped at the close, and the rest is refunded.
    await until("the agent settles the closed lease", async () => (await escrow.lease(opened)).status === 3n, 30_000);
    const lease = await escrow.lease(opened);
    const [collected] = await escrow.queryFilter(escrow.filters.Collected(opened));
    // Its last receipt paid a horizon ahead of a tick at most one interval before the close.
    const through = collected!.args.paidThrough;
    expect(lease.closedAt - through).to.be.within(0n, BigInt(INTERVAL));
    expect(lease.paid).to.equal(owedAt(lease.rate, lease.start, through, lease.deposit));
    const [final] = await escrow.queryFilter(escrow.filters.LeaseFinalized(opened));
    expect(final!.args.refund).to.equal(lease.deposit - lease.paid);

    const again = run(["customer", "run", "--config", closingFile]);
    expect(await again.exited, again.stderr).to.equal(0);
    expect(events(again, "lease_opened")).to.have.length(0);
    expect(events(again, "lease_ended")[0]!.lease).to.equal(String(opened));
    expect(await escrow.queryFilter(escrow.filters.LeaseOpened(undefined, 2n))).to.have.length(1);
    // All of it through an endpoint that failed now and then.
    expect(proxy!.injected.dropped + proxy!.injected.http429 + proxy!.injected.rpc32005).to.be.greaterThan(0);
  });
});
