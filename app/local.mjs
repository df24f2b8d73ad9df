// `npm run app`: a local node, the system deployed with the story's state, the app built and
// served beside its generated config.json, and the real provider agents of the story's providers
// with their HTTP API at their nodes' URIs (quotes, receipts, access). The pieces are exported for
// the browser tests.
//
// Runs under the Node 24 of the root's devDependencies (npm scripts put node_modules/.bin first),
// as Hardhat needs it.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

const indexerDir = path.join(repo, "indexer");
const PONDER = path.join(indexerDir, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

/**
 * Starts the deployment's indexer (indexer/, `ponder start`) on `port` over the address book in
 * `book` and the chain at `rpcUrl`, with its embedded PGlite database in `dataDir` (emptied first:
 * the local chain starts empty each time); resolves with its URL once it has indexed the chain's
 * latest block. Run by this Node (the pinned 24: Ponder needs 22 or later).
 */
export async function startIndexer({ book, rpcUrl, dataDir, port }) {
  if (!existsSync(PONDER)) throw new Error("the indexer is not installed: run `npm ci` in indexer/");
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // Embedded PGlite, whatever DATABASE_URL the shell has.
  const { DATABASE_URL: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [PONDER, "start", "--port", String(port), "--schema", "app"], {
    cwd: indexerDir,
    env: {
      ...inherited,
      GPUFOG_ADDRESS_BOOK: book,
      PONDER_RPC_URL: rpcUrl,
      PONDER_TELEMETRY_DISABLED: "true",
      GPUFOG_PGLITE_DIR: dataDir,
    },
    // Its own process group, so stopping it stops whatever it started.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (d) => (log = (log + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        resolve();
      }
    });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the indexer exited:\n${log}`);
    try {
      if ((await fetch(`${url}/ready`)).ok && (await caughtUp(url, rpcUrl))) return { url, stop, log: () => log };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`the indexer had not caught up with the chain on ${url} after 150 s:\n${log}`);
}

/**
 * Whether the indexer at `url` has indexed the chain's latest block. Ready means its historical
 * catch-up is done, up to the blocks it holds as final; the last ones reach it through its live
 * sync, which moves when a block comes. A local node mines only on transactions, so an empty
 * block is mined to wake it: on a local chain that changes nothing but the block number.
 */
async function caughtUp(url, rpcUrl) {
  const rpc = async (method) => {
    const body = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    }).then((r) => r.json());
    return body.result;
  };
  const head = Number(await rpc("eth_blockNumber"));
  const status = await (await fetch(`${url}/status`)).json();
  const at = Object.values(status)[0]?.block?.number ?? 0;
  if (at >= head) return true;
  await rpc("evm_mine");
  return false;
}

/** Writes the address book of `out`'s config.json beside it, for the indexer; returns its path. */
export function writeBook(out) {
  const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"));
  const file = path.join(out, "address-book.json");
  writeFileSync(file, JSON.stringify(config.addressBook));
  return file;
}

/** Names the indexer's URL in `out`'s config.json (`indexer`), or removes it when `url` is undefined. */
export function setIndexer(out, url) {
  const file = path.join(out, "config.json");
  const { indexer: _, ...config } = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, `${JSON.stringify(url === undefined ? config : { ...config, indexer: url }, null, 2)}\n`);
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
 * Plays a finished buyback after the story (scripts/app/buyback.ts); with `story`, Cleo's
 * reservation is made again for a window that opens then. Returns what it printed.
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
 * `routes` maps a path to a handler of its own, called with the URL, the response and the request.
 */
export async function serve(dist, overlay, port = 0, routes = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let rel = decodeURIComponent(url.pathname);
    if (routes[rel]) return routes[rel](url, res, req);
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
 * A plain script hook for the local agents: the start hook prints the lease's access (what a real
 * hook gets from the container it starts, docs/operators.md), the end hook prints nothing. Both
 * log their event, one JSON line each, to the file named by their argument.
 */
const LOCAL_HOOK = `import { appendFileSync, readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(0, "utf8"));
appendFileSync(process.argv[2], JSON.stringify(input) + "\\n");
if (input.event === "start") {
  console.log(JSON.stringify({ ssh: \`ssh -p 2222 lease\${input.leaseId}@127.0.0.1\`, note: "local demo: no container runs" }));
}
`;

/** Sends a transaction from one of the local node's unlocked accounts; resolves once it is mined. */
async function sendFrom(rpcUrl, from, to, data = "0x", value = 0n) {
  const hash = await rpc(rpcUrl, "eth_sendTransaction", [{ from, to, data, value: `0x${value.toString(16)}` }]);
  for (let i = 0; i < 200; i++) {
    const receipt = await rpc(rpcUrl, "eth_getTransactionReceipt", [hash]);
    if (receipt) {
      if (receipt.status !== "0x1") throw new Error(`the transaction ${hash} from ${from} reverted`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the transaction ${hash} from ${from} was not mined`);
}

/**
 * Runs the real provider agent (`gpufog provider run`, from src/ through tsx) with its HTTP API
 * for each of `providers` (name → address, unlocked on the local node), each in its own directory
 * under `dir` with a fresh operator key (named with `setOperator` and given gas money by the
 * provider, so that the agent's transactions never take a provider's nonce from the wallet it uses
 * in the app), the script hook above, CORS for `origins` and receipts expected every
 * `receiptIntervalSeconds`. Once each agent answers, its provider points its nodes' URIs (the
 * registry's `update`, at the listed price) to the agent's endpoint, where the app asks for
 * quotes and sends receipts. Resolves with each agent's endpoint, state file and nodes, and `stop`.
 */
export async function startAgents({ rpcUrl, book, dir, providers, origins, receiptIntervalSeconds = 60 }) {
  const { Wallet, encryptKeystoreJson } = await import("ethers");
  const { ProviderRegistry } = await import("gpufog/abi");
  const { encodeFunctionData } = await import("viem");
  const registry = JSON.parse(readFileSync(book, "utf8")).contracts.registry;
  rmSync(dir, { recursive: true, force: true });
  const agents = [];
  const stop = async () => {
    await Promise.all(
      agents.map(
        ({ child }) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
  };
  try {
    for (const [name, provider] of Object.entries(providers)) {
      const home = path.join(dir, name);
      mkdirSync(home, { recursive: true });
      const operator = Wallet.createRandom();
      const password = `${name}-local-password`;
      writeFileSync(path.join(home, "operator.pass"), `${password}\n`, { mode: 0o600 });
      // A light scrypt: a throwaway key on a local chain, read once at each start.
      const keystore = await encryptKeystoreJson(
        { address: operator.address, privateKey: operator.privateKey },
        password,
        { scrypt: { N: 1 << 12 } },
      );
      writeFileSync(path.join(home, "operator.keystore.json"), keystore, { mode: 0o600 });
      writeFileSync(path.join(home, "hook.mjs"), LOCAL_HOOK);
      const setOperator = encodeFunctionData({
        abi: ProviderRegistry,
        functionName: "setOperator",
        args: [operator.address],
      });
      await sendFrom(rpcUrl, provider, registry, setOperator);
      await sendFrom(rpcUrl, provider, operator.address, "0x", 10n ** 18n);
      const apiPort = await freePort();
      const config = {
        kind: "provider",
        rpc: [rpcUrl],
        addressBook: book,
        keystore: "operator.keystore.json",
        passwordFile: "operator.pass",
        stateFile: "provider-state.json",
        provider,
        pollSeconds: 1,
        metricsPort: await freePort(),
        receiptIntervalSeconds,
        // The story's offline node (Cleo's) was taken offline on purpose: it stays so.
        reconnect: false,
        apiPort,
        apiCorsOrigins: origins,
        startHook: [process.execPath, "./hook.mjs", "hooks.log"],
        endHook: [process.execPath, "./hook.mjs", "hooks.log"],
      };
      writeFileSync(path.join(home, "provider.json"), `${JSON.stringify(config, null, 2)}\n`);
      const child = spawn(
        bin("node"),
        [
          "--import",
          "tsx",
          path.join(repo, "src", "agent", "cli.ts"),
          "provider",
          "run",
          "--config",
          path.join(home, "provider.json"),
        ],
        // From the repository, where tsx is installed, whatever directory holds the agent's files.
        { cwd: repo, env: { ...env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      // Its JSON log lines, kept whole in agent.log beside its files and the last ones in memory.
      const file = createWriteStream(path.join(home, "agent.log"));
      let log = "";
      for (const stream of [child.stdout, child.stderr]) {
        stream.on("data", (d) => {
          file.write(d);
          log = (log + d).slice(-20_000);
        });
      }
      const url = `http://127.0.0.1:${apiPort}`;
      const agent = {
        name,
        provider,
        url,
        child,
        home,
        stateFile: path.join(home, "provider-state.json"),
        log: () => log,
      };
      agents.push(agent);
      let info;
      for (let i = 0; i < 240 && !info; i++) {
        if (child.exitCode !== null) throw new Error(`${name}'s agent exited:\n${log}`);
        const answer = await fetch(url).catch(() => undefined);
        if (answer?.ok) info = await answer.json();
        else await new Promise((r) => setTimeout(r, 250));
      }
      if (!info) throw new Error(`${name}'s agent does not answer on ${url} after 60 s:\n${log}`);
      agent.nodes = info.nodes.map(BigInt);
      await pointNodes(rpcUrl, book, new Map(agent.nodes.map((id) => [id, url])));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { agents, stop };
}

/**
 * For the browser tests that run before any agent (an agent would act on the story's leases and
 * reservations those tests act on by hand): a handler answering the agent's `POST /quote` (the
 * package's quote request and answer formats) for every node, signed with the key of the node's
 * provider among `keys` (name → private key), at its listed price and token, valid for the
 * escrow's `maxQuoteAge` from the chain's time. Mounted on the app's server, whose address the
 * tests give the story's nodes as their URI (`pointNodes`) until the real agents take over. A bad
 * request gets the agent's error format with one line saying why.
 *
 * Imported late: gpufog and viem are the app's dependencies, installed by main() when missing.
 */
export async function standInQuotes(rpcUrl, contracts, keys) {
  const { apiErrorToJson, buildQuote, escrowDomain, parseQuoteRequest, quoteToJson, QUOTE_TYPES } =
    await import("gpufog");
  const { LeaseEscrow, ProviderRegistry } = await import("gpufog/abi");
  const { createPublicClient, getAddress, http } = await import("viem");
  const { privateKeyToAccount } = await import("viem/accounts");
  const reader = createPublicClient({ transport: http(rpcUrl) });
  const signers = new Map(
    Object.values(keys).map((key) => {
      const account = privateKeyToAccount(key);
      return [account.address, account];
    }),
  );
  const chainId = BigInt(await reader.getChainId());
  const domain = escrowDomain(chainId, contracts.escrow);
  const answer = (res, status, body) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  return async (_url, res, req) => {
    try {
      let text = "";
      for await (const chunk of req) text += chunk;
      const request = parseQuoteRequest(text, "POST /quote");
      const [node, maxQuoteAge, block] = await Promise.all([
        reader.readContract({
          address: contracts.registry,
          abi: ProviderRegistry,
          functionName: "node",
          args: [request.nodeId],
        }),
        reader.readContract({ address: contracts.escrow, abi: LeaseEscrow, functionName: "maxQuoteAge" }),
        reader.getBlock(),
      ]);
      const signer = signers.get(getAddress(node.provider));
      if (!signer) throw new Error(`node ${request.nodeId}: its provider ${node.provider} is not one of the story's`);
      const quote = buildQuote(
        { ...request, token: node.paymentToken, pricePerTuHour: node.pricePerTuHour },
        block.timestamp,
        BigInt(maxQuoteAge),
      );
      const signature = await signer.signTypedData({
        domain,
        types: QUOTE_TYPES,
        primaryType: "Quote",
        message: quote,
      });
      answer(res, 200, quoteToJson({ chainId, escrow: contracts.escrow, quote, signature }));
    } catch (error) {
      answer(res, 400, apiErrorToJson({ status: 400, error: String(error.shortMessage ?? error.message ?? error) }));
    }
  };
}

/** Points each node of `uris` (node id → URI) there, at its listed price, from its provider (unlocked on the local node). */
export async function pointNodes(rpcUrl, book, uris) {
  const { ProviderRegistry } = await import("gpufog/abi");
  const { createPublicClient, encodeFunctionData, http } = await import("viem");
  const reader = createPublicClient({ transport: http(rpcUrl) });
  const registry = JSON.parse(readFileSync(book, "utf8")).contracts.registry;
  for (const [id, uri] of uris) {
    const node = await reader.readContract({
      address: registry,
      abi: ProviderRegistry,
      functionName: "node",
      args: [id],
    });
    if (node.uri === uri) continue;
    const data = encodeFunctionData({
      abi: ProviderRegistry,
      functionName: "update",
      args: [id, node.pricePerTuHour, uri],
    });
    await sendFrom(rpcUrl, node.provider, registry, data);
  }
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
  const indexerPort = await choosePort("indexer", "GPUFOG_INDEXER_PORT", 42069);
  if (!existsSync(path.join(repo, "dist/src/index.js")) || !existsSync(path.join(repo, "artifacts"))) {
    console.log("building the package and the contracts first (npm run build)…");
    if (spawnSync("npm", ["run", "build"], { cwd: repo, stdio: "inherit" }).status !== 0) process.exit(1);
  }
  if (!existsSync(PONDER)) {
    console.log("installing the indexer's dependencies (npm ci in indexer/)…");
    if (spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: indexerDir, stdio: "inherit" }).status !== 0) {
      process.exit(1);
    }
  }
  if (!existsSync(path.join(appDir, "node_modules/vite"))) {
    console.log("installing the app's dependencies (npm ci in app/)…");
    if (spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: appDir, stdio: "inherit" }).status !== 0) {
      process.exit(1);
    }
  }
  const node = await startNode(nodePort);
  let indexer;
  let agents;
  const stopAll = async () => {
    await agents?.stop();
    await indexer?.stop();
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
    console.log("starting the indexer (indexer/, Ponder on embedded PGlite) and waiting for its catch-up…");
    indexer = await startIndexer({
      book: writeBook(out),
      rpcUrl: node.url,
      dataDir: path.join(out, "indexer"),
      port: indexerPort,
    });
    setIndexer(out, indexer.url);
    build();
    const site = await serve(path.join(appDir, "dist"), out, appPort);
    console.log("starting the provider agents of ada, ben and cleo (gpufog provider run, with their API)…");
    const origin = new URL(site.url).origin;
    agents = await startAgents({
      rpcUrl: node.url,
      book: path.join(out, "address-book.json"),
      dir: path.join(out, "agents"),
      providers: { ada: story.accounts.ada, ben: story.accounts.ben, cleo: story.accounts.cleo },
      origins: [origin, origin.replace("127.0.0.1", "localhost")],
    });
    console.log(`\ngpufog app: ${site.url}  (chain 31337 on ${node.url}, indexer on ${indexer.url})\n`);
    console.log("test accounts to import into a wallet (well-known keys: never use them elsewhere):");
    for (const [name, address] of Object.entries(story.accounts)) {
      console.log(`  ${name.padEnd(5)} ${address}  ${TEST_KEYS[name]}`);
    }
    console.log(
      "  ada, ben and cleo have claimed and provide nodes; dan, eve and finn have claims left; ben leases node 2;",
    );
    console.log("  cleo has reserved node 3 (startable for an hour) and took her node 5 offline");
    console.log(`  old-chain holder ${story.legacy.address}, WIF ${story.legacy.wif} (unclaimed)`);
    console.log("\nprovider agents (quotes, presence, receipts, access; their nodes' URIs point there):");
    for (const a of agents.agents) {
      console.log(
        `  ${a.name.padEnd(5)} ${a.url}  nodes ${a.nodes.join(", ")}  files and agent.log in ${path.relative(repo, a.home)}/`,
      );
    }
    console.log(
      "  Receipts are due every minute: a lease whose customer sends none (Ben's lease 1: his story client is not running)",
    );
    console.log("  is closed by its provider's agent after two missed intervals, as on a real network.");
    console.log(
      "Ctrl-C stops the node, the indexer, the agents and the server. Nodes check in once a day; the agents keep them fresh.\n",
    );
  } catch (error) {
    console.error(error.message);
    await agents?.stop();
    await indexer?.stop();
    await node.stop();
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
