// The provider's hooks: the commands that give a lease its access (start a container with GPUs and
// an SSH or Jupyter endpoint, open a firewall, …) and take it away. The agent runs the start hook
// when a lease of one of its nodes opens (a reservation's accepted start opens one too) and the
// end hook when the lease closes or goes unpaid, each with the lease as JSON on stdin; the start
// hook's stdout (one JSON object) is the lease's access, handed only to the lease's session key.
// Each run has a timeout and an output limit. The sessions (which hook ran, the access) live in
// their own file beside the state, written atomically and synced before anything relies on them.
import { spawn } from "node:child_process";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

import { InputError } from "../errors.js";
import { toJson } from "../io.js";
import type { HooksConfig } from "./config.js";

/** What a hook reads on stdin. */
export interface HookInput {
  event: "start" | "end";
  chainId: number;
  escrow: string;
  leaseId: string;
  nodeId: string;
  customer: string;
  /** The lease's session key (the zero address for none). */
  sessionKey: string;
  /** When the lease started (unix seconds). */
  start: number;
  /** Why the lease ends (end hook only): "closed", "finalized" or "unpaid". */
  reason?: string;
  /** What the start hook returned (end hook only), so the end hook can find what it started. */
  access?: Record<string, unknown>;
}

/** A hook that failed: it exited non-zero, timed out, wrote too much, or not one JSON object. */
export class HookError extends Error {
  override readonly name = "HookError";
}

/**
 * Runs `argv` (no shell) with `input` as JSON on stdin and returns its stdout as a JSON object
 * (`{}` for an empty stdout). Kills the hook's whole process group at the timeout or when its
 * output passes the limit.
 */
export function runHook(
  argv: string[],
  input: HookInput,
  limits: Pick<HooksConfig, "timeoutMs" | "maxOutputBytes"> & { cwd?: string },
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      cwd: limits.cwd,
      detached: true,
      env: { ...process.env, GPUFOG_HOOK_EVENT: input.event, GPUFOG_LEASE_ID: input.leaseId },
    });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let failure: string | undefined;
    const kill = (why: string) => {
      failure ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${limits.timeoutMs / 1000} s`), limits.timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      size += d.length;
      if (size > limits.maxOutputBytes) return kill(`wrote more than ${limits.maxOutputBytes} bytes`);
      out.push(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.stdin.on("error", () => {}); // a hook that does not read its stdin
    child.stdin.end(JSON.stringify(input) + "\n");
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new HookError(`${argv[0]} cannot run: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const lines = stderr.trim().split("\n");
      const tail = lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "";
      if (failure !== undefined) return reject(new HookError(`${argv[0]} ${failure}`));
      if (code !== 0) {
        return reject(new HookError(`${argv[0]} exited with ${code ?? signal}${tail === "" ? "" : `: ${tail}`}`));
      }
      const text = Buffer.concat(out).toString("utf8").trim();
      if (text === "") return resolve({});
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return reject(new HookError(`${argv[0]} wrote something other than one JSON object on stdout`));
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return reject(
          new HookError(`${argv[0]} wrote ${Array.isArray(value) ? "an array" : "a JSON value"}, not an object`),
        );
      }
      resolve(value as Record<string, unknown>);
    });
  });
}

/** A lease's session as the agent serves it. */
export interface Session {
  nodeId: string;
  /** starting: the start hook has not succeeded yet; serving: access handed out; ended: end hook ran. */
  phase: "starting" | "serving" | "ended";
  /** The start hook's output. */
  access?: Record<string, unknown>;
  /** Failed start hook runs so far. */
  failures: number;
  /** Why it ended. */
  reason?: string;
  /** When the phase last changed (ISO time). */
  at: string;
}

export interface SessionsFile {
  format: "gpufog-sessions-v1";
  sessions: Record<string, Session>;
}

/** Writes `text` to `file` atomically and durably: synced before the rename, the directory after. */
export function writeDurably(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.durable.tmp`;
  try {
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  try {
    const dir = openSync(path.dirname(file), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some file systems refuse to sync a directory; the rename is still atomic.
  }
}

/** The sessions file: loaded at start, saved after every change. */
export class SessionBook {
  readonly sessions: Record<string, Session>;

  constructor(private readonly file: string) {
    if (!existsSync(file)) {
      this.sessions = {};
      return;
    }
    let parsed: SessionsFile;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8")) as SessionsFile;
    } catch (error) {
      throw new InputError(file, undefined, undefined, `is not a sessions file: ${(error as Error).message}`);
    }
    if (parsed.format !== "gpufog-sessions-v1") {
      throw new InputError(file, undefined, "format", `is ${JSON.stringify(parsed.format)}, not gpufog-sessions-v1`);
    }
    this.sessions = parsed.sessions;
  }

  save(): void {
    writeDurably(this.file, toJson({ format: "gpufog-sessions-v1", sessions: this.sessions }) + "\n");
  }
}
