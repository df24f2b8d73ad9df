import { formatUnits } from "ethers";

/** Formats an 18-decimal amount with thousands separators, e.g. `50,100,000.0 GUT`. */
export function formatToken(amount: bigint, symbol: string, decimals = 18): string {
  const [whole = "0", fraction = "0"] = formatUnits(amount, decimals).split(".");
  const negative = whole.startsWith("-");
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = fraction.replace(/0+$/, "") || "0";
  return `${negative ? "-" : ""}${grouped}.${trimmed} ${symbol}`;
}
