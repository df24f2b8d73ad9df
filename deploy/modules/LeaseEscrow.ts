import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import BuybackEmissionModule, { BuybackEmissionLocalModule } from "./BuybackEmission.js";
import ProviderRegistryModule from "./ProviderRegistry.js";

const TWO_DAYS = 2n * 24n * 3600n;

/**
 * The lease escrow over the registry, with the emission contract as its fee collector and GUT
 * allowlisted. The defaults: a 5 % protocol fee on GUT, a 10 % reservation fee, a one-hour
 * grace to start a reservation, quotes valid for at most 10 minutes, a one-hour collect window
 * after a customer's close and 10 minutes for a provider to accept a reservation's start. The registry's ESCROW_ROLE and the emission's ESCROW_ROLE are
 * granted by the `System` module.
 */
function leaseEscrowModule(emissionModule: typeof BuybackEmissionModule) {
  return buildModule("LeaseEscrow", (m) => {
    const { registry, gut } = m.useModule(ProviderRegistryModule);
    const { emission } = m.useModule(emissionModule);
    const escrow = m.contract("LeaseEscrow", [
      m.getParameter("adminDelay", TWO_DAYS),
      m.getParameter("admin", m.getAccount(0)),
      registry,
      emission,
      gut,
      m.getParameter("gutFeeBps", 500n),
      m.getParameter("reservationFeeBps", 1_000n),
      m.getParameter("reservationGrace", 3_600n),
      {
        maxQuoteAge: m.getParameter("maxQuoteAge", 600n),
        collectWindow: m.getParameter("collectWindow", 3_600n),
        acceptWindow: m.getParameter("acceptWindow", 600n),
      },
    ]);
    return { escrow, registry, emission, gut };
  });
}

export default leaseEscrowModule(BuybackEmissionModule);

/** The same, with the emission contract of `BuybackEmissionLocalModule` (Uniswap V2 deployed alongside). */
export const LeaseEscrowLocalModule = leaseEscrowModule(BuybackEmissionLocalModule);
