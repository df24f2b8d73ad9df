// `npm run demo`: the whole life of the market on the in-process network, narrated. The story is
// here; every step a dApp, a provider agent or a keeper would take again is a call into `src/`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { network } from "hardhat";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { getBytes, type HDNodeWallet, id, type Signer, Wallet } from "ethers";

import { deployLocalSystem } from "../deploy/local.js";
import { KEEPER_DEFAULTS, keeperRound } from "../src/agent/keeper.js";
import { jobOf } from "../src/agent/sender.js";
import { claimAirdrop } from "../src/airdrop/claim.js";
import { buildAirdrop } from "../src/airdrop/build.js";
import { phaseName } from "../src/emission/model.js";
import { claimRewards, endedBuckets, readEmissionStats, sendBuyback } from "../src/emission/client.js";
import { formatSpan, formatToken } from "../src/format.js";
import { executeOperation, handoverOperation, scheduleOperation } from "../src/governance.js";
import { addressOfKey, GUT_P2PKH_VERSION } from "../src/airdrop/legacy/address.js";
import { claimLegacyAirdrop } from "../src/airdrop/legacy-claim.js";
import { parseLegacyCsv } from "../src/airdrop/legacy-csv.js";
import { signLegacyClaim } from "../src/airdrop/legacy-holder.js";
import { encodeWif, publicKeyOf } from "../src/airdrop/legacy/keys.js";
import { escrowDomain, signReceipt } from "../src/market/typed-data.js";
import { mined, receiptEvent } from "../src/receipts.js";
import {
  acceptStart,
  closeLease,
  collect,
  type EscrowHandle,
  failReservation,
  finalize,
  makeQuote,
  openLease,
  renewLease,
  reserve,
  startReservation,
  topUp,
  withdrawAll,
} from "../src/escrow.js";
import { addStake, checkIn, formatTable, formatTu, modelName, registerNode, statusName } from "../src/registry.js";
import { Eip1193Transport } from "../src/rpc/eip1193.js";
import { snapshotEvm } from "../src/airdrop/snapshot/evm.js";
import { addLiquidity, connectUniswapV2 } from "../harness/uniswap.js";

const started = Date.now();
const connection = await network.create();
const { ethers, networkHelpers } = connection;
const signers = await ethers.getSigners();
const [deployer, governance, keeper, ada, ben, cleo, dan, eve, finn, gus, adaAgent, benAgent, cleoAgent, savings] =
  signers as [(typeof signers)[0], ...(typeof signers)[0][]];
const name = new Map<string, string>([
  [deployer.address, "treasury"],
  [governance!.address, "governance"],
  [keeper!.address, "keeper"],
  [ada!.address, "Ada"],
  [ben!.address, "Ben"],
  [cleo!.address, "Cleo"],
  [dan!.address, "Dan"],
  [eve!.address, "Eve"],
  [finn!.address, "Finn"],
  [gus!.address, "Gus"],
  [adaAgent!.address, "Ada's agent"],
  [benAgent!.address, "Ben's agent"],
  [cleoAgent!.address, "Cleo's agent"],
]);
const who = (address: string) => name.get(address) ?? address.slice(0, 10);
const UNIT = 10n ** 18n;
// Amounts are exact on-chain; the narration shows them to 4 decimals.
const gutOf = (amount: bigint) => formatToken(amount, "GUT", 18, 4);
const tftOf = (amount: bigint) => formatToken(amount, "TFT", 18, 4);
const chainNow = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

let step = 0;
function chapter(title: string) {
  console.log(`\n${++step}. ${title}`);
}
function say(line: string) {
  console.log(`   ${line}`);
}

console.log("gpufog: the life of a GPU-compute market, on Hardhat's in-process network");

