import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { GasRow } from "../gas.js";
import { gasOf } from "../lib.js";

const UNIT = 10n ** 18n;

export default async function escrow(hre: HardhatRuntimeEnvironment): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await hre.network.create();
  const [admin, provider, customer] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("MockRegistry");
  const collector = await ethers.deployContract("MockFeeCollector");
  const escrow = await ethers.deployContract("LeaseEscrow", [
    0n,
    admin.address,
    await registry.getAddress(),
    await collector.getAddress(),
    await gut.getAddress(),
    500,
    1000,
    3600,
  ]);
  await registry.setEscrow(await escrow.getAddress());
  await gut.transfer(customer.address, 1_000_000n * UNIT);
  await gut.transfer(provider.address, 1n * UNIT);
  await gut.transfer(await collector.getAddress(), 1n * UNIT);
  await gut.connect(customer).approve(await escrow.getAddress(), ethers.MaxUint256);
  for (let i = 1; i <= 12; i++) await registry.setNode(i, provider.address, 1, 1850, await gut.getAddress(), UNIT);
  const rows: GasRow[] = [];
  await escrow.connect(customer).openLease(12, 100n * UNIT);
  rows.push({
    contract: "LeaseEscrow",
    call: "openLease",
    gas: await gasOf(escrow.connect(customer).openLease(1, 100n * UNIT)),
    target: 200_000n,
  });
  for (let i = 2; i <= 11; i++) await escrow.connect(customer).openLease(i, 100n * UNIT);
  rows.push({
    contract: "LeaseEscrow",
    call: "topUp",
    gas: await gasOf(escrow.connect(customer).topUp(1, 10n * UNIT)),
  });
  await networkHelpers.time.increase(600);
  for (let i = 1; i <= 12; i++) await registry.heartbeat(i);
  await escrow.connect(provider).withdraw([1]); // warm up collector counters
  await networkHelpers.time.increase(600);
  for (let i = 1; i <= 12; i++) await registry.heartbeat(i);
  rows.push({
    contract: "LeaseEscrow",
    call: "withdraw (1 lease)",
    gas: await gasOf(escrow.connect(provider).withdraw([2])),
    target: 70_000n,
  });
  rows.push({
    contract: "LeaseEscrow",
    call: "withdraw (10 leases)",
    gas: await gasOf(escrow.connect(provider).withdraw([1, 3, 4, 5, 6, 7, 8, 9, 10, 11])),
  });
  rows.push({ contract: "LeaseEscrow", call: "closeLease", gas: await gasOf(escrow.connect(customer).closeLease(1)) });
  return rows;
}
