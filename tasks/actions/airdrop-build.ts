import path from "node:path";

import { SingleBar, Presets } from "cli-progress";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { buildAirdrop } from "../../src/airdrop/build.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { cli, optionsGiven } from "../cli.js";

/** One bar per stage, redrawn as the library reports progress. */
function progress() {
  let bar: SingleBar | undefined;
  let current = "";
  return {
    update(stage: string, done: number, total: number) {
      if (stage !== current) {
        bar?.stop();
        current = stage;
        bar = new SingleBar(
          { format: `${stage.padEnd(7)} [{bar}] {percentage}% | {value}/{total}`, hideCursor: true },
          Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar!.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

async function airdropBuild(
  {
    csv,
    legacy,
    addressVersion,
    out,
    ozDump,
  }: { csv: string; legacy: string; addressVersion: number; out: string; ozDump: boolean },
  _hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    if (csv === "" && legacy === "") {
      throw new InputError("airdrop:build", undefined, "--csv", "a snapshot CSV is required (--csv, --legacy or both)");
    }
    if (!Number.isInteger(addressVersion) || addressVersion < 0 || addressVersion > 255) {
      throw new InputError("airdrop:build", undefined, "--address-version", `${addressVersion} is not a byte (0..255)`);
    }
    if (out === "") throw new InputError("airdrop:build", undefined, "--out", "the output directory is required");
    const started = performance.now();
    const bars = progress();
    try {
      const { tree, manifest } = await buildAirdrop(
        csv === "" ? undefined : csv,
        out,
        (stage, done, total) => bars.update(stage, done, total),
        legacy === "" ? undefined : { csv: legacy, version: addressVersion },
        { ozDump },
      );
      bars.stop();
      console.log(`root    ${manifest.root}`);
      console.log(`total   ${formatToken(tree.total, "GUT")} (${manifest.total} wei)`);
      console.log(`holders ${manifest.count.toLocaleString("en-US")}`);
      if (manifest.legacy !== undefined) {
        const first = manifest.count - manifest.legacy.holders;
        console.log(
          `legacy  ${manifest.legacy.holders.toLocaleString("en-US")} old-chain holders (version ${manifest.legacy.version}), indices ${first}..${manifest.count - 1}, keyed by HASH160 in the shards`,
        );
      }
      console.log(
        `top     ${manifest.topNodes.length} nodes at depth ${manifest.topDepth} (the distributor's Config.topNodes, in manifest.json)`,
      );
      const file = (name: string) => path.join(out, name);
      const dump = manifest.tree === undefined ? "" : `, ${file(manifest.tree)}`;
      const shards = 2 ** manifest.shards.depth;
      console.log(
        `wrote   ${file("manifest.json")}${dump}, ${shards} data shards ${file(manifest.shards.data)}, ${shards} index shards ${file(manifest.shards.index)}`,
      );
      console.log(`in      ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      bars.stop();
    }
  });
}

export default optionsGiven(airdropBuild);