// ------------------------------------------------------------------------------------------------
chapter("The old GUT: an ERC-20 snapshot and the old chain's balance list");
// The old token lives on another chain in reality; here an ERC-20 with ordinary transfers, each
// in a block of its own, stands in for it, and the snapshot reads its Transfer logs like any RPC.
const oldGut = await ethers.deployContract("MockERC20", ["GPUnion Token (old chain)", "oGUT", 18]);
const fromBlock = await ethers.provider.getBlockNumber();
for (const [holder, amount] of [
  [ada!, 40_000n],
  [ben!, 25_000n],
  [cleo!, 20_000n],
  [dan!, 12_000n],
] as const) {
  await (await oldGut.mint(holder.address, amount * UNIT)).wait();
}
const transfers: [Signer, string, bigint][] = [
  [ada!, eve!.address, 6_000n],
  [ben!, finn!.address, 3_000n],
  [cleo!, eve!.address, 1_500n],
  [dan!, ben!.address, 2_000n],
  [eve!, dan!.address, 500n],
];
for (const [from, to, amount] of transfers) {
  await (await oldGut.connect(from).getFunction("transfer")(to, amount * UNIT)).wait();
}
const snapshotBlock = BigInt(await ethers.provider.getBlockNumber());
const work = mkdtempSync(path.join(tmpdir(), "gpufog-demo-"));
const snapshotCsv = path.join(work, "snapshot.csv");
const snapshot = await snapshotEvm({
  transport: new Eip1193Transport(connection.provider, "in-process network"),
  token: await oldGut.getAddress(),
  fromBlock: BigInt(fromBlock),
  block: snapshotBlock,
  sample: 4,
  maxRange: 2,
  out: snapshotCsv,
});
say(`old token ${snapshot.token}: 4 mints and ${transfers.length} transfers, blocks ${fromBlock}..${snapshotBlock}`);
say(
  `snapshot at block ${snapshot.block}: ${snapshot.logs} Transfer logs in ${snapshot.requests} eth_getLogs, ` +
    `${snapshot.holders} holders, sum = totalSupply() = ${formatToken(snapshot.totalSupply, "oGUT")}, ` +
    `${snapshot.sampled.length} balances checked by balanceOf()`,
);
// Holders on the old distribution chain have P2PKH addresses and WIF keys, and 8-decimal balances.
const oldChainKeys = ["gus", "hana"].map((seed) => getBytes(id(`demo old-chain key of ${seed}`)));
const oldChainAddress = (key: Uint8Array) => addressOfKey(publicKeyOf(key, "compressed"), GUT_P2PKH_VERSION);
const balanceList = `address,amount\n${oldChainAddress(oldChainKeys[0]!)},1250000000000\n${oldChainAddress(oldChainKeys[1]!)},420050000000\n`;
const legacyCsv = path.join(work, "old-chain-balances.csv");
writeFileSync(legacyCsv, balanceList);
const legacyRows = parseLegacyCsv(balanceList, legacyCsv, GUT_P2PKH_VERSION);
say(
  `old chain: ${legacyRows.map((r) => `${r.address} holds ${gutOf(r.amount)}`).join(", ")} (8 decimals, scaled to 18)`,
);
// The CSVs in, the published directory out: what `airdrop:build` does.
const airdropDir = path.join(work, "airdrop");
const { tree, manifest } = await buildAirdrop(
  snapshotCsv,
  airdropDir,
  undefined,
  { csv: legacyCsv, version: GUT_P2PKH_VERSION },
  { ozDump: true },
);
say(`Merkle tree: ${tree.count} leaves of both kinds, root ${tree.root.slice(0, 18)}…, total ${gutOf(tree.total)}`);
say(
  `airdrop written for dApps (manifest, OpenZeppelin dump, ${2 ** manifest.shards.depth} data and as many index shards)`,
);

// ------------------------------------------------------------------------------------------------
chapter("Deploying the market through the Ignition System module");
const { contracts, book } = await deployLocalSystem(connection, manifest);
const { gut, tft, registry, escrow, emission, distributor } = contracts;
const addr = {
  gut: await gut.getAddress(),
  tft: await tft.getAddress(),
  escrow: await escrow.getAddress(),
  emission: await emission.getAddress(),
  distributor: await distributor.getAddress(),
};
for (const [label, address] of Object.entries(book.contracts)) say(`${label.padEnd(12)} ${address}`);
say(`${"router".padEnd(12)} ${book.uniswap.router} (Uniswap V2 from the npm builds)`);
say(
  `wired: escrow → registry and emission roles, fees → emission, reserve funded with ${tftOf(await emission.reserveLeft())}`,
);
say(`airdrop funded: exactly ${gutOf(await gut.balanceOf(addr.distributor))} minted, MINTER_ROLE renounced`);
// Governance acts only through the timelock: the multisig schedules, waits the delay (0 on this
// local network), then executes. Its first operation accepts the admin of all five contracts.
const handover = await handoverOperation(contracts);
const timelock = contracts.timelock.connect(governance!);
await scheduleOperation(timelock, handover);
await networkHelpers.time.increase(1);
await executeOperation(timelock, handover);
say(
  `governance ${governance!.address} scheduled and executed, through the timelock (delay ${await timelock.getMinDelay()} s here), the acceptance of the admin role of all five contracts; the deployer holds none`,
);

// ------------------------------------------------------------------------------------------------
chapter("Holders claim the token swap");
for (const holder of [ada!, ben!, cleo!, dan!, eve!]) {
  for (const outcome of (await claimAirdrop(airdropDir, addr.distributor, holder.address, keeper!)).outcomes) {
    say(
      `${who(holder.address).padEnd(5)} claims index ${outcome.claim.index}: ${gutOf(BigInt(outcome.claim.amount))} (sent by the keeper)`,
    );
  }
}
// Gus proves his old-chain key: his wallet signs, in the old chain's message format, a message
// naming his EVM account, the chain and the distributor; anyone may submit it.
const signed = await signLegacyClaim({
  wif: encodeWif(oldChainKeys[0]!, "compressed", GUT_P2PKH_VERSION),
  version: GUT_P2PKH_VERSION,
  recipient: gus!.address,
  chainId: book.chainId,
  distributor: addr.distributor,
});
say(`Gus signs with his old-chain key (${signed.address}): "${signed.message.slice(0, 60)}…"`);
const legacy = await claimLegacyAirdrop(
  {
    dir: airdropDir,
    distributor: addr.distributor,
    recipient: gus!.address,
    signature: signed.signature,
    pubkey: signed.pubkey,
  },
  keeper!,
);
for (const outcome of legacy.outcomes) {
  say(`Gus   claims index ${outcome.claim.index} (kind 1): ${gutOf(BigInt(outcome.claim.amount))} to ${gus!.address}`);
}
say(
  `Finn and Hana have not claimed yet: ${gutOf(await gut.balanceOf(addr.distributor))} stay in the distributor until the deadline`,
);

