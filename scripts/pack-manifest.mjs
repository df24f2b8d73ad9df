// `prepack` and `postpack`: the packed package.json without `scripts`. Its `prepare` hook
// (scripts/install-edr.mjs) is for this repository's own installs; npm never runs it for a
// dependent installed from a tarball or the registry, but still lists it as an install script to
// approve for a tarball. The other scripts run files of the repository the tarball does not ship.
// `strip` keeps the original beside it and writes package.json without them; `restore` puts the
// original back, byte for byte.
//
//   node scripts/pack-manifest.mjs strip|restore
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const manifest = "package.json";
const kept = "package.json.prepack";
const action = process.argv[2];

if (action === "strip") {
  if (existsSync(kept)) {
    console.error(`${kept} exists: an earlier pack stopped halfway; move it back to ${manifest} first`);
    process.exit(1);
  }
  const text = readFileSync(manifest, "utf8");
  const pkg = JSON.parse(text);
  delete pkg.scripts;
  writeFileSync(kept, text);
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (action === "restore") {
  renameSync(kept, manifest);
} else {
  console.error("usage: node scripts/pack-manifest.mjs strip|restore");
  process.exit(1);
}
