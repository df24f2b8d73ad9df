// JSON-RPC for the scale bench: batches over plain `fetch` (ethers' Node transport grows large
// answers quadratically), anvil started by its binary's own path, and a counting proxy that
// stands in front of a server and counts what a reader asks of it.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

type Call = [method: string, params: unknown[]];

/** A JSON-RPC client that sends calls one by one or in batches of `batchSize`. */
export class Rpc {
  constructor(
    readonly url: string,
    private readonly batchSize = 1000,
  ) {}

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const [result] = await this.batch<T>([[method, params]]);
    return result!;
  }

  /** Every call's result, in order; throws on the first error, naming the call. */
  async batch<T = unknown>(calls: Call[]): Promise<T[]> {
    const answers = await this.batchSettled<T>(calls);
    return answers.map((a, i) => {
      if ("error" in a)
        throw new Error(`${calls[i]![0]} #${i}: ${a.error.message} ${JSON.stringify(a.error.data ?? "")}`);
      return a.result;
    });
  }

  async batchSettled<T = unknown>(calls: Call[]): Promise<({ result: T } | { error: RpcError })[]> {
    const out: ({ result: T } | { error: RpcError })[] = [];
    for (let i = 0; i < calls.length; i += this.batchSize) {
      const chunk = calls.slice(i, i + this.batchSize);
      const body = chunk.map(([method, params], j) => ({ jsonrpc: "2.0", id: j, method, params }));
      const res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: { id: number; result?: T; error?: RpcError }[];
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        throw new Error(`${this.url}: ${res.status} ${text.slice(0, 300)}`);
      }
      if (!Array.isArray(parsed)) throw new Error(`${this.url}: ${text.slice(0, 300)}`);
      parsed.sort((a, b) => a.id - b.id);
      for (const a of parsed) out.push(a.error !== undefined ? { error: a.error } : { result: a.result as T });
    }
    return out;
  }
}

export const ANVIL_BIN = path.join(process.cwd(), "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");

/** anvil for building a market: impersonation, a 1G-gas block, free gas, FIFO order. */
export async function startAnvil(
  port: number,
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(
    ANVIL_BIN,
    [
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--silent",
      "--disable-code-size-limit",
      "--auto-impersonate",
      "--gas-limit",
      "1000000000",
      "--base-fee",
      "0",
      "--gas-price",
      "0",
      "--order",
      "fifo",
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const rpc = new Rpc(url);
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}`);
    try {
      await rpc.call("eth_chainId");
      return { url, child, stop: () => stopChild(child) };
    } catch {
      await sleep(100);
    }
  }
  child.kill("SIGKILL");
  throw new Error(`anvil did not answer on ${url}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** What a counting proxy saw since its last `reset`. */
export interface Counts {
  /** HTTP requests. */
  requests: number;
  /** JSON-RPC calls (a batch counts each of its calls); for a non-JSON-RPC server, requests. */
  calls: number;
  byMethod: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** Hashes answered to `eth_sendRawTransaction` / `eth_sendTransaction`. */
  sent: string[];
}

/** A proxy on a free loopback port in front of `target` that counts requests, calls and bytes. */
export class CountingProxy {
  private server: Server | undefined;
  counts: Counts = CountingProxy.zero();
  url = "";

  constructor(private readonly target: string) {}

  static zero(): Counts {
    return { requests: 0, calls: 0, byMethod: {}, bytesIn: 0, bytesOut: 0, sent: [] };
  }

  reset(): Counts {
    const before = this.counts;
    this.counts = CountingProxy.zero();
    return before;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          const body = Buffer.concat(chunks);
          const counts = this.counts;
          counts.requests++;
          counts.bytesOut += body.length;
          let methods: string[] = [];
          if (body.length > 0) {
            try {
              const parsed = JSON.parse(body.toString()) as { method?: string } | { method?: string }[];
              methods = (Array.isArray(parsed) ? parsed : [parsed]).map((p) => p.method ?? "?");
            } catch {
              methods = [];
            }
          }
          if (methods.length === 0) methods = [`${req.method} ${(req.url ?? "").split("?")[0]}`];
          counts.calls += methods.length;
          for (const m of methods) counts.byMethod[m] = (counts.byMethod[m] ?? 0) + 1;
          try {
            const headers: Record<string, string> = {};
            if (req.headers["content-type"]) headers["content-type"] = req.headers["content-type"];
            const answer = await fetch(this.target + (req.url === "/" ? "" : (req.url ?? "")), {
              method: req.method,
              headers,
              body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
            });
            const out = Buffer.from(await answer.arrayBuffer());
            counts.bytesIn += out.length;
            if (methods.some((m) => m === "eth_sendRawTransaction" || m === "eth_sendTransaction")) {
              try {
                const parsed = JSON.parse(out.toString()) as { result?: string } | { result?: string }[];
                for (const p of Array.isArray(parsed) ? parsed : [parsed])
                  if (typeof p.result === "string" && p.result.length === 66) counts.sent.push(p.result);
              } catch {
                // not JSON
              }
            }
            res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
            res.end(out);
          } catch (error) {
            res.writeHead(502);
            res.end(String(error));
          }
        })();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