// ------------------------------------------------------------------------------------------------
chapter("A GUT/TFT pool on Uniswap V2");
const uni = await connectUniswapV2(book.uniswap.router, deployer);
const pair = await addLiquidity(uni, deployer, gut, 200_000n * UNIT, tft, 200_000n * UNIT);
say(`the treasury seeds ${pair}: ${gutOf(200_000n * UNIT)} and ${tftOf(200_000n * UNIT)}`);

// ------------------------------------------------------------------------------------------------
chapter("Providers stake GUT, register nodes and name their agents");
say("a node is rated in Turing Units (TU): 1 TU is a day of a GTX 1080 Ti's work; a V100 is 1.85 TU");
say("prices are per TU-hour, so an 8-GPU V100 node (14.8 TU) at 2 GUT costs 29.6 GUT an hour");
const h: EscrowHandle = { escrow, registry };
const plan = [
  { provider: ada!, model: "V100", gpus: 8n, price: "2.0" },
  { provider: ada!, model: "RTX 2080 Ti", gpus: 4n, price: "1.2" },
  { provider: ben!, model: "Titan RTX", gpus: 2n, price: "1.5" },
  { provider: ben!, model: "GTX 1080 Ti", gpus: 1n, price: "0.8" },
  { provider: cleo!, model: "RTX 2080", gpus: 2n, price: "1.0" },
  { provider: cleo!, model: "Titan V", gpus: 4n, price: "1.6" },
];
const nodes: bigint[] = [];
for (const p of plan) {
  const { nodeId, stake } = await registerNode(
    registry,
    p.provider,
    {
      model: p.model,
      gpuCount: p.gpus,
      pricePerTuHour: ethers.parseUnits(p.price, 18),
      paymentToken: addr.gut,
      uri: `https://${who(p.provider.address).toLowerCase()}.example/${p.model.replace(/ /g, "-").toLowerCase()}`,
    },
    "demo",
  );
  nodes.push(nodeId);
  say(
    `${who(p.provider.address).padEnd(4)} node ${nodeId}: ${p.gpus} × ${p.model} at ${p.price} GUT per TU-hour, ${gutOf(stake)} staked`,
  );
}
const [v100, rtx2080ti, titanRtx, , rtx2080, titanV] = nodes as [bigint, bigint, bigint, bigint, bigint, bigint];
const providers = [ada!, ben!, cleo!];
const owner = new Map(nodes.map((id, i) => [id, plan[i]!.provider]));
// Each provider's cold key staked and receives every payment; its agent runs on a hot key, the
// operator, which checks in, signs quotes, accepts starts and collects, and can move no money
// anywhere but to the provider.
const agentOf = new Map<string, HardhatEthersSigner>();
for (const [provider, agent] of [
  [ada!, adaAgent!],
  [ben!, benAgent!],
  [cleo!, cleoAgent!],
] as const) {
  await mined(registry.connect(provider).setOperator(agent.address));
  agentOf.set(provider.address, agent);
}
const agent = (nodeId: bigint) => agentOf.get(owner.get(nodeId)!.address)!;
const checkInPeriod = await registry.checkInPeriod();
/** Nodes whose machine (and agent) is running. */
const alive = new Set(nodes);
let checkIns = 0;
/** Each agent checks in its provider's Idle and Reserved live nodes, in one transaction. */
async function checkInLive(provider: HardhatEthersSigner): Promise<bigint[]> {
  const due: bigint[] = [];
  for (const id of nodes) {
    if (owner.get(id) !== provider || !alive.has(id)) continue;
    const status = statusName((await registry.node(id)).status);
    if (status === "Idle" || status === "Reserved" || status === "Disconnect") due.push(id);
  }
  if (due.length > 0) checkIns += (await checkIn(registry, agentOf.get(provider.address)!, due)).hashes.length;
  return due;
}
for (const provider of providers) {
  const ids = await checkInLive(provider);
  say(
    `${who(provider.address).padEnd(4)} names its agent ${who(agentOf.get(provider.address)!.address)}; ` +
      `the agent checks in nodes ${ids.join(", ")} in one transaction`,
  );
}
say(
  `Idle and Reserved nodes check in once per ${formatSpan(checkInPeriod)}; a leased (Sharing) node sends nothing at all`,
);

