import { readSnapshotCsv, readSnapshotRecords, snapshotEntries } from "./snapshot-csv.js";
import { InputError } from "../errors.js";
import { legacyEntries, readLegacyCsv } from "./legacy-csv.js";
import { buildTree, buildTreeFromRecords, type AirdropTree, type BuildProgress } from "../merkle/tree.js";
import { HashPool } from "../merkle/pool.js";
import { type LeafEntry } from "../merkle/proof.js";
import { writeAirdrop, type WriteOptions } from "./directory.js";
import { type AirdropManifestV2 } from "./format.js";

/** Progress of `buildAirdrop`: the builder's stages, then `proofs` as shards are written. */
export type AirdropProgress = (stage: Parameters<BuildProgress>[0] | "proofs", done: number, total: number) => void;

/** The old chain's balance list to add to an airdrop (token swap part 2). */
export interface LegacySource {
  /** The legacy balance CSV (`address,amount`: base58 P2PKH address, 8-decimal units). */
  csv: string;
  /** The chain's P2PKH version byte; other versions are refused. */
  version: number;
}

/**
 * Snapshot CSVs in, airdrop directory out (see `writeAirdrop`): the EVM snapshot (kind 0 leaves,
 * indices 0…n−1) and/or the old chain's balance list (kind 1 leaves, indices n…n+m−1), one tree.
 * Every CSV is read and checked whole before anything is built, so bad input throws an
 * `InputError` and writes nothing.
 */
export async function buildAirdrop(
  csv: string | undefined,
  out: string,
  onProgress?: AirdropProgress,
  legacy?: LegacySource,
  options: WriteOptions = {},
): Promise<{ tree: AirdropTree; manifest: AirdropManifestV2 }> {
  if (csv === undefined && legacy === undefined) {
    throw new InputError(out, undefined, undefined, "nothing to build: give an EVM snapshot CSV, a legacy CSV or both");
  }
  let tree: AirdropTree;
  let legacyRows: Awaited<ReturnType<typeof readLegacyCsv>> = [];
  if (legacy === undefined) {
    // The workers start (and compile the keccak module) while this thread reads the CSV.
    HashPool.shared().catch(() => undefined);
    // The fast path: the CSV read straight into leaf records, no object per holder.
    const { records, count, total } = await readSnapshotRecords(csv!);
    tree = await buildTreeFromRecords(records, count, total, { onProgress });
  } else {
    const entries: LeafEntry[] = csv === undefined ? [] : snapshotEntries(await readSnapshotCsv(csv));
    legacyRows = await readLegacyCsv(legacy.csv, legacy.version);
    for (const entry of legacyEntries(legacyRows)) entries.push(entry);
    tree = await buildTree(entries, { onProgress });
  }
  const manifest = writeAirdrop(
    tree,
    out,
    (done, total) => onProgress?.("proofs", done, total),
    legacy === undefined ? undefined : { version: legacy.version, holders: legacyRows.length },
    options,
  );
  return { tree, manifest };
}
