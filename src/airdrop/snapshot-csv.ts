import { getAddress } from "ethers";

import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import { createKeccakEngine, type KeccakEngine } from "../merkle/keccak.js";
import { LeafKind, MAX_UINT256, type LeafEntry } from "../merkle/proof.js";

/** The header every snapshot CSV starts with. */
export const SNAPSHOT_HEADER = "address,amount";

/** One line of a snapshot CSV. */
export interface SnapshotRow {
  /** EIP-55 checksummed. */
  address: string;
  /** In the token's base units. */
  amount: bigint;
}

/**
 * The rows of a snapshot in the project's CSV order: zero balances and excluded addresses
 * dropped, sorted by address (lowercase hex order, i.e. by numeric value), checksummed.
 * `balances` is keyed by lowercase address.
 */
export function snapshotRows(
  balances: ReadonlyMap<string, bigint>,
  exclude: ReadonlySet<string> = new Set(),
): SnapshotRow[] {
  const keys = [...balances.keys()].filter((key) => balances.get(key)! > 0n && !exclude.has(key));
  keys.sort();
  return keys.map((key) => ({ address: getAddress(key), amount: balances.get(key)! }));
}

/**
 * The snapshot CSV that the Merkle builder reads: the header `SNAPSHOT_HEADER`, then one holder a
 * line, LF endings and a final newline.
 */