/** The registry's nodes as a table, with the age of each node's last check-in. */
async function printNodes(): Promise<void> {
  const now = await chainNow();
  const rows = (await registry.nodes(0n, 100n)).map((n) => {
    const status = statusName(n.status);
    return [
      n.id.toString(),
      status,
      modelName(n.model),
      n.gpuCount.toString(),
      formatTu(n.milliTu),
      gutOf(n.pricePerTuHour),
      who(n.provider),
      status === "Sharing" ? "not needed" : `${formatSpan(now - n.lastCheckIn)} ago`,
      `${gutOf(n.stake)} of ${gutOf(n.requiredStake)}`,
    ];
  });
  const header = ["id", "status", "model", "GPUs", "TU", "price/TU-h", "provider", "checked in", "stake"];
  console.log(`\n${formatTable(header, rows).replace(/^/gm, "   ")}`);
  say(
    `TU: the node's rating; price/TU-h: the listed price per TU-hour; checked in: the age of the node's last check-in (due once per ${formatSpan(checkInPeriod)} while Idle or Reserved)`,
  );
}

// ------------------------------------------------------------------------------------------------
// The off-chain half of a lease: the customer's client signs a cumulative receipt every interval
// with its session key, one interval ahead (its prepay horizon), and sends it to the provider's
// agent, which keeps the best one. Nothing goes on-chain while it runs.
const INTERVAL = 60n;
const { chainId } = await ethers.provider.getNetwork();
const domain = escrowDomain(chainId, addr.escrow);
interface Session {
  leaseId: bigint;
  customer: HardhatEthersSigner;
  key: HDNodeWallet;
  running: boolean;
  signed: number;
  best?: { paidThrough: bigint; signature: string };
}
const sessions = new Map<bigint, Session>();
/** Where receipts stand when the chain is at `now`: each running client signed every interval. */
async function signReceipts(from: bigint, to: bigint): Promise<void> {
  for (let t = from - (from % INTERVAL) + INTERVAL; t <= to; t += INTERVAL) {
    for (const s of sessions.values()) {
      if (!s.running) continue;
      const paidThrough = t + INTERVAL;
      s.best = { paidThrough, signature: await signReceipt(s.key, domain, { leaseId: s.leaseId, paidThrough }) };
      s.signed++;
    }
  }
}
/** Moves the chain on: clients sign receipts, agents check in their nodes when a check-in is half due. */
async function advance(seconds: bigint): Promise<void> {
  const stride = checkInPeriod / 2n;
  for (let left = seconds; left > 0n; left -= stride) {
    const step = left < stride ? left : stride;
    const now = await chainNow();
    await signReceipts(now, now + step);
    await networkHelpers.time.increase(step);
    if (step === stride) for (const provider of providers) await checkInLive(provider);
  }
}
async function advanceTo(timestamp: bigint): Promise<void> {
  const now = await chainNow();
  if (timestamp > now) await advance(timestamp - now);
}
/** The provider's agent answers a customer's request for a quote at the node's listed price. */
const quoteFor = (nodeId: bigint, customer: HardhatEthersSigner, window = { start: 0n, duration: 0n }) =>
  makeQuote(h, agent(nodeId), {
    nodeId,
    customer: customer.address,
    windowStart: window.start,
    windowDuration: window.duration,
  });
/** The receipt of the chain's latest transaction, for its gas and the events the helpers do not return. */
async function lastReceipt() {
  const block = (await ethers.provider.getBlock("latest"))!;
  return (await ethers.provider.getTransactionReceipt(block.transactions.at(-1)!))!;
}
/** A customer takes a quote and opens a lease (the deposit permitted, no approval) with a fresh session key. */
async function lease(customer: HardhatEthersSigner, nodeId: bigint, deposit: bigint): Promise<Session> {
  const key = Wallet.createRandom();
  const leaseId = await openLease(h, customer, await quoteFor(nodeId, customer), deposit, key.address);
  const session: Session = { leaseId, customer, key, running: true, signed: 0 };
  sessions.set(leaseId, session);
  return session;
}
const best = (s: Session) => ({
  receipt: { leaseId: s.leaseId, paidThrough: s.best!.paidThrough },
  signature: s.best!.signature,
});
const providerAgent = async (s: Session) => agentOf.get((await escrow.lease(s.leaseId)).provider)!;
/** The provider's agent collects its best receipt of a lease. */
async function collectBest(s: Session) {
  const collected = await collect(h, await providerAgent(s), best(s));
  return { ...collected, gas: (await lastReceipt()).gasUsed };
}
/** The provider's agent closes a lease with its last receipt. */
async function closeByProvider(s: Session) {
  s.running = false;
  return (await closeLease(h, await providerAgent(s), s.leaseId, best(s))).final!;
}
const spanOf = (paid: bigint, rate: bigint) => formatSpan((paid * 3_600_000n) / rate);
/**
 * One round of the keeper bot's planner, what `npx hardhat keeper:sweep` runs, for a keeper that
 * looks after GUT: every chore due, each told, and why a bucket it did not sell waits. A job that
 * did not go through stops the story.
 */
