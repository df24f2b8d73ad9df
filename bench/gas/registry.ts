import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { encodeBytes32String } from "ethers";

import type { GasRow } from "../gas.js";
import { connect, gasOf, type BenchChain } from "../lib.js";

/**
 * The registry calls providers and keepers make. `register` is measured for a provider's first
 * node (its node list and the contract's totals start cold) and a later one. The heartbeat has a
 * budget: one storage write on top of the transaction's base cost and one cold slot read.
 */
export default async function registry(hre: HardhatRuntimeEnvironment, chain: BenchChain = "l1"): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await connect(hre, chain);
  const [admin, alice, keeper] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    100n * 10n ** 18n,
    600n,
    7n * 24n * 3600n,
    1_000n,
  ]);
  await gut.transfer(alice.address, 100_000n * 10n ** 18n);
  await gut.connect(alice).approve(await registry.getAddress(), ethers.MaxUint256);
  const model = encodeBytes32String("RTX 2080 Ti");
  const token = await gut.getAddress();
  const uri = "https://node-1.example.org/gpufog";
  const register = () => registry.connect(alice).register(model, 4, 2n * 10n ** 17n, token, uri);
  const first = await gasOf(register());
  const second = await gasOf(register());
  await networkHelpers.time.increase(60);
  const heartbeat = await gasOf(registry.connect(alice).heartbeat(1n));
  await networkHelpers.time.increase(601);
  const markDisconnected = await gasOf(registry.connect(keeper).markDisconnected(2n));
  const reconnect = await gasOf(registry.connect(alice).heartbeat(2n));
  // Batched heartbeats by the provider's operator (a hot key): nodes 3 to 66, all on time.
  await registry.connect(alice).setOperator(keeper.address);
  for (let i = 0; i < 64; i++) await register();
  const ids = Array.from({ length: 64 }, (_, i) => BigInt(i + 3));
  const batch: Record<number, bigint> = {};
  for (const size of [1, 8, 64]) {
    await networkHelpers.time.increase(60);
    batch[size] = await gasOf(registry.connect(keeper).heartbeatBatch(ids.slice(0, size)));
  }
  const perNode = (size: number) => batch[size]! / BigInt(size);
  return [
    { contract: "ProviderRegistry", call: "register (first node)", gas: first },
    { contract: "ProviderRegistry", call: "register (later node)", gas: second },
    { contract: "ProviderRegistry", call: "heartbeat", gas: heartbeat, target: 30_000n },
    { contract: "ProviderRegistry", call: "markDisconnected", gas: markDisconnected },
    { contract: "ProviderRegistry", call: "heartbeat (reconnect)", gas: reconnect },
    {
      contract: "ProviderRegistry",
      call: "heartbeatBatch (1 node, per node)",
      gas: perNode(1),
      batch: { total: batch[1]!, size: 1 },
    },
    {
      contract: "ProviderRegistry",
      call: "heartbeatBatch (8 nodes, per node)",
      gas: perNode(8),
      batch: { total: batch[8]!, size: 8 },
    },
    {
      contract: "ProviderRegistry",
      call: "heartbeatBatch (64 nodes, per node)",
      gas: perNode(64),
      batch: { total: batch[64]!, size: 64 },
    },
  ];
}
