import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { createKeystore, loadKey } from "../../src/agent/keystore.js";
import { InputError } from "../../src/errors.js";
import { runCli } from "../helpers/agents.js";

describe("gpufog keystore new: the password file", function () {
  let dir = "";

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-keystore-"));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses one others can read, with the line provider run gives for it, and writes no keystore", async function () {
    if (process.platform === "win32") this.skip();
    const pass = path.join(dir, "hot.pass");
    const out = path.join(dir, "hot.keystore.json");
    writeFileSync(pass, "correct horse battery\n");
    chmodSync(pass, 0o644);

    const run = await runCli(["keystore", "new", "--out", out, "--password-file", pass]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal(`gpufog: --password-file: ${pass} is readable by others; chmod 600 it\n`);
    expect(existsSync(out)).to.equal(false);

    // The agents refuse the same file with the same words, naming their config's field.
    chmodSync(pass, 0o600);
    await createKeystore(out, pass);
    chmodSync(pass, 0o640);
    const refused = await loadKey({ file: "provider.json", keystore: out, passwordFile: pass }).catch((e) => e);
    expect(refused).to.be.instanceOf(InputError);
    expect((refused as InputError).message).to.equal(
      `provider.json, field "passwordFile": ${pass} is readable by others; chmod 600 it`,
    );
  });

  it("accepts one only its owner can read", async function () {
    const pass = path.join(dir, "hot.pass");
    writeFileSync(pass, "correct horse battery\n", { mode: 0o600 });
    const address = await createKeystore(path.join(dir, "hot.keystore.json"), pass);
    expect(address).to.match(/^0x[0-9a-fA-F]{40}$/);
  });
});
