// The scale bench's market generator: providers, nodes and customers with known keys, then rounds
// of leases opened on signed quotes, collected and closed by either side, finalized, reservations
// started and accepted or left to expire, check-ins, fees forwarded and withdrawals, over simulated
// days. Every transaction goes to anvil as an impersonated `eth_sendTransaction` in JSON-RPC
// batches with its own nonce, automine off, and is mined in big blocks; quotes and receipts are
// signed in-process with the typed data of src/market/typed-data.ts.
import {
  Interface,
  keccak256,
  MaxUint256,
  toBeHex,
  toUtf8Bytes,
  TypedDataEncoder,
  Wallet,
  type LogDescription,
} from "ethers";

import type { AddressBook, GpufogContracts } from "../../src/deployments.js";
import {
  escrowDomain,
  QUOTE_TYPES,
  RECEIPT_TYPES,
  type EscrowDomain,
  type Quote,
} from "../../src/market/typed-data.js";
import { Rpc } from "./rpc.js";

export interface MarketSize {
  nodes: number;
  leases: number;
}

export interface BuiltMarket {
  size: MarketSize;
  providers: Wallet[];
  customers: Wallet[];
  /** The provider with the most leases, and how many. */
  busiestProvider: { address: string; key: string; leases: number; nodes: number };
  busiestCustomer: { address: string; leases: number };
  keeper: string;
  /** The busiest provider's leases still open at the end, with their receipts' signer. */
  openLeasesOfBusiest: { id: bigint; customer: Wallet }[];
  domain: EscrowDomain;
  counts: Record<string, number>;
  /** Logs of the registry, escrow and emission: the events the indexer indexes. */
  indexedEvents: number;
  transactions: number;
  blocks: number;
  latestBlock: number;
  simulatedDays: number;
  buildSeconds: number;
}

type Tx = { from: string; to: string; data: string; gas: number };

const UNIT = 10n ** 18n;
const HOUR = 3600;

function key(kind: string, i: number): Wallet {
  return new Wallet(keccak256(toUtf8Bytes(`gpufog-scale-${kind}-${i}`)));
}

/** Sends transactions in batches with own nonces, mines them in big blocks, checks every receipt. */
class Sender {
  private readonly nonces = new Map<string, number>();
  private queue: Tx[] = [];
  transactions = 0;
  blocks = 0;
  indexedEvents = 0;
  failed = 0;

  constructor(
    private readonly rpc: Rpc,
    private readonly indexed: Set<string>,
    private readonly interfaces: Interface[],
    private readonly log: (line: string) => void,
  ) {}

  async nonceOf(from: string): Promise<number> {
    const a = from.toLowerCase();
    if (!this.nonces.has(a))
      this.nonces.set(a, Number(BigInt(await this.rpc.call<string>("eth_getTransactionCount", [a, "pending"]))));
    return this.nonces.get(a)!;
  }

  send(tx: Tx): void {
    this.queue.push(tx);
  }

