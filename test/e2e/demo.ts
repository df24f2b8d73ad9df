import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

const HARDHAT = path.resolve("node_modules/hardhat/dist/src/cli.js");

describe("the demo (npm run demo)", function () {
  it("says what a TU is, that the heartbeat column is an age, and what max circulating supply means", async function () {
    this.timeout(300_000);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [HARDHAT, "run", "--no-compile", "scripts/demo.ts"],
      { env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" }, maxBuffer: 16 * 1024 * 1024 },
    );
    const lines = stdout.split("\n").map((l) => l.trim());
    expect(lines).to.include(
      "a node is rated in Turing Units (TU): 1 TU is a day of a GTX 1080 Ti's work; a V100 is 1.85 TU",
    );
    // Every node table is followed by the legend of its columns.
    const tables = lines.filter((l) => /^id\s+status\s+model\s+GPUs\s+TU\s+price\/TU-h\s+provider\s+heartbeat/.test(l));
    const legends = lines.filter((l) => l.includes("heartbeat: seconds since the node's last heartbeat"));
    expect(tables.length).to.be.greaterThan(0);
    expect(legends.length).to.equal(tables.length);
    expect(lines).to.include(
      "max circulating supply: every TFT outside the locked reserve; no buyback can raise it, each lowers it",
    );
  });
});
