// Prometheus metrics over a tiny `node:http` server: counters and gauges with labels, rendered in
// the text exposition format at `/metrics`. No client library: the agent needs a dozen series.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type Labels = Record<string, string>;

interface Family {
  type: "counter" | "gauge";
  help: string;
  values: Map<string, number>;
}

const labelKey = (labels: Labels) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
    .join(",");

/** The agent's series, by name. */
export class Metrics {
  private readonly families = new Map<string, Family>();

  /** Declares a series; declared series are printed even before their first sample. */
  define(name: string, type: "counter" | "gauge", help: string): void {
    if (!this.families.has(name)) this.families.set(name, { type, help, values: new Map() });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const values = this.family(name).values;
    const key = labelKey(labels);
    values.set(key, (values.get(key) ?? 0) + by);
  }

  set(name: string, value: number, labels: Labels = {}): void {
    this.family(name).values.set(labelKey(labels), value);
  }

  /** A series' value (0 when never set), for tests and `status`. */
  get(name: string, labels: Labels = {}): number {
    return this.family(name).values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      if (f.values.size === 0 && f.type === "counter") lines.push(`${name} 0`);
      for (const [key, value] of f.values) lines.push(`${name}${key === "" ? "" : `{${key}}`} ${value}`);
    }
    return lines.join("\n") + "\n";
  }

  private family(name: string): Family {
    const f = this.families.get(name);
    if (f === undefined) throw new Error(`metric ${name} is not defined`);
    return f;
  }
}

/** Serves `metrics` at `http://host:port/metrics` (port 0: any free port); resolves with the port. */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && (req.url === "/metrics" || req.url?.startsWith("/metrics?"))) {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.render());
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("see /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
