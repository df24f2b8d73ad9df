// `npm run demo`: the whole life of the market on the in-process network, narrated. The story is
// here; every step a dApp, a provider agent or a keeper would take again is a call into `src/`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { network } from "hardhat";

import { getBytes, id, type Signer } from "ethers";

import { deployLocalSystem } from "../deploy/local.js";
import { claimAirdrop } from "../src/airdrop/claim.js";
import { snapshotEntries } from "../src/airdrop/snapshot-csv.js";
import { phaseName } from "../src/emission/model.js";
import { buybackEndedBuckets, claimRewards, readEmissionStats } from "../src/emission/client.js";
import {
  closeLease,
  keeperSweep,
  leaseReport,
  nodeQuote,
  openLease,
  reserve,
  startReservation,
  topUp,
  withdrawAll,
} from "../src/escrow.js";
import type { EscrowHandle } from "../src/escrow.js";
import { formatToken } from "../src/format.js";
import { executeOperation, handoverOperation, scheduleOperation } from "../src/governance.js";
import { addressOfKey, GUT_P2PKH_VERSION } from "../src/legacy/address.js";
import { claimLegacyAirdrop } from "../src/airdrop/legacy-claim.js";
import { legacyEntries, parseLegacyCsv } from "../src/airdrop/legacy-csv.js";
import { signLegacyClaim } from "../src/airdrop/legacy-holder.js";
import { encodeWif, publicKeyOf } from "../src/legacy/keys.js";
import { writeAirdrop } from "../src/airdrop/directory.js";
import { buildTree } from "../src/merkle/tree.js";
import { tokenLabel } from "../src/erc20.js";
import { formatTable, listNodes, NODE_TABLE_HEADER, nodeRows, registerNode } from "../src/registry.js";
import { Eip1193Transport } from "../src/rpc/eip1193.js";
import { snapshotEvm } from "../src/snapshot/evm.js";
import { addLiquidity, connectUniswapV2 } from "../harness/uniswap.js";

