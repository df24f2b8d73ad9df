import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { encodeBytes32String } from "ethers";

import type { GasRow } from "../gas.js";
import { connect, gasOf, type BenchChain } from "../lib.js";

const DAY = 86_400;

/**
 * The registry calls providers and keepers make. `register` is measured for a provider's first
 * node (its node list and the contract's totals start cold) and a later one. A check-in is due
 * once per `checkInPeriod` (a day) for an Idle or Reserved node, so each is measured a day after
 * the last one, sent by the provider's operator (its hot key) as the agent does, alone and in
 * batches of one provider's nodes. `was` names the heartbeat each replaces, for the comparison.
 */
export default async function registry(hre: HardhatRuntimeEnvironment, chain: BenchChain = "l1"): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await connect(hre, chain);
  const [admin, alice, keeper, operator, treasury] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    100n * 10n ** 18n,
    BigInt(DAY),
    7n * 24n * 3600n,
    treasury.address,
  ]);
  await gut.transfer(alice.address, 100_000n * 10n ** 18n);
  await gut.connect(alice).approve(await registry.getAddress(), ethers.MaxUint256);
  const model = encodeBytes32String("RTX 2080 Ti");
  const token = await gut.getAddress();
  const uri = "https://node-1.example.org/gpufog";
  const register = () => registry.connect(alice).register(model, 4, 2n * 10n ** 17n, token, uri);
  const first = await gasOf(register());
  const second = await gasOf(register());
  await registry.connect(alice).setOperator(operator.address);
  await networkHelpers.time.increase(DAY - 60);
  const checkIn = await gasOf(registry.connect(operator).checkIn([1n]));
  await networkHelpers.time.increase(DAY + 1);
  const markDisconnected = await gasOf(registry.connect(keeper).markDisconnected(2n));
  const reconnect = await gasOf(registry.connect(operator).checkIn([2n]));
  const addStake = await gasOf(registry.connect(alice).addStake(2n, 10n ** 18n));
  // Batched check-ins: nodes 3 to 66, each a day after its last.
  for (let i = 0; i < 64; i++) await register();
  const ids = Array.from({ length: 64 }, (_, i) => BigInt(i + 3));
  const batch: Record<number, bigint> = {};
  for (const size of [8, 64]) {
    await networkHelpers.time.increase(DAY - 60);
    await registry.connect(operator).checkIn(ids.slice(size));
    batch[size] = await gasOf(registry.connect(operator).checkIn(ids.slice(0, size)));
  }
  const perNode = (size: number) => batch[size]! / BigInt(size);
  return [
    { contract: "ProviderRegistry", call: "register (first node)", gas: first },
    { contract: "ProviderRegistry", call: "register (later node)", gas: second },
    { contract: "ProviderRegistry", call: "checkIn (1 node)", gas: checkIn, target: 40_000n, was: "heartbeat" },
    { contract: "ProviderRegistry", call: "markDisconnected", gas: markDisconnected },
    { contract: "ProviderRegistry", call: "checkIn (reconnect)", gas: reconnect, was: "heartbeat (reconnect)" },
    { contract: "ProviderRegistry", call: "addStake", gas: addStake },
    {
      contract: "ProviderRegistry",
      call: "checkIn (8 nodes, per node)",
      gas: perNode(8),
      batch: { total: batch[8]!, size: 8 },
      was: "heartbeatBatch (8 nodes, per node)",
    },
    {
      contract: "ProviderRegistry",
      call: "checkIn (64 nodes, per node)",
      gas: perNode(64),
      batch: { total: batch[64]!, size: 64 },
      was: "heartbeatBatch (64 nodes, per node)",
    },
  ];
}
