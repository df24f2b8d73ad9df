// The agents' test bench: anvil (Foundry's node, from npm) on a loopback port, and the `gpufog`
// command run as a child process from the sources, the way an operator runs the installed bin.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";

import { encryptKeystoreJson } from "ethers";

import { delay } from "./rpc.js";

const ROOT = process.cwd();
export const CLI = path.join(ROOT, "src", "agent", "cli.ts");

/**
 * The anvil binary itself, from @foundry-rs/anvil's platform package. Not node_modules/.bin/anvil:
 * that is a Node shim which spawns the binary, and a SIGKILL of the shim left the binary running
 * after every `npm test`.
 */
function anvilBinary(): string {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string];
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  const fromWrapper = createRequire(createRequire(import.meta.url).resolve("@foundry-rs/anvil/package.json"));
  const name = process.platform === "win32" ? "anvil.exe" : "anvil";
  return path.join(path.dirname(fromWrapper.resolve(platformPackage)), "bin", name);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Starts anvil on a free loopback port (chain 31337, the test mnemonic's accounts) and waits until it answers. */
export async function startAnvil(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // No code size limit: under `npm test -- --coverage` the contracts are instrumented and larger
  // than the 24 KiB a chain accepts (Hardhat's own network lifts the limit for coverage as well).
  const child = spawn(
    anvilBinary(),
    ["--port", String(port), "--host", "127.0.0.1", "--silent", "--disable-code-size-limit"],
    {
      stdio: "ignore",
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}`);
    try {
      await rpc(url, "eth_chainId");
      return { url, child };
    } catch {
      await delay(100);
    }
  }
  child.kill("SIGKILL");
  throw new Error(`anvil did not answer on ${url}`);
}

/** A keystore (cheap scrypt, for speed) and its password file (mode 600) for `privateKey`. */
export async function writeKeystore(dir: string, name: string, address: string, privateKey: string): Promise<void> {
  const password = `${name}-password`;
  writeFileSync(path.join(dir, `${name}.pass`), `${password}\n`, { mode: 0o600 });
  const json = await encryptKeystoreJson({ address, privateKey }, password, { scrypt: { N: 1 << 10 } });
  writeFileSync(path.join(dir, `${name}.keystore.json`), json);
}

/** A running `gpufog` child: its JSON log lines as they arrive. */
export interface AgentProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string;
  exited: Promise<number | null>;
}

export function startAgent(args: string[]): AgentProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  const agent: AgentProcess = {
    child,
    lines: [],
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  let buffer = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        agent.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        agent.lines.push({ event: "not_json", line });
      }
    }
  });
  child.stderr!.on("data", (d: Buffer) => (agent.stderr += d.toString()));
  return agent;
}

/** Runs `gpufog` to completion (bounded) and returns its exit code and output. */
export async function runCli(
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const agent = startAgent(args);
  let stdout = "";
  agent.child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  const timer = setTimeout(() => agent.child.kill("SIGKILL"), timeoutMs);
  const code = await agent.exited;
  clearTimeout(timer);
  return { code, stdout, stderr: agent.stderr };
}

/** Polls `check` until it returns true, or fails after `timeoutMs` with `what`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(150);
  }
  throw new Error(`timed out waiting until ${what}`);
}
