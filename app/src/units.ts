// Amounts for humans: the token's symbol beside the number and a sensible number of decimals,
// never a token's 18 digits ("0.999883176999182239 native" reads as "0.9999 ETH").

/**
 * `amount` (in the token's smallest unit) rounded to what a person reads: 2 decimals from 1,000
 * up ("10,500 GUT", "1,234.57 GUT"), 4 from 1 up ("2.5 GUT"), 4 significant digits below 1
 * ("0.9999 ETH", "0.0001234 GUT"), "< 0.00000001 GUT" below that; thousands grouped, trailing
 * zeros dropped, "0 GUT" for nothing. Rounded to the nearest (half up); exact figures belong in a
 * title or a tooltip (`exactAmount`).
 */
export function formatAmount(amount: bigint, symbol: string, decimals = 18): string {
  const negative = amount < 0n;
  const a = negative ? -amount : amount;
  const one = 10n ** BigInt(decimals);
  let places: number;
  if (a === 0n) places = 0;
  else if (a >= 1000n * one) places = 2;
  else if (a >= one) places = 4;
  else {
    // Below 1: 4 significant digits, at most 8 decimals.
    const digits = a.toString().length; // of the fraction's significant part
    places = Math.min(decimals, decimals - digits + 4, 8);
    if (places < 0) places = 0;
  }
  places = Math.min(places, decimals);
  const step = 10n ** BigInt(decimals - places);
  const rounded = (a + step / 2n) / step; // in units of 10^-places
  if (rounded === 0n && a !== 0n) return `< ${negative ? "-" : ""}0.${"0".repeat(places - 1)}1 ${symbol}`;
  const scale = 10n ** BigInt(places);
  const whole = (rounded / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = places === 0 ? "" : (rounded % scale).toString().padStart(places, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""} ${symbol}`;
}

/** Every digit, for a title: "0.999883176999182239 ETH". */
export function exactAmount(amount: bigint, symbol: string, decimals = 18): string {
  const negative = amount < 0n;
  const a = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const fraction = decimals === 0 ? "" : (a % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${a / scale}${fraction ? `.${fraction}` : ""} ${symbol}`;
}
