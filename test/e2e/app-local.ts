import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";

import { expect } from "chai";

const LOCAL = path.resolve("app", "local.mjs");
const LOCK = path.resolve("app", ".local", "run.lock");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm run app`'s script with `env` in a process group of its own, until it exits or
 * `stop(stdout)` says so, or `timeoutMs` passes; then the whole group (its node too) is killed.
 */
function runLocal(env: NodeJS.ProcessEnv, stop: (stdout: string) => boolean, timeoutMs = 20_000): Promise<Run> {
  const child = spawn(process.execPath, [LOCAL], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const run: Run = { code: null, stdout: "", stderr: "" };
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  };
  const timer = setTimeout(killGroup, timeoutMs);
  child.stdout!.on("data", (d: Buffer) => {
    run.stdout += d.toString();
    if (stop(run.stdout)) killGroup();
  });
  child.stderr!.on("data", (d: Buffer) => (run.stderr += d.toString()));
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ ...run, code });
    }),
  );
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("npm run app (app/local.mjs): one run per checkout, ports said in words", function () {
  this.timeout(60_000);

  beforeEach(function () {
    // A developer's own `npm run app` in this checkout holds the lock: these runs would meet it.
    if (existsSync(LOCK)) this.skip();
  });

  it("refuses a second run in the same checkout with one line, before starting anything", async function () {
    mkdirSync(path.dirname(LOCK), { recursive: true });
    writeFileSync(LOCK, String(process.pid));
    try {
      const run = await runLocal(process.env, () => false);
      expect(run.code).to.equal(1);
      expect(run.stdout).to.equal("");
      expect(run.stderr).to.equal(
        `npm run app is already running in this checkout (pid ${process.pid}); stop it first\n`,
      );
    } finally {
      rmSync(LOCK, { force: true });
    }
  });

  it("refuses the node port GPUFOG_NODE_PORT asks for when it is taken, and leaves no lock", async function () {
    const taken = await listen(0);
    const port = (taken.address() as { port: number }).port;
    try {
      const run = await runLocal({ ...process.env, GPUFOG_NODE_PORT: String(port) }, () => false);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.equal(
        `port ${port} (GPUFOG_NODE_PORT) is taken: stop what listens there, or choose another\n`,
      );
      expect(existsSync(LOCK)).to.equal(false);
    } finally {
      await close(taken);
    }
  });

  it("says so when the default port 8545 is taken, before using another", async function () {
    // 8545 may be another node's already; taken either way.
    const taken = await listen(8545).catch(() => undefined);
    const said = "port 8545 is taken, so the node listens on ";
    try {
      const env = { ...process.env };
      delete env.GPUFOG_NODE_PORT;
      const run = await runLocal(env, (stdout) => stdout.includes(said));
      expect(run.stdout).to.match(
        /^port 8545 is taken, so the node listens on \d+ instead \(GPUFOG_NODE_PORT chooses the port\)$/m,
      );
    } finally {
      if (taken !== undefined) await close(taken);
      // Killed before its exit handler ran: the lock it took is stale, and removed here.
      rmSync(LOCK, { force: true });
    }
  });
});