async function keeperSweeps(): Promise<void> {
  const at = `epoch ${await emission.currentEpoch()}: `;
  const waiting: string[] = [];
  const due = new Map<string, bigint>();
  for (const provider of providers) due.set(provider.address, await escrow.feesDue(provider.address, addr.gut));
  const outcomes = await keeperRound({
    signer: keeper!,
    contracts: { escrow, registry, emission },
    fromBlock: book.block,
    policy: { tokens: [addr.gut] },
    log: (_level, event, fields = {}) => {
      // The story's one expected wait is told in words; any other reason as the planner gives it.
      const reason = String(fields.reason);
      const why = reason.startsWith("ObservationStale")
        ? "its price needs a TWAP observation at least one window old, and the newest is older than the emission accepts"
        : reason;
      if (event === "buyback_not_ready") waiting.push(`the GUT bucket of epoch ${fields.epoch} waits: ${why}`);
      if (event === "buyback_outside_band") {
        waiting.push(`the GUT bucket of epoch ${fields.epoch} waits: the pool's price is outside the TWAP band`);
      }
    },
  });
  for (const o of outcomes) {
    if (o.result !== "done") throw new Error(`the keeper's ${o.label}: ${o.result}: ${o.reason}`);
    const job = jobOf(o.label);
    if (job === "forwardFees") {
      const [, forwarded] = escrow.interface.decodeFunctionData("forwardFees", o.data) as unknown as [string, string[]];
      for (const provider of forwarded) {
        say(
          `${at}the keeper forwards ${who(provider)}'s fees due on what it earned, ${gutOf(due.get(provider)!)}, to the emission`,
        );
      }
    } else if (job === "observe") {
      say(`${at}the keeper records a TWAP observation of the GUT/TFT pair`);
    } else if (job === "markDisconnected") {
      const [id] = registry.interface.decodeFunctionData("markDisconnected", o.data) as unknown as [bigint];
      say(
        `node ${id} has not checked in for ${formatSpan(checkInPeriod)}: the keeper marks it Disconnect, no stake taken`,
      );
    } else if (job === "buyback") {
      const [, epoch, amount] = emission.interface.decodeFunctionData("buyback", o.data) as unknown as [
        string,
        bigint,
        bigint,
      ];
      say(
        `${at}the keeper sells ${gutOf(amount)} of the GUT bucket of epoch ${epoch}: at most what moves the pool's ` +
          `price by ${Number(KEEPER_DEFAULTS.maxImpactBps) / 100} %, and only inside the TWAP band`,
      );
    } else {
      say(`${at}the keeper: ${o.label}`);
    }
  }
  for (const line of waiting) say(`${at}${line}`);
}

// ------------------------------------------------------------------------------------------------
chapter("Customers take quotes: two reservations and three leases");
const hour = 3_600n;
say(
  `a quote is signed by the provider's agent for one customer, at one price, valid for ${formatSpan(await escrow.maxQuoteAge())}, used once`,
);
const t0 = await chainNow();
const reservations = [
  { customer: dan!, nodeId: titanRtx, start: t0 + 20n * 60n, duration: 2n * hour, deposit: 25n * UNIT },
  { customer: gus!, nodeId: v100, start: t0 + 30n * 60n, duration: 3n * hour, deposit: 120n * UNIT },
];
const reserved: bigint[] = [];
for (const r of reservations) {
  const signed = await quoteFor(r.nodeId, r.customer, { start: r.start, duration: r.duration });
  // The fee and the deposit it needs are shown before the customer signs; the helper refuses a
  // deposit that does not cover it.
  const reservationId = await reserve(h, r.customer, signed, r.deposit);
  reserved.push(reservationId);
  const { fee, heldUntil } = await escrow.reservation(reservationId);
  say(
    `${who(r.customer.address)} reserves node ${r.nodeId} (${who(owner.get(r.nodeId)!.address)}'s ${modelName((await registry.node(r.nodeId)).model)}) ` +
      `for ${formatSpan(r.duration)} from +${formatSpan(r.start - t0)}, depositing ${gutOf(r.deposit)}; the fee ` +
      `${gutOf(fee)} prices the whole hold, now to +${formatSpan(heldUntil - t0)}`,
  );
}
const [danReservation, gusReservation] = reserved as [bigint, bigint];
const eveAllowance = await gut.allowance(eve!.address, addr.escrow);
const eveLease = await lease(eve!, rtx2080ti, 30n * UNIT);
say(
  `Eve leases node ${rtx2080ti} (Ada's 4 × RTX 2080 Ti) with ${gutOf(30n * UNIT)}: lease ${eveLease.leaseId}, her ` +
    `allowance was ${gutOf(eveAllowance)}: the deposit is permitted in the same transaction, no approval`,
);
say(`her wallet signs once; her client signs receipts with session key ${eveLease.key.address.slice(0, 10)}…`);
const danLease = await lease(dan!, rtx2080, 10n * UNIT);
say(`Dan leases node ${rtx2080} (Cleo's 2 × RTX 2080) with ${gutOf(10n * UNIT)}: lease ${danLease.leaseId}`);
const benLease = await lease(ben!, titanV, 20n * UNIT);
say(`Ben leases node ${titanV} (Cleo's 4 × Titan V) with ${gutOf(20n * UNIT)}: lease ${benLease.leaseId}`);
say(
  `every ${formatSpan(INTERVAL)} each client signs a receipt paying up to one interval ahead, and sends it to the agent`,
);
await printNodes();

