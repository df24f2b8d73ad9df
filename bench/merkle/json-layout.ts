// The merkle bench's json side: this project's tree with every proof written whole in JSON, as
// the peers with proofs write theirs, so the "every proof in JSON" ratio compares like with like.
// Bench-only: the package publishes the compact layout alone (src/airdrop/format.ts). The files:
// `manifest.json`, `tree.json` (OpenZeppelin's dump) and `proofs/<prefix>.json`, each shard an
// object from lower-case holder to that holder's claims, sharded by address prefix.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";

import { CHUNK, writeStreamed, writeTreeDump } from "../../src/airdrop/directory.js";
import { type HolderClaim } from "../../src/airdrop/format.js";
import { type AirdropTree } from "../../src/airdrop/merkle/tree.js";

export const JSON_LAYOUT = "gpufog-bench-json";

export interface JsonManifest {
  format: typeof JSON_LAYOUT;
  root: string;
  total: string;
  count: number;
  topDepth: number;
  topNodes: string[];
  tree: string;
  proofs: {
    /** Holders are sharded by the first `prefixLength` hex digits of the address, lower case. */
    prefixLength: number;
    /** Where the shard of a prefix is: replace `{prefix}`. */
    path: string;
    shards: number;
  };
}

/** The fewest hex digits of prefix that give at most 256 holders a shard on average. */
function prefixLength(count: number): number {
  let length = 1;
  while (count / 16 ** length > 256) length++;
  return length;
}

/** Where the shard of `holder` is, relative to the manifest. */
export function jsonShardPath(manifest: JsonManifest, holder: string): string {
  return manifest.proofs.path.replace("{prefix}", holder.slice(2, 2 + manifest.proofs.prefixLength).toLowerCase());
}

/** Writes `tree` into `dir` (replaced): the dump and every holder's short proof. */
export function writeJsonLayout(
  tree: AirdropTree,
  dir: string,
  onProgress?: (done: number, total: number) => void,
): JsonManifest {
  const length = prefixLength(tree.count);
  const shards = new Map<string, number[]>();
  // Shards are keyed and ordered by lower-case holder: computed once, not per comparison.
  const keys = tree.entries.map((e) => e.holder.toLowerCase());
  keys.forEach((key, i) => {
    const prefix = key.slice(2, 2 + length);
    const list = shards.get(prefix);
    if (list === undefined) shards.set(prefix, [i]);
    else list.push(i);
  });
  const manifest: JsonManifest = {
    format: JSON_LAYOUT,
    root: tree.root,
    total: tree.total.toString(),
    count: tree.count,
    topDepth: tree.topDepth,
    topNodes: tree.topNodes,
    tree: "tree.json",
    proofs: { prefixLength: length, path: "proofs/{prefix}.json", shards: shards.size },
  };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "proofs"), { recursive: true });
  const hex = tree.hexBytes();
  const buffer = Buffer.allocUnsafe(CHUNK);
  writeTreeDump(path.join(dir, manifest.tree), buffer, tree, hex);
  const keep = tree.topDepth;
  let done = 0;
  onProgress?.(0, tree.count);
  for (const [prefix, indices] of shards) {
    if (indices.some((i, k) => k > 0 && keys[indices[k - 1]!]! > keys[i]!)) {
      indices.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
    }
    writeStreamed(path.join(dir, "proofs", `${prefix}.json`), buffer, (out) => {
      out.text("{");
      let previous = "";
      indices.forEach((i, k) => {
        const e = tree.entries[i]!;
        const key = keys[i]!;
        // A holder in the tree twice (two kinds) gets both claims under one key.
        if (key === previous) out.text(",");
        else out.text(`${k ? "]," : ""}"${key}":[`);
        previous = key;
        out.text(`{"index":${i},"kind":${e.kind},"holder":"${e.holder}","amount":"${e.amount}","proof":[`);
        const nodes = tree.proofNodes(i);
        for (let p = 0; p < nodes.length - keep; p++) {
          if (p) out.text(",");
          out.node(hex, nodes[p]!);
        }
        out.text("]}");
      });
      out.text("]}\n");
    });
    done += indices.length;
    onProgress?.(done, tree.count);
  }
  writeStreamed(path.join(dir, "manifest.json"), buffer, (out) => out.text(JSON.stringify(manifest, null, 2) + "\n"));
  return manifest;
}

/** The claims of `holder` in a parsed proof shard, each checked for the fields a claim page reads. */
export function claimsInJsonShard(shard: unknown, holder: string, file: string): HolderClaim[] {
  const claims = (shard as Record<string, unknown>)[holder.toLowerCase()] ?? [];
  if (!Array.isArray(claims)) throw new Error(`${file}: the claims of ${holder} are not a list`);
  for (const c of claims as HolderClaim[]) {
    const ok =
      Number.isSafeInteger(c.index) &&
      (c.kind === 0 || c.kind === 1) &&
      /^0x[0-9a-fA-F]{40}$/.test(c.holder) &&
      /^[0-9]+$/.test(c.amount) &&
      Array.isArray(c.proof) &&
      c.proof.every((n) => /^0x[0-9a-fA-F]{64}$/.test(n));
    if (!ok) throw new Error(`${file}: a claim of ${holder} is malformed`);
  }
  return claims as HolderClaim[];
}
