import { holderAmount, holderFields, holderLines } from "./snapshot-csv.js";
import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import { LeafKind, MAX_UINT256, type LeafEntry } from "./merkle/proof.js";
import { decodeLegacyAddress, LegacyAddressError } from "./legacy/address.js";

/** The header every legacy balance CSV starts with. */
export const LEGACY_HEADER = "address,amount";

/** The old chain's decimals. */
export const LEGACY_DECIMALS = 8;

/** One old-chain unit (10^-8 GUT) in wei: amounts are scaled by this when read. */
export const LEGACY_SCALE = 10n ** 10n;

/** A holder of the old chain's balance list. */
export interface LegacyRow {
  /** The base58check P2PKH address, as in the file. */
  address: string;
  /** Its HASH160, `0x` lower-case hex: the leaf's holder. */
  hash160: string;
  /** In wei (18 decimals): the file's 8-decimal units × 10^10. */
  amount: bigint;
}

/**
 * Parses the old chain's balance list: the header `address,amount`, then one holder a line: a
 * base58check P2PKH address of the chain (`version`), and the balance as a whole number of the
 * chain's 8-decimal units (1 GUT = 100000000), above zero. LF or CRLF; a final newline is
 * optional. Each problem (checksum, version byte, length, duplicate HASH160, amount) is an
 * `InputError` naming the file, the line and the field, thrown before the caller writes anything.
 */
export function parseLegacyCsv(text: string, file: string, version: number): LegacyRow[] {
  const lines = holderLines(text, file, LEGACY_HEADER);
  const rows: LegacyRow[] = [];
  const seen = new Map<string, number>();
  let total = 0n;
  for (let i = 1; i < lines.length; i++) {
    const lineNumber = i + 1;
    const [address, amountText] = holderFields(lines[i]!, file, lineNumber, LEGACY_HEADER);
    let hash160: string;
    try {
      ({ hash160 } = decodeLegacyAddress(address, version));
    } catch (error) {
      if (error instanceof LegacyAddressError) throw new InputError(file, lineNumber, "address", error.message);
      throw error;
    }
    const first = seen.get(hash160);
    if (first !== undefined) {
      throw new InputError(file, lineNumber, "address", `duplicate holder ${address}, first on line ${first}`);
    }
    seen.set(hash160, lineNumber);

    const units = holderAmount(
      amountText,
      file,
      lineNumber,
      "a whole number of the chain's units (1 GUT = 100000000 units; digits only, no decimal point)",
    );
    const amount = units * LEGACY_SCALE;
    if (amount > MAX_UINT256)
      throw new InputError(
        file,
        lineNumber,
        "amount",
        `"${amountText}" does not fit in a uint256 once scaled to 18 decimals`,
      );
    total += amount;
    if (total > MAX_UINT256)
      throw new InputError(file, lineNumber, "amount", "the amounts add up to more than a uint256 holds");
    rows.push({ address, hash160, amount });
  }
  return rows;
}

/** Reads and parses a legacy balance CSV file; see `parseLegacyCsv`. */
export async function readLegacyCsv(file: string, version: number): Promise<LegacyRow[]> {
  const text = await readInputFile(file);
  return parseLegacyCsv(text, file, version);
}

/** The tree entries of a legacy balance list: kind 1, holder = HASH160. */
export function legacyEntries(rows: readonly LegacyRow[]): LeafEntry[] {
  return rows.map(({ hash160, amount }) => ({ kind: LeafKind.Legacy, holder: hash160, amount }));
}