const started = Date.now();
const connection = await network.create();
const { ethers, networkHelpers } = connection;
const signers = await ethers.getSigners();
const [deployer, governance, keeper, ada, ben, cleo, dan, eve, finn, gus] = signers as [
  (typeof signers)[0],
  ...(typeof signers)[0][],
];
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
const snapshot = await snapshotEvm({
  transport: new Eip1193Transport(connection.provider, "in-process network"),
  token: await oldGut.getAddress(),
  fromBlock: BigInt(fromBlock),
  block: snapshotBlock,
  sample: 4,
  maxRange: 2,
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
const legacyRows = parseLegacyCsv(balanceList, "old-chain balances", GUT_P2PKH_VERSION);
say(
  `old chain: ${legacyRows.map((r) => `${r.address} holds ${gutOf(r.amount)}`).join(", ")} (8 decimals, scaled to 18)`,
);
const tree = await buildTree([...snapshotEntries(snapshot.rows), ...legacyEntries(legacyRows)]);
const airdropDir = path.join(work, "airdrop");
const manifest = writeAirdrop(
  tree,
  airdropDir,
  undefined,
  { version: GUT_P2PKH_VERSION, holders: legacyRows.length },
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
chapter("Providers stake GUT and register nodes");
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
const [v100, rtx2080ti, titanRtx, gtx1080ti, rtx2080, titanV] = nodes as [
  bigint,
  bigint,
  bigint,
  bigint,
  bigint,
  bigint,
];
const owner = new Map(nodes.map((id, i) => [id, plan[i]!.provider]));

/** Nodes whose provider agent is running: they heartbeat as time passes. */
const alive = new Set(nodes);
/** Moves the chain `seconds` forward in steps shorter than the heartbeat timeout, heartbeating. */
async function advance(seconds: bigint) {
  const timeout = await registry.heartbeatTimeout();
  const stride = timeout / 2n;
  for (let left = seconds; left > 0n; left -= stride) {
    await networkHelpers.time.increase(left < stride ? left : stride);
    for (const id of alive) await (await registry.connect(owner.get(id)!).heartbeat(id)).wait();
  }
}
const epochEnd = async (epoch: bigint) => (await emission.genesis()) + (epoch + 1n) * (await emission.epochLength());
async function advanceTo(timestamp: bigint) {
  const now = await chainNow();
  if (timestamp > now) await advance(timestamp - now);
}

/** The registry's node table, as `nodes:list` prints it. */
async function printNodes(): Promise<void> {
  const tokens = new Map([[addr.gut, await tokenLabel(addr.gut, ethers.provider)]]);
  const table = nodeRows(await listNodes(registry), await chainNow(), tokens).map((row) => {
    row[6] = who(row[6]!);
    return row;
  });
  console.log(`\n${formatTable(NODE_TABLE_HEADER, table).replace(/^/gm, "   ")}`);
  say("TU: the node's rating; price/TU-h: per TU-hour; heartbeat: seconds since the node's last heartbeat");
}

// ------------------------------------------------------------------------------------------------
chapter("Customers reserve and lease");
const hour = 3_600n;
const reservationStart = (await chainNow()) + 20n * 60n;
// Each customer passes the price it was shown: a price raised under its transaction is refused.
const shown = async (id: bigint) => (await nodeQuote(h, id)).pricePerTuHour;
const reservation = await reserve(h, dan!, v100, reservationStart, 3n * hour, 120n * UNIT, await shown(v100));
say(`Dan reserves node ${v100} (8 × V100) for 3 h from +20 min, depositing ${gutOf(120n * UNIT)}`);
const leaseA = await openLease(h, eve!, rtx2080ti, 8n * UNIT, await shown(rtx2080ti));
say(`Eve leases node ${rtx2080ti} (4 × RTX 2080 Ti) with ${gutOf(8n * UNIT)}: lease ${leaseA}`);
const leaseB = await openLease(h, dan!, rtx2080, 10n * UNIT, await shown(rtx2080));
say(`Dan leases node ${rtx2080} (Cleo's 2 × RTX 2080) with ${gutOf(10n * UNIT)}: lease ${leaseB}`);
const leaseD = await openLease(h, ben!, titanV, 20n * UNIT, await shown(titanV));
say(`Ben leases node ${titanV} (Cleo's 4 × Titan V) with ${gutOf(20n * UNIT)}: lease ${leaseD}`);

await advance(10n * 60n);
alive.delete(rtx2080);
say("10 minutes later Cleo's RTX 2080 machine loses power: its heartbeats stop");
say("the nodes now: one Reserved, three Sharing, two Idle");
await printNodes();
await advanceTo(reservationStart);
const leaseC = await startReservation(h, dan!, reservation);
say(`Dan starts his reservation in its window: lease ${leaseC} on node ${v100}`);
await advance(10n * 60n);
await topUp(h, eve!, leaseA, 4n * UNIT);
say(`Eve tops up lease ${leaseA} with ${gutOf(4n * UNIT)}`);

// ------------------------------------------------------------------------------------------------
chapter("The keeper finds the silent node");
const danBefore = await gut.balanceOf(dan!.address);
const sweep = await keeperSweep(h, keeper!);
const b = await leaseReport(h, leaseB);
say(`marked Disconnect: node ${sweep.disconnected.join(", ")}; closed: lease ${sweep.closed.join(", ")}`);
say(`lease ${leaseB} was paid ${gutOf(b.withdrawn + b.unwithdrawn)} up to the last heartbeat only`);
say(
  `Dan got back ${gutOf((await gut.balanceOf(dan!.address)) - danBefore)}: the unused deposit plus Cleo's slashed stake`,
);
say("the nodes now: the silent one Disconnect, the reserved one Sharing");
await printNodes();

// ------------------------------------------------------------------------------------------------
chapter("Two epochs of work, withdrawals, fees and buybacks");
const keeperEmission = emission.connect(keeper!);
for (const epoch of [0n, 1n]) {
  // Providers withdraw near the end of the epoch; the keeper forwards the protocol fees, which
  // the emission books into this epoch's GUT bucket, with each provider's share.
  await advanceTo((await epochEnd(epoch)) - 40n * 60n);
  for (const provider of [ada!, ben!, cleo!]) {
    for (const w of await withdrawAll(h, provider)) {
      say(
        `epoch ${epoch}: ${who(provider.address).padEnd(4)} withdraws ${gutOf(w.amount)} (protocol fee ${gutOf(w.fee)})`,
      );
    }
  }
  const forwarded = await keeperSweep(h, keeper!);
  say(`epoch ${epoch}: the keeper forwards the fees of leases ${forwarded.feesForwarded.join(", ")} to the emission`);
  await (await keeperEmission.observe(addr.gut)).wait();
  say(`epoch ${epoch}: the keeper records a TWAP observation of the GUT/TFT pair`);
  // A bucket is sold once its epoch has ended; the buyback also waits out the TWAP window (30
  // minutes) after the observation.
  await advanceTo((await epochEnd(epoch)) + 60n);
  const round = await buybackEndedBuckets(keeperEmission, { tokens: [addr.gut], now: await chainNow() });
  for (const failed of round.failed) throw new Error(`buyback of bucket ${failed.epoch} failed: ${failed.reason}`);
  for (const bought of round.done) {
    say(
      `epoch ${epoch + 1n}: buyback sells the GUT bucket of epoch ${bought.epoch}, ${gutOf(bought.amountIn)}, ` +
        `for ${tftOf(bought.tftOut)} (TWAP quote ${tftOf(bought.twapQuote)}, floor ${tftOf(bought.minTftOut)})`,
    );
  }
  const stats = await readEmissionStats(emission);
  say(
    `epoch ${epoch + 1n}: burned so far ${tftOf(stats.totalBurned)}, released from the reserve ${tftOf(stats.totalReleased)}`,
  );
  if (epoch === 0n) {
    await topUp(h, eve!, leaseA, 6n * UNIT);
    say(`Eve tops up lease ${leaseA} again with ${gutOf(6n * UNIT)}`);
  }
}

// ------------------------------------------------------------------------------------------------
chapter("Leases end; providers claim their mining rewards");
for (const [customer, lease] of [
  [dan!, leaseC],
  [eve!, leaseA],
  [ben!, leaseD],
] as const) {
  const closed = await closeLease(h, customer, lease);
  say(
    `${who(customer.address)} closes lease ${lease}: provider paid ${gutOf(closed.paid)}, refund ${gutOf(closed.refund)}`,
  );
}
for (const provider of [ada!, ben!, cleo!]) await withdrawAll(h, provider);
await keeperSweep(h, keeper!);
for (const epoch of [2n, 3n]) {
  await advanceTo((await epochEnd(epoch - 1n)) + 60n);
  for (const provider of [ada!, ben!, cleo!]) {
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
chapter("Summary");
const accounts = [deployer, governance!, keeper!, ada!, ben!, cleo!, dan!, eve!, finn!, gus!];
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
