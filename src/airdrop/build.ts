import {
  parseSnapshotCsv,
  readSnapshotBytes,
  readSnapshotCsv,
  SnapshotScanner,
  snapshotEntries,
  snapshotRecordsOf,
} from "./snapshot-csv.js";
import { InputError } from "../errors.js";
import type { LegacyRow } from "./legacy-csv.js";
import {
  buildTree,
  buildTreeFromPacker,
  buildTreeFromRecords,
  type AirdropTree,
  type BuildProgress,
} from "./merkle/tree.js";
import { HashPool } from "./merkle/pool.js";
import { type LeafEntry } from "./merkle/proof.js";
import { writeAirdrop, type WriteOptions } from "./directory.js";
import { type AirdropManifest } from "./format.js";

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
 * The one build entry: `airdrop:build`, the demo and the app's local world all build through it.
 * Every CSV is read and checked whole before anything is built, so bad input throws an
 * `InputError` and writes nothing.
 */
export async function buildAirdrop(
  csv: string | undefined,
  out: string,
  onProgress?: AirdropProgress,
  legacy?: LegacySource,
  options: WriteOptions = {},
): Promise<{ tree: AirdropTree; manifest: AirdropManifest }> {
  if (csv === undefined && legacy === undefined) {
    throw new InputError(out, undefined, undefined, "nothing to build: give an EVM snapshot CSV, a legacy CSV or both");
  }
  let tree: AirdropTree;
  let legacyRows: LegacyRow[] = [];
  if (legacy === undefined) {
    tree = await readSnapshotTree(csv!, onProgress);
  } else {
    const entries: LeafEntry[] = csv === undefined ? [] : snapshotEntries(await readSnapshotCsv(csv));
    // The old chain's codec (secp256k1, base58check) is loaded only for a build that has its list.
    const { legacyEntries, readLegacyCsv } = await import("./legacy-csv.js");
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

/** Thrown by the packer when the scan declines a row: the file then goes the slow way. */
const DECLINED = new Error("the byte-level scan declined the file");

/**
 * An EVM snapshot CSV into a tree, the fast way when the scan takes the file: rows are scanned
 * into the builder's memory a job at a time while the workers hash the jobs before, no object per
 * holder. Otherwise (or if the scan declines a row midway) `parseSnapshotCsv` reads it, with its
 * exact messages for whatever is wrong. `buildAirdrop`'s tree step; the merkle bench's json side
 * builds with it too.
 */
export async function readSnapshotTree(csv: string, onProgress?: AirdropProgress): Promise<AirdropTree> {
  // The workers start (and compile the keccak module) while this thread reads the CSV.
  HashPool.shared().catch(() => undefined);
  const bytes = await readSnapshotBytes(csv);
  const scanner = SnapshotScanner.start(bytes);
  if (scanner !== undefined) {
    try {
      return await buildTreeFromPacker(
        scanner.count,
        (records, from, to) => {
          if (!scanner.rows(records, from, to)) throw DECLINED;
        },
        () => {
          const total = scanner.total();
          if (total === undefined) throw DECLINED;
          return total;
        },
        { onProgress },
      );
    } catch (error) {
      if (error !== DECLINED) throw error;
    }
  }
  const { records, count, total } = snapshotRecordsOf(await parseSnapshotCsv(bytes.toString("utf8"), csv));
  return buildTreeFromRecords(records, count, total, { onProgress });
}
