// Fails when line coverage of the production contracts (contracts/, mocks excluded) in
// coverage/lcov.info is below the threshold. Usage: node scripts/coverage-gate.mjs [minPercent]
import { readFileSync } from "node:fs";

const min = Number(process.argv[2] ?? 95);
const counted = (file) => file.startsWith("contracts/") && !file.startsWith("contracts/mocks/");

let file = "";
let found = 0;
let hit = 0;
let files = 0;
for (const line of readFileSync("coverage/lcov.info", "utf8").split("\n")) {
  if (line.startsWith("SF:")) {
    file = line.slice(3);
    if (counted(file)) files++;
  } else if (counted(file) && line.startsWith("LF:")) {
    found += Number(line.slice(3));
  } else if (counted(file) && line.startsWith("LH:")) {
    hit += Number(line.slice(3));
  }
}
if (found === 0) {
  console.error("coverage gate: coverage/lcov.info has no lines of contracts/");
  process.exit(1);
}
const pct = (100 * hit) / found;
console.log(`coverage gate: ${hit}/${found} lines in ${files} contracts (${pct.toFixed(2)} %), minimum ${min} %`);
if (pct < min) process.exit(1);