// ------------------------------------------------------------------------------------------------
chapter("A reservation starts and is accepted; another fails");
await advanceTo(reservations[0]!.start);
const danKey = Wallet.createRandom();
await startReservation(h, dan!, danReservation, { sessionKey: danKey.address });
const danReservedLease = await acceptStart(h, benAgent!, danReservation);
const danStarted = receiptEvent(escrow, await lastReceipt(), "ReservationEnded").args;
const danReserved: Session = {
  leaseId: danReservedLease,
  customer: dan!,
  key: danKey,
  running: true,
  signed: 0,
};
sessions.set(danReserved.leaseId, danReserved);
say(
  `+${formatSpan((await chainNow()) - t0)}: Dan starts his reservation in its window; Ben's agent accepts at once: lease ` +
    `${danReserved.leaseId}; the fee's part before the window, ${gutOf(danStarted.feeEarned as bigint)}, is Ben's now, ` +
    `the window's part is earned as the lease stays open in it`,
);
// Ada's V100 machine has gone down with its agent: nobody will accept Gus's start.
alive.delete(v100);
await advanceTo(reservations[1]!.start);
await startReservation(h, gus!, gusReservation, { sessionKey: Wallet.createRandom().address });
say(
  `+${formatSpan((await chainNow()) - t0)}: Gus starts his reservation of node ${v100}; Ada's V100 machine is down, so no agent accepts`,
);
await advance((await escrow.acceptWindow()) + 60n);
const gusBefore = await gut.balanceOf(gus!.address);
const treasuryBefore = await gut.balanceOf(deployer.address);
const failed = await failReservation(h, gus!, gusReservation);
say(
  `no accept within ${formatSpan(await escrow.acceptWindow())}: Gus fails the reservation and gets back ` +
    `${gutOf((await gut.balanceOf(gus!.address)) - gusBefore)}, everything he deposited`,
);
const v100Info = await registry.node(v100);
say(
  `the fee, ${gutOf(failed.penalty)}, is taken from Ada's stake to the treasury (+${gutOf((await gut.balanceOf(deployer.address)) - treasuryBefore)}), ` +
    `never to a party who could cause the failure; node ${v100} now holds ${gutOf(v100Info.stake)} of the ${gutOf(v100Info.requiredStake)} it needs to take work`,
);
alive.add(v100);
await addStake(registry, ada!, v100, v100Info.requiredStake - v100Info.stake);
say(
  `Ada's machine is back: she adds ${gutOf(v100Info.requiredStake - v100Info.stake)} of stake, her agent checks the node in`,
);
await checkInLive(ada!);

// ------------------------------------------------------------------------------------------------
chapter("Receipts, one collect, and the two ways a lease closes");
await advanceTo(t0 + hour + 28n * 60n);
benLease.running = false;
await advanceTo(t0 + hour + 30n * 60n);
const benClosed = await closeByProvider(benLease);
say(
  `+${formatSpan((await chainNow()) - t0)}: Ben's job is done and his client stops; after two silent intervals Cleo's agent ` +
    `closes lease ${benLease.leaseId} with his last receipt (${benLease.signed} signed): paid ${gutOf(benClosed.paid as bigint)}, ` +
    `Ben refunded ${gutOf(benClosed.refund as bigint)} in the same transaction`,
);

await advanceTo(t0 + 2n * hour);
const first = await collectBest(eveLease);
say(
  `+${formatSpan((await chainNow()) - t0)}: Eve's client has signed ${eveLease.signed} receipts, 0 transactions; Ada's agent ` +
    `collects once with the best: ${gutOf(first.paid)} paid (fee ${gutOf(first.fee)} booked), ${first.gas.toLocaleString("en-US")} gas`,
);
say(
  `a transaction per ${formatSpan(INTERVAL)} interval would have been ${eveLease.signed} such transactions, ` +
    `${(BigInt(eveLease.signed) * first.gas).toLocaleString("en-US")} gas`,
);

