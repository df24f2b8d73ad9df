import { readFile } from "node:fs/promises";

import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import { createKeccakEngine, keccakEngine, LEAF_RECORD, type KeccakEngine } from "./merkle/keccak.js";
import { checksumAddress, LeafKind, MAX_UINT256, type LeafEntry } from "./merkle/proof.js";

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
  return keys.map((key) => ({ address: checksumAddress(key), amount: balances.get(key)! }));
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

/** A snapshot read straight into leaf records (`LEAF_RECORD`, 64 bytes a holder, index order). */
export interface SnapshotRecords {
  records: Buffer;
  count: number;
  /** The sum of every amount. */
  total: bigint;
}

/** A snapshot CSV's bytes, or an `InputError` naming the file when it cannot be read. */
export async function readSnapshotBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new InputError(file, undefined, undefined, `cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Reads a snapshot CSV into leaf records for `buildTreeFromRecords`, with the checks and the
 * messages of `parseSnapshotCsv` (see `SnapshotScanner`; what the scan declines is parsed by
 * `parseSnapshotCsv`).
 */
export async function readSnapshotRecords(file: string): Promise<SnapshotRecords> {
  const bytes = await readSnapshotBytes(file);
  const scanner = SnapshotScanner.start(bytes);
  if (scanner !== undefined) {
    const records = Buffer.alloc(scanner.count * LEAF_RECORD.size);
    if (scanner.rows(records, 0, scanner.count)) {
      const total = scanner.total();
      if (total !== undefined) return { records, count: scanner.count, total };
    }
  }
  return snapshotRecordsOf(await parseSnapshotCsv(bytes.toString("utf8"), file));
}

/** Rows as leaf records (kind 0). */
export function snapshotRecordsOf(rows: readonly SnapshotRow[]): SnapshotRecords {
  const records = Buffer.alloc(rows.length * LEAF_RECORD.size);
  let total = 0n;
  rows.forEach(({ address, amount }, i) => {
    const at = i * LEAF_RECORD.size;
    records.write(address.slice(2), at + LEAF_RECORD.holder, 20, "hex");
    records.write(amount.toString(16).padStart(64, "0"), at + LEAF_RECORD.amount, 32, "hex");
    total += amount;
  });
  return { records, count: rows.length, total };
}

/** Hex digit values by byte, -1 for bytes that are not one. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x41 + c] = HEX[0x61 + c] = 10 + c;
/** By byte: its hex value in bits 0 to 3, `LOWER` or `UPPER` for a letter; negative if not hex. */
const DIGIT = new Int16Array(256).fill(-0x100);
const LOWER = 0x10;
const UPPER = 0x20;
for (let c = 0; c < 256; c++) {
  if (HEX[c]! >= 0) DIGIT[c] = HEX[c]! | (c >= 0x61 ? LOWER : c >= 0x41 ? UPPER : 0);
}
/** 10^k for the amount's groups of k ≤ 8 digits. */
const POWERS_OF_TEN = Array.from({ length: 9 }, (_, k) => 10 ** k);
/** By byte value: its two lower-case hex digits as they lie in memory, read as one 16-bit word. */
const HEX_PAIR = new Uint16Array(256);
{
  const digits = new Uint8Array(HEX_PAIR.buffer);
  const hex = Buffer.from("0123456789abcdef", "latin1");
  for (let v = 0; v < 256; v++) {
    digits[2 * v] = hex[v >> 4]!;
    digits[2 * v + 1] = hex[v & 15]!;
  }
}
/** By byte: 2 for a lower-case hex letter, 3 for an upper-case one, 0 otherwise (EIP-55's view). */
const CASE = new Uint8Array(256);
for (let c = 0; c < 6; c++) {
  CASE[0x61 + c] = 2;
  CASE[0x41 + c] = 3;
}
/** 2^24: the amount is read in 24-bit limbs, so a limb × 10^8 plus a carry stays below 2^53. */
const LIMB = 0x1000000;

const HEADER_LINE = Buffer.from(SNAPSHOT_HEADER + "\n", "latin1");
/** Rows between folds of the per-word sums into a bigint: each sum stays below 2^53, so exact. */
const FOLD = 1 << 20;

/**
 * The common snapshot CSV (the header, LF lines, sorted addresses, each checksummed or all one
 * case, whole amounts above zero) parsed byte by byte into leaf records, a range of rows at a
 * time, so the builder hashes one range while the next is read: no string or bigint per holder,
 * the EIP-55 checks hashed a batch at a time, two at once, in the keccak engine. Anything else
 * (a BOM, CRLF, unsorted lines, any mistake) makes `rows` return false: the caller then hands the
 * file whole to `parseSnapshotCsv`, so what a bad file is told is exactly what it always was, and
 * the rare good file the scan declines still reads.
 */
export class SnapshotScanner {
  private readonly engine = keccakEngine();
  private readonly limbs = new Float64Array(12);
  private readonly sums = new Float64Array(8);
  private sum = 0n;
  private at = HEADER_LINE.length;
  private next = 0;
  /** The engine's input two bytes at a time: an address byte's lower-case hex is one store. */
  private readonly text = new Uint16Array(
    this.engine.input.buffer,
    this.engine.input.byteOffset,
    this.engine.input.length >> 1,
  );
  /** Where each mixed-case address waiting for its EIP-55 check starts in `bytes`. */
  private readonly mixed = new Int32Array(this.engine.input.length >> 6);

  private constructor(
    private readonly bytes: Buffer,
    /** The rows: the lines after the header. */
    readonly count: number,
  ) {}

  /** A scanner of `bytes`, or undefined if they do not start with the header line. */
  static start(bytes: Buffer): SnapshotScanner | undefined {
    const length = bytes.length;
    if (
      length <= HEADER_LINE.length ||
      bytes.compare(HEADER_LINE, 0, HEADER_LINE.length, 0, HEADER_LINE.length) !== 0
    ) {
      return undefined;
    }
    let count = 0;
    for (let at = HEADER_LINE.length; at < length; count++) {
      const end = bytes.indexOf(0x0a, at);
      at = end < 0 ? length : end + 1;
    }
    return count === 0 ? undefined : new SnapshotScanner(bytes, count);
  }

  /** The sum of the amounts once every row is read; undefined past 2^256 − 1. */
  total(): bigint | undefined {
    this.fold();
    return this.sum > MAX_UINT256 ? undefined : this.sum;
  }

  private fold(): void {
    for (let w = 0; w < 8; w++) {
      this.sum += BigInt(this.sums[w]!) << BigInt(32 * (7 - w));
      this.sums[w] = 0;
    }
  }

  /**
   * EIP-55 for the `count` mixed-case addresses in `mixed`, whose lower-case hex is in the engine's
   * messages: a hex letter is upper case exactly when the matching nibble of the hash is 8 or more.
   */
  private checksums(count: number): boolean {
    const { bytes, engine, mixed } = this;
    const digests = engine.input;
    engine.hashAddresses(count);
    // Branch-free: a letter (bit 1 of CASE) whose case (bit 0) differs from the hash bit fails.
    let wrong = 0;
    for (let k = 0; k < count; k++) {
      const p = mixed[k]! + 2;
      const digest = k << 6;
      for (let i = 0; i < 20; i++) {
        const h = digests[digest + i]!;
        const a = CASE[bytes[p + 2 * i]!]!;
        const b = CASE[bytes[p + 2 * i + 1]!]!;
        wrong |= (a >> 1) & ((h >> 7) ^ a) & 1;
        wrong |= (b >> 1) & ((h >> 3) ^ b) & 1;
      }
    }
    return wrong === 0;
  }

  /**
   * Rows `[from, to)` (in order: `from` is where the last call stopped) into the zeroed records at
   * `records[64 from …]`; false if the scan declines.
   */
  rows(records: Buffer, from: number, to: number): boolean {
    if (from !== this.next) throw new RangeError(`rows from ${from}; the scan is at ${this.next}`);
    const { bytes, limbs, sums, mixed, text } = this;
    const length = bytes.length;
    let p = this.at;
    let waiting = 0;
    for (let row = from; row < to; row++) {
      const rec = row * LEAF_RECORD.size;
      // The address: "0x" and 40 hex digits, decoded into the record as they are checked.
      if (p + 43 >= length || bytes[p] !== 0x30 || bytes[p + 1] !== 0x78 || bytes[p + 42] !== 0x2c) return false;
      // The lower-case hex goes to the next free message of the engine too, kept only if the
      // address is mixed case: such rows are checked against EIP-55 a batch at a time.
      const message = waiting << 6;
      let seen = 0;
      for (let i = 0; i < 20; i++) {
        const a = bytes[p + 2 + 2 * i]!;
        const b = bytes[p + 3 + 2 * i]!;
        const hi = DIGIT[a]!;
        const lo = DIGIT[b]!;
        seen |= hi | lo;
        const byte = ((hi & 15) << 4) | (lo & 15);
        records[rec + LEAF_RECORD.holder + i] = byte;
        text[(message >> 1) + i] = HEX_PAIR[byte]!;
      }
      if (seen < 0) return false;
      if ((seen & (LOWER | UPPER)) === (LOWER | UPPER)) {
        mixed[waiting++] = p;
        if (waiting === mixed.length) {
          if (!this.checksums(waiting)) return false;
          waiting = 0;
        }
      }
      // Strictly above the previous holder: sorted, so no repeat (the slow path finds repeats otherwise).
      if (row > 0) {
        const h = rec + LEAF_RECORD.holder;
        let k = 0;
        while (k < 20 && records[h + k] === records[h - LEAF_RECORD.size + k]) k++;
        if (k === 20 || records[h + k]! < records[h - LEAF_RECORD.size + k]!) return false;
      }
      // The amount: digits to the end of the line, at most 78 (2^256 has 78).
      const start = p + 43;
      let end = start;
      while (end < length && bytes[end] !== 0x0a) end++;
      const digits = end - start;
      if (digits === 0 || digits > 78) return false;
      const amountAt = rec + LEAF_RECORD.amount;
      if (digits <= 15) {
        let v = 0;
        for (let k = start; k < end; k++) {
          const d = bytes[k]! - 0x30;
          if (d < 0 || d > 9) return false;
          v = v * 10 + d;
        }
        if (v === 0) return false;
        const high = Math.floor(v / 4294967296);
        const low = v >>> 0;
        records.writeUInt32BE(high, amountAt + 24);
        records.writeUInt32BE(low, amountAt + 28);
        sums[6]! += high;
        sums[7]! += low;
      } else {
        limbs.fill(0);
        let used = 1;
        // Eight digits at a time (the first group takes the rest), into 24-bit limbs.
        for (let k = start, group = digits % 8 || 8; k < end; k += group, group = 8) {
          let chunk = 0;
          for (let g = 0; g < group; g++) {
            const d = bytes[k + g]! - 0x30;
            if (d < 0 || d > 9) return false;
            chunk = chunk * 10 + d;
          }
          let carry = chunk;
          const scale = POWERS_OF_TEN[group]!;
          for (let l = 0; l < used; l++) {
            const v = limbs[l]! * scale + carry;
            carry = Math.floor(v / LIMB);
            limbs[l] = v - carry * LIMB;
          }
          while (carry > 0) {
            const next = Math.floor(carry / LIMB);
            limbs[used++] = carry - next * LIMB;
            carry = next;
          }
          // 2^256 needs 11 limbs, the last under 2^16.
          if (used > 11 || (used === 11 && limbs[10]! >= 0x10000)) return false;
        }
        let zero = true;
        for (let l = 0; l < used; l++) {
          const limb = limbs[l]!;
          if (limb !== 0) zero = false;
          const at = amountAt + 31 - 3 * l;
          records[at] = limb & 0xff;
          records[at - 1] = (limb >>> 8) & 0xff;
          if (at >= amountAt + 2) records[at - 2] = limb >>> 16;
        }
        if (zero) return false;
        for (let w = Math.max(0, 8 - Math.ceil((3 * used) / 4)); w < 8; w++) {
          sums[w]! += records.readUInt32BE(amountAt + 4 * w);
        }
      }
      if ((row + 1) % FOLD === 0) {
        this.fold();
        if (this.sum > MAX_UINT256) return false;
      }
      p = end + 1;
    }
    if (waiting > 0 && !this.checksums(waiting)) return false;
    this.at = p;
    this.next = to;
    return true;
  }
}