  /** Sends the queue, mines until the pool is empty; returns the parsed logs of what was mined. */
  async flush(label: string): Promise<LogDescription[]> {
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 0) return [];
    const calls: [string, unknown[]][] = [];
    for (const tx of queue) {
      const a = tx.from.toLowerCase();
      const nonce = this.nonces.has(a) ? this.nonces.get(a)! : await this.nonceOf(a);
      this.nonces.set(a, nonce + 1);
      calls.push([
        "eth_sendTransaction",
        [{ from: a, to: tx.to, data: tx.data, gas: toBeHex(tx.gas), gasPrice: "0x0", nonce: toBeHex(nonce) }],
      ]);
    }
    const first = Number(BigInt(await this.rpc.call<string>("eth_blockNumber")));
    const hashes = await this.rpc.batch<string>(calls);
    for (let i = 0; ; i++) {
      await this.rpc.call("evm_mine");
      const status = await this.rpc.call<{ pending: string; queued: string }>("txpool_status");
      if (BigInt(status.pending) === 0n) break;
      if (i > 10_000) throw new Error(`${label}: the pool does not drain`);
    }
    const last = Number(BigInt(await this.rpc.call<string>("eth_blockNumber")));
    const blocks = [];
    for (let b = first + 1; b <= last; b++) blocks.push(["eth_getBlockReceipts", [toBeHex(b)]] as [string, unknown[]]);
    const receipts = (await new Rpc(this.rpc.url, 20).batch(blocks)) as {
      status: string;
      from: string;
      to: string;
      transactionHash: string;
      logs: { address: string; topics: string[]; data: string }[];
    }[][];
    const parsed: LogDescription[] = [];
    let mined = 0;
    let failed: string | undefined;
    for (const block of receipts) {
      for (const r of block) {
        mined++;
        if (r.status !== "0x1") {
          this.failed++;
          failed ??= `${r.transactionHash} from ${r.from} to ${r.to}`;
        }
        for (const l of r.logs) {
          if (!this.indexed.has(l.address.toLowerCase())) continue;
          this.indexedEvents++;
          for (const i of this.interfaces) {
            const d = i.parseLog(l);
            if (d !== null) {
              parsed.push(d);
              break;
            }
          }
        }
      }
    }
    this.transactions += mined;
    this.blocks += last - first;
    if (mined !== queue.length) throw new Error(`${label}: sent ${queue.length} transactions, mined ${mined}`);
    if (failed !== undefined) {
      const tx = queue[hashes.indexOf(failed.split(" ")[0]!)]!;
      let reason = "?";
      try {
        await this.rpc.call("eth_call", [{ from: tx.from, to: tx.to, data: tx.data, gas: toBeHex(tx.gas) }, "latest"]);
        reason = "(succeeds now)";
      } catch (error) {
        const m = /custom error (0x[0-9a-f]{8}):? ?([0-9a-f]*)/i.exec(String(error));
        const data = m ? m[1]! + m[2]! : undefined;
        for (const i of this.interfaces) {
          try {
            const e = data ? i.parseError(data) : null;
            if (e) reason = `${e.name}(${e.args.join(", ")})`;
          } catch {
            // not this interface's
          }
        }
        if (reason === "?") reason = String(error).slice(0, 300);
      }
      const call = this.interfaces
        .map((i) => {
          try {
            return i.parseTransaction({ data: tx.data })?.name;
          } catch {
            return undefined;
          }
        })
        .find(Boolean);
      throw new Error(`${label}: ${this.failed} transaction(s) failed; the first, ${call}: ${reason}`);
    }
    this.log(`  ${label}: ${queue.length} transactions in ${last - first} block(s)`);
    return parsed;
  }
}

interface LeaseInfo {
  id: bigint;
  node: number;
  customer: number;
  provider: number;
}

/**
 * Builds a market of `size` on the deployed `system`: returns who is in it and what was done.
 * `keeper` is an unlocked account (impersonated) that sends the permissionless chores.
 */