// Ada's price went up; Eve keeps the node at the new price with one transaction, which pays her
// lease through now and carries the rest of her deposit into the next one, same session key.
const renewed = eveLease.leaseId;
const listed = (await registry.node(rtx2080ti)).pricePerTuHour;
const nextQuote = await makeQuote(h, agent(rtx2080ti), {
  nodeId: rtx2080ti,
  customer: eve!.address,
  pricePerTuHour: (listed * 11n) / 10n,
});
eveLease.leaseId = await renewLease(h, eve!, renewed, nextQuote);
const renewGas = (await lastReceipt()).gasUsed;
sessions.delete(renewed);
sessions.set(eveLease.leaseId, eveLease);
eveLease.best = undefined;
const [oldLease, nextLease] = await Promise.all([escrow.lease(renewed), escrow.lease(eveLease.leaseId)]);
say(
  `Eve renews at Ada's next quote (${gutOf(nextQuote.quote.pricePerTuHour)} per TU-hour, was ${gutOf(listed)}): ` +
    `lease ${renewed} paid through now (${gutOf(oldLease.paid)}), ${gutOf(nextLease.deposit)} carried into lease ` +
    `${eveLease.leaseId}, same session key, one transaction, ${renewGas.toLocaleString("en-US")} gas`,
);

await advanceTo(t0 + 2n * hour + 10n * 60n);
danLease.running = false;
const closing = await closeLease(h, dan!, danLease.leaseId);
const closedAt = await chainNow();
say(
  `+${formatSpan(closedAt - t0)}: Dan closes lease ${danLease.leaseId}: node ${rtx2080} is ` +
    `${statusName((await registry.node(rtx2080)).status)} at once, Cleo's agent may collect for ` +
    `${formatSpan(closing.collectDeadline - closedAt)} more`,
);
await advance(20n * 60n);
const late = await collectBest(danLease);
const danRate = (await escrow.lease(danLease.leaseId)).rate;
say(
  `20 min later Cleo's agent collects Dan's last receipt (paid through ${formatSpan(danLease.best!.paidThrough - closedAt)} ` +
    `past the close): ${gutOf(late.paid)}, ${spanOf(late.paid, danRate)} of work, never past the close`,
);
await advanceTo(closing.collectDeadline + 1n);
const danBefore = await gut.balanceOf(dan!.address);
await finalize(h, keeper!, danLease.leaseId);
say(
  `the collect window over, the keeper finalizes: Dan gets back ${gutOf((await gut.balanceOf(dan!.address)) - danBefore)}, ` +
    `his deposit less the time he signed for`,
);
await printNodes();

// ------------------------------------------------------------------------------------------------
chapter("Two epochs of work, withdrawals, fees and buybacks");
const epochEnd = async (epoch: bigint) => (await emission.genesis()) + (epoch + 1n) * (await emission.epochLength());
const keeperEmission = emission.connect(keeper!);
const cleoSavings = savings!;
name.set(cleoSavings.address, "Cleo's savings");
for (let round = 0; round < 2; round++) {
  const epoch = await emission.currentEpoch();
  // The agents collect near the end of the epoch, the providers withdraw, the keeper forwards the
  // fees, which the emission books into this epoch's GUT bucket with each provider's share.
  await advanceTo((await epochEnd(epoch)) - 40n * 60n);
  for (const s of [eveLease, danReserved]) await collectBest(s);
  const withdrawals = [
    ["Ada withdraws", () => withdrawAll(h, ada!, { tokens: [addr.gut] })],
    [
      "Ben's agent withdraws for Ben (only ever to Ben)",
      () => withdrawAll(h, benAgent!, { provider: ben!.address, tokens: [addr.gut] }),
    ],
    [
      "Cleo withdraws to her savings account",
      () => withdrawAll(h, cleo!, { to: cleoSavings.address, tokens: [addr.gut] }),
    ],
  ] as const;
  for (const [label, withdraw] of withdrawals) {
    for (const w of await withdraw()) say(`epoch ${epoch}: ${label}: ${gutOf(w.amount)} to ${who(w.to)}`);
  }
  await keeperSweeps();
  // A bucket is sold once its epoch has ended; the buyback also waits out the TWAP window (30
  // minutes) after the observation. The story sells each bucket whole, in one transaction: a
  // bucket this small hardly moves the pool (the keeper bot sells a large one in slices).
  await advanceTo((await epochEnd(epoch)) + 60n);
  for (const { epoch: bucket } of await endedBuckets(emission, addr.gut)) {
    const b = await sendBuyback(keeperEmission, addr.gut, bucket, { now: await chainNow() });
    say(
      `epoch ${epoch + 1n}: buyback sells the GUT bucket of epoch ${b.epoch}, ${gutOf(b.amountIn)}, ` +
        `for ${tftOf(b.tftOut)} (TWAP quote ${tftOf(b.twapQuote)}, floor ${tftOf(b.minTftOut)})`,
    );
  }
  const stats = await readEmissionStats(emission);
  say(
    `epoch ${epoch + 1n}: phase ${phaseName(stats.phase)}: burned so far ${tftOf(stats.totalBurned)}, released from the reserve ${tftOf(stats.totalReleased)}`,
  );
  if (round === 0) {
    await topUp(h, eve!, eveLease.leaseId, 15n * UNIT);
    say(`Eve tops up lease ${eveLease.leaseId} with ${gutOf(15n * UNIT)}`);
  }
}

