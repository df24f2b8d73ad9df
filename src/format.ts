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

/**
 * A unix time as a UTC date with how far it is from `now` (the chain's clock, which a local node
 * can move away from the wall clock): `2026-12-03 12:30:05 UTC (in 25 min)`, `… (3 h 5 min ago)`.
 */
export function formatTime(t: bigint, now: bigint): string {
  const date = new Date(Number(t) * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
  if (t === now) return `${date} (now)`;
  return t > now ? `${date} (in ${formatSpan(t - now)})` : `${date} (${formatSpan(now - t)} ago)`;
}

/** A number of seconds in its two largest units: `45 s`, `25 min`, `1 h 30 min`, `2 d 4 h`. */
export function formatSpan(seconds: bigint): string {
  const units: [bigint, string][] = [
    [86_400n, "d"],
    [3_600n, "h"],
    [60n, "min"],
    [1n, "s"],
  ];
  const i = units.findIndex(([size]) => seconds >= size);
  if (i === -1) return "0 s";
  const [size, name] = units[i]!;
  const rest = units[i + 1];
  const whole = `${seconds / size} ${name}`;
  if (rest === undefined || (seconds % size) / rest[0] === 0n) return whole;
  return `${whole} ${(seconds % size) / rest[0]} ${rest[1]}`;
}
