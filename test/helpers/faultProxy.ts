import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";

import { logsSpan } from "../../src/rpc/classify.js";
import { delay, prng } from "./rpc.js";

const require = createRequire(import.meta.url);

/** Hardhat's own CLI entry, run with this process's Node (the pinned Node 24, not the system's). */
export const HARDHAT_CLI = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");

export interface ProxyFaults {
  /** Share of requests whose connection is destroyed without an answer. */
  drop: number;
  /** Share of requests refused as rate-limited: HTTP 429 or JSON-RPC -32005. */
  rateLimit: number;
  /** Of those, the share answered HTTP 429 (default 0.5; the rest are JSON-RPC -32005). */
  http429Share?: number;
  /** `eth_getLogs` over more blocks than this is answered "block range is too wide". */
  maxLogsSpan: number;
  /** Every forwarded request waits a random 0..maxDelayMs first. */
  maxDelayMs: number;
  seed: number;
}

export interface FaultProxy {
  url: string;
  readonly injected: { forwarded: number; dropped: number; http429: number; rpc32005: number; rangeRefused: number };
  close(): Promise<void>;
}

/**
 * A JSON-RPC proxy on 127.0.0.1 in front of `target` that misbehaves the way public endpoints
 * do: it drops connections, refuses with rate limits (HTTP 429 and JSON-RPC -32005), answers
 * "block range is too wide" to wide `eth_getLogs`, and delays at random. Seeded and bounded, so
 * a run is reproducible and cannot hang.
 */
export async function startFaultProxy(target: string, faults: ProxyFaults): Promise<FaultProxy> {
  const random = prng(faults.seed);
  const injected = { forwarded: 0, dropped: 0, http429: 0, rpc32005: 0, rangeRefused: 0 };
  const sockets = new Set<import("node:net").Socket>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const call = JSON.parse(body) as { id?: unknown; method?: string; params?: unknown[] };
    const [r, pick, wait] = [random(), random(), random()];
    if (r < faults.drop) {
      injected.dropped++;
      req.socket.destroy();
      return;
    }
    if (r < faults.drop + faults.rateLimit) {
      if (pick < (faults.http429Share ?? 0.5)) {
        injected.http429++;
        res.writeHead(429, { "content-type": "text/plain", "retry-after": "0" }).end("Too Many Requests");
      } else {
        injected.rpc32005++;
        reply(res, { jsonrpc: "2.0", id: call.id, error: { code: -32005, message: "request rate limit exceeded" } });
      }
      return;
    }
    const span = call.method === "eth_getLogs" ? logsSpan(call.params) : undefined;
    if (span !== undefined && span > BigInt(faults.maxLogsSpan)) {
      injected.rangeRefused++;
      reply(res, { jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "block range is too wide" } });
      return;
    }
    await delay(Math.floor(wait * faults.maxDelayMs));
    injected.forwarded++;
    const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function reply(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export interface HardhatNode {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `hardhat node` on a loopback port and waits (bounded) until it answers. */
export async function startHardhatNode(port: number, cwd: string, timeoutMs = 60_000): Promise<HardhatNode> {
  const child = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const node: HardhatNode = { url, process: child, stop: () => stopChild(child) };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return node;
    } catch {
      // Not listening yet.
    }
    await delay(250);
  }
  await node.stop();
  throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
}

/** SIGTERM, then SIGKILL if the child is still there after a few seconds. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a Hardhat task in a child process, with a hard time limit. */
export function runHardhat(
  args: string[],
  cwd: string,
  timeoutMs = 180_000,
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<ChildRun> } {
  const child = spawn(process.execPath, [HARDHAT_CLI, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", FORCE_COLOR: "0" },
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise<ChildRun>((resolve) =>
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    }),
  );
  return { child, done };
}
