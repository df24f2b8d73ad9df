import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { HDNodeWallet, Mnemonic, parseEther, verifyMessage, verifyTypedData, Wallet, type Signer } from "ethers";
import { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { owedAt } from "../../src/market/lease-math.js";
import { buildQuote, receiptToJson } from "../../src/market/quote.js";
import {
  escrowDomain,
  QUOTE_TYPES,
  RECEIPT_TYPES,
  signQuote,
  signReceipt,
  type EscrowDomain,
} from "../../src/market/typed-data.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { mined, receiptEvent } from "../../src/receipts.js";
import { registerNode } from "../../src/registry.js";
import {
  accessMessage,
  accessRequestToJson,
  parseAccessAnswer,
  parseApiError,
  parsePresence,
  parseQuoteAnswer,
  parseReceiptAck,
  parseReceiptAnswer,
  presenceMessage,
  quoteRequestToJson,
  receiptPath,
} from "../../src/session/index.js";
import { startFaultProxy, stopChild, type FaultProxy } from "../helpers/faultProxy.js";
import { freePort, rpc, startAgent, startAnvil, until, writeKeystore, type AgentProcess } from "../helpers/agents.js";
import { delay } from "../helpers/rpc.js";

const UNIT = 10n ** 18n;
const MNEMONIC = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
const account = (i: number) => HDNodeWallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`);

/** A plain script hook: logs its event to a file, and the start hook prints the access. */
const HOOK = `
import { appendFileSync, readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(0, "utf8"));
appendFileSync(process.argv[2], JSON.stringify(input) + "\\n");
if (input.event === "start") {
  console.log(JSON.stringify({ ssh: "ssh -p 2222 lease" + input.leaseId + "@127.0.0.1", token: "secret-" + input.leaseId }));
}
`;

/**
 * The lease session on anvil, through the fault proxy, with the real provider agent as a child
 * process and its HTTP API: a customer fetches a quote over HTTP and opens a lease with it, gets
 * the access the start hook printed with its session key, and posts receipts every few seconds
 * while the agent is killed outright and restarted; bad requests are refused and change nothing;
 * the customer stops paying and the agent ends the session and closes with its best receipt.
 */
describe("The lease session: the provider agent's HTTP API on anvil", function () {
  this.timeout(300_000);

  let anvil: Awaited<ReturnType<typeof startAnvil>> | undefined;
  let proxy: FaultProxy | undefined;
  let dir = "";
  const agents: AgentProcess[] = [];
  let agent: AgentProcess;
  let connection: Awaited<ReturnType<typeof network.create>>;
  let system: Awaited<ReturnType<typeof deployLocalSystem>>;
  const operator = Wallet.createRandom();
  const sessionKey = Wallet.createRandom();
  const stranger = Wallet.createRandom();
  let customer: Signer;
  let customerAddress = "";
  let domain: EscrowDomain;
  let api = "";
  let providerFile = "";
  let leaseId = 0n;
  let otherLease = 0n;
  let hookLog = "";
  let reservationId = 0n;
  let windowStart = 0n;
  const reservationKey = Wallet.createRandom();

  const chainNow = async () => BigInt((await connection.ethers.provider.getBlock("latest"))!.timestamp);
  const later = async (seconds: number) => {
    await rpc(anvil!.url, "evm_increaseTime", [seconds]);
    await rpc(anvil!.url, "evm_mine");
  };

  /**
   * A request to the agent; retried on 503 (the chain behind the fault proxy, or a restart) and on
   * 429 (this test's own requests in a burst share one address's rate: the flood test asserts the
   * limit itself with plain fetches).
   */
  async function call(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: any; headers: Headers }> {
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(api + route, {
          method,
          headers: { "content-type": "application/json", ...headers },
          body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        });
        const json = await res.json();
        if ((res.status !== 503 && res.status !== 429) || i >= 100) {
          return { status: res.status, json, headers: res.headers };
        }
      } catch (error) {
        // Not listening (yet): the agent is restarting.
        if (i >= 100) throw error;
      }
      await delay(300);
    }
  }

  async function signedReceipt(paidThrough: bigint, signer: Signer = sessionKey, lease = leaseId) {
    const receipt = { leaseId: lease, paidThrough };
    const signature = await signReceipt(signer, domain, receipt);
    return receiptToJson({ chainId: domain.chainId, escrow: domain.verifyingContract, receipt, signature });
  }

  async function accessRequest(
    signer: Wallet | HDNodeWallet,
    at = BigInt(Math.floor(Date.now() / 1000)),
    lease = leaseId,
  ) {
    const request = { chainId: domain.chainId, escrow: domain.verifyingContract, leaseId: lease, at };
    return accessRequestToJson({ request, signature: await signer.signMessage(accessMessage(request)) });
  }

  const stateReceipts = () =>
    (JSON.parse(readFileSync(path.join(dir, "provider-state.json"), "utf8")) as { receipts: Record<string, any> })
      .receipts;

  function start(): AgentProcess {
    agent = startAgent(["provider", "run", "--config", providerFile]);
    agents.push(agent);
    return agent;
  }

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-session-"));
    anvil = await startAnvil();
    connection = await network.create({ network: "localhost", override: { url: anvil.url } });
    const { ethers } = connection;
    const signers = await ethers.getSigners();
    const [deployer, , , p, c, q] = signers as [(typeof signers)[0], ...(typeof signers)[0][]];
    customer = c!;
    customerAddress = c!.address;
    const tree = await buildTree([{ kind: LeafKind.Evm, holder: c!.address, amount: 1_000n * UNIT }]);
    const id = `session-test-${path.basename(dir)}`;
    system = await deployLocalSystem(
      connection,
      { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
      undefined,
      { deploymentId: id },
    );
    rmSync(path.join("deploy", "deployments", id), { recursive: true, force: true });
    writeAddressBook(system.book, path.join(dir, "book"));
    const { gut, registry, escrow } = system.contracts;
    for (const s of [p!, q!, c!]) await (await gut.connect(deployer).transfer(s.address, 10_000n * UNIT)).wait();
    const node = {
      model: "GTX 1080 Ti",
      gpuCount: 1n,
      pricePerTuHour: UNIT,
      paymentToken: await gut.getAddress(),
      uri: "https://n.example",
    };
    for (let i = 0; i < 2; i++) await registerNode(registry.connect(p!), p!, node, "test");
    await registerNode(registry.connect(q!), q!, node, "test");
    await (await registry.connect(p!).setOperator(operator.address)).wait();
    await (await deployer!.sendTransaction({ to: operator.address, value: parseEther("10") })).wait();
    domain = escrowDomain(31337n, await escrow.getAddress());
    await (await gut.connect(c!).approve(await escrow.getAddress(), 1_000n * UNIT)).wait();
    // A lease of Q's node 3, which P's agent does not serve.
    const q3 = buildQuote(
      { nodeId: 3n, customer: c!.address, token: await gut.getAddress(), pricePerTuHour: UNIT },
      await chainNow(),
    );
    const tx = escrow.connect(c!).openLease(q3, await signQuote(q!, domain, q3), UNIT, sessionKey.address);
    otherLease = receiptEvent(escrow, await mined(tx), "LeaseOpened").args.leaseId as bigint;

    await writeKeystore(dir, "provider", operator.address, operator.privateKey);
    proxy = await startFaultProxy(anvil.url, {
      drop: 0.02,
      rateLimit: 0.05,
      maxLogsSpan: 100_000,
      maxDelayMs: 10,
      seed: 5,
    });
    writeFileSync(path.join(dir, "hook.mjs"), HOOK);
    hookLog = path.join(dir, "hooks.log");
    writeFileSync(hookLog, "");
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    providerFile = path.join(dir, "provider.json");
    writeFileSync(
      providerFile,
      JSON.stringify({
        kind: "provider",
        rpc: [proxy.url],
        addressBook: "book/31337.json",
        keystore: "provider.keystore.json",
        passwordFile: "provider.pass",
        stateFile: "provider-state.json",
        provider: account(3).address,
        pollSeconds: 0.3,
        rpcTimeoutSeconds: 5,
        metricsPort: await freePort(),
        collectEverySeconds: 60,
        receiptIntervalSeconds: 60,
        apiPort: port,
        apiCorsOrigins: ["http://app.example"],
        apiRequestsPerMinute: 150,
        startHook: [process.execPath, "./hook.mjs", hookLog],
        endHook: [process.execPath, "./hook.mjs", hookLog],
        hookTimeoutSeconds: 20,
      }),
    );
  });

  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const a of agents) {
      console.log(a.stderr);
      for (const line of a.lines.slice(-30)) console.log(JSON.stringify(line));
    }
  });

  after(async function () {
    for (const a of agents) await stopChild(a.child);
    await proxy?.close();
    await connection?.close();
    anvil?.child.kill("SIGKILL");
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("serves a signed quote over HTTP that opens a lease, presence, and CORS for the app only", async function () {
    start();
    await until(
      "the API answers",
      async () => (await call("GET", "/").catch(() => ({ status: 0 }))).status === 200,
      60_000,
    );
    const info = await call("GET", "/");
    expect(info.json.nodes).to.deep.equal(["1", "2"]);

    const answer = await call("POST", "/quote", quoteRequestToJson({ nodeId: 1n, customer: customerAddress }));
    expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
    const signed = parseQuoteAnswer(answer.json);
    expect(verifyTypedData(domain, { Quote: [...QUOTE_TYPES.Quote] }, { ...signed.quote }, signed.signature)).to.equal(
      operator.address,
    );
    expect(signed.quote.pricePerTuHour).to.equal(UNIT);
    expect(signed.quote.expiry - (await chainNow())).to.be.within(250n, 300n);
    const { escrow } = system.contracts;
    const tx = escrow.connect(customer).openLease(signed.quote, signed.signature, 10n * UNIT, sessionKey.address);
    leaseId = receiptEvent(escrow, await mined(tx), "LeaseOpened").args.leaseId as bigint;

    // A reservation quote names its window; a quote for a node the agent does not run is refused.
    const window = {
      nodeId: 2n,
      customer: customerAddress,
      windowStart: (await chainNow()) + 600n,
      windowDuration: 900n,
    };
    const reservation = parseQuoteAnswer((await call("POST", "/quote", quoteRequestToJson(window))).json);
    expect([reservation.quote.windowStart, reservation.quote.windowDuration]).to.deep.equal([window.windowStart, 900n]);
    // The customer reserves node 2 with it (started in the last test).
    const [fee] = await escrow.reservationFee(2n, UNIT, window.windowStart, 900n);
    const reserved = escrow.connect(customer).reserve(reservation.quote, reservation.signature, fee + UNIT);
    reservationId = receiptEvent(escrow, await mined(reserved), "Reserved").args.reservationId as bigint;
    windowStart = window.windowStart;
    const foreign = await call("POST", "/quote", { nodeId: "3", customer: customerAddress });
    expect([foreign.status, foreign.json.error]).to.deep.equal([404, "node 3 is not served by this agent"]);
    const bad = await call("POST", "/quote", { nodeId: "1", customer: "0x1" });
    expect(bad.status).to.equal(400);
    expect(parseApiError(bad.json).error).to.equal('POST /quote, field "customer": "0x1" is not an address');

    // Presence, signed by the operator.
    const presence = parsePresence((await call("GET", "/presence?nodeId=2")).json);
    expect(presence.presence.status).to.equal("Reserved");
    expect(verifyMessage(presenceMessage(presence.presence), presence.signature)).to.equal(operator.address);

    // CORS: the app's origin is allowed, another is not.
    const ok = await fetch(api + "/quote", { method: "OPTIONS", headers: { origin: "http://app.example" } });
    expect(ok.status).to.equal(204);
    expect(ok.headers.get("access-control-allow-origin")).to.equal("http://app.example");
    const other = await fetch(api + "/", { headers: { origin: "http://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("hands the start hook's access to the lease's session key only", async function () {
    await until(
      "the start hook ran",
      async () => agent.lines.some((l) => l.event === "session_started" && l.lease === String(leaseId)),
      60_000,
    );
    const first = JSON.parse(readFileSync(hookLog, "utf8").split("\n")[0]!) as Record<string, unknown>;
    expect(first).to.include({ event: "start", leaseId: String(leaseId), nodeId: "1", sessionKey: sessionKey.address });

    const answer = await call("POST", "/access", await accessRequest(sessionKey));
    expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
    expect(parseAccessAnswer(answer.json).access).to.deep.equal({
      ssh: `ssh -p 2222 lease${leaseId}@127.0.0.1`,
      token: `secret-${leaseId}`,
    });
    for (const wrong of [stranger, account(4)]) {
      const refused = await call("POST", "/access", await accessRequest(wrong));
      expect(refused.status).to.equal(403);
      expect(refused.json.error).to.match(/not the session key of lease/);
      expect(JSON.stringify(refused.json)).to.not.include("secret");
    }
    const stale = await call(
      "POST",
      "/access",
      await accessRequest(sessionKey, BigInt(Math.floor(Date.now() / 1000) - 3600)),
    );
    expect(stale.status).to.equal(400);
    expect(stale.json.error).to.match(/field "at": \d+ is \d+ s old; sign a fresh request/);
  });

  let lastAcked = 0n;

  it("stores each receipt durably before acknowledging it: a kill -9 loses none, and the schedule collects it", async function () {
    const { escrow } = system.contracts;
    for (let step = 1; step <= 8; step++) {
      await later(20);
      const paidThrough = (await chainNow()) + 60n;
      if (step === 4) {
        // Killed outright while a receipt is in flight: if it was acknowledged, it is stored.
        const pending = fetch(api + "/receipts", {
          method: "POST",
          body: JSON.stringify(await signedReceipt(paidThrough)),
        }).catch(() => undefined);
        await delay(5);
        agent.child.kill("SIGKILL");
        await agent.exited;
        const answer = await pending;
        if (answer?.status === 200) lastAcked = paidThrough;
        expect(stateReceipts()[String(leaseId)].paidThrough).to.equal(String(lastAcked));
        start();
        continue;
      }
      const answer = await call("POST", "/receipts", await signedReceipt(paidThrough));
      expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
      expect(parseReceiptAck(answer.json)).to.deep.equal({ leaseId, paidThrough, stored: true });
      // Acknowledged means written: the state file has it now.
      expect(stateReceipts()[String(leaseId)].paidThrough).to.equal(String(paidThrough));
      lastAcked = paidThrough;
      if (step === 1) {
        agent.child.kill("SIGKILL");
        await agent.exited;
        start();
      }
      await delay(500);
    }
    // The same receipt again is acknowledged and changes nothing.
    const again = await call("POST", "/receipts", await signedReceipt(lastAcked));
    expect([again.status, again.json.paidThrough]).to.deep.equal([200, String(lastAcked)]);
    // The best receipt is handed to anyone who asks, as the session key signed it (a collect with
    // it pays the provider, whoever sends it), with CORS for the app.
    const best = await call("GET", receiptPath(leaseId), undefined, { origin: "http://app.example" });
    expect(best.status, JSON.stringify(best.json)).to.equal(200);
    expect(best.headers.get("access-control-allow-origin")).to.equal("http://app.example");
    const held = parseReceiptAnswer(best.json, leaseId);
    expect(held.receipt.paidThrough).to.equal(lastAcked);
    expect(
      verifyTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, { ...held.receipt }, held.signature),
    ).to.equal(sessionKey.address);

    // Chain time passes the receipt; the schedule collects the lease through it.
    await later(70);
    await until(
      "the agent collects the last receipt",
      async () => {
        const events = await escrow.queryFilter(escrow.filters.Collected(leaseId));
        return events.some((e) => e.args.paidThrough === lastAcked);
      },
      90_000,
    );
    const lease = await escrow.lease(leaseId);
    expect(lease.paid).to.equal(owedAt(lease.rate, lease.start, lastAcked, lease.deposit));
  });

  it("refuses bad requests with a clear answer, changes nothing, and keeps serving", async function () {
    const { escrow } = system.contracts;
    const before = JSON.stringify(stateReceipts());
    const leaseBefore = await escrow.lease(leaseId);
    const now = await chainNow();

    const other = await call("POST", "/receipts", await signedReceipt(now + 60n, sessionKey, otherLease));
    expect([other.status, other.json.error]).to.deep.equal([
      403,
      `lease ${otherLease} is not a lease of this agent's nodes`,
    ]);
    // A lease's receipt: only of this agent's leases, and only by a lease id.
    const foreign = await call("GET", receiptPath(otherLease));
    expect([foreign.status, foreign.json.error]).to.deep.equal([
      403,
      `lease ${otherLease} is not a lease of this agent's nodes`,
    ]);
    const missing = await call("GET", receiptPath(999n));
    expect([missing.status, missing.json.error]).to.deep.equal([404, "lease 999 does not exist"]);
    for (const [route, line] of [
      ["/receipts/abc", 'GET /receipts, field "leaseId": "abc" is not a lease id'],
      ["/receipts/0", 'GET /receipts, field "leaseId": "0" is not a lease id'],
      ["/receipts/1/2", 'GET /receipts, field "leaseId": "1/2" is not a lease id'],
      ["/receipts/99999999999999999999", 'GET /receipts, field "leaseId": "99999999999999999999" is not a lease id'],
    ]) {
      const bad = await call("GET", route!);
      expect([bad.status, parseApiError(bad.json).error]).to.deep.equal([400, line]);
    }
    const posted = await call("POST", receiptPath(leaseId), await signedReceipt(now + 60n));
    expect([posted.status, posted.json.error]).to.deep.equal([405, `POST is not allowed on /receipts/${leaseId}`]);
    const old = await call("POST", "/receipts", await signedReceipt(lastAcked - 10n));
    expect(old.status).to.equal(409);
    expect(old.json.error).to.equal(
      `POST /receipts, field "receipt.paidThrough": ${lastAcked - 10n} pays less than the receipt the agent holds for lease ${leaseId} (through ${lastAcked})`,
    );
    const wrong = await call("POST", "/receipts", await signedReceipt(now + 600n, stranger));
    expect(wrong.status).to.equal(403);
    expect(wrong.json.error).to.match(
      /field "signature": signed by 0x[0-9a-fA-F]{40}, neither the customer nor a session key/,
    );
    const garbled = await signedReceipt(now + 600n);
    garbled.signature = "0x" + "00".repeat(65);
    const broken = await call("POST", "/receipts", garbled);
    expect(broken.status).to.equal(400);
    expect(broken.json.error).to.match(/^POST \/receipts, field "signature": /);
    const notJson = await call("POST", "/receipts", "{receipt");
    expect([notJson.status, notJson.json.error]).to.deep.equal([400, notJson.json.error]);
    expect(notJson.json.error).to.match(/^POST \/receipts: is not JSON/);

    // A 1 MB body: 413 before it is read whole.
    const huge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        api + "/receipts",
        { method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on("error", reject);
      req.end("x".repeat(1 << 20));
    });
    expect(huge.status).to.equal(413);
    expect(JSON.parse(huge.body).error).to.equal("the body is larger than 16384 bytes");

    // A flood of 200 requests: the ones past the rate get 429, every one gets an answer.
    const flood = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(api + "/presence").then(async (r) => ({
          status: r.status,
          json: (await r.json()) as { error?: string },
        })),
      ),
    );
    const statuses = flood.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).to.be.greaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).to.equal(true);
    expect(flood.find((r) => r.status === 429)!.json.error).to.match(
      /^too many requests from this address; try again in \d+ s$/,
    );

    // Nothing changed, and the agent keeps serving once the rate allows.
    expect(JSON.stringify(stateReceipts())).to.equal(before);
    const leaseAfter = await escrow.lease(leaseId);
    expect([leaseAfter.paid, leaseAfter.status]).to.deep.equal([leaseBefore.paid, leaseBefore.status]);
    expect(agent.child.exitCode).to.equal(null);
    const metrics = await (await fetch(String(agent.lines.find((l) => l.event === "started")!.metrics))).text();
    expect(metrics).to.match(/gpufog_api_requests_total\{route="GET \/presence",status="429"\} \d+/);
    expect(metrics).to.match(/gpufog_api_requests_total\{route="POST \/receipts",status="413"\} 1/);
    expect(metrics).to.match(/gpufog_api_requests_total\{route="GET \/receipts\/:leaseId",status="400"\} 4/);
    await until("the agent serves again", async () => (await fetch(api + "/")).status === 200, 30_000);
  });

  it("stops serving after two missed receipt intervals and closes the lease with its best receipt", async function () {
    const { escrow } = system.contracts;
    // The customer stops sending receipts: 2 intervals (120 s) past what it signed for.
    await later(Number(lastAcked - (await chainNow())) + 121);
    await until("the lease is closed", async () => (await escrow.lease(leaseId)).status === 3n, 90_000);
    const ends = (lease: bigint) =>
      readFileSync(hookLog, "utf8")
        .split("\n")
        .filter((l) => l.includes('"event":"end"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.leaseId === String(lease));
    await until("the end hook ran", async () => ends(leaseId).length > 0, 30_000);
    expect(ends(leaseId)).to.have.length(1);
    expect(ends(leaseId)[0]).to.deep.include({ reason: "unpaid" });
    const lease = await escrow.lease(leaseId);
    expect(lease.paid).to.equal(owedAt(lease.rate, lease.start, lastAcked, lease.deposit));
    const closes = await escrow.queryFilter(escrow.filters.LeaseClosed(leaseId));
    expect(closes.map((e) => e.args.closedBy)).to.deep.equal([operator.address]);
    // The access is gone with the lease.
    const gone = await call("POST", "/access", await accessRequest(sessionKey));
    expect(gone.status).to.equal(409);

    // The reservation's window opens: the customer starts it with another session key, the agent
    // accepts the start, and the lease it opens gets its session; never paid, it ends in turn.
    await later(Number(windowStart - (await chainNow())) + 1);
    await (await escrow.connect(customer).startReserved(reservationId, 0n, reservationKey.address)).wait();
    await until(
      "the agent accepts the start",
      async () => (await escrow.reservation(reservationId)).status === 3n,
      60_000,
    );
    const reservedLease = (await escrow.reservation(reservationId)).leaseId;
    await until(
      "the reserved lease's session starts",
      async () => agent.lines.some((l) => l.event === "session_started" && l.lease === String(reservedLease)),
      60_000,
    );
    const access = await call("POST", "/access", await accessRequest(reservationKey, undefined, reservedLease));
    expect(parseAccessAnswer(access.json).access.token).to.equal(`secret-${reservedLease}`);
    const wrongKey = await call("POST", "/access", await accessRequest(sessionKey, undefined, reservedLease));
    expect(wrongKey.status).to.equal(403);
    // Never paid, the lease has no receipt to hand out.
    const none = await call("GET", receiptPath(reservedLease));
    expect([none.status, none.json.error]).to.deep.equal([404, `the agent holds no receipt of lease ${reservedLease}`]);
    await later(121);
    await until(
      "the unpaid reserved lease is closed",
      async () => (await escrow.lease(reservedLease)).status === 3n,
      90_000,
    );
    await until("its end hook ran", async () => ends(reservedLease).length === 1, 30_000);
    expect((await escrow.lease(reservedLease)).paid).to.equal(0n);

    agent.child.kill("SIGTERM");
    expect(await agent.exited, agent.stderr).to.equal(0);
    expect(agent.lines.at(-1)!.event).to.equal("stopped");
  });
});
