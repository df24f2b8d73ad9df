import type { network } from "hardhat";

import { escrowDomain, type Quote, signQuote, signReceipt } from "../../src/market/typed-data.js";

/** The `ethers` of a test's network connection. */
export type Ethers = Awaited<ReturnType<typeof network.create>>["ethers"];

export const UNIT = 10n ** 18n;
/** 3.6 GUT per TU-hour: a 1-TU node costs exactly 0.001 GUT (1e15 wei) per second. */
export const PRICE = 36n * 10n ** 17n;
export const PER_SECOND = 10n ** 15n;
export const GUT_FEE_BPS = 500n;
export const RESERVATION_FEE_BPS = 1_000n;
export const GRACE = 3_600n;
export const CHECK_IN_PERIOD = 86_400n;
export const UNBONDING_PERIOD = 86_400n;
export const MIN_STAKE_PER_TU = 100n * UNIT;
export const MAX_QUOTE_AGE = 600n;
export const COLLECT_WINDOW = 3_600n;
export const ACCEPT_WINDOW = 600n;

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
  Closing,
  Closed,
}

export enum ReservationStatus {
  None,
  Pending,
  Starting,
  Started,
  Cancelled,
  Expired,
  Failed,
}

/**
 * GUT, the real provider registry and the escrow with a recording fee collector. The provider
 * registers node 1 (one GTX 1080 Ti, 1 TU, priced in GUT); the customer and `other` hold 1,000 GUT
 * each, approved to the escrow. `treasury` receives failed reservations' penalties; `session` is
 * the key the customer's client signs receipts with; `operator` is the provider's named operator.
 */
export async function deployEscrowSystem(ethers: Ethers) {
  const [admin, provider, customer, other, keeper, treasury, operator] = await ethers.getSigners();
  const session = ethers.Wallet.createRandom();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    MIN_STAKE_PER_TU,
    CHECK_IN_PERIOD,
    UNBONDING_PERIOD,
    treasury.address,
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
    { maxQuoteAge: MAX_QUOTE_AGE, collectWindow: COLLECT_WINDOW, acceptWindow: ACCEPT_WINDOW },
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
  await registry.connect(provider).setOperator(operator.address);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = escrowDomain(chainId, escrowAddress);
  return {
    gut,
    registry,
    collector,
    escrow,
    admin,
    provider,
    customer,
    other,
    keeper,
    treasury,
    operator,
    session,
    domain,
    nodeId: 1n,
  };
}

export type EscrowSystem = Awaited<ReturnType<typeof deployEscrowSystem>>;

let nextNonce = 1n;

/**
 * A quote for `customer` on the system's node at `PRICE` in GUT, valid for the escrow's longest
 * quote age from the latest block, with a fresh nonce; `fields` overrides any field. Signed by
 * `signer` (the provider by default).
 */
export async function quoteFor(
  system: EscrowSystem,
  ethers: Ethers,
  fields: Partial<Quote> = {},
  signer: { signTypedData: Parameters<typeof signQuote>[0]["signTypedData"] } = system.provider,
): Promise<{ quote: Quote; signature: string }> {
  const latest = await ethers.provider.getBlock("latest");
  const quote: Quote = {
    nodeId: system.nodeId,
    customer: system.customer.address,
    token: await system.gut.getAddress(),
    pricePerTuHour: PRICE,
    windowStart: 0n,
    windowDuration: 0n,
    expiry: BigInt(latest!.timestamp) + MAX_QUOTE_AGE,
    nonce: nextNonce++,
    ...fields,
  };
  return { quote, signature: await signQuote(signer, system.domain, quote) };
}

/** A signed quote's terms as `renewLease` takes them: price, expiry, nonce and the signature. */
export const terms = ({ quote, signature }: { quote: Quote; signature: string }) =>
  [quote.pricePerTuHour, quote.expiry, quote.nonce, signature] as const;

/** A receipt of `leaseId` up to `paidThrough`, signed by `signer` (the session key by default). */
export function receiptFor(
  system: EscrowSystem,
  leaseId: bigint,
  paidThrough: bigint,
  signer: { signTypedData: Parameters<typeof signReceipt>[0]["signTypedData"] } = system.session,
): Promise<string> {
  return signReceipt(signer, system.domain, { leaseId, paidThrough });
}

/**
 * Opens a lease for the customer on the system's node with a fresh quote, the session key named,
 * and returns its id.
 */
export async function openWithQuote(
  system: EscrowSystem,
  ethers: Ethers,
  deposit: bigint,
  fields: Partial<Quote> = {},
): Promise<bigint> {
  const { quote, signature } = await quoteFor(system, ethers, fields);
  const customer = await ethers.getSigner(quote.customer);
  await system.escrow.connect(customer).openLease(quote, signature, deposit, system.session.address);
  return system.escrow.leaseCount();
}
