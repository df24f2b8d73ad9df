import { network } from "hardhat";

import ProviderRegistryModule from "../deploy/modules/ProviderRegistry.js";
import {
  NODE_TABLE_HEADER,
  formatTable,
  listNodes,
  nodeRows,
  registerNode,
  tokenLabel,
  type TokenLabel,
} from "../src/registry.js";
import { GUT__factory, ProviderRegistry__factory } from "../types/index.js";

/**
 * Deploys GUT and the provider registry and leaves nodes in every status, for trying the
 * registry tasks against a `hardhat node`:
 *
 *   npx hardhat node
 *   npx hardhat run scripts/registry-demo.ts --network localhost
 *   npx hardhat nodes:list --registry <address> --network localhost
 *
 * The deployer stands in for the lease escrow (it gets ESCROW_ROLE) until the escrow exists.
 */
const { ethers, ignition, networkHelpers } = await network.create();
const [deployer, ...providers] = await ethers.getSigners();
if (deployer === undefined || providers.length < 3) throw new Error("the network needs at least 4 accounts");

const deployed = await ignition.deploy(ProviderRegistryModule, {
  parameters: { ProviderRegistry: { adminDelay: 0n } },
});
const registry = ProviderRegistry__factory.connect(await deployed.registry.getAddress(), deployer);
const gut = GUT__factory.connect(await deployed.gut.getAddress(), deployer);
for (const role of [await registry.ESCROW_ROLE(), await registry.AUDITOR_ROLE(), await registry.CATALOG_ROLE()]) {
  await (await registry.grantRole(role, deployer.address)).wait();
}
for (const p of providers.slice(0, 3)) await (await gut.transfer(p.address, 100_000n * 10n ** 18n)).wait();

const [alice, bob, carol] = providers as [(typeof providers)[0], (typeof providers)[0], (typeof providers)[0]];
const gutAddress = await gut.getAddress();
const plan = [
  { who: alice, model: "RTX 2080 Ti", gpus: 4n, price: "0.20" },
  { who: alice, model: "V100", gpus: 8n, price: "0.45" },
  { who: bob, model: "Titan RTX", gpus: 2n, price: "0.30" },
  { who: bob, model: "GTX 1080 Ti", gpus: 1n, price: "0.10" },
  { who: carol, model: "RTX 2080", gpus: 2n, price: "0.12" },
  { who: carol, model: "Titan V", gpus: 4n, price: "0.35" },
];
const ids: bigint[] = [];
for (const p of plan) {
  const { nodeId } = await registerNode(
    registry,
    p.who,
    {
      model: p.model,
      gpuCount: p.gpus,
      pricePerTuHour: ethers.parseUnits(p.price, 18),
      paymentToken: gutAddress,
      uri: `https://${p.model.replace(/ /g, "-").toLowerCase()}.example`,
    },
    "registry-demo",
  );
  ids.push(nodeId);
}
const [idle, sharing, reserved, offline, gone, dropped] = ids as [bigint, bigint, bigint, bigint, bigint, bigint];
await (await registry.setVerified(idle, true)).wait();
await (await registry.startLease(sharing)).wait();
await (await registry.startReservation(reserved)).wait();
await (await registry.connect(bob).goOffline(offline)).wait();
await (await registry.connect(carol).goOffline(gone)).wait();
await (await registry.connect(carol).deregister(gone)).wait();
await (await registry.startLease(dropped)).wait();
// The last node stops sending heartbeats during its lease; the others keep theirs fresh.
await networkHelpers.time.increase(Number(await registry.heartbeatTimeout()) + 1);
for (const [id, who] of [
  [idle, alice],
  [sharing, alice],
  [reserved, bob],
] as const) {
  await (await registry.connect(who).heartbeat(id)).wait();
}
await (await registry.markDisconnected(dropped)).wait();

const nodes = await listNodes(registry);
const tokens = new Map<string, TokenLabel>([[gutAddress, await tokenLabel(gutAddress, ethers.provider)]]);
const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
console.log(`ProviderRegistry at ${await registry.getAddress()} (GUT at ${gutAddress})\n`);
console.log(formatTable(NODE_TABLE_HEADER, nodeRows(nodes, now, tokens)));
