import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GUTModule from "./GUT.js";

const TWO_DAYS = 2n * 24n * 3600n;

/**
 * The provider registry, staking the GUT of the GUT module. The defaults: 100 GUT per TU, a 24-hour
 * check-in period for Idle and Reserved nodes, a 7-day unbonding period, and failed reservations'
 * penalties paid to `treasury`. `admin` and `treasury` default to the deploying account; the
 * escrow role is granted when the escrow is deployed.
 */
export default buildModule("ProviderRegistry", (m) => {
  const { gut } = m.useModule(GUTModule);
  const registry = m.contract("ProviderRegistry", [
    m.getParameter("adminDelay", TWO_DAYS),
    m.getParameter("admin", m.getAccount(0)),
    gut,
    m.getParameter("minStakePerTu", 100n * 10n ** 18n),
    m.getParameter("checkInPeriod", 24n * 3600n),
    m.getParameter("unbondingPeriod", 7n * 24n * 3600n),
    m.getParameter("treasury", m.getAccount(0)),
  ]);
  return { registry, gut };
});
