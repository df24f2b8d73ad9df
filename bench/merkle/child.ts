// One timed run of `npm run bench -- merkle`, in a process of its own (spawned by bench/merkle.ts
// once per run): CSV in, the directory a claim page serves out, for one side. It prints one line,
// `RESULT {json}`, with its stage times; the parent times the whole process and reads its peak RSS
// (bench/merkle/rss.ts). `lookup` is the claim page's side: it reads holders' claims over HTTP.
//   node child.js <side> <csv> <out>
//   node child.js lookup <csv> <url> <holders> [<OpenZeppelin's output directory>]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { LeafKind } from "../../src/index.js";
import type { JsonManifest } from "./json-layout.js";

// Each side's modules are imported inside the timed run (a process loads its own side only), so
// module loading counts for every side alike.

const [side, csv, out, arg] = process.argv.slice(2);
if (side === undefined || csv === undefined || out === undefined) throw new Error("usage: child.js <side> <csv> <out>");

const t0 = performance.now();
const LEAF_ENCODING = ["uint256", "uint8", "address", "uint256"];
const stages: Record<string, number> = {};
const mark = (stage: string) => (stages[stage] = Math.round(performance.now() - t0));

/**
 * A peer's output: its tree as JSON (`tree.json`: OpenZeppelin's dump, merkletreejs's layers)
 * and, when `proofOf` is given, every holder's proof in shards by address prefix (4,096 at most,
 * each `{holder: [{index, kind, holder, amount, proof}]}`), the layout of this bench's json side
 * (./json-layout.ts).
 */
function writePeerDirectory(
  rows: { holder: string; amount: string }[],
  tree: string,
  proofOf?: (i: number) => string[],
): void {
  rmSync(out!, { recursive: true, force: true });
  mkdirSync(out!, { recursive: true });
  writeFileSync(path.join(out!, "tree.json"), tree);
  if (proofOf === undefined) return;
  mkdirSync(path.join(out!, "proofs"));
  const prefix = rows.length > 4096 * 16 ? 3 : rows.length > 4096 ? 2 : 1;
  const shards = new Map<string, Record<string, unknown[]>>();
  rows.forEach((r, i) => {
    const key = r.holder.toLowerCase();
    const name = key.slice(2, 2 + prefix);
    let shard = shards.get(name);
    if (shard === undefined) shards.set(name, (shard = {}));
    (shard[key] ??= []).push({ index: i, kind: 0, holder: r.holder, amount: r.amount, proof: proofOf(i) });
  });
  for (const [name, shard] of shards) writeFileSync(path.join(out!, "proofs", `${name}.json`), JSON.stringify(shard));
}

/** The CSV as the peers read it: split, no checks beyond the header (they have none of their own). */
function readRows(): { holder: string; amount: string }[] {
  const lines = readFileSync(csv!, "utf8").split("\n");
  if (lines[0] !== "address,amount") throw new Error("not a snapshot CSV");
  const rows: { holder: string; amount: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const [holder, amount] = lines[i]!.split(",");
    rows.push({ holder: holder!, amount: amount! });
  }
  return rows;
}

/**
 * The claim page's work for each of `count` holders spread over the CSV, one after another as
 * separate page loads: fetch and parse `manifest.json`, find the holder's claims (the compact
 * layout: `fetchClaims`, which fetches the index and data shards and hashes the data shard; the
 * bench's json layout: the holder's proof shard), and verify each proof against the kept level, as
 * app/src/Claim.tsx does. Each lookup's time and bytes fetched are reported. With OpenZeppelin's
 * output of the same CSV, each proof must also be the start of OpenZeppelin's proof of the leaf.
 */
