import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { nextQuoteNonce } from "../../src/market/quote.js";
import { escrowDomain, signQuote, signReceipt, type Quote } from "../../src/market/typed-data.js";
import { signPermit } from "../../src/permit.js";
import type { GasRow } from "../gas.js";
import { connect, gasOf, type BenchChain } from "../lib.js";

const UNIT = 10n ** 18n;
const PRICE = 36n * 10n ** 17n;
const HOUR = 3_600n;
const GTX_1080_TI = "0x" + Buffer.from("GTX 1080 Ti").toString("hex").padEnd(64, "0");

/**
 * The escrow's everyday calls on the real registry, in steady state: the provider, the customers,
 * the treasury and the fee collector already hold GUT, the provider has earned and forwarded a
 * fee before, and each measured call has a warm-up twin before it, so no measured call pays for a
 * storage slot's first write that a live system would long have paid. Quotes are signed by the
 * provider's operator and receipts by the lease's session key, as the agent and the customer's
 * client do. `was` names the call of the turn-2 escrow each replaces, for the comparison.
 */
export default async function escrow(hre: HardhatRuntimeEnvironment, chain: BenchChain = "l1"): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await connect(hre, chain);
  const [admin, provider, customer, other, operator, treasury, keeper] = await ethers.getSigners();
  const session = ethers.Wallet.createRandom();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const gutAddress = await gut.getAddress();
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    gutAddress,
    100n * UNIT,
    86_400n,
    86_400n,
    treasury.address,
  ]);
  const collector = await ethers.deployContract("MockFeeCollector");
  const escrow = await ethers.deployContract("LeaseEscrow", [
    0n,
    admin.address,
    await registry.getAddress(),
    await collector.getAddress(),
    gutAddress,
    500n,
    1_000n,
    HOUR,
    { maxQuoteAge: 600n, collectWindow: HOUR, acceptWindow: 600n },
  ]);
  const escrowAddress = await escrow.getAddress();
  await registry.grantRole(await registry.ESCROW_ROLE(), escrowAddress);
  for (const holder of [customer, other]) await gut.transfer(holder.address, 1_000_000n * UNIT);
  await gut.transfer(provider.address, 10_000n * UNIT);
  await gut.transfer(treasury.address, UNIT);
  await gut.transfer(await collector.getAddress(), UNIT);
  await gut.connect(customer).approve(escrowAddress, ethers.MaxUint256);
  await gut.connect(provider).approve(await registry.getAddress(), ethers.MaxUint256);
  const nodes = 12n;
  for (let i = 0n; i < nodes; i++) await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, gutAddress, "");
  await registry.connect(provider).setOperator(operator.address);
  const domain = escrowDomain((await ethers.provider.getNetwork()).chainId, escrowAddress);

  const quote = async (nodeId: bigint, who = customer.address, window = { start: 0n, duration: 0n }) => {
    const q: Quote = {
      nodeId,
      customer: who,
      token: gutAddress,
      pricePerTuHour: PRICE,
      windowStart: window.start,
      windowDuration: window.duration,
      expiry: BigInt(await networkHelpers.time.latest()) + 600n,
      // The agent's nonces (dense: most share a bitmap word with the last).
      nonce: nextQuoteNonce(),
    };
    return { q, signature: await signQuote(operator, domain, q) };
  };
  const open = async (nodeId: bigint) => {
    const { q, signature } = await quote(nodeId);
    return escrow.connect(customer).openLease(q, signature, 100n * UNIT, session.address);
  };
  const receipt = async (leaseId: bigint, paidThrough: bigint) =>
    [leaseId, paidThrough, await signReceipt(session, domain, { leaseId, paidThrough })] as const;
  const collect = async (leaseId: bigint) => {
    const { start } = await escrow.lease(leaseId);
    return escrow.connect(operator).collect(...(await receipt(leaseId, start + HOUR)));
  };

  // Leases 1 (warm-up) and 2 (measured); the permitted open is the other customer's first.
  await open(1n);
  const openGas = await gasOf(open(2n));
  for (let id = 3n; id <= 4n; id++) await open(id);
  const deadline = BigInt(await networkHelpers.time.latest()) + 600n;
  const permit = await signPermit(gut, other, escrowAddress, 100n * UNIT, deadline);
  const { q, signature } = await quote(5n, other.address);
  const openWithPermit = await gasOf(
    escrow
      .connect(other)
      .multicall([
        escrow.interface.encodeFunctionData("selfPermit", [
          gutAddress,
          100n * UNIT,
          deadline,
          permit.v,
          permit.r,
          permit.s,
        ]),
        escrow.interface.encodeFunctionData("openLease", [q, signature, 100n * UNIT, session.address]),
      ]),
  );
  const topUp = await gasOf(escrow.connect(customer).topUp(2n, 10n * UNIT));

  // An hour of service, then one collect per lease with the receipt the agent holds; the provider
  // has withdrawn and its fee been forwarded before.
  await networkHelpers.time.increase(Number(HOUR) + 60);
  await collect(1n);
  await escrow.connect(provider).withdraw(gutAddress, provider.address);
  await escrow.forwardFees(gutAddress, [provider.address]);
  const collectGas = await gasOf(collect(2n));
  await networkHelpers.time.increase(600);
  const { start: start2 } = await escrow.lease(2n);
  const laterCollect = await gasOf(escrow.connect(operator).collect(...(await receipt(2n, start2 + HOUR + 600n))));
  const withdraw = await gasOf(escrow.connect(provider).withdraw(gutAddress, provider.address));
  await collect(3n);
  const withdrawFor = await gasOf(escrow.connect(operator).withdrawFor(provider.address, gutAddress));
  await collect(4n);
  const forward = await gasOf(escrow.connect(keeper).forwardFees(gutAddress, [provider.address]));
  // Lease 4 renewed by its customer an hour in, at the provider's next quote.
  const next = await quote(4n);
  const renew = await gasOf(
    escrow.connect(customer).renewLease(4n, next.q.pricePerTuHour, next.q.expiry, next.q.nonce, next.signature, 0n),
  );

  const customerClose = await gasOf(escrow.connect(customer).closeLease(2n, 0n, "0x"));
  const { start: start3 } = await escrow.lease(3n);
  const providerClose = await gasOf(escrow.connect(operator).closeLease(...(await receipt(3n, start3 + HOUR + 900n))));
  await networkHelpers.time.increase(Number(HOUR) + 1);
  const finalize = await gasOf(escrow.connect(keeper).finalize(2n));

  // Reservations: node 6 warms up, node 7 is measured and accepted, node 8 fails.
  const reserveOn = async (nodeId: bigint) => {
    const start = BigInt(await networkHelpers.time.latest()) + 600n;
    const { q, signature } = await quote(nodeId, customer.address, { start, duration: HOUR });
    return escrow.connect(customer).reserve(q, signature, 20n * UNIT);
  };
  await reserveOn(6n);
  const reserve = await gasOf(reserveOn(7n));
  await reserveOn(8n);
  await networkHelpers.time.increase(601);
  await escrow.connect(customer).startReserved(1n, 0n, session.address);
  await escrow.connect(operator).acceptStart(1n);
  const startReserved = await gasOf(escrow.connect(customer).startReserved(2n, 0n, session.address));
  const acceptStart = await gasOf(escrow.connect(operator).acceptStart(2n));
  await escrow.connect(customer).startReserved(3n, 0n, session.address);
  await networkHelpers.time.increase(601);
  const fail = await gasOf(escrow.connect(customer).failReservation(3n));
  return [
    // The turn-2 budget was 200,000; the quote adds its signature check and nonce bit
    // (docs/benchmarks.md), so the budget is that plus their cost.
    { contract: "LeaseEscrow", call: "openLease (with the quote)", gas: openGas, target: 240_000n, was: "openLease" },
    { contract: "LeaseEscrow", call: "multicall(selfPermit, openLease)", gas: openWithPermit },
    { contract: "LeaseEscrow", call: "renewLease (with the next quote)", gas: renew },
    { contract: "LeaseEscrow", call: "topUp", gas: topUp },
    { contract: "LeaseEscrow", call: "collect (first of a lease)", gas: collectGas, target: 120_000n },
    { contract: "LeaseEscrow", call: "collect (later)", gas: laterCollect },
    { contract: "LeaseEscrow", call: "closeLease (customer)", gas: customerClose, was: "closeLease" },
    { contract: "LeaseEscrow", call: "closeLease (provider, with its last receipt)", gas: providerClose },
    { contract: "LeaseEscrow", call: "finalize", gas: finalize },
    { contract: "LeaseEscrow", call: "withdraw", gas: withdraw, target: 70_000n, was: "withdraw (1 lease)" },
    { contract: "LeaseEscrow", call: "withdrawFor (operator)", gas: withdrawFor },
    { contract: "LeaseEscrow", call: "forwardFees (1 provider)", gas: forward, was: "forwardFees (1 lease)" },
    { contract: "LeaseEscrow", call: "reserve", gas: reserve },
    { contract: "LeaseEscrow", call: "startReserved", gas: startReserved },
    { contract: "LeaseEscrow", call: "acceptStart", gas: acceptStart },
    { contract: "LeaseEscrow", call: "failReservation", gas: fail },
  ];
}
