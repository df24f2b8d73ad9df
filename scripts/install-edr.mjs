// Run as the `prepare` script (the repository's own installs only: a consumer installing the packed
// tarball runs no `prepare`). Hardhat's simulator (EDR) ships its native binding as optional packages that declare
// `engines: node >= 22`. npm running under an older system Node skips them silently, and
// Hardhat then fails at start-up. This hook runs under the pinned Node 24 from the `node`
// package (npm puts node_modules/.bin first on PATH), so when the binding is missing it
// re-runs the lockfile install with this Node, which accepts the binding.
import { spawnSync } from "node:child_process";

// Checked in a child process: a failed native load is remembered by the loading process.
function bindingLoads() {
  const probe = spawnSync(process.execPath, ["-e", 'require("@nomicfoundation/edr")'], {
    stdio: "ignore",
  });
  return probe.status === 0;
}

if (!bindingLoads()) {
  const npmCli = process.env.npm_execpath;
  if (!npmCli) {
    console.error("install-edr: run through npm so that npm_execpath is set");
    process.exit(1);
  }
  console.log(`install-edr: installing the EDR native binding under Node ${process.version}`);
  const result = spawnSync(
    process.execPath,
    [npmCli, "install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"],
    { stdio: "inherit" },
  );
  if (result.status !== 0 || !bindingLoads()) {
    console.error("install-edr: the EDR native binding is still missing; Hardhat cannot run");
    process.exit(1);
  }
}
