import { formatUnits } from "ethers";

/**
 * Formats an amount of `decimals` decimals (18 unless given) with thousands separators, e.g. `50,100,000.0 GUT`; with `places`,
 * the fraction is cut (not rounded) to that many digits, for display.
 */
export function formatToken(amount: bigint, symbol: string, decimals = 18, places?: number): string {
  const [whole = "0", fraction = "0"] = formatUnits(amount, decimals).split(".");
  const negative = whole.startsWith("-");
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = (places === undefined ? fraction : fraction.slice(0, places)).replace(/0+$/, "") || "0";
  return `${negative ? "-" : ""}${grouped}.${trimmed} ${symbol}`;
}
