import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { BenchSuite } from "../../bench/lib.js";
import { InputError } from "../../src/errors.js";
import { cli } from "../cli.js";

export default async function bench(
  { suite, ...options }: { suite: string } & Record<string, string>,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(() => runSuite(suite, options, hre));
}

async function runSuite(suite: string, options: Record<string, string>, hre: HardhatRuntimeEnvironment): Promise<void> {
  const dir = path.join(hre.config.paths.root, "bench");
  const file = path.join(dir, `${suite}.ts`);
  if (!/^[a-z0-9-]+$/.test(suite) || !existsSync(file)) {
    const known = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && f !== "lib.ts")
      .map((f) => f.slice(0, -3));
    throw new InputError("bench", undefined, "suite", `unknown suite "${suite}"; the suites are: ${known.join(", ")}`);
  }
  console.log("compiling the contracts if their sources changed…");
  await hre.tasks.getTask("build").run({ quiet: true });
  const module = (await import(pathToFileURL(file).href)) as { default: BenchSuite };
  await module.default(hre, options);
}
