import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";
import { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { escrowDomain, type Quote, signQuote, signReceipt } from "../../src/market/typed-data.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { freePort, rpc, startAnvil } from "../helpers/agents.js";
import { stopChild } from "../helpers/faultProxy.js";
import { delay } from "../helpers/rpc.js";

const UNIT = 10n ** 18n;
const GTX_1080_TI = "0x" + Buffer.from("GTX 1080 Ti").toString("hex").padEnd(64, "0");
// Run by this process's own Node (the pinned 24), not by whatever `node` a shebang finds on PATH.
const PONDER = path.join(process.cwd(), "indexer", "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

type Row = Record<string, string | number | boolean | null>;

/**
 * A throwaway PostgreSQL server of Debian's package, run as its `postgres` user in `dir`, on a
 * free port; its URL, and how to stop it. Undefined where the server is not installed.
 */
async function startPostgres(dir: string): Promise<{ url: string; stop: () => void } | undefined> {
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql") : [];
  if (versions.length === 0) return undefined;
  const bin = path.join("/usr/lib/postgresql", versions.sort().at(-1)!, "bin");
  const port = await freePort();
  const data = path.join(dir, "pg");
  chmodSync(dir, 0o777);
  // initdb refuses to run as root; the package's `postgres` user owns the cluster.
  const asPostgres = (command: string, args: string[]) =>
    execFileSync("su", ["postgres", "-c", [path.join(bin, command), ...args].map((a) => `'${a}'`).join(" ")], {
      stdio: "pipe",
    });
  asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres"]);
  asPostgres("pg_ctl", [
    "-D",
    data,
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "-l",
    `${data}.log`,
    "-w",
    "start",
  ]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: () => asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
  };
}

/** `ponder start` of the repository's indexer over `book`, on a free port, with its own database. */
async function startIndexer(book: string, rpcUrl: string, database: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, [PONDER, "start", "--port", String(port), "--schema", "gpufog_test"], {
    cwd: path.join(process.cwd(), "indexer"),
    env: {
      ...process.env,
      ...database,
      GPUFOG_ADDRESS_BOOK: book,
      PONDER_RPC_URL: rpcUrl,
      PONDER_TELEMETRY_DISABLED: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Ponder logs its errors on stdout; both are kept for a failure's message.
  let output = "";
  for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (chunk: Buffer) => (output += chunk));
  return { url: `http://127.0.0.1:${port}`, child, output: () => output.slice(-60000) };
}

async function get<T = Row[]>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Waits until the indexer has indexed up to the chain's latest block (`/status` of Ponder). */
async function caughtUp(indexer: { url: string; child: ChildProcess; output: () => string }, block: number) {
  for (let i = 0; i < 600; i++) {
    if (indexer.child.exitCode !== null) throw new Error(`ponder exited: ${indexer.output()}`);
    try {
      const status = await get<Record<string, { block?: { number: number } }>>(`${indexer.url}/status`);
      const at = Object.values(status)[0]?.block?.number ?? 0;
      if (at >= block) return;
    } catch {
      // not serving yet
    }
    await delay(200);
  }
  throw new Error(`the indexer did not reach block ${block}: ${indexer.output()}`);
}

describe("Indexer (Ponder)", function () {
  this.timeout(240_000);
  let anvil: { url: string; child: ChildProcess };
  let dir: string;
  let book: string;
  let latest: number;
  const chain: {
    leases: Row[];
    nodes: Row[];
    earnings: Record<string, bigint>;
    operator: string;
    operatorOf: string[];
    rewards: Record<string, Row[]>;
    supply: Row;
  } = { leases: [], nodes: [], earnings: {}, operator: "", operatorOf: [], rewards: {}, supply: {} };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-indexer-"));
    anvil = await startAnvil();
    const connection = await network.create({ network: "localhost", override: { url: anvil.url } });
    const { ethers } = connection;
    const [deployer, , , p, customer, q, op] = await ethers.getSigners();
    const tree = await buildTree([{ kind: LeafKind.Evm, holder: customer!.address, amount: 1_000n * UNIT }]);
    const id = `indexer-test-${path.basename(dir)}`;
    const system = await deployLocalSystem(
      connection,
      { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
      undefined,
      { deploymentId: id },
    );
    rmSync(path.join("deploy", "deployments", id), { recursive: true, force: true });
    writeAddressBook(system.book, dir);
    book = path.join(dir, `${system.book.chainId}.json`);
    const { gut, registry, escrow, emission, tft } = system.contracts;
    const gutAddress = await gut.getAddress();
    for (const s of [p!, q!, customer!])
      await (await gut.connect(deployer!).transfer(s.address, 10_000n * UNIT)).wait();
    for (const s of [p!, q!])
      await (await gut.connect(s).approve(await registry.getAddress(), ethers.MaxUint256)).wait();
    await (await gut.connect(customer!).approve(await escrow.getAddress(), ethers.MaxUint256)).wait();
    for (const [who, price] of [
      [p!, UNIT],
      [p!, 2n * UNIT],
      [q!, 3n * UNIT],
    ] as const) {
      await (await registry.connect(who).register(GTX_1080_TI, 1n, price, gutAddress, "https://n.example")).wait();
    }
    const domain = escrowDomain(BigInt(system.book.chainId), await escrow.getAddress());
    const session = Wallet.createRandom();
    let nonce = 1n;
    const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const open = async (nodeId: bigint, signer: typeof p, deposit: bigint) => {
      const quote: Quote = {
        nodeId,
        customer: customer!.address,
        token: gutAddress,
        pricePerTuHour: UNIT,
        windowStart: 0n,
        windowDuration: 0n,
        expiry: (await now()) + 300n,
        nonce: nonce++,
      };
      const signature = await signQuote(signer!, domain, quote);
      await (await escrow.connect(customer!).openLease(quote, signature, deposit, session.address)).wait();
      return escrow.leaseCount();
    };
    const receipt = async (leaseId: bigint, through: bigint) =>
      signReceipt(session, domain, { leaseId, paidThrough: through });
    const later = async (seconds: number) => {
      await rpc(anvil.url, "evm_increaseTime", [seconds]);
      await rpc(anvil.url, "evm_mine");
    };

    const byProvider = await open(1n, p, 10n * UNIT);
    const byCustomer = await open(3n, q, 10n * UNIT);
    const running = await open(2n, p, 10n * UNIT);
    await later(1800);
    const t = await now();
    await (await escrow.connect(q!).collect(byCustomer, t, await receipt(byCustomer, t))).wait();
    await (await escrow.connect(p!).closeLease(byProvider, t, await receipt(byProvider, t))).wait();
    await (await escrow.connect(customer!).closeLease(byCustomer, 0n, "0x")).wait();
    await (await escrow.collect(running, t, await receipt(running, t))).wait();
    await later(3700);
    await (await escrow.finalize(byCustomer)).wait();
    await (await registry.connect(p!).checkIn([1n])).wait();
    await (await escrow.forwardFees(gutAddress, [p!.address, q!.address])).wait();
    await (await escrow.connect(q!).withdraw(gutAddress, deployer!.address)).wait();
    // q names the operator and then removes it: only p names it now.
    for (const [who, named] of [
      [p!, op!.address],
      [q!, op!.address],
      [q!, ethers.ZeroAddress],
    ] as const) {
      await (await registry.connect(who).setOperator(named)).wait();
    }
    // A holder's own burn lowers the supply as the emission's burns do.
    await (await tft.connect(deployer!).burn(5n * UNIT)).wait();

    latest = await ethers.provider.getBlockNumber();
    for (let i = 1n; i <= (await escrow.leaseCount()); i++) {
      const l = await escrow.lease(i);
      chain.leases.push({ id: String(i), status: Number(l.status), paid: String(l.paid), deposit: String(l.deposit) });
    }
    for (let i = 1n; i <= (await registry.nodeCount()); i++) {
      const n = await registry.node(i);
      chain.nodes.push({ id: String(i), status: Number(n.status), lastCheckIn: String(n.lastCheckIn) });
    }
    for (const s of [p!, q!]) chain.earnings[s.address.toLowerCase()] = await escrow.earnings(s.address, gutAddress);
    chain.operator = op!.address;
    chain.operatorOf = [p!.address.toLowerCase()];
    for (const log of await emission.queryFilter(emission.filters.FeeRecorded())) {
      const { provider, token, epoch } = log.args;
      const bucket = { epoch, token };
      (chain.rewards[provider.toLowerCase()] ??= []).push({
        epoch: String(epoch),
        token: token.toLowerCase(),
        fee: String(await emission.feeOf(epoch, token, provider)),
        claimed: String(await emission.claimedOf(epoch, token, provider)),
        claimable: String(await emission.claimable(provider, [bucket])),
      });
    }
    chain.supply = {
      allBurned: String((await tft.INITIAL_SUPPLY()) - (await tft.totalSupply())),
      reserve: String(await emission.reserveLeft()),
      burned: String(await emission.totalBurned()),
      released: String(await emission.totalReleased()),
    };
  });

  after(async function () {
    await stopChild(anvil.child);
    rmSync(dir, { recursive: true, force: true });
  });

  async function expectMatchesChain(url: string) {
    const leases = await get(`${url}/leases?limit=100`);
    expect(
      leases.map((l) => ({ id: l.id, status: l.status, paid: l.paid, deposit: l.deposit })).reverse(),
    ).to.deep.equal(chain.leases);
    const nodes = await get(`${url}/nodes?sort=id`);
    expect(nodes.map((n) => ({ id: n.id, status: n.status, lastCheckIn: n.lastCheckIn }))).to.deep.equal(chain.nodes);
    for (const [provider, available] of Object.entries(chain.earnings)) {
      const [row] = await get(`${url}/earnings/${provider}`);
      expect(BigInt(row!.earned as string) - BigInt(row!.withdrawn as string)).to.equal(available);
      expect(row!.feesDue).to.equal("0");
    }
    const named = await get(`${url}/operators?operator=${chain.operator}`);
    expect(named.map((r) => r.provider)).to.deep.equal(chain.operatorOf);
    expect((await fetch(`${url}/operators`)).status).to.equal(400);
    expect((await fetch(`${url}/rewards/${chain.operator}?claimable=yes`)).status).to.equal(400);
    expect(Object.keys(chain.rewards)).to.have.length(2);
    for (const [provider, buckets] of Object.entries(chain.rewards)) {
      const rows = await get(`${url}/rewards/${provider}`);
      expect(
        rows.map((r) => ({ epoch: r.epoch, token: r.token, fee: r.fee, claimed: r.claimed, claimable: r.claimable })),
      ).to.deep.equal(buckets);
      const owed = await get(`${url}/rewards/${provider}?claimable=1`);
      expect(owed.map((r) => r.epoch)).to.deep.equal(buckets.filter((b) => b.claimable !== "0").map((b) => b.epoch));
    }
    const economics = await get<{ unsold: Row[]; history: Row[]; complete: boolean }>(`${url}/economics`);
    expect(economics.complete).to.equal(true);
    const fees = Object.values(chain.rewards).flat();
    expect(economics.unsold.map((b) => b.fees)).to.deep.equal([
      String(fees.reduce((sum, b) => sum + BigInt(b.fee as string), 0n)),
    ]);
    // From the reserve's funding on; the last point is the chain's figures now.
    expect(BigInt(economics.history[0]!.reserve as string)).to.be.greaterThan(0n);
    const { allBurned, reserve, burned, released } = economics.history.at(-1)!;
    expect({ allBurned, reserve, burned, released }).to.deep.equal(chain.supply);
    const closing = await get(`${url}/leases?status=2`);
    expect(closing).to.deep.equal([]);
    const bad = await fetch(`${url}/leases?customer=nobody`);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: string }).error).to.match(/customer: a 0x-prefixed 20-byte address/);
  }

  it("indexes the market on embedded PGlite and serves the same leases, nodes, earnings, operators, rewards and supply history as the chain", async function () {
    const indexer = await startIndexer(book, anvil.url, { GPUFOG_PGLITE_DIR: path.join(dir, "pglite") });
    try {
      await caughtUp(indexer, latest);
      await expectMatchesChain(indexer.url);
    } finally {
      await stopChild(indexer.child);
    }
  });

  it("indexes the same market into a PostgreSQL server given DATABASE_URL", async function () {
    const postgres = await startPostgres(dir);
    // .ci/run installs Debian's postgresql; a developer machine without it skips this case only.
    if (postgres === undefined) this.skip();
    const indexer = await startIndexer(book, anvil.url, { DATABASE_URL: postgres.url });
    try {
      await caughtUp(indexer, latest);
      await expectMatchesChain(indexer.url);
    } finally {
      await stopChild(indexer.child);
      postgres.stop();
    }
  });
});
