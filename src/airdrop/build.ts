import { readSnapshotCsv, snapshotEntries } from "../csv.js";
import { buildTree, type AirdropTree, type BuildProgress } from "../merkle/tree.js";
import { writeAirdrop, type AirdropManifest } from "../merkle/output.js";

/** Progress of `buildAirdrop`: the builder's stages, then `proofs` as shards are written. */
export type AirdropProgress = (stage: Parameters<BuildProgress>[0] | "proofs", done: number, total: number) => void;

/**
 * Snapshot CSV in, airdrop directory out (see `writeAirdrop`). The CSV is read and checked
 * whole before anything is built, so bad input throws an `InputError` and writes nothing.
 */
export async function buildAirdrop(
  csv: string,
  out: string,
  onProgress?: AirdropProgress,
): Promise<{ tree: AirdropTree; manifest: AirdropManifest }> {
  const rows = await readSnapshotCsv(csv);
  const tree = await buildTree(snapshotEntries(rows), { onProgress });
  const manifest = writeAirdrop(tree, out, (done, total) => onProgress?.("proofs", done, total));
  return { tree, manifest };
}
