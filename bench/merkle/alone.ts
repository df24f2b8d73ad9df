// Run by bench/merkle.ts in a fresh process (`hardhat run`), so that the peak RSS it reports is
// this project's pipeline and Hardhat's baseline, not the benchmark's own data.
import { buildAirdrop } from "../../src/airdrop/build.js";

const csv = process.env.MERKLE_CSV;
const out = process.env.MERKLE_OUT;
if (csv === undefined || out === undefined) throw new Error("MERKLE_CSV and MERKLE_OUT must be set");

const stages: Record<string, number> = {};
const t0 = performance.now();
const { manifest } = await buildAirdrop(csv, out, (stage, done, total) => {
  if (Object.keys(stages).length === 0) stages["read CSV"] = performance.now() - t0;
  if (done === total) stages[stage === "proofs" ? "write dump + shards" : stage] = performance.now() - t0;
});
const totalMs = performance.now() - t0;
const baselineRssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
console.log(
  "RESULT " +
    JSON.stringify({
      totalMs,
      stages,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      rssAtEndMb: baselineRssMb,
      root: manifest.root,
      shards: manifest.proofs.shards,
    }),
);
