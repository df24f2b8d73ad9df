// The production build's first load: index.html and every script and stylesheet it names (lazy
// chunks, loaded only on demand, are listed apart), each gzipped at level 9 as a server would.
// Fails over the aim of 300 kB gzip.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const AIM = 300 * 1024;
const dist = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), "dist");
const html = readFileSync(path.join(dist, "index.html"), "utf8");
const first = new Set(["index.html", ...[...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1])]);
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
let total = 0;
const all = ["index.html", ...readdirSync(path.join(dist, "assets")).map((f) => `assets/${f}`)];
for (const file of all) {
  const raw = readFileSync(path.join(dist, file));
  const gz = gzipSync(raw, { level: 9 }).length;
  const initial = first.has(file);
  if (initial) total += gz;
  console.log(
    `  ${file.padEnd(36)} ${kb(raw.length).padStart(9)}, gzip ${kb(gz).padStart(8)}${initial ? "" : "  (lazy)"}`,
  );
}
console.log(`app first load: ${kb(total)} gzip (aim < ${kb(AIM)})`);
if (total > AIM) {
  console.error("over the aim");
  process.exit(1);
}
