/**
 * Prints the project-local import graph from one or more files, static and dynamic imports alike,
 * as an indented tree; a file already shown is marked `(above)` and not expanded again, nor are
 * the generated bindings in types/. What docs/architecture.md shows for the airdrop's CSV-to-claim
 * path (`--within <dir>` leaves out the files outside it):
 *   node scripts/import-graph.ts --within src/airdrop src/airdrop/build.ts src/airdrop/claim.ts
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import ts from "typescript";

/** The local files `file` imports, in source order (packages and Node built-ins left out). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const local: string[] = [];
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const target = path.join(path.dirname(file), fileName).replace(/\.js$/, ".ts");
    if (existsSync(target) && !local.includes(target)) local.push(target);
  }
  return local;
}

function print(file: string, depth: number, shown: Set<string>, within: string | undefined): void {
  if (within !== undefined && !file.startsWith(within + path.sep)) return;
  const seen = shown.has(file);
  console.log(`${"  ".repeat(depth)}${file}${seen ? " (above)" : ""}`);
  if (seen || file.startsWith(`types${path.sep}`)) return;
  shown.add(file);
  for (const target of importsOf(file)) print(target, depth + 1, shown, within);
}

const args = process.argv.slice(2);
const at = args.indexOf("--within");
const within = at < 0 ? undefined : path.normalize(args.splice(at, 2)[1] ?? "");
const roots = args;
if (roots.length === 0 || within === ".") {
  console.error("usage: node scripts/import-graph.ts [--within <dir>] <file.ts>…");
  process.exit(2);
}
const shown = new Set<string>();
for (const root of roots) {
  if (!existsSync(root)) {
    console.error(`${root}: no such file`);
    process.exit(2);
  }
  print(path.normalize(root), 0, shown, within);
}
