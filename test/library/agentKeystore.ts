import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";

import { importKeystore, loadKey } from "../../src/agent/keystore.js";
import { InputError } from "../../src/errors.js";
import { CLI, runCli } from "../helpers/agents.js";

/** `gpufog` with `input` on stdin. */
function runWithStdin(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

describe("gpufog keystore import: an existing key, never from the command line", function () {
  this.timeout(60_000);
  let dir = "";
  const key = Wallet.createRandom();
  let pass = "";

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-import-"));
    pass = path.join(dir, "cold.pass");
    writeFileSync(pass, "correct horse battery\n", { mode: 0o600 });
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the key from stdin, writes a mode-600 keystore that opens to the same address, and prints it", async function () {
    const out = path.join(dir, "cold.keystore.json");
    const run = await runWithStdin(
      ["keystore", "import", "--out", out, "--password-file", pass],
      `${key.privateKey}\n`,
    );
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout.trim()).to.equal(key.address);
    expect(run.stdout + run.stderr).to.not.include(key.privateKey.slice(2));
    if (process.platform !== "win32") expect((await import("node:fs")).statSync(out).mode & 0o777).to.equal(0o600);
    const wallet = await loadKey({ file: "test", keystore: out, passwordFile: pass });
    expect(wallet.address).to.equal(key.address);
    expect(wallet.privateKey).to.equal(key.privateKey);
  });

  it("reads the key from a mode-600 --key-file, and refuses one others can read", async function () {
    if (process.platform === "win32") this.skip();
    const keyFile = path.join(dir, "cold.key");
    writeFileSync(keyFile, key.privateKey.slice(2) + "\n");
    chmodSync(keyFile, 0o644);
    const out = path.join(dir, "cold.keystore.json");
    const refused = await runCli(["keystore", "import", "--out", out, "--password-file", pass, "--key-file", keyFile]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim()).to.equal(`gpufog: --key-file: ${keyFile} is readable by others; chmod 600 it`);
    expect(existsSync(out)).to.equal(false);
    chmodSync(keyFile, 0o600);
    const run = await runCli(["keystore", "import", "--out", out, "--password-file", pass, "--key-file", keyFile]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout.trim()).to.equal(key.address);
  });

  it("refuses a password file others can read, as keystore new does, and a value that is not a key, without echoing it", async function () {
    if (process.platform === "win32") this.skip();
    const out = path.join(dir, "cold.keystore.json");
    chmodSync(pass, 0o644);
    const shared = await runWithStdin(["keystore", "import", "--out", out, "--password-file", pass], key.privateKey);
    expect(shared.code).to.equal(1);
    expect(shared.stderr.trim()).to.equal(`gpufog: --password-file: ${pass} is readable by others; chmod 600 it`);
    chmodSync(pass, 0o600);
    const secret = "not-a-key-" + "ab".repeat(20);
    const bad = await refusal(importKeystore(out, pass, "-", async () => secret));
    expect(bad).to.be.instanceOf(InputError);
    expect(bad.message).to.equal("stdin: does not hold a private key (64 hex digits, 0x optional)");
    expect(existsSync(out)).to.equal(false);
  });

  it("refuses to overwrite a keystore and takes no key from argv", async function () {
    const out = path.join(dir, "cold.keystore.json");
    writeFileSync(out, "{}");
    expect((await refusal(importKeystore(out, pass, "-", async () => key.privateKey))).message).to.match(/exists/);
    expect(readFileSync(out, "utf8")).to.equal("{}");
    const argv = await runCli(["keystore", "import", "--out", out, "--password-file", pass, key.privateKey]);
    expect(argv.code).to.equal(2);
    expect(argv.stderr).to.include("never the command line");
    expect(argv.stderr).to.not.include(key.privateKey.slice(2));
  });
});
