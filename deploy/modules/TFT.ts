import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

const CIRCULATING = 650_000_000n * 10n ** 18n;

/**
 * TFT with its whole supply. The reserve goes to `reserveHolder`, the deploying account by
 * default, which hands it to the emission contract once that contract exists.
 */
export default buildModule("TFT", (m) => {
  const circulatingRecipient = m.getParameter("circulatingRecipient", m.getAccount(0));
  const circulatingAmount = m.getParameter("circulatingAmount", CIRCULATING);
  const reserveHolder = m.getParameter("reserveHolder", m.getAccount(0));
  const tft = m.contract("TFT", [circulatingRecipient, circulatingAmount, reserveHolder]);
  return { tft };
});
