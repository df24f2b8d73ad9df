import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { clientKey } from "../../src/agent/api.js";
import { HookError, runHook, type HookInput } from "../../src/agent/hooks.js";

const INPUT: HookInput = {
  event: "start",
  chainId: 31337,
  escrow: "0x00000000000000000000000000000000000000aa",
  leaseId: "7",
  nodeId: "1",
  customer: "0x00000000000000000000000000000000000000bb",
  sessionKey: "0x00000000000000000000000000000000000000cc",
  start: 1_800_000_000,
};

describe("session hooks", function () {
  this.timeout(30_000);
  let dir = "";
  const limits = { timeoutMs: 3000, maxOutputBytes: 1024 };
  const script = (name: string, body: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, body);
    return [process.execPath, file];
  };

  before(() => (dir = mkdtempSync(path.join(tmpdir(), "gpufog-hooks-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function failure(run: Promise<unknown>): Promise<string> {
    try {
      await run;
    } catch (error) {
      expect(error).to.be.instanceOf(HookError);
      return (error as Error).message;
    }
    throw new Error("the hook succeeded");
  }

  it("gives the lease as JSON on stdin and returns the JSON object of stdout", async function () {
    const argv = script(
      "echo.mjs",
      `import { readFileSync } from "node:fs";
       const input = JSON.parse(readFileSync(0, "utf8"));
       console.log(JSON.stringify({ lease: input.leaseId, event: process.env.GPUFOG_HOOK_EVENT, cwd: process.cwd() }));`,
    );
    expect(await runHook(argv, INPUT, { ...limits, cwd: dir })).to.deep.equal({ lease: "7", event: "start", cwd: dir });
    expect(await runHook(script("quiet.mjs", ""), INPUT, limits)).to.deep.equal({});
  });

  it("fails a hook that exits non-zero, times out, writes too much or no JSON object", async function () {
    expect(
      await failure(runHook(script("fail.mjs", `console.error("Error: no GPU"); process.exit(3);`), INPUT, limits)),
    ).to.match(/exited with 3: Error: no GPU$/);
    const started = Date.now();
    expect(await failure(runHook(script("slow.mjs", "setTimeout(() => {}, 60_000);"), INPUT, limits))).to.match(
      /timed out after 3 s$/,
    );
    expect(Date.now() - started).to.be.lessThan(10_000);
    expect(await failure(runHook(script("big.mjs", `console.log("x".repeat(5000));`), INPUT, limits))).to.match(
      /wrote more than 1024 bytes$/,
    );
    expect(await failure(runHook(script("text.mjs", `console.log("ready");`), INPUT, limits))).to.match(
      /wrote something other than one JSON object on stdout$/,
    );
    expect(await failure(runHook(script("list.mjs", `console.log("[1]");`), INPUT, limits))).to.match(
      /wrote an array, not an object$/,
    );
    expect(await failure(runHook([path.join(dir, "missing")], INPUT, limits))).to.match(/cannot run: /);
  });

  it("counts the API's rate by client address, an IPv6 client by its /64", function () {
    const req = (remoteAddress: string, forwarded?: string) =>
      ({
        socket: { remoteAddress },
        headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
      }) as never;
    expect(clientKey(req("203.0.113.9"), false)).to.equal("203.0.113.9");
    expect(clientKey(req("::ffff:203.0.113.9"), false)).to.equal("203.0.113.9");
    expect(clientKey(req("2001:db8:0:12::1"), false)).to.equal("2001:db8:0:12::/64");
    expect(clientKey(req("2001:0db8:0000:0012:abcd:1:2:3"), false)).to.equal("2001:db8:0:12::/64");
    expect(clientKey(req("::1"), false)).to.equal("0:0:0:0::/64");
    // Behind a reverse proxy: its last X-Forwarded-For entry, never one the client wrote before it.
    expect(clientKey(req("127.0.0.1", "6.6.6.6, 198.51.100.7"), true)).to.equal("198.51.100.7");
    expect(clientKey(req("127.0.0.1", "198.51.100.7"), false)).to.equal("127.0.0.1");
  });
});
