import { getAddress, isAddress, parseUnits } from "ethers";

import { InputError } from "./errors.js";

/**
 * Parsers for the lease tasks' options. Each throws an `InputError` naming the task (as the
 * "file") and the option (as the field), so a command line with a typo fails before anything is
 * sent.
 */

/** A positive whole number, as a lease, reservation or node id. */
export function parseId(source: string, field: string, value: string): bigint {
  if (!/^[0-9]+$/.test(value.trim()))
    throw new InputError(source, undefined, field, `"${value}" is not a whole number`);
  const id = BigInt(value.trim());
  if (id === 0n) throw new InputError(source, undefined, field, "ids start at 1");
  return id;
}

/** A list of ids separated by commas, e.g. `3,4,9`. */
export function parseIds(source: string, field: string, value: string): bigint[] {
  const parts = value.split(",").filter((part) => part.trim() !== "");
  if (parts.length === 0) throw new InputError(source, undefined, field, "no ids given");
  return parts.map((part) => parseId(source, field, part));
}

/** A decimal token amount such as `12.5`, scaled by `decimals`; zero only when `allowZero`. */
export function parseTokenAmount(
  source: string,
  field: string,
  value: string,
  decimals: number,
  allowZero = false,
): bigint {
  const text = value.trim();
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    throw new InputError(source, undefined, field, `"${value}" is not a decimal amount like 12.5`);
  }
  const fraction = text.split(".")[1] ?? "";
  if (fraction.length > decimals) {
    throw new InputError(source, undefined, field, `"${value}" has more than the token's ${decimals} decimals`);
  }
  const amount = parseUnits(text, decimals);
  if (amount === 0n && !allowZero) throw new InputError(source, undefined, field, "the amount must be positive");
  return amount;
}

/** A checksummed or lower-case address. */
export function parseAddress(source: string, field: string, value: string): string {
  if (!isAddress(value.trim())) throw new InputError(source, undefined, field, `"${value}" is not an address`);
  return getAddress(value.trim());
}

/**
 * A duration in seconds, or with a unit: `90`, `90s`, `15m`, `2h`, `1d`.
 */
export function parseDuration(source: string, field: string, value: string): bigint {
  const match = /^([0-9]+)([smhd]?)$/.exec(value.trim());
  if (match === null)
    throw new InputError(source, undefined, field, `"${value}" is not a duration like 3600, 15m, 2h or 1d`);
  const unit = { "": 1n, s: 1n, m: 60n, h: 3_600n, d: 86_400n }[match[2] as "" | "s" | "m" | "h" | "d"];
  const seconds = BigInt(match[1]!) * unit;
  if (seconds === 0n) throw new InputError(source, undefined, field, "the duration must be positive");
  return seconds;
}

/**
 * A start time: unix seconds (`1767225600`), an ISO date (`2026-12-01T10:00:00Z`), or a delay
 * from `now` (`+15m`, `+2h`).
 */
export function parseStart(source: string, field: string, value: string, now: bigint): bigint {
  const text = value.trim();
  if (text.startsWith("+")) return now + parseDuration(source, field, text.slice(1));
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new InputError(source, undefined, field, `"${value}" is not unix seconds, an ISO date or +delay`);
  }
  return BigInt(Math.floor(ms / 1000));
}
