import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { GasRow } from "../gas.js";
import { connect, gasOf, type BenchChain } from "../lib.js";

const UNIT = 10n ** 18n;
const PRICE = 36n * 10n ** 17n;
const GTX_1080_TI = "0x" + Buffer.from("GTX 1080 Ti").toString("hex").padEnd(64, "0");

/**
 * The escrow's everyday calls on the real registry, in steady state: the provider, the customer
 * and the fee collector already hold GUT, and the collector has recorded a fee before, so no
 * measured call pays for a storage slot's first write that a live system would long have paid.
 * `withdraw` settles open leases (one registry read each) and pays the provider; the protocol
 * fee stays booked to the lease until `forwardFees`, measured on its own.
 */
export default async function escrow(hre: HardhatRuntimeEnvironment, chain: BenchChain = "l1"): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await connect(hre, chain);
  const [admin, provider, customer] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    100n * UNIT,
    3_600n,
    86_400n,
    1_000n,
  ]);
  const collector = await ethers.deployContract("MockFeeCollector");
  const escrow = await ethers.deployContract("LeaseEscrow", [
    0n,
    admin.address,
    await registry.getAddress(),
    await collector.getAddress(),
    await gut.getAddress(),
    500n,
    1_000n,
    3_600n,
  ]);
  await registry.grantRole(await registry.ESCROW_ROLE(), await escrow.getAddress());
  await gut.transfer(customer.address, 1_000_000n * UNIT);
  await gut.transfer(provider.address, 10_000n * UNIT);
  await gut.transfer(await collector.getAddress(), UNIT);
  await gut.connect(customer).approve(await escrow.getAddress(), ethers.MaxUint256);
  await gut.connect(provider).approve(await registry.getAddress(), ethers.MaxUint256);
  const nodes = 13n;
  for (let i = 0n; i < nodes; i++) {
    await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, await gut.getAddress(), "");
  }
  const heartbeatAll = async () => {
    for (let id = 1n; id <= nodes; id++) await registry.connect(provider).heartbeat(id);
  };

  // Warm-up lease 1: the escrow's balance slot and the collector's counters exist from here on.
  await escrow.connect(customer).openLease(1n, 100n * UNIT, PRICE);
  const open = await gasOf(escrow.connect(customer).openLease(2n, 100n * UNIT, PRICE));
  for (let id = 3n; id <= nodes; id++) await escrow.connect(customer).openLease(id, 100n * UNIT, PRICE);
  const topUp = await gasOf(escrow.connect(customer).topUp(2n, 10n * UNIT));
  await networkHelpers.time.increase(600);
  await heartbeatAll();
  await escrow.connect(provider).withdraw([1n]);
  await escrow.forwardFees([1n]);
  await networkHelpers.time.increase(600);
  await heartbeatAll();
  const withdrawOne = await gasOf(escrow.connect(provider).withdraw([2n]));
  const withdrawTen = await gasOf(escrow.connect(provider).withdraw([3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n]));
  const forwardOne = await gasOf(escrow.forwardFees([2n]));
  const forwardTen = await gasOf(escrow.forwardFees([3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n]));
  await networkHelpers.time.increase(60);
  await heartbeatAll();
  const close = await gasOf(escrow.connect(customer).closeLease(2n));
  const start = BigInt(await networkHelpers.time.latest()) + 600n;
  const reserve = await gasOf(escrow.connect(customer).reserve(2n, start, 3_600n, 10n * UNIT, PRICE));
  return [
    { contract: "LeaseEscrow", call: "openLease", gas: open, target: 200_000n },
    { contract: "LeaseEscrow", call: "topUp", gas: topUp },
    { contract: "LeaseEscrow", call: "withdraw (1 lease)", gas: withdrawOne, target: 70_000n },
    { contract: "LeaseEscrow", call: "withdraw (10 leases)", gas: withdrawTen },
    { contract: "LeaseEscrow", call: "forwardFees (1 lease)", gas: forwardOne },
    { contract: "LeaseEscrow", call: "forwardFees (10 leases)", gas: forwardTen },
    { contract: "LeaseEscrow", call: "closeLease", gas: close },
    { contract: "LeaseEscrow", call: "reserve", gas: reserve },
  ];
}
