import { getAddress } from "ethers";

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
 * The snapshot CSV that the Merkle builder reads: a header `address,amount`, then one holder a
 * line, LF endings and a final newline.
 */
export function formatSnapshotCsv(rows: readonly SnapshotRow[]): string {
  const lines = ["address,amount"];
  for (const { address, amount } of rows) lines.push(`${address},${amount}`);
  return lines.join("\n") + "\n";
}