export async function buildMarket(
  rpc: Rpc,
  system: { contracts: GpufogContracts; book: AddressBook },
  deployer: string,
  keeper: string,
  size: MarketSize,
  log: (line: string) => void,
): Promise<BuiltMarket> {
  const started = Date.now();
  const { gut, registry, escrow, emission } = system.contracts;
  const [gutA, registryA, escrowA, emissionA] = await Promise.all(
    [gut, registry, escrow, emission].map((c) => c.getAddress()),
  );
  const R = registry.interface;
  const E = escrow.interface;
  const G = gut.interface;
  const sender = new Sender(
    rpc,
    new Set([registryA, escrowA, emissionA].map((a) => a.toLowerCase())),
    [E, R, emission.interface],
    log,
  );
  const counts: Record<string, number> = {};
  const count = (what: string, n = 1) => (counts[what] = (counts[what] ?? 0) + n);
  const now = async () =>
    Number(BigInt((await rpc.call<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false])).timestamp));
  const later = async (seconds: number) => {
    await rpc.call("evm_increaseTime", [seconds]);
    await rpc.call("evm_mine");
  };
  const startTime = await now();

  // --- the market's terms
  const [models] = await registry.catalog();
  const model = models[0]!;
  const milliTu = (await registry.gpuModel(model)).milliTu;
  const stakePerNode = await registry.requiredStake(model, 1n);
  const maxQuoteAge = Number(await escrow.maxQuoteAge());
  const collectWindow = Number(await escrow.collectWindow());
  const grace = Number(await escrow.reservationGrace());
  const maxPeriod = Number(await registry.MAX_CHECK_IN_PERIOD());
  const domain: EscrowDomain = escrowDomain(BigInt(system.book.chainId), escrowA);
  // A round: leases run ~4 h, then the collect window passes. Check-ins every round keep nodes up.
  const period = Math.min(maxPeriod, Math.max(Number(await registry.MIN_CHECK_IN_PERIOD()), 12 * HOUR));
  sender.send({
    from: deployer,
    to: registryA,
    data: R.encodeFunctionData("setCheckInPeriod", [period]),
    gas: 200_000,
  });
  await sender.flush("check-in period");

  const P = Math.max(5, Math.round(size.nodes / 20));
  const C = Math.max(10, Math.round(size.nodes / 4));
  const providers = Array.from({ length: P }, (_, i) => key("provider", i));
  const customers = Array.from({ length: C }, (_, i) => key("customer", i));
  const customerIndex = new Map(customers.map((c, i) => [c.address.toLowerCase(), i]));
  const nodeProvider: number[] = [0]; // node ids from 1
  const nodePrice: bigint[] = [0n];
  const perHour = (price: bigint) => (price * milliTu) / 1000n;

  // --- money: ETH is free (gas price 0); GUT from the deployer
  const providerGut = stakePerNode * BigInt(Math.ceil(size.nodes / P) + 1) + 10n * UNIT;
  // Each lease pays its hours and holds a day's deposit until it closes: room for every lease a
  // customer will open.
  const customerGut = BigInt(Math.ceil(size.leases / C) + 20) * 30n * perHour(3n * UNIT);
  const need = providerGut * BigInt(P) + customerGut * BigInt(C);
  const have = await gut.balanceOf(deployer);
  if (have < need) throw new Error(`the deployer holds ${have / UNIT} GUT; the market needs ${need / UNIT}`);
  await rpc.batch(
    [...providers, ...customers].map(
      (w) => ["anvil_setBalance", [w.address, toBeHex(10n ** 24n)]] as [string, unknown[]],
    ),
  );
  for (const p of providers) {
    sender.send({
      from: deployer,
      to: gutA,
      data: G.encodeFunctionData("transfer", [p.address, providerGut]),
      gas: 100_000,
    });
    sender.send({
      from: p.address,
      to: gutA,
      data: G.encodeFunctionData("approve", [registryA, MaxUint256]),
      gas: 100_000,
    });
  }
  for (const c of customers) {
    sender.send({
      from: deployer,
      to: gutA,
      data: G.encodeFunctionData("transfer", [c.address, customerGut]),
      gas: 100_000,
    });
    sender.send({
      from: c.address,
      to: gutA,
      data: G.encodeFunctionData("approve", [escrowA, MaxUint256]),
      gas: 100_000,
    });
  }
  await sender.flush("funding");

  // --- nodes, spread over the providers; a price from 1 to 3 GUT per TU-hour
  for (let n = 1; n <= size.nodes; n++) {
    const p = (n - 1) % P;
    const price = UNIT + (BigInt(n * 7919) % 200n) * (UNIT / 100n);
    sender.send({
      from: providers[p]!.address,
      to: registryA,
      data: R.encodeFunctionData("register", [model, 1n, price, gutA, `https://node-${n}.example`]),
      gas: 600_000,
    });
  }
  // The pool may mine them in another order than sent: the ids come from the events.
  const providerIndex = new Map(providers.map((p, i) => [p.address.toLowerCase(), i]));
  const nodesOf: number[][] = providers.map(() => []);
  for (const e of await sender.flush(`${size.nodes} nodes`)) {
    if (e.name !== "NodeRegistered") continue;
    const n = Number(e.args.nodeId);
    const p = providerIndex.get(String(e.args.provider).toLowerCase())!;
    nodeProvider[n] = p;
    nodePrice[n] = e.args.pricePerTuHour as bigint;
    nodesOf[p]!.push(n);
  }
  if (nodeProvider.length !== size.nodes + 1) throw new Error(`registered ${nodeProvider.length - 1} nodes`);
  count("nodes", size.nodes);

  const quoteNonce = providers.map(() => 1n);
  const sign = (w: Wallet, types: Record<string, readonly { name: string; type: string }[]>, value: object) =>
    w.signingKey.sign(TypedDataEncoder.hash(domain, types as never, value as never)).serialized;
  const quoteFor = (node: number, customer: number, t: number, window?: [number, number]): [Quote, string] => {
    const p = nodeProvider[node]!;
    const quote: Quote = {
      nodeId: BigInt(node),
      customer: customers[customer]!.address,
      token: gutA,
      pricePerTuHour: nodePrice[node]!,
      windowStart: BigInt(window?.[0] ?? 0),
      windowDuration: BigInt(window?.[1] ?? 0),
      expiry: BigInt(t + Math.min(maxQuoteAge, HOUR) - 5),
      nonce: quoteNonce[p]!++,
    };
    return [quote, sign(providers[p]!, QUOTE_TYPES, quote)];
  };
  const receipt = (l: LeaseInfo, through: number) =>
    sign(customers[l.customer]!, RECEIPT_TYPES, { leaseId: l.id, paidThrough: BigInt(through) });

  // --- rounds of leases
  const busy = new Set<number>(); // nodes under a lease or reservation that outlives its round
  const leasesOf = new Map<string, number>();
  const leasesOfCustomer = new Map<number, number>();
  const perRound = Math.max(1, Math.floor(size.nodes * 0.85));
  const rounds = Math.ceil(size.leases / perRound);
  const quiet = new Set(providers.slice(0, Math.max(1, Math.floor(P / 20))).map((_, i) => i)); // stop checking in at the end
  let opened = 0;
  const stillOpen: LeaseInfo[] = [];
  let carried: LeaseInfo[] = []; // leases from accepted reservations: closed by the provider next round
  let pendingReservations: { id: bigint; node: number; deadline: number }[] = [];
  // mulberry32: a seeded generator whose low bits are as good as its high ones.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const onOpened = (events: LogDescription[], into: Map<bigint, LeaseInfo>) => {
    for (const e of events) {
      if (e.name !== "LeaseOpened") continue;
      const node = Number(e.args.nodeId);
      const customer = customerIndex.get(String(e.args.customer).toLowerCase())!;
      const l = { id: e.args.leaseId as bigint, node, customer, provider: nodeProvider[node]! };
      into.set(l.id, l);
      opened++;
      count("leases opened");
      leasesOf.set(providers[l.provider]!.address, (leasesOf.get(providers[l.provider]!.address) ?? 0) + 1);
      leasesOfCustomer.set(customer, (leasesOfCustomer.get(customer) ?? 0) + 1);
    }
  };

  for (let r = 0; r < rounds && opened < size.leases; r++) {
    const last = r === rounds - 1 || opened + perRound >= size.leases;
    const t0 = await now();
    log(`round ${r + 1}/${rounds}: ${opened} leases so far, day ${((t0 - startTime) / 86400).toFixed(2)}`);
    // Check-ins: every provider its nodes, in batches of 200 (the quiet ones skip the last rounds).
    for (let p = 0; p < P; p++) {
      if (last && quiet.has(p)) continue;
      const ids = nodesOf[p]!;
      for (let i = 0; i < ids.length; i += 200) {
        sender.send({
          from: providers[p]!.address,
          to: registryA,
          data: R.encodeFunctionData("checkIn", [ids.slice(i, i + 200)]),
          gas: 10_000_000,
        });
        count("checkIn transactions");
      }
    }
    // Leases on free nodes, and reservations on 2 % of the others.
    const free = [];
    for (let n = 1; n <= size.nodes; n++) if (!busy.has(n)) free.push(n);
    const want = Math.min(perRound, size.leases - opened, free.length);
    const leaseNodes = free.slice(0, want);
    const reserveNodes = free.slice(want, want + Math.floor(size.nodes * 0.02));
    for (const n of leaseNodes) {
      const c = random(C);
      const [q, sig] = quoteFor(n, c, t0);
      sender.send({
        from: customers[c]!.address,
        to: escrowA,
        data: E.encodeFunctionData("openLease", [q, sig, perHour(nodePrice[n]!) * 24n, "0x" + "00".repeat(20)]),
        gas: 1_000_000,
      });
    }
    const windowStart = t0 + 4 * HOUR - Math.floor(grace / 2);
    const reserved = new Map<number, { customer: number }>();
    for (const n of reserveNodes) {
      const c = random(C);
      const [q, sig] = quoteFor(n, c, t0, [windowStart, 2 * HOUR]);
      reserved.set(n, { customer: c });
      sender.send({
        from: customers[c]!.address,
        to: escrowA,
        // The fee prices the hold (a few hours): 10 hours of the node cover it with room.
        data: E.encodeFunctionData("reserve", [q, sig, perHour(nodePrice[n]!) * 30n]),
        gas: 1_000_000,
      });
    }
    const round = new Map<bigint, LeaseInfo>();
    const events = await sender.flush(`round ${r + 1}: open ${leaseNodes.length}, reserve ${reserveNodes.length}`);
    onOpened(events, round);
    const reservations = events
      .filter((e) => e.name === "Reserved")
      .map((e) => ({
        id: e.args.reservationId as bigint,
        node: Number(e.args.nodeId),
        deadline: Number(e.args.deadline),
      }));
    count("reservations", reservations.length);

    await later(4 * HOUR);
    const t1 = (await now()) - 30;
    // Carried leases (from last round's accepted reservations): the provider closes with a receipt.
    for (const l of carried) {
      sender.send({
        from: providers[l.provider]!.address,
        to: escrowA,
        data: E.encodeFunctionData("closeLease", [l.id, t1, receipt(l, t1)]),
        gas: 1_000_000,
      });
      busy.delete(l.node);
      count("closed by the provider");
    }
    carried = [];
    // This round's leases: 2 % of the first round's stay open for good; in the last round 30 % stay
    // open; of the rest, 30 % are collected, then 55 % closed by the provider with a receipt, 45 %
    // by the customer (a third of those collected by the provider in its window).
    const customerClosed: LeaseInfo[] = [];
    for (const l of round.values()) {
      const roll = random(100);
      if ((r === 0 && roll < 2) || (last && roll < 30)) {
        busy.add(l.node);
        stillOpen.push(l);
        count("left open");
        continue;
      }
      if (random(100) < 30) {
        sender.send({
          from: providers[l.provider]!.address,
          to: escrowA,
          data: E.encodeFunctionData("collect", [l.id, t1 - HOUR, receipt(l, t1 - HOUR)]),
          gas: 1_000_000,
        });
        count("collects");
      }
      if (random(100) < 55) {
        sender.send({
          from: providers[l.provider]!.address,
          to: escrowA,
          data: E.encodeFunctionData("closeLease", [l.id, t1, receipt(l, t1)]),
          gas: 1_000_000,
        });
        count("closed by the provider");
      } else {
        sender.send({
          from: customers[l.customer]!.address,
          to: escrowA,
          data: E.encodeFunctionData("closeLease", [l.id, 0n, "0x"]),
          gas: 1_000_000,
        });
        customerClosed.push(l);
        count("closed by the customer");
      }
    }
    for (const l of customerClosed) {
      if (random(3) !== 0) continue;
      sender.send({
        from: providers[l.provider]!.address,
        to: escrowA,
        data: E.encodeFunctionData("collect", [l.id, t1, receipt(l, t1)]),
        gas: 1_000_000,
      });
      count("collects in the collect window");
    }
    // Reservations: half started by the customer and accepted by the provider; the rest left to
    // expire (the keeper's, or the next round's chore).
    const starts: typeof reservations = [];
    for (const res of reservations) {
      if (random(2) === 0 && !last) {
        pendingReservations.push(res);
        busy.add(res.node);
        continue;
      }
      sender.send({
        from: customers[reserved.get(res.node)!.customer]!.address,
        to: escrowA,
        data: E.encodeFunctionData("startReserved", [res.id, 0n, "0x" + "00".repeat(20)]),
        gas: 1_000_000,
      });
      starts.push(res);
      busy.add(res.node);
      count("reservations accepted");
    }
    // The pool orders different senders' transactions freely: the accepts go in the next block.
    await sender.flush(`round ${r + 1}: collect, close and start`);
    for (const res of starts) {
      sender.send({
        from: providers[nodeProvider[res.node]!]!.address,
        to: escrowA,
        data: E.encodeFunctionData("acceptStart", [res.id]),
        gas: 1_000_000,
      });
    }
    const accepted = new Map<bigint, LeaseInfo>();
    onOpened(await sender.flush(`round ${r + 1}: accept`), accepted);
    carried = [...accepted.values()];

    await later(collectWindow + 60);
    if (last) break;
    // Chores: finalize the customers' closes, expire reservations past their deadline, forward
    // fees, and every third round the providers withdraw.
    for (const l of customerClosed) {
      sender.send({ from: keeper, to: escrowA, data: E.encodeFunctionData("finalize", [l.id]), gas: 1_000_000 });
      count("finalized");
    }
    const t2 = await now();
    pendingReservations = pendingReservations.filter((res) => {
      if (t2 <= res.deadline) return true;
      sender.send({
        from: keeper,
        to: escrowA,
        data: E.encodeFunctionData("expireReservation", [res.id]),
        gas: 1_000_000,
      });
      busy.delete(res.node);
      count("reservations expired");
      return false;
    });
    for (let i = 0; i < P; i += 50) {
      sender.send({
        from: keeper,
        to: escrowA,
        data: E.encodeFunctionData("forwardFees", [gutA, providers.slice(i, i + 50).map((p) => p.address)]),
        gas: 20_000_000,
      });
      count("forwardFees transactions");
    }
    sender.send({
      from: keeper,
      to: emissionA,
      data: emission.interface.encodeFunctionData("observe", [gutA]),
      gas: 1_000_000,
    });
    count("observe transactions");
    if (r % 3 === 2) {
      for (const p of providers) {
        sender.send({
          from: p.address,
          to: escrowA,
          data: E.encodeFunctionData("withdraw", [gutA, p.address]),
          gas: 500_000,
        });
        count("withdrawals");
      }
    }
    await sender.flush(`round ${r + 1}: chores`);
  }
  stillOpen.push(...carried);
  const end = await now();
  let busiest = { address: providers[0]!.address, leases: 0 };
  for (const [address, n] of leasesOf) if (n > busiest.leases) busiest = { address, leases: n };
  const bp = providers.find((p) => p.address === busiest.address)!;
  let busiestCustomer = { address: customers[0]!.address, leases: 0 };
  for (const [c, n] of leasesOfCustomer)
    if (n > busiestCustomer.leases) busiestCustomer = { address: customers[c]!.address, leases: n };
  return {
    size,
    providers,
    customers,
    busiestProvider: {
      address: bp.address,
      key: bp.privateKey,
      leases: busiest.leases,
      nodes: nodeProvider.filter((p, n) => n > 0 && providers[p] === bp).length,
    },
    busiestCustomer,
    keeper,
    openLeasesOfBusiest: stillOpen
      .filter((l) => providers[l.provider] === bp)
      .map((l) => ({ id: l.id, customer: customers[l.customer]! })),
    domain,
    counts: { ...counts, providers: P, customers: C, rounds, "failed transactions": sender.failed },
    indexedEvents: sender.indexedEvents,
    transactions: sender.transactions,
    blocks: sender.blocks,
    latestBlock: Number(BigInt(await rpc.call<string>("eth_blockNumber"))),
    simulatedDays: Number(((end - startTime) / 86400).toFixed(2)),
    buildSeconds: (Date.now() - started) / 1000,
  };
}
