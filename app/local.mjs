// `npm run app`: a local node, the system deployed with the story's state, the app built and
// served beside its generated config.json, and the story's nodes kept heartbeating while it runs.
// The pieces are exported for the browser tests.
//
// Runs under the Node 24 of the root's devDependencies (npm scripts put node_modules/.bin first),
// as Hardhat needs it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const appDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(appDir);
const bin = (name) => path.join(repo, "node_modules", ".bin", name);
// Hardhat's bin starts with `env node`: the root's pinned Node 24 must come first on PATH, whatever
// Node started this script (Hardhat refuses Node 20).
const env = {
  ...process.env,
  PATH: `${path.join(repo, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
  HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
};

/** A free TCP port on 127.0.0.1: `preferred` when it is free, else one the system picks. */
export async function freePort(preferred = 0) {
  const tryPort = (port) =>
    new Promise((resolve) => {
      const s = createNetServer()
        .once("error", () => resolve(undefined))
        .listen(port, "127.0.0.1", () => {
          const { port: got } = s.address();
          s.close(() => resolve(got));
        });
    });
  return (preferred && (await tryPort(preferred))) || tryPort(0);
}

async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Starts `hardhat node` on `port`; resolves once it answers JSON-RPC. */
export async function startNode(port) {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin("hardhat"), ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: repo,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill();
    });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited:\n${log}`);
    try {
      await rpc(url, "eth_chainId");
      return { url, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await stop();
  throw new Error(`hardhat node does not answer on ${url}:\n${log}`);
}

/** Deploys the system with the story's state (scripts/app/setup.ts); writes config.json and airdrop/ into `out`. */
export function setup(url, out) {
  const result = spawnSync(bin("hardhat"), ["run", "--no-compile", "scripts/app/setup.ts", "--network", "localhost"], {
    cwd: repo,
    env: { ...env, LOCALHOST_RPC_URL: url, GPUFOG_APP_OUT: out },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`the setup failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop());
}

/**
 * Plays a finished buyback after the story (scripts/app/buyback.ts); with `story`, the story's
 * nodes heartbeat through it and Cleo's reservation is renewed. Returns what it printed.
 */
export function playBuyback(url, out, { story = false } = {}) {
  const result = spawnSync(
    bin("hardhat"),
    ["run", "--no-compile", "scripts/app/buyback.ts", "--network", "localhost"],
    {
      cwd: repo,
      env: { ...env, LOCALHOST_RPC_URL: url, GPUFOG_APP_OUT: out, GPUFOG_APP_STORY: story ? "1" : "0" },
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`the buyback failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop());
}

/** `vite build` of the app into app/dist. */
export function build() {
  const result = spawnSync(process.execPath, [path.join(appDir, "node_modules/vite/bin/vite.js"), "build"], {
    cwd: appDir,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("vite build failed");
}

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/**
 * Serves the built app from `dist`, with `overlay` (config.json and airdrop/ of this deployment)
 * over it: the build stays the same for every deployment, its configuration sits beside it.
 */
export async function serve(dist, overlay, port = 0) {
  const server = createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (rel.endsWith("/")) rel += "index.html";
    for (const root of [overlay, dist]) {
      const file = path.join(root, rel);
      if (file.startsWith(root) && statSync(file, { throwIfNoEntry: false })?.isFile()) {
        res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
        res.end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Keeps the story's nodes alive while the app runs: nothing else heartbeats them, and past the
 * registry's heartbeat timeout (10 minutes here) they would be stale and their leases would stop
 * accruing. One agent per provider, the package's `runHeartbeatAgent`, sends a `heartbeatBatch` of
 * the provider's live nodes (Idle, Sharing, Reserved) from the node's unlocked account every
 * quarter of the timeout, the provider agent's default margin. A node its provider took offline
 * (Cleo's in the story, or one on the Provider page) is left offline. Returns the stop function.
 *
 * Imported late: gpufog and viem are the app's dependencies, installed by main() when missing.
 */
export async function keepAlive(url, registry, providers, log) {
  const { runHeartbeatAgent, statusName } = await import("gpufog");
  const { ProviderRegistry } = await import("gpufog/abi");
  const { createPublicClient, createWalletClient, http } = await import("viem");
  const transport = http(url);
  const reader = createPublicClient({ transport });
  const contract = { address: registry, abi: ProviderRegistry };
  const timeout = await reader.readContract({ ...contract, functionName: "heartbeatTimeout" });
  const intervalMs = Number(timeout) * 250;
  const controller = new AbortController();
  const agents = Object.entries(providers).map(([name, provider]) => {
    const wallet = createWalletClient({ account: provider, transport });
    const send = async () => {
      const [nodes] = await reader.readContract({ ...contract, functionName: "nodesOf", args: [provider, 0n, 200n] });
      const live = nodes.filter((n) => ["Idle", "Sharing", "Reserved"].includes(statusName(n.status))).map((n) => n.id);
      if (live.length === 0) return undefined;
      const hash = await wallet.writeContract({
        ...contract,
        functionName: "heartbeatBatch",
        args: [live],
        chain: null,
      });
      const receipt = await reader.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`heartbeatBatch reverted in block ${receipt.blockNumber}`);
      return `nodes ${live.join(", ")}: ${hash}`;
    };
    return runHeartbeatAgent({ send, intervalMs, signal: controller.signal, log: (line) => log(`${name} ${line}`) });
  });
  return {
    intervalMs,
    stop: async () => {
      controller.abort();
      await Promise.all(agents);
    },
  };
}

/** The well-known private keys of the test mnemonic's accounts 3..9 (Ada … Gus), for importing into a wallet. */
export const TEST_KEYS = {
  ada: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  ben: "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  cleo: "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  dan: "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  eve: "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  finn: "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  gus: "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

/** Prints one line on stderr and exits 1. */
function refuse(line) {
  console.error(line);
  process.exit(1);
}

/** Whether a process `pid` runs (EPERM: it does, as another user). */
function running(pid) {
  try {
    return pid > 0 && process.kill(pid, 0);
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * One `npm run app` per checkout: a second one would redeploy into the same app/.local and
 * rebuild the app/dist the first one serves, so the first one's page would read the second node's
 * addresses. The lock holds the running one's pid; a lock whose process is gone (killed) is taken over.
 */
function takeLock() {
  const lock = path.join(appDir, ".local", "run.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(lock, "utf8"));
    if (running(holder)) refuse(`npm run app is already running in this checkout (pid ${holder}); stop it first`);
    rmSync(lock, { force: true });
  }
  process.on("exit", () => rmSync(lock, { force: true }));
}

/** `standard`, or the port `variable` asks for; a taken port is said in words, never swapped silently. */
async function choosePort(what, variable, standard) {
  const asked = process.env[variable];
  const wanted = Number(asked ?? standard);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 65535) refuse(`${variable}=${asked} is not a port number`);
  const port = await freePort(wanted);
  if (port === wanted) return port;
  if (asked !== undefined) refuse(`port ${wanted} (${variable}) is taken: stop what listens there, or choose another`);
  console.log(`port ${standard} is taken, so the ${what} listens on ${port} instead (${variable} chooses the port)`);
  return port;
}

async function main() {
  takeLock();
  const nodePort = await choosePort("node", "GPUFOG_NODE_PORT", 8545);
  const appPort = await choosePort("app", "GPUFOG_APP_PORT", 5173);
  if (!existsSync(path.join(repo, "dist/src/index.js")) || !existsSync(path.join(repo, "artifacts"))) {
    console.log("building the package and the contracts first (npm run build)…");
    if (spawnSync("npm", ["run", "build"], { cwd: repo, stdio: "inherit" }).status !== 0) process.exit(1);
  }
  if (!existsSync(path.join(appDir, "node_modules/vite"))) {
    console.log("installing the app's dependencies (npm ci in app/)…");
    if (spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: appDir, stdio: "inherit" }).status !== 0) {
      process.exit(1);
    }
  }
  const node = await startNode(nodePort);
  let heartbeats;
  const stopAll = async () => {
    await heartbeats?.stop();
    await node.stop();
    process.exit(0);
  };
  process.on("SIGINT", stopAll);
  process.on("SIGTERM", stopAll);
  try {
    console.log(`node on ${node.url}; deploying the system with the story's state…`);
    const out = path.join(appDir, ".local");
    const story = setup(node.url, out);
    console.log("playing a finished buyback (about an epoch and a half of chain time)…");
    const bought = playBuyback(node.url, out, { story: true });
    const { formatToken } = await import("gpufog");
    console.log(
      `  lease ${bought.lease} on node ${bought.node}: its fee bought ${formatToken(BigInt(bought.tftOut), "TFT", 18, 4)}, burned`,
    );
    build();
    const site = await serve(path.join(appDir, "dist"), out, appPort);
    console.log(`\ngpufog app: ${site.url}  (chain 31337 on ${node.url})\n`);
    console.log("test accounts to import into a wallet (well-known keys: never use them elsewhere):");
    for (const [name, address] of Object.entries(story.accounts)) {
      console.log(`  ${name.padEnd(5)} ${address}  ${TEST_KEYS[name]}`);
    }
    console.log(
      "  ada, ben and cleo have claimed and provide nodes; dan, eve and finn have claims left; ben leases node 2;",
    );
    console.log("  cleo has reserved node 3 (startable for an hour) and took her node 5 offline");
    console.log(`  old-chain holder ${story.legacy.address}, WIF ${story.legacy.wif} (unclaimed)`);
    const time = () => new Date().toISOString().slice(11, 19);
    const { ada, ben, cleo } = story.accounts;
    heartbeats = await keepAlive(node.url, story.contracts.registry, { ada, ben, cleo }, (line) =>
      console.log(`${time()} heartbeat agent of ${line}`),
    );
    console.log(
      `\nThe story's live nodes heartbeat every ${heartbeats.intervalMs / 1000} s. Ctrl-C stops them, the node and the server.\n`,
    );
  } catch (error) {
    console.error(error.message);
    await heartbeats?.stop();
    await node.stop();
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
