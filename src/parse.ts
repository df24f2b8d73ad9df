import { getAddress, isAddress, parseUnits } from "ethers";

import { InputError } from "./errors.js";

/**
 * Parsers for command-line options and file fields. Each throws an `InputError` naming where the
 * value came from (a task name or a file, as the "file"), the option or field, and what is wrong,
 * so a typo fails before anything is sent or written.
 */

/** Where an input came from, for error messages: a task name or a file path. */
export type Source = string;

/** A whole number in `[min, max]`. */
export function parseInteger(source: Source, field: string, value: string, min = 0n, max?: bigint): bigint {
  if (!/^[0-9]+$/.test(value.trim())) {
    throw new InputError(source, undefined, field, `"${value}" is not a whole number`);
  }
  const n = BigInt(value.trim());
  if (n < min || (max !== undefined && n > max)) {
    const range = max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
    throw new InputError(source, undefined, field, `${n} is out of range (${range})`);
  }
  return n;
}

/** A positive whole number, as a lease, reservation or node id. */
export function parseId(source: Source, field: string, value: string): bigint {
  const id = parseInteger(source, field, value);
  if (id === 0n) throw new InputError(source, undefined, field, "ids start at 1");
  return id;
}

/** A list of ids separated by commas, e.g. `3,4,9`. */
export function parseIds(source: Source, field: string, value: string): bigint[] {
  const parts = value.split(",").filter((part) => part.trim() !== "");
  if (parts.length === 0) throw new InputError(source, undefined, field, "no ids given");
  return parts.map((part) => parseId(source, field, part));
}

/** A decimal token amount such as `12.5`, scaled by `decimals`; zero only when `allowZero`. */
export function parseAmount(source: Source, field: string, value: string, decimals: number, allowZero = false): bigint {
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
export function parseAddress(source: Source, field: string, value: string): string {
  if (!isAddress(value.trim())) throw new InputError(source, undefined, field, `"${value}" is not an address`);
  return getAddress(value.trim());
}

/**
 * A duration in seconds, or with a unit: `90`, `90s`, `15m`, `2h`, `1d`.
 */
export function parseDuration(source: Source, field: string, value: string): bigint {
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
export function parseStart(source: Source, field: string, value: string, now: bigint): bigint {
  const text = value.trim();
  if (text.startsWith("+")) return now + parseDuration(source, field, text.slice(1));
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new InputError(source, undefined, field, `"${value}" is not unix seconds, an ISO date or +delay`);
  }
  return BigInt(Math.floor(ms / 1000));
}
