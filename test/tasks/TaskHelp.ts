import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import hre from "hardhat";

import { tasks } from "../../tasks/index.js";

const HARDHAT = path.resolve("node_modules/hardhat/dist/src/cli.js");

/** A task's help as the command line prints it. */
async function help(task: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [HARDHAT, task, "--help"], {
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
  });
  return stdout;
}

/** The help line of `--option`. */
function line(text: string, option: string): string {
  const found = text.split("\n").find((l) => l.trimStart().startsWith(`${option} `));
  expect(found, `${option} in\n${text}`).to.not.equal(undefined);
  return found!.trim();
}

describe("tasks", function () {
  describe("--help", function () {
    it("lease:open says which options are required and where the others come from", async function () {
      this.timeout(120_000);
      const text = await help("lease:open");
      expect(text).to.not.include("(default: )");
      expect(line(text, "--escrow")).to.match(/\(default: the address book's\)$/);
      expect(line(text, "--account")).to.match(/\(default: the network's first\)$/);
      expect(line(text, "--quote")).to.match(
        /\(required; asking the node.s endpoint for one comes with a later release\)$/,
      );
      expect(line(text, "--deposit")).to.match(/\(required\)$/);
    });

    it("airdrop:sign-legacy, which reads no chain, names its defaults in words", async function () {
      this.timeout(120_000);
      const text = await help("airdrop:sign-legacy");
      expect(text).to.not.include("(default: )");
      expect(line(text, "--distributor")).to.match(/\(required: this task reads no chain\)$/);
      expect(line(text, "--magic")).to.include('(default: "GPUnion Signed Message:\\n")');
      expect(line(text, "--address-version")).to.match(/\(default: 38\)$/);
    });

    it("every task's option without a default says in its description what leaving it out means", function () {
      const registered = new Set(tasks.map((t) => t.id.join(" ")));
      let checked = 0;
      for (const [name, task] of hre.tasks.rootTasks) {
        if (!registered.has(name)) continue;
        for (const [option, definition] of task.options) {
          const where = `${name} --${option}`;
          expect(definition.defaultValue, `${where}: an empty default prints "(default: )"`).to.not.equal("");
          if (definition.defaultValue === undefined) {
            expect(definition.description, where).to.match(/\((required|default: )[^)]*\)/);
            checked += 1;
          }
        }
      }
      expect(checked).to.be.greaterThan(50);
    });
  });
});