async function lookups(url: string, count: number, ozDir: string | undefined): Promise<unknown> {
  const { fetchClaims, parseManifest, verifyProof } = await import("../../src/index.js");
  const { claimsInJsonShard, JSON_LAYOUT, jsonShardPath } = await import("./json-layout.js");
  const lines = readFileSync(csv!, "latin1").split("\n");
  const holders = lines.length - 2;
  const samples: { ms: number; bytes: number; files: number }[] = [];
  for (let k = 0; k < count; k++) {
    const i = Math.floor((k * (holders - 1)) / Math.max(count - 1, 1));
    const [holder, amount] = lines[i + 1]!.split(",") as [string, string];
    let bytes = 0;
    let files = 0;
    const load = async (file: string) => {
      const response = await fetch(new URL(file, url));
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
      const body = new Uint8Array(await response.arrayBuffer());
      bytes += body.length;
      files++;
      return body;
    };
    const started = performance.now();
    const parsed = JSON.parse(new TextDecoder().decode(await load("manifest.json"))) as JsonManifest;
    let claims;
    let topNodes: string[];
    if (parsed.format === JSON_LAYOUT) {
      topNodes = parsed.topNodes;
      const file = jsonShardPath(parsed, holder);
      claims = claimsInJsonShard(JSON.parse(new TextDecoder().decode(await load(file))), holder, file);
    } else {
      const manifest = parseManifest(parsed, "manifest.json");
      topNodes = manifest.topNodes;
      claims = await fetchClaims(manifest, holder, load);
    }
    for (const c of claims) {
      if (
        !verifyProof(
          topNodes,
          c.index,
          { kind: c.kind as LeafKind, holder: c.holder, amount: BigInt(c.amount) },
          c.proof,
        )
      ) {
        throw new Error(`the proof of index ${c.index} does not verify`);
      }
    }
    samples.push({ ms: performance.now() - started, bytes, files });
    if (claims.length !== 1 || claims[0]!.index !== i || claims[0]!.amount !== amount) {
      throw new Error(`holder ${holder} (index ${i}) is not where it should be: ${JSON.stringify(claims)}`);
    }
    if (ozDir !== undefined) {
      const key = holder.toLowerCase();
      const prefix = holders > 4096 * 16 ? 3 : holders > 4096 ? 2 : 1;
      const shard = JSON.parse(readFileSync(path.join(ozDir, "proofs", `${key.slice(2, 2 + prefix)}.json`), "utf8"));
      const theirs = (shard[key] as { index: number; proof: string[] }[])[0]!;
      const ours = claims[0]!.proof;
      if (theirs.index !== i || ours.some((node, level) => node.toLowerCase() !== theirs.proof[level]!.toLowerCase())) {
        throw new Error(`the proof of index ${i} is not the start of OpenZeppelin's`);
      }
    }
  }
  return samples;
}

let root: string;
let result: unknown;
if (side === "lookup") {
  result = await lookups(out, Number(arg), process.argv[6]);
  root = "";
} else if (side === "ours" || side === "oursJson") {
  const progress = (stage: string, done: number, total: number) => {
    if (stages["read CSV"] === undefined) mark("read CSV");
    if (done === total) mark(stage === "proofs" ? "write" : stage);
  };
  if (side === "ours") {
    const { buildAirdrop } = await import("../../src/airdrop/build.js");
    root = (await buildAirdrop(csv, out, progress)).manifest.root;
  } else {
    // buildAirdrop's tree step, then every proof in JSON (bench-only, ./json-layout.ts).
    const { readSnapshotTree } = await import("../../src/airdrop/build.js");
    const { writeJsonLayout } = await import("./json-layout.js");
    const tree = await readSnapshotTree(csv, progress);
    root = writeJsonLayout(tree, out, (done, total) => progress("proofs", done, total)).root;
  }
} else if (side === "ozCore" || side === "ozTree") {
  const { StandardMerkleTree } = await import("@openzeppelin/merkle-tree");
  const { getProof } = await import("@openzeppelin/merkle-tree/dist/core.js");
  const rows = readRows();
  const values = rows.map((r, i) => [String(i), "0", r.holder, r.amount]);
  mark("read CSV");
  const tree = StandardMerkleTree.of(values, LEAF_ENCODING);
  mark("tree");
  const dump = tree.dump();
  // Core getProof over the dump's arrays: the documented tree.getProof(i) re-verifies every
  // proof and is 2.5× slower, so the faster of OpenZeppelin's two ways is the one compared.
  const treeIndex = dump.values.map((v) => v.treeIndex);
  writePeerDirectory(
    rows,
    JSON.stringify(dump),
    side === "ozCore" ? (i) => getProof(dump.tree, treeIndex[i]!) : undefined,
  );
  mark("write");
  root = tree.root;
} else if (side === "merkletreejs" || side === "merkletreejsTree") {
  const { default: keccak256 } = await import("keccak256");
  const { MerkleTree } = await import("merkletreejs");
  const rows = readRows();
  mark("read CSV");
  const leaves = rows.map((r, i) => {
    const b = Buffer.alloc(128);
    b.writeUInt32BE(i, 28);
    b.write(r.holder.slice(2), 76, 20, "hex");
    b.write(BigInt(r.amount).toString(16).padStart(64, "0"), 96, 32, "hex");
    return keccak256(keccak256(b));
  });
  const tree = new MerkleTree(leaves, keccak256, { sortPairs: true });
  mark("tree");
  // merkletreejs has no dump format: the tree's layers as hex stand in for tree.json.
  const layers = JSON.stringify({ root: tree.getHexRoot(), layers: tree.getHexLayers() });
  if (side === "merkletreejs") {
    // getProofs() is correct (getHexProofs() returns "0x" per leaf in 0.6); one pass for every leaf.
    const proofs = (tree.getProofs() as { data: Buffer }[][]).map((p) => p.map((x) => "0x" + x.data.toString("hex")));
    mark("proofs");
    writePeerDirectory(rows, layers, (i) => proofs[i]!);
  } else {
    writePeerDirectory(rows, layers);
  }
  mark("write");
  root = tree.getHexRoot();
} else {
  throw new Error(`unknown side ${side}`);
}
console.log("RESULT " + JSON.stringify({ side, root, stages, result, totalMs: Math.round(performance.now() - t0) }));
