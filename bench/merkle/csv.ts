import { writeFileSync } from "node:fs";

import { LEAF_RECORD, keccakEngine } from "../../src/airdrop/merkle/keccak.js";
import { checksumOf } from "../../src/airdrop/merkle/tree.js";
import { Random } from "../../test/utils/random.js";

/**
 * Writes the bench's snapshot CSV: `count` random holders (seeded), sorted, EIP-55 checksummed,
 * amounts up to 10^24 wei (25 digits, so the long-amount path is the one timed).
 */
export function writeSnapshot(file: string, count: number, seed: number): void {
  const random = new Random(seed);
  const holders = Buffer.alloc(count * 20);
  for (let i = 0; i < count; i++) holders.set(random.bytes(20), i * 20);
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) =>
    holders.compare(holders, b * 20, b * 20 + 20, a * 20, a * 20 + 20),
  );
  const engine = keccakEngine();
  const record = Buffer.alloc(LEAF_RECORD.size);
  const lines = ["address,amount\n"];
  for (const i of order) {
    holders.copy(record, LEAF_RECORD.holder, i * 20, i * 20 + 20);
    lines.push(`${checksumOf(engine, record, LEAF_RECORD.holder)},${random.below(10n ** 24n) + 1n}\n`);
  }
  writeFileSync(file, lines.join(""));
}