export function formatSnapshotCsv(rows: readonly SnapshotRow[]): string {
  const lines = [SNAPSHOT_HEADER];
  for (const { address, amount } of rows) lines.push(`${address},${amount}`);
  return lines.join("\n") + "\n";
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DIGITS = /^[0-9]+$/;

/**
 * EIP-55: a hex letter of the address is upper case when the matching nibble of
 * keccak256(lower-case hex) is 8 or more. `lower` is the 40 hex digits, lower case, no `0x`.
 * Returns `given` itself when it already is the checksummed form, without building a string.
 */
function checksum(engine: KeccakEngine, lower: string, given = ""): string {
  const input = engine.input;
  input.write(lower, 0, 40, "latin1");
  engine.hash(40);
  if (given.length === 42) {
    let same = true;
    for (let i = 0; i < 40 && same; i++) {
      const c = lower.charCodeAt(i);
      const upper = c >= 0x61 && (i & 1 ? input[i >> 1]! & 0x0f : input[i >> 1]! >> 4) >= 8;
      same = given.charCodeAt(i + 2) === (upper ? c - 0x20 : c);
    }
    if (same) return given;
  }
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const c = lower[i]!;
    const nibble = i & 1 ? input[i >> 1]! & 0x0f : input[i >> 1]! >> 4;
    out += c >= "a" && nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

let sharedEngine: Promise<KeccakEngine> | undefined;

/** The EIP-55 form of a 0x-prefixed 20-byte hex address (any case; no validation of its case). */
export async function toChecksumAddress(address: string): Promise<string> {
  if (!ADDRESS.test(address)) throw new RangeError(`${address} is not a 20-byte hex address`);
  sharedEngine ??= createKeccakEngine();
  return checksum(await sharedEngine, address.slice(2).toLowerCase());
}

/**
 * The lines of a two-column holder CSV whose first line must be `header`, after the checks every
 * such file shares: a UTF-8 BOM is dropped, an empty file, a wrong header and a file with no
 * holder are refused. Line `i` of the result is line `i + 1` of the file; a final newline is
 * optional.
 */
export function holderLines(text: string, file: string, header: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") {
    throw new InputError(
      file,
      undefined,
      undefined,
      `the file is empty; expected the header "${header}" and one line per holder`,
    );
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const found = lines[0]!.replace(/\r$/, "");
  if (found !== header) throw new InputError(file, 1, "header", `expected "${header}", found "${found}"`);
  if (lines.length === 1)
    throw new InputError(file, 2, undefined, "no holders: expected at least one line after the header");
  return lines;
}

/** The address and amount fields of a holder line (LF or CRLF), or an error naming what is wrong. */
export function holderFields(raw: string, file: string, lineNumber: number, header: string): [string, string] {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line === "") throw new InputError(file, lineNumber, undefined, "empty line");
  const comma = line.indexOf(",");
  if (comma < 0) throw new InputError(file, lineNumber, "amount", 'missing column "amount"');
  if (line.indexOf(",", comma + 1) >= 0) {
    const found = line.split(",").length;
    throw new InputError(file, lineNumber, undefined, `expected 2 columns (${header}), found ${found}`);
  }
  return [line.slice(0, comma), line.slice(comma + 1)];
}

/**
 * A holder's amount field as a whole number above zero; `unit` says what the file counts in,
 * for the error when the field is not one.
 */
export function holderAmount(text: string, file: string, lineNumber: number, unit: string): bigint {
  if (!DIGITS.test(text)) {
    const problem = /^-\s*[0-9]/.test(text) ? `"${text}" is negative` : `"${text}" is not ${unit}`;
    throw new InputError(file, lineNumber, "amount", problem);
  }
  const amount = BigInt(text);
  if (amount === 0n)
    throw new InputError(file, lineNumber, "amount", "is zero; holders without a balance must be left out");
  return amount;
}

/**
 * Parses a snapshot CSV (see the README): the header `address,amount`, then one holder a line,
 * the address EIP-55 checksummed or all one case, the amount a whole number of wei above zero.
 * LF or CRLF line ends; a final newline is optional. Every problem is an `InputError` naming the
 * file, the line and the field, thrown before the caller writes anything.
 */
export async function parseSnapshotCsv(text: string, file: string): Promise<SnapshotRow[]> {
  const lines = holderLines(text, file, SNAPSHOT_HEADER);
  const engine = await createKeccakEngine();
  const rows: SnapshotRow[] = new Array(lines.length - 1);
  let seen: Map<string, number> | undefined;
  let previous = "";
  let total = 0n;
  for (let i = 1; i < lines.length; i++) {
    const lineNumber = i + 1;
    const [address, amountText] = holderFields(lines[i]!, file, lineNumber, SNAPSHOT_HEADER);
    if (!ADDRESS.test(address)) {
      throw new InputError(file, lineNumber, "address", `"${address}" is not a 0x-prefixed 20-byte hex address`);
    }
    const lower = address.slice(2).toLowerCase();
    const canonical = checksum(engine, lower, address);
    const digits = address.slice(2);
    if (address !== canonical && digits !== lower && digits !== digits.toUpperCase()) {
      throw new InputError(
        file,
        lineNumber,
        "address",
        `"${address}" has a wrong EIP-55 checksum (expected ${canonical})`,
      );
    }
    // Snapshots come sorted, so a holder above the one before cannot be a repeat; the map of
    // every holder is only built if the order ever breaks.
    if (seen === undefined && lower <= previous) {
      seen = new Map(rows.slice(0, i - 1).map((row, k) => [row.address.slice(2).toLowerCase(), k + 2]));
    }
    if (seen !== undefined) {
      const first = seen.get(lower);
      if (first !== undefined) {
        throw new InputError(file, lineNumber, "address", `duplicate holder ${canonical}, first on line ${first}`);
      }
      seen.set(lower, lineNumber);
    }
    previous = lower;

    const amount = holderAmount(
      amountText,
      file,
      lineNumber,
      "a whole number of wei (digits only: no sign, decimal point or exponent)",
    );
    if (amount > MAX_UINT256)
      throw new InputError(file, lineNumber, "amount", `"${amountText}" does not fit in a uint256`);
    total += amount;
    if (total > MAX_UINT256)
      throw new InputError(file, lineNumber, "amount", "the amounts add up to more than a uint256 holds");
    rows[i - 1] = { address: canonical, amount };
  }
  return rows;
}

/** Reads and parses a snapshot CSV file; see `parseSnapshotCsv`. */
export async function readSnapshotCsv(file: string): Promise<SnapshotRow[]> {
  const text = await readInputFile(file);
  return parseSnapshotCsv(text, file);
}

/** The tree entries of an EVM snapshot: kind 0, index = row position. */
export function snapshotEntries(rows: readonly SnapshotRow[]): LeafEntry[] {
  return rows.map(({ address, amount }) => ({ kind: LeafKind.Evm, holder: address, amount }));
}
