import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { buildAirdrop } from "../../src/airdrop/build.js";
import { GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { readWifFile, signLegacyClaim } from "../../src/airdrop/legacy-holder.js";
import { findClaims, readManifest } from "../../src/airdrop/directory.js";
import { parseCheckpoint } from "../../src/airdrop/snapshot/checkpoint.js";
import { parseExclusions } from "../../src/airdrop/snapshot/exclude.js";

export const CORPUS = path.join(process.cwd(), "test", "corpus");

/** The holder whose shard the airdrop-claim shard cases fill. */
export const SHARD_HOLDER = "0x1111111111111111111111111111111111111111";

export interface CaseRun {
  /** The error the library threw (undefined if it accepted the input). */
  error: unknown;
  /** Placeholders for the expected message: {file} is the file the message must name. */
  file: string;
  /** Where an output would have appeared; it must not exist afterwards. */
  out: string;
}

/** The corpus cases of a task folder, sorted. */
export function corpusCases(task: string): string[] {
  return readdirSync(path.join(CORPUS, task))
    .filter((f) => !f.startsWith("good-"))
    .sort();
}

/**
 * Runs one corpus file through the library function its task calls: the snapshot CSV through
 * `buildAirdrop` (airdrop:build), a legacy balance list through `buildAirdrop` with a good EVM
 * snapshot (airdrop:build --legacy), a WIF key file through `readWifFile` and
 * `signLegacyClaim` as airdrop:sign-legacy does, exclusion lists through `parseExclusions` and checkpoints
 * through `parseCheckpoint` (snapshot:evm), manifests and index and data shards through `findClaims`
 * (airdrop:claim; airdrop:verify reads the manifest with the same `readManifest`).
 */
export async function runCorpusCase(task: string, name: string): Promise<CaseRun> {
  const source = path.join(CORPUS, task, name);
  const work = mkdtempSync(path.join(tmpdir(), "gpufog-corpus-"));
  const out = path.join(work, "out");
  let file = source;
  let error: unknown;
  try {
    if (task === "airdrop-build") {
      await buildAirdrop(source, out);
    } else if (task === "airdrop-build-legacy") {
      const evm = path.join(CORPUS, task, "good-evm.csv");
      await buildAirdrop(evm, out, undefined, { csv: source, version: GUT_P2PKH_VERSION });
    } else if (task === "airdrop-sign-legacy") {
      const { wif, origin } = await readWifFile(source);
      await signLegacyClaim({
        wif,
        wifOrigin: origin,
        recipient: "0x1111111111111111111111111111111111111111",
        distributor: "0x2222222222222222222222222222222222222222",
        chainId: 1n,
        version: GUT_P2PKH_VERSION,
        source: "airdrop:sign-legacy",
      });
    } else if (name.startsWith("exclude-")) {
      parseExclusions(source);
    } else if (name.startsWith("checkpoint-")) {
      parseCheckpoint(source);
    } else if (name.startsWith("manifest-")) {
      file = path.join(work, "manifest.json");
      copyFileSync(source, file);
      await readManifest(work);
    } else {
      // A shard case: the good manifest (one shard of two leaves), the case as its index or data
      // shard, and for a data shard the good index pointing the holder into it.
      copyFileSync(path.join(CORPUS, task, "good-manifest.json"), path.join(work, "manifest.json"));
      mkdirSync(path.join(work, "index"));
      mkdirSync(path.join(work, "data"));
      const isIndex = name.startsWith("index-");
      if (!isIndex) copyFileSync(path.join(CORPUS, task, "good-index.bin"), path.join(work, "index", "0.bin"));
      file = path.join(work, isIndex ? "index" : "data", "0.bin");
      copyFileSync(source, file);
      await findClaims(work, SHARD_HOLDER);
    }
  } catch (caught) {
    error = caught;
  }
  return { error, file, out };
}

export function outputAppeared(run: CaseRun): boolean {
  return existsSync(run.out);
}
