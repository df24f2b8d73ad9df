// One timed run of `npm run bench -- merkle`, in a process of its own (spawned by bench/merkle.ts
// once per run): CSV in, the directory a claim page serves out, for one tool. It prints one line,
// `RESULT {json}`, with its stage times; the parent times the whole process and reads its peak RSS.
//   tsx bench/merkle/child.ts <tool> <csv> <out>
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

// Each tool's modules are imported inside the timed run (a process loads its own tool only), so
// module loading counts for every tool alike.

const [tool, csv, out] = process.argv.slice(2);
if (tool === undefined || csv === undefined || out === undefined) throw new Error("usage: child.ts <tool> <csv> <out>");

const t0 = performance.now();
const LEAF_ENCODING = ["uint256", "uint8", "address", "uint256"];
const stages: Record<string, number> = {};
const mark = (stage: string) => (stages[stage] = Math.round(performance.now() - t0));

/**
 * The peers' output: the same logical content a claim page needs as this project's, in the
 * layout the issue measured (tree.json, the OpenZeppelin dump, plus per-holder proof shards by
 * address prefix, 4,096 at most, each `{holder: [{index, kind, holder, amount, proof}]}`).
 */
function writePeerDirectory(
  rows: { holder: string; amount: string }[],
  proofOf: (i: number) => string[],
  dump: string,
): void {
  rmSync(out!, { recursive: true, force: true });
  mkdirSync(path.join(out!, "proofs"), { recursive: true });
  writeFileSync(path.join(out!, "tree.json"), dump);
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

let root: string;
if (tool === "ours") {
  const { buildAirdrop } = await import("../../src/airdrop/build.js");
  const { manifest } = await buildAirdrop(csv, out, (stage, done, total) => {
    if (stages["read CSV"] === undefined) mark("read CSV");
    if (done === total) mark(stage === "proofs" ? "write" : stage);
  });
  root = manifest.root;
} else if (tool === "ozCore" || tool === "ozGetProof") {
  const { StandardMerkleTree } = await import("@openzeppelin/merkle-tree");
  const { getProof: coreGetProof } = await import("@openzeppelin/merkle-tree/dist/core.js");
  const rows = readRows();
  const values = rows.map((r, i) => [String(i), "0", r.holder, r.amount]);
  mark("read CSV");
  const tree = StandardMerkleTree.of(values, LEAF_ENCODING);
  mark("tree");
  const dump = tree.dump();
  const json = JSON.stringify(dump);
  // Core getProof over the dump's arrays (no re-verification), or the documented getProof(i).
  const treeIndex = dump.values.map((v) => v.treeIndex);
  const proofOf =
    tool === "ozCore" ? (i: number) => coreGetProof(dump.tree, treeIndex[i]!) : (i: number) => tree.getProof(i);
  writePeerDirectory(rows, proofOf, json);
  mark("write");
  root = tree.root;
} else if (tool === "merkletreejs") {
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
  // getProofs() is correct (getHexProofs() returns "0x" per leaf in 0.6); one pass for every leaf.
  const proofs = (tree.getProofs() as { data: Buffer }[][]).map((p) => p.map((x) => "0x" + x.data.toString("hex")));
  mark("proofs");
  // merkletreejs has no dump format: the tree's layers as hex stand in for tree.json.
  const layers = JSON.stringify({ root: tree.getHexRoot(), layers: tree.getHexLayers() });
  writePeerDirectory(rows, (i) => proofs[i]!, layers);
  mark("write");
  root = tree.getHexRoot();
} else {
  throw new Error(`unknown tool ${tool}`);
}
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log("RESULT " + JSON.stringify({ tool, root, stages, peakRssMb, totalMs: Math.round(performance.now() - t0) }));
