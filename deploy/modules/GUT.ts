import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

const TWO_DAYS = 2n * 24n * 3600n;

/**
 * GUT with its premine. `admin` and `treasury` default to the deploying account; on a real
 * network set them in `deploy/parameters/<network>.json` to the governance multisig and the
 * operating-expense treasury.
 */
export default buildModule("GUT", (m) => {
  const adminDelay = m.getParameter("adminDelay", TWO_DAYS);
  const admin = m.getParameter("admin", m.getAccount(0));
  const treasury = m.getParameter("treasury", m.getAccount(0));
  const gut = m.contract("GUT", [adminDelay, admin, treasury]);
  return { gut };
});