// ------------------------------------------------------------------------------------------------
chapter("Leases end; providers claim their mining rewards");
await advance(10n * 60n);
const eveClosed = await closeByProvider(eveLease);
say(
  `Eve's client stops; Ada's agent closes lease ${eveLease.leaseId} with her last receipt: paid ${gutOf(eveClosed.paid as bigint)} ` +
    `in all (${eveLease.signed} receipts, ${spanOf(eveClosed.paid as bigint, (await escrow.lease(eveLease.leaseId)).rate)} of work), refund ${gutOf(eveClosed.refund as bigint)}`,
);
danReserved.running = false;
await closeLease(h, dan!, danReserved.leaseId);
await advance(5n * 60n);
const danEnd = await closeByProvider(danReserved);
say(
  `Dan closes lease ${danReserved.leaseId}, which ran on past its reserved window at the quoted price; inside the collect ` +
    `window Ben's agent closes it with the last receipt: paid ${gutOf(danEnd.paid as bigint)}, the window's part of the ` +
    `fee earned ${gutOf(danEnd.windowFee as bigint)} (in full: the lease stayed open through the window), Dan refunded ` +
    `${gutOf(danEnd.refund as bigint)}`,
);
for (const provider of providers) await withdrawAll(h, provider, { tokens: [addr.gut] });
await keeperSweeps();
for (let i = 0; i < 2; i++) {
  await advanceTo((await epochEnd(await emission.currentEpoch())) + 60n);
  const epoch = await emission.currentEpoch();
  for (const provider of providers) {
    const claimed = await claimRewards(emission.connect(provider));
    if (claimed.amount > 0n) {
      say(
        `epoch ${epoch}: ${who(provider.address).padEnd(4)} claims ${tftOf(claimed.amount)} from the buckets of epoch ` +
          `${claimed.buckets.map((b) => b.epoch).join(", ")}`,
      );
    }
  }
}

// ------------------------------------------------------------------------------------------------
chapter("A day later: check-ins, and a machine that never came back");
alive.delete(rtx2080);
say(`Cleo's RTX 2080 machine (node ${rtx2080}) loses power; the other agents keep running`);
const checkInsBefore = checkIns;
await advance(checkInPeriod + hour);
say(
  `over ${formatSpan(checkInPeriod + hour)} the agents sent ${checkIns - checkInsBefore} check-in transactions, one per provider per ${formatSpan(checkInPeriod / 2n)}`,
);
await keeperSweeps();
// The bucket of the last closes waits for an observation one TWAP window old: the next round sells it.
await advance(await emission.twapWindow());
say(`${formatSpan(await emission.twapWindow())} later (one TWAP window), the keeper's next round:`);
await keeperSweeps();

// ------------------------------------------------------------------------------------------------
chapter("Summary");
const accounts = [deployer, governance!, keeper!, ada!, ben!, cleo!, dan!, eve!, finn!, gus!, savings!];
const balances = [["account", "", "GUT", "TFT"]];
for (const a of accounts) {
  balances.push([
    who(a.address),
    a.address,
    gutOf(await gut.balanceOf(a.address)),
    tftOf(await tft.balanceOf(a.address)),
  ]);
}
for (const [label, address] of [
  ["escrow", addr.escrow],
  ["emission", addr.emission],
  ["distributor", addr.distributor],
  ["GUT/TFT pool", pair],
] as const) {
  balances.push([label, address, gutOf(await gut.balanceOf(address)), tftOf(await tft.balanceOf(address))]);
}
console.log(`\n${formatTable(balances[0]!, balances.slice(1)).replace(/^/gm, "   ")}`);

const s = await readEmissionStats(emission);
const supply = [
  ["GUT total supply", gutOf(await gut.totalSupply())],
  ["GUT premine (treasury)", gutOf(await gut.PREMINE())],
  ["GUT minted for the swap", gutOf(tree.total)],
  ["GUT swap still unclaimed", gutOf(await gut.balanceOf(addr.distributor))],
  ["GUT left to mint (cap)", gutOf(await gut.mintable())],
  ["TFT total supply", tftOf(s.totalSupply)],
  ["TFT burned by buybacks", tftOf(s.totalBurned)],
  ["TFT released from the reserve", tftOf(s.totalReleased)],
  ["TFT reserve left", tftOf(s.reserveLeft)],
  ["TFT rewards unclaimed", tftOf(s.minerRewardsUnclaimed)],
  ["TFT max circulating supply (total - reserve)", tftOf(s.maxCirculatingSupply)],
  ["emission phase", phaseName(s.phase)],
  ["emission epoch", s.currentEpoch.toString()],
];
console.log(`\n${formatTable(["figure", "value"], supply).replace(/^/gm, "   ")}`);
say("max circulating supply: every TFT outside the locked reserve; no buyback can raise it, each lowers it");

await printNodes();

rmSync(work, { recursive: true, force: true });
console.log(`\ndone in ${elapsed()} (the story itself; Hardhat's start-up comes on top)`);
