// The web app's local world: on a fresh `hardhat node` (or anvil), an airdrop of both kinds, the
// System module deployed through Ignition, and the demo's story up to a live market — some holders
// claimed, some not (an EVM one and an old-chain one), providers with nodes in every status: a
// lease running on a quote of its provider, with receipts of the customer's session key collected,
// a reservation whose window is just ahead, an Idle node, a node taken offline. Nodes check in once
// a day (the registry's `checkInPeriod`), so the story's stay fresh without a loop. Then
// the app's configuration (`config.json`) and the airdrop directory are written into $GPUFOG_APP_OUT,
// which the app serves beside its build. Run by `npm run app` and the app's browser tests:
//
//   GPUFOG_APP_OUT=app/.local npx hardhat run --no-compile scripts/app/setup.ts --network localhost
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { network } from "hardhat";

import { encodeBytes32String, getBytes, id, parseUnits } from "ethers";

import { deployLocalSystem } from "../../deploy/local.js";
import { claimAirdrop } from "../../src/airdrop/claim.js";
import { buildAirdrop } from "../../src/airdrop/build.js";
import { addressOfKey, GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { encodeWif, publicKeyOf } from "../../src/airdrop/legacy/keys.js";
import { formatSnapshotCsv } from "../../src/airdrop/snapshot-csv.js";
import { mined } from "../../src/receipts.js";
import { leaseWithQuote, receiptOf, reserveWithQuote, sessionKeyOf, storyOf } from "./story.js";

const out = path.resolve(process.env.GPUFOG_APP_OUT ?? "app/.local");
const rpcUrl = process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545";
const UNIT = 10n ** 18n;

const connection = await network.create();
const { ethers } = connection;
const [, , keeper, ada, ben, cleo, dan, eve, finn, gus] = await ethers.getSigners();
const people = { ada, ben, cleo, dan, eve, finn, gus };

// EVM holders take whole GUT; the old chain's balance list is in its 8 decimals (scaled to 18 by
// the CSV reader), with the demo's two old-chain keys.
const evm = [
  [ada!, 34_000n],
  [ben!, 24_000n],
  [cleo!, 18_500n],
  [dan!, 10_500n],
  [eve!, 8_000n],
  [finn!, 3_000n],
] as const;
const oldKeys = ["gus", "hana"].map((seed) => getBytes(id(`demo old-chain key of ${seed}`)));
const oldAddress = (key: Uint8Array) => addressOfKey(publicKeyOf(key, "compressed"), GUT_P2PKH_VERSION);
// Both CSVs as a deployer has them, built by the one build entry (what `airdrop:build` does).
const csvDir = mkdtempSync(path.join(tmpdir(), "gpufog-app-csv-"));
const evmCsv = path.join(csvDir, "snapshot.csv");
writeFileSync(evmCsv, formatSnapshotCsv(evm.map(([s, amount]) => ({ address: s.address, amount: amount * UNIT }))));
const legacyCsv = path.join(csvDir, "old-chain-balances.csv");
writeFileSync(
  legacyCsv,
  `address,amount\n${oldAddress(oldKeys[0]!)},1250000000000\n${oldAddress(oldKeys[1]!)},420050000000\n`,
);
const airdropDir = path.join(out, "airdrop");
mkdirSync(out, { recursive: true });
rmSync(airdropDir, { recursive: true, force: true });
const { manifest } = await buildAirdrop(evmCsv, airdropDir, undefined, { csv: legacyCsv, version: GUT_P2PKH_VERSION });
rmSync(csvDir, { recursive: true, force: true });

// The node is fresh, so a journal under this id is from an earlier node and must not be resumed.
const deploymentId = "app-local";
rmSync(path.join("deploy", "deployments", deploymentId), { recursive: true, force: true });
const { contracts, book } = await deployLocalSystem(connection, manifest, undefined, { deploymentId });
const { registry, escrow, gut, distributor } = contracts;
const distributorAddress = await distributor.getAddress();

// Ada, Ben and Cleo have claimed (the keeper sent it); Dan, Eve, Finn and both old-chain holders
// have not: the claim page has both cases to show.
for (const holder of [ada!, ben!, cleo!]) await claimAirdrop(airdropDir, distributorAddress, holder.address, keeper!);

const gutAddress = await gut.getAddress();
const plan = [
  { provider: ada!, model: "V100", gpus: 8n, price: "2.0" },
  { provider: ada!, model: "RTX 2080 Ti", gpus: 4n, price: "1.2" },
  { provider: ben!, model: "Titan RTX", gpus: 2n, price: "1.5" },
  { provider: ben!, model: "GTX 1080 Ti", gpus: 1n, price: "0.8" },
  { provider: cleo!, model: "Titan V", gpus: 4n, price: "1.6" },
];
const registryAddress = await registry.getAddress();
const nodes: bigint[] = [];
for (const p of plan) {
  const model = encodeBytes32String(p.model);
  const stake = await registry.requiredStake(model, p.gpus);
  await mined(gut.connect(p.provider).approve(registryAddress, stake));
  const uri = `https://node.example/${p.model.replace(/ /g, "-").toLowerCase()}`;
  await mined(registry.connect(p.provider).register(model, p.gpus, parseUnits(p.price, 18), gutAddress, uri));
  nodes.push(await registry.nodeCount());
}
const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const story = await storyOf({ escrow, registry, gut }, now);
// Ben leases Ada's RTX 2080 Ti node with Ada's quote, naming his session key: the market shows a
// Sharing node and Ben has a lease. His client's receipts run a minute ahead (his prepay horizon).
const leased = nodes[1]!;
const session = sessionKeyOf("ben");
const leaseId = await leaseWithQuote(story, ada!, ben!, leased, 30n * UNIT, session.address);
// Cleo reserves Ben's Titan RTX node with Ben's quote, for a window that opens a few seconds from
// now (startable for the escrow's grace, an hour), so My leases has a reservation to start; her own
// Titan V node goes offline: the market shows Idle, Sharing, Reserved and Disconnect.
const reservedNode = nodes[2]!;
await reserveWithQuote(story, ben!, cleo!, reservedNode, { start: (await now()) + 10n, duration: 7_200n }, 20n * UNIT);
await mined(registry.connect(cleo!).goOffline(nodes[4]!));
// Ada collects Ben's latest receipt (anyone may send it; the pay is Ada's): the seconds the story
// took are paid, the minute ahead is not until it has passed.
const paidThrough = (await now()) + 60n;
await mined(escrow.connect(ada!).collect(leaseId, paidThrough, await receiptOf(story, session, leaseId, paidThrough)));

const config = {
  format: "gpufog-app-config-v1",
  chain: { id: Number(book.chainId), name: "Local (hardhat node)", rpcUrl },
  addressBook: book,
  airdrop: "./airdrop/",
};
writeFileSync(
  path.join(out, "config.json"),
  `${JSON.stringify(config, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
);

const wif = encodeWif(oldKeys[0]!, "compressed", GUT_P2PKH_VERSION);
console.log(
  JSON.stringify({
    accounts: Object.fromEntries(Object.entries(people).map(([name, s]) => [name, s!.address])),
    legacy: { address: oldAddress(oldKeys[0]!), wif },
    nodes: nodes.map(String),
    lease: String(leaseId),
    sessionKey: session.address,
    contracts: book.contracts,
  }),
);
