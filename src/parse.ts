import { getAddress, isAddress, parseUnits } from "ethers";

import { InputError } from "./errors.js";

/** Where an input came from, for error messages: a file path or a task name. */
export type Source = string;

/** A checksummed address; an all-lowercase one is accepted, a wrong checksum is not. */
export function parseAddressInput(text: string, source: Source, field: string): string {
  if (!isAddress(text.trim())) throw new InputError(source, undefined, field, `"${text}" is not an address`);
  return getAddress(text.trim());
}

/** A whole number in `[min, max]`. */
export function parseInteger(text: string, source: Source, field: string, min = 0n, max?: bigint): bigint {
  if (!/^\d+$/.test(text.trim())) throw new InputError(source, undefined, field, `"${text}" is not a whole number`);
  const value = BigInt(text.trim());
  if (value < min || (max !== undefined && value > max)) {
    const range = max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
    throw new InputError(source, undefined, field, `${value} is out of range (${range})`);
  }
  return value;
}

/** A decimal token amount ("0.25") in the token's smallest unit. */
export function parseAmount(text: string, decimals: number, source: Source, field: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new InputError(source, undefined, field, `"${text}" is not an amount`);
  try {
    return parseUnits(text.trim(), decimals);
  } catch {
    throw new InputError(source, undefined, field, `"${text}" has more than ${decimals} decimals`);
  }
}
