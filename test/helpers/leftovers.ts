// The mocha run's root hooks (hardhat.config.ts, test.mocha.rootHooks): the run leaves no process
// behind. A node a test forgets, or a native child that outlives the wrapper a test killed (anvil's
// npm shim did), is reparented away from this process, so it is found by a mark in its environment
// instead: every process the tests start inherits it, whatever its parent. Linux only (/proc).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";

const MARK = "GPUFOG_TEST_RUN";
// The pid alone could be reused by an unrelated later run's process; the start time makes it unique.
const run = `${process.pid}-${Date.now()}`;

/** Processes other than this one whose environment carries this run's mark, with their command lines. */
function marked(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
      if (!environ.includes(`${MARK}=${run}`)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim()}`);
    } catch {
      // Exited meanwhile, or another user's process (not readable, and not ours).
    }
  }
  return found;
}

export const rootHooks = {
  beforeAll(): void {
    process.env[MARK] = run;
  },
  async afterAll(): Promise<void> {
    if (!existsSync("/proc/self/environ")) return;
    // A child stopped without waiting for its exit may still be on its way out.
    let left = marked();
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await delay(250);
      left = marked();
    }
    if (left.length === 0) return;
    for (const line of left) {
      try {
        process.kill(Number(line.split(" ")[0]), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    throw new Error(`the tests left ${left.length} process(es) running (killed now): ${left.join("; ")}`);
  },
};
