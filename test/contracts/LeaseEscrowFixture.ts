import type { network } from "hardhat";

/** The `ethers` of a test's network connection. */
export type Ethers = Awaited<ReturnType<typeof network.create>>["ethers"];

export const UNIT = 10n ** 18n;
/** 3.6 GUT per TU-hour: a 1-TU node costs exactly 0.001 GUT (1e15 wei) per second. */
export const PRICE = 36n * 10n ** 17n;
export const PER_SECOND = 10n ** 15n;
export const GUT_FEE_BPS = 500n;
export const RESERVATION_FEE_BPS = 1_000n;
export const GRACE = 3_600n;
export const HEARTBEAT_TIMEOUT = 600n;
export const MIN_STAKE_PER_TU = 100n * UNIT;
export const SLASH_BPS = 1_000n;
/** A price bound for tests that are not about the bound: any price is accepted. */
export const ANY_PRICE = 2n ** 256n - 1n;

export const GTX_1080_TI = "0x" + Buffer.from("GTX 1080 Ti").toString("hex").padEnd(64, "0");
export const V100 = "0x" + Buffer.from("V100").toString("hex").padEnd(64, "0");

export enum NodeStatus {
  None,
  Idle,
  Sharing,
  Reserved,
  Disconnect,
}

export enum LeaseStatus {
  None,
  Open,
  Closed,
}

export enum ReservationStatus {
  None,
  Pending,
  Started,
  Cancelled,
  Expired,
}

/**
 * GUT, the real provider registry and the escrow with a recording fee collector. The provider
 * registers node 1 (one GTX 1080 Ti, 1 TU, priced in GUT); the customer and `other` hold 1,000 GUT
 * each, approved to the escrow.
 */
export async function deployEscrowSystem(ethers: Ethers) {
  const [admin, provider, customer, other, keeper] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    MIN_STAKE_PER_TU,
    HEARTBEAT_TIMEOUT,
    86_400n,
    SLASH_BPS,
  ]);
  const collector = await ethers.deployContract("MockFeeCollector");
  const escrow = await ethers.deployContract("LeaseEscrow", [
    0n,
    admin.address,
    await registry.getAddress(),
    await collector.getAddress(),
    await gut.getAddress(),
    GUT_FEE_BPS,
    RESERVATION_FEE_BPS,
    GRACE,
  ]);
  const escrowAddress = await escrow.getAddress();
  await registry.grantRole(await registry.ESCROW_ROLE(), escrowAddress);
  await escrow.grantRole(await escrow.PAUSER_ROLE(), admin.address);
  await gut.transfer(provider.address, 10_000n * UNIT);
  await gut.connect(provider).approve(await registry.getAddress(), ethers.MaxUint256);
  for (const who of [customer, other]) {
    await gut.transfer(who.address, 1_000n * UNIT);
    await gut.connect(who).approve(escrowAddress, ethers.MaxUint256);
  }
  await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, await gut.getAddress(), "https://node-1");
  return { gut, registry, collector, escrow, admin, provider, customer, other, keeper, nodeId: 1n };
}
