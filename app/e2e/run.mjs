// The app's end-to-end tests in headless Chromium (Debian's, driven by playwright-core; no
// browser download), against a fresh `hardhat node` with the system deployed by the story
// (scripts/app/setup.ts). Each page gets a test wallet: an EIP-1193 provider injected before the
// app loads, answering the accounts requests with one test account and forwarding everything
// else, eth_sendTransaction included, to the node, whose unlocked accounts sign. Each test saves a
// screenshot under e2e/screenshots/ (gitignored); with GPUFOG_DOCS_SHOTS=1 some tests also save
// the page as README shows it, at 1200×800, into docs/images/. The app reads through an endpoint
// that refuses, as public ones do, an eth_getLogs over more than LOGS_SPAN blocks.
//
//   node app/e2e/run.mjs        (the app must be built: npm run build in app/, done by .ci/app)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { decodeWif, formatToken, signLegacyMessage } from "gpufog";
import { chromium } from "playwright-core";
import { createPublicClient, encodeFunctionData, http, parseUnits } from "viem";
import {
  BuybackEmission,
  GUT,
  GovernanceTimelock,
  LeaseEscrow,
  ProviderRegistry,
  TFT,
  TokenSwapDistributor,
} from "gpufog/abi";

import {
  freePort,
  playBuyback,
  pointNodes,
  serve,
  setIndexer,
  setup,
  standInQuotes,
  startAgents,
  startIndexer,
  startNode,
  TEST_KEYS,
  writeBook,
} from "../local.mjs";
import { formatAmount } from "../src/units.ts";

const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const shots = path.join(appDir, "e2e", "screenshots");
mkdirSync(shots, { recursive: true });
const docShots = process.env.GPUFOG_DOCS_SHOTS === "1" ? path.join(appDir, "..", "docs", "images") : undefined;
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Blocks the app's endpoint serves in one eth_getLogs; the story spans several times more. */
const LOGS_SPAN = 32;

/**
 * A JSON-RPC endpoint in front of `target` that answers an eth_getLogs over more than `maxSpan`
 * blocks (an open or "latest" end counts to the latest block) with the error public endpoints
 * give, and forwards everything else. It counts what it refused.
 */
async function rangeCappedEndpoint(target, maxSpan) {
  const post = async (body) =>
    (await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })).text();
  const blockOf = async (tag) =>
    typeof tag === "string" && tag.startsWith("0x")
      ? BigInt(tag)
      : BigInt(JSON.parse(await post('{"jsonrpc":"2.0","id":0,"method":"eth_blockNumber","params":[]}')).result);
  const endpoint = { refused: 0, url: "", close: () => new Promise((done) => server.close(done)) };
  const server = createServer(async (req, res) => {
    const headers = {
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "content-type",
      "content-type": "application/json",
    };
    if (req.method === "OPTIONS") return res.writeHead(204, headers).end();
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString();
    const call = JSON.parse(body);
    if (call.method === "eth_getLogs" && !call.params[0].blockHash) {
      const { fromBlock = "earliest", toBlock = "latest" } = call.params[0];
      const from = fromBlock === "earliest" ? 0n : await blockOf(fromBlock);
      if ((await blockOf(toBlock)) - from + 1n > BigInt(maxSpan)) {
        endpoint.refused++;
        const error = { code: -32000, message: `block range is too wide: at most ${maxSpan} blocks` };
        return res.writeHead(200, headers).end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error }));
      }
    }
    res.writeHead(200, headers).end(await post(body));
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  endpoint.url = `http://127.0.0.1:${server.address().port}`;
  return endpoint;
}

const node = await startNode(await freePort());
const capped = await rangeCappedEndpoint(node.url, LOGS_SPAN);
const work = mkdtempSync(path.join(tmpdir(), "gpufog-app-e2e-"));
const profile = mkdtempSync(path.join(tmpdir(), "gpufog-chromium-"));
let browser;
let site;
let indexer;
const results = [];
try {
  const story = setup(node.url, work);
  const configFile = path.join(work, "config.json");
  const appConfig = JSON.parse(readFileSync(configFile, "utf8"));
  writeFileSync(configFile, JSON.stringify({ ...appConfig, chain: { ...appConfig.chain, rpcUrl: capped.url } }));
  console.log(
    `node ${node.url}, system deployed with the story (${seconds()}); the app reads through ${capped.url}, which refuses eth_getLogs over ${LOGS_SPAN} blocks`,
  );
  // The indexer beside the node, as `npm run app` runs it; restarted on the same port after the
  // chain is reverted (a local node's revert is no reorg an indexer follows).
  const indexerPort = await freePort();
  const book = writeBook(work);
  const runIndexer = () =>
    startIndexer({ book, rpcUrl: node.url, dataDir: path.join(work, "indexer"), port: indexerPort });
  indexer = await runIndexer();
  setIndexer(work, indexer.url);
  console.log(`indexer ${indexer.url} caught up (${seconds()})`);
  // Until the lease session's test runs the real agents, the story's nodes point at a stand-in
  // for their quote route on the app's server: an agent would act on the story's leases and
  // reservations that the tests before it act on by hand.
  const { ada, ben, cleo } = TEST_KEYS;
  const quotes = await standInQuotes(node.url, story.contracts, { ada, ben, cleo });
  site = await serve(path.join(appDir, "dist"), work, 0, { "/stand-in-agent/quote": quotes });
  await pointNodes(node.url, book, new Map([1n, 2n, 3n, 4n, 5n].map((id) => [id, `${site.url}stand-in-agent`])));
  // A persistent context is how playwright takes a fresh --user-data-dir of our own.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

  /**
   * A page of the app with `account` as its wallet (or none: read-only); `chainId` is the chain
   * the wallet says it is on until the page asks it to switch (the node's by default).
   */
  async function open(hash, account, chainId) {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // What the page asked of the chain (the app's endpoint and the wallet's) and of the indexer.
    const counts = { rpc: 0, indexer: 0, methods: {} };
    page.on("request", (request) => {
      const url = request.url();
      if (url.startsWith(capped.url) || url.startsWith(node.url)) {
        if (request.method() !== "POST") return;
        let calls = [];
        try {
          const body = JSON.parse(request.postData() ?? "null");
          calls = Array.isArray(body) ? body : [body];
        } catch {
          calls = [{ method: "?" }];
        }
        counts.rpc += calls.length;
        for (const c of calls) counts.methods[c.method] = (counts.methods[c.method] ?? 0) + 1;
      } else if (url.startsWith(`http://127.0.0.1:${indexerPort}`) && request.method() === "GET") {
        counts.indexer++;
        counts.routes = [...(counts.routes ?? []), new URL(url).pathname];
      }
    });
    page.counts = counts;
    if (account) {
      await page.addInitScript(
        ({ rpc, account, chainId }) => {
          let id = 0;
          let chain = chainId;
          const listeners = {};
          window.ethereum = {
            request: async ({ method, params }) => {
              if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
              if (method === "eth_chainId" && chain) return chain;
              if (method === "wallet_switchEthereumChain") {
                chain = undefined;
                for (const listener of listeners.chainChanged ?? []) listener(params[0].chainId);
                return null;
              }
              const response = await fetch(rpc, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }),
              });
              const body = await response.json();
              // An EIP-1193 error: code, message and the revert data, as a wallet passes them on.
              if (body.error) throw Object.assign(new Error(body.error.message), body.error);
              return body.result;
            },
            on(event, listener) {
              (listeners[event] ??= []).push(listener);
            },
            removeListener(event, listener) {
              listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
            },
          };
        },
        { rpc: node.url, account, chainId },
      );
    }
    await page.goto(`${site.url}#${hash}`);
    return { page, problems };
  }

  async function test(name, body) {
    const t0 = Date.now();
    let opened;
    try {
      await body(async (hash, account, chainId) => (opened = await open(hash, account, chainId)).page);
      if (opened?.problems.length) throw new Error(opened.problems.join("\n"));
      results.push([name, true]);
      console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
    } catch (error) {
      results.push([name, false]);
      console.log(
        `  ✗ ${name}\n    ${String(error.message ?? error)
          .split("\n")
          .join("\n    ")}`,
      );
    } finally {
      if (opened) {
        const file = path.join(shots, `${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`);
        await opened.page.screenshot({ path: file, fullPage: true }).catch(() => {});
        await opened.page.close();
      }
    }
  }
  const wait = { timeout: 20_000 };
  const { registry, distributor, timelock } = (await (await fetch(`${site.url}config.json`)).json()).addressBook
    .contracts;
  /** A transaction from one of the node's unlocked accounts, outside the page (a provider's or the admin's own tools). */
  async function sendAs(from, to, abi, functionName, args) {
    const data = encodeFunctionData({ abi, functionName, args });
    const sent = await fetch(node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [{ from, to, data }] }),
    }).then((r) => r.json());
    if (sent.error) throw new Error(`${functionName} failed: ${sent.error.message}`);
  }
  const registryTx = (from, functionName, args) => sendAs(from, registry, ProviderRegistry, functionName, args);
  /** Connects the page's test wallet; wagmi may already have reconnected it from an earlier page. */
  async function connect(page, account) {
    const shown = page.getByTestId("wallet").getByText(account);
    const button = page.getByRole("button", { name: "Connect wallet" });
    await shown.or(button).first().waitFor(wait);
    // wagmi may reconnect the injected wallet on its own between the check and the click, and the
    // button is gone: the account shown is what counts.
    if (await button.isVisible()) await button.click({ timeout: 2_000 }).catch(() => {});
    await shown.waitFor(wait);
  }

  console.log("browser tests:");

  /** The first render's requests: the page, once `landmark` shows and a second more passes. */
  const firstRender = {};
  const LIMIT = 10;
  await test("the Market, My leases, Provider and Token economics pages' first render reads the indexer: at most 10 calls each", async (openPage) => {
    for (const [hash, account, landmark] of [
      ["market", story.accounts.cleo, 'tr[data-node="1"]'],
      ["leases", story.accounts.ben, "[data-lease]"],
      ["provider", story.accounts.ada, "#nodes tr[data-node]"],
      // Anyone may look, without a wallet.
      ["economics", undefined, "[data-testid=next-buyback]"],
    ]) {
      const page = await openPage(hash, account);
      if (account) await connect(page, account);
      await page.locator(landmark).first().waitFor(wait);
      await page.waitForTimeout(1_000);
      if (await page.getByTestId("indexer-down").isVisible()) throw new Error(`${hash}: the indexer is shown down`);
      const { rpc, indexer: asked, methods, routes } = page.counts;
      firstRender[hash] = { rpc, indexer: asked, methods };
      console.log(
        `    ${hash}: ${rpc} JSON-RPC calls ${JSON.stringify(methods)}, ${asked} indexer requests ${JSON.stringify(routes)}`,
      );
      await page.close();
      if (rpc > LIMIT || asked > LIMIT) {
        throw new Error(`${hash}: ${rpc} JSON-RPC calls and ${asked} indexer requests, more than ${LIMIT}`);
      }
    }
  });
  await test("an EVM holder claims and sees claimed", async (openPage) => {
    const page = await openPage("claim", story.accounts.dan);
    await connect(page, story.accounts.dan);
    const evm = page.locator("#evm-claim");
    await evm.locator('[data-state="claimable"]').waitFor(wait);
    const amount = await evm.locator(".amount").first().textContent();
    if (!amount.includes("10,500") && !amount.includes("10500")) throw new Error(`amount shown: ${amount}`);
    await evm.getByRole("button", { name: "Claim" }).click();
    await evm.locator('[data-phase="mined"]').waitFor(wait);
    await evm.locator('[data-state="claimed"]').waitFor(wait);
  });

  await test("an already-claimed leaf shows its clear message", async (openPage) => {
    // Read-only: no wallet in this page; Ada's leaf was claimed by the story.
    const page = await openPage("claim");
    await page.getByText("Read-only: no wallet in this browser").waitFor(wait);
    const evm = page.locator("#evm-claim");
    await evm.getByLabel("holder address").fill(story.accounts.ada);
    await evm.getByRole("button", { name: "Look up" }).click();
    const state = evm.locator('[data-state="claimed"]');
    await state.waitFor(wait);
    const text = await state.textContent();
    if (!text.includes("Already claimed")) throw new Error(`shown: ${text}`);
  });

  await test("an address not in the snapshot is told so", async (openPage) => {
    const page = await openPage("claim");
    const evm = page.locator("#evm-claim");
    await evm.getByLabel("holder address").fill("0x000000000000000000000000000000000000dEaD");
    await evm.getByRole("button", { name: "Look up" }).click();
    await evm.locator('[data-state="absent"]').waitFor(wait);
  });

  await test("an old-chain holder signs offline and claims; a bad paste is refused first", async (openPage) => {
    // Eve's wallet submits Gus's old-chain claim, paid to Eve's account as the signed text names.
    const page = await openPage("claim", story.accounts.eve);
    await connect(page, story.accounts.eve);
    const legacy = page.locator("#legacy-claim");
    await legacy.getByLabel("old-chain address").fill(story.legacy.address);
    await legacy.getByRole("button", { name: "Look up" }).click();
    const message = await legacy.getByTestId("legacy-message").textContent(wait);
    if (!message.includes(story.accounts.eve.toLowerCase())) throw new Error(`the text does not name Eve: ${message}`);
    // What the old wallet's `signmessage` does with the holder's WIF key.
    const { privateKey, form } = decodeWif(story.legacy.wif);
    const signature = signLegacyMessage(message, privateKey, form);
    await legacy.getByLabel("signature").fill(`${signature.slice(0, 40)}!${signature.slice(41)}`);
    const bad = await legacy.locator('[data-state="bad-signature"]').textContent(wait);
    if (!bad.includes("not base64")) throw new Error(`bad paste shown as: ${bad}`);
    await legacy.getByLabel("signature").fill(signature);
    await legacy.locator('[data-state="signature-ok"]').waitFor(wait);
    await legacy.getByRole("button", { name: "Submit the claim" }).click();
    await legacy.locator('[data-phase="mined"]').waitFor(wait);
    await legacy.locator('[data-state="claimed"]').waitFor(wait);
  });

  /** The first amount in `text` ("… 1.2345 GUT …"), as a number. */
  const amountIn = (text) => Number(/([0-9][0-9,]*(?:\.[0-9]+)?) GUT/.exec(text)?.[1].replace(/,/g, "") ?? NaN);
  const chainRead = createPublicClient({ transport: http(node.url) });
  const { escrow, gut: gutToken } = appConfig.addressBook.contracts;
  /** The transactions an account has sent: a test that must send nothing compares it. */
  const sentBy = (account) => chainRead.getTransactionCount({ address: account });
  /** Moves the node's clock by `seconds` and mines a block. */
  async function elapse(seconds) {
    for (const [method, params] of [
      ["evm_increaseTime", [seconds]],
      ["evm_mine", []],
    ]) {
      await fetch(node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
    }
  }

  await test("a customer leases with the provider's quote in one transaction, with a permit and no approval", async (openPage) => {
    const cleo = story.accounts.cleo;
    const page = await openPage("market", cleo);
    await connect(page, cleo);
    await page.getByRole("button", { name: "lease node 1" }).click();
    const form = page.getByTestId("lease-form");
    // Node 1 (8 × V100, 14.8 TU) is quoted at its listed 2 GUT per TU-hour.
    await form.getByTestId("quote").getByText("Quoted price 2 GUT per TU-hour").waitFor(wait);
    await form
      .getByTestId("balance")
      .getByText(/Balance [0-9,.]+ GUT/)
      .waitFor(wait);
    await form.getByLabel("deposit").fill("25");
    const before = await sentBy(cleo);
    await form.getByRole("button", { name: "Open the lease" }).click();
    await form.locator('[data-phase="mined"]').filter({ hasText: "Lease of node 1" }).waitFor(wait);
    await page.locator('tr[data-node="1"] td.status-Sharing').waitFor(wait);
    const sent = (await sentBy(cleo)) - before;
    if (sent !== 1) throw new Error(`the lease took ${sent} transactions, not one`);
    const allowance = await chainRead.readContract({
      address: gutToken,
      abi: GUT,
      functionName: "allowance",
      args: [cleo, escrow],
    });
    if (allowance !== 0n) throw new Error(`the permit left an allowance of ${allowance}`);
    const count = await chainRead.readContract({ address: escrow, abi: LeaseEscrow, functionName: "leaseCount" });
    const lease = await chainRead.readContract({
      address: escrow,
      abi: LeaseEscrow,
      functionName: "lease",
      args: [count],
    });
    if (
      lease.customer !== cleo ||
      lease.deposit !== parseUnits("25", 18) ||
      lease.sessionKey === `0x${"0".repeat(40)}`
    ) {
      throw new Error(`lease ${count}: ${JSON.stringify(lease, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
    }
  });

  await test("a wallet on the wrong chain sees the banner, sends nothing and switches", async (openPage) => {
    const cleo = story.accounts.cleo;
    const page = await openPage("market", cleo, "0x1");
    await connect(page, cleo);
    const banner = page.getByTestId("wrong-network");
    await banner.getByText("The wallet is on chain 1").waitFor(wait);
    await page.getByRole("button", { name: "lease node 4" }).click();
    const form = page.getByTestId("lease-form");
    await form.getByTestId("quote").waitFor(wait);
    await form.getByLabel("deposit").fill("5");
    const before = await sentBy(cleo);
    await form.getByRole("button", { name: "Open the lease" }).click();
    const failed = await form.locator('[data-phase="failed"]').textContent(wait);
    if (!failed.includes("the wallet is on chain 1")) throw new Error(`the failure shown: ${failed}`);
    if ((await sentBy(cleo)) !== before) throw new Error("a transaction was sent from the wrong chain");
    await banner.getByRole("button", { name: /Switch to/ }).click();
    await banner.waitFor({ state: "detached", ...wait });
  });

  await test("a customer with too little GUT sees Insufficient GUT and sends nothing", async (openPage) => {
    // Gus holds no GUT.
    const gus = story.accounts.gus;
    const page = await openPage("market", gus);
    await connect(page, gus);
    await page.getByRole("button", { name: "lease node 4" }).click();
    const form = page.getByTestId("lease-form");
    await form.getByTestId("balance").getByText("Balance 0 GUT", { exact: true }).waitFor(wait);
    await form.getByLabel("deposit").fill("25");
    const button = form.getByRole("button", { name: "Insufficient GUT" });
    await button.waitFor(wait);
    if (!(await button.isDisabled())) throw new Error("Insufficient GUT can be clicked");
    if ((await sentBy(gus)) !== 0) throw new Error("Gus sent a transaction");
  });

  await test("a customer sees the lease's time used, tops up and closes with a receipt", async (openPage) => {
    // Ben's lease on node 2 was opened by the story with 30 GUT, and Ada collected a receipt.
    const page = await openPage("leases", story.accounts.ben);
    await connect(page, story.accounts.ben);
    const card = page.locator('[data-lease="1"]');
    const used = card.getByTestId("used");
    const before = await used.textContent(wait);
    await page.waitForFunction(([el, text]) => el.textContent !== text, [await used.elementHandle(), before], {
      timeout: 5_000,
    });
    const collectedBefore = amountIn(await card.getByTestId("collected").textContent(wait));
    if (!(collectedBefore > 0)) throw new Error(`collected shown: ${collectedBefore}`);
    await card.getByLabel("top-up amount").fill("5");
    await card.getByRole("button", { name: "Top up" }).click();
    await card.locator('[data-phase="mined"]').filter({ hasText: "Top-up of lease 1" }).waitFor(wait);
    await card.getByText("Deposit 35 GUT").waitFor(wait);
    // The story's session key is not in this browser: the wallet signs the receipt.
    await card.getByRole("button", { name: "Close the lease" }).click();
    await card.getByTestId("lease-status").getByText("closing").waitFor(wait);
    const lease = await chainRead.readContract({
      address: escrow,
      abi: LeaseEscrow,
      functionName: "lease",
      args: [1n],
    });
    if (lease.status !== 2 || !(lease.paid > parseUnits(String(collectedBefore), 18))) {
      throw new Error(`on chain: status ${lease.status}, paid ${lease.paid}`);
    }
    const deadline = await card.getByTestId("collect-deadline").textContent(wait);
    if (!deadline.includes(String(new Date(Number(lease.collectDeadline) * 1000).getUTCFullYear()))) {
      throw new Error(`collect deadline shown: ${deadline}`);
    }
    if (!(await card.getByRole("button", { name: "Finalize the refund" }).isDisabled())) {
      throw new Error("Finalize is offered inside the collect window");
    }
  });

  await test("a provider registers a node, seeing the stake first, and withdraws", async (openPage) => {
    // Ada provides nodes 1 and 2; Ben's closed lease on node 2 left her earnings to withdraw.
    const page = await openPage("provider", story.accounts.ada);
    await connect(page, story.accounts.ada);
    const register = page.locator("#register");
    await register.getByLabel("model").selectOption("RTX 2080");
    await register.getByLabel("GPU count").fill("2");
    await register
      .getByTestId("stake")
      .getByText(/locks a stake of [0-9.,]+ GUT/)
      .waitFor(wait);
    await register.getByRole("button", { name: "Register" }).click();
    await register.locator('[data-phase="mined"]').filter({ hasText: "Registration" }).waitFor(wait);
    await page.locator('tr[data-node="6"]').getByText("RTX 2080").waitFor(wait);
    const earnings = page.locator("#earnings");
    const earned = await earnings.getByTestId("earned").textContent(wait);
    if (earned === "0 GUT") throw new Error("no earnings to withdraw");
    await earnings.getByRole("button", { name: "Withdraw" }).click();
    await earnings.locator('[data-phase="mined"]').waitFor(wait);
    await earnings.getByTestId("earned").getByText("0 GUT", { exact: true }).waitFor(wait);
  });

  await test("paused claims show their clear state", async (openPage) => {
    // Pausing is governance's, through the timelock (PAUSER_ROLE is the timelock's; its delay is 0
    // on this network): the multisig, the second account, schedules, then executes.
    const governance = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const zero = `0x${"0".repeat(64)}`;
    const throughTimelock = async (functionName) => {
      const call = [distributor, 0n, encodeFunctionData({ abi: TokenSwapDistributor, functionName }), zero];
      const salt = `0x${Buffer.from(functionName).toString("hex").padEnd(64, "0")}`;
      await sendAs(governance, timelock, GovernanceTimelock, "schedule", [...call, salt, 0n]);
      await sendAs(governance, timelock, GovernanceTimelock, "execute", [...call, salt]);
    };
    await throughTimelock("pause");
    try {
      const page = await openPage("claim");
      const evm = page.locator("#evm-claim");
      await evm.getByLabel("holder address").fill(story.accounts.finn);
      await evm.getByRole("button", { name: "Look up" }).click();
      await evm.locator('[data-state="blocked"]').getByText("Claims are paused").waitFor(wait);
    } finally {
      await throughTimelock("unpause");
    }
  });

  await (
    await import("./words.mjs")
  ).words({ test, story, connect, wait, chainRead, contracts: appConfig.addressBook.contracts });

  // ---- The provider's node life and mining rewards, and the token economics page ----------------
  // A finished buyback first (scripts/app/buyback.ts: a lease of Ada's node, its fee forwarded,
  // bought back), which moves the chain's clock by about 1.5 h, and the unbonding test moves it a
  // week: the chain is put back as it was after this block, for any test that comes after it.
  {
    const rpc = async (method, params = []) => {
      const body = await fetch(node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      }).then((r) => r.json());
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
      return body.result;
    };
    const snapshot = await rpc("evm_snapshot");
    try {
      const buyback = playBuyback(node.url, work);
      console.log(
        `a buyback played: lease ${buyback.lease} on node ${buyback.node}, ${formatToken(BigInt(buyback.tftOut), "TFT", 18, 4)} bought (${seconds()})`,
      );
      await (
        await import("./words.mjs")
      ).chainClock({ test, wait, chainRead, contracts: appConfig.addressBook.contracts });
      const { emission, tft, gut } = (await (await fetch(`${site.url}config.json`)).json()).addressBook.contracts;
      const chain = createPublicClient({ transport: http(node.url) });
      const read = (address, abi, functionName, args = []) => chain.readContract({ address, abi, functionName, args });
      const tftOf = (amount) => formatAmount(amount, "TFT", 18);
      const adaNodes = async () =>
        (await read(registry, ProviderRegistry, "nodesOf", [story.accounts.ada, 0n, 100n]))[0];
      const text = async (locator) => (await locator.textContent(wait)).trim();

      await test("the token economics page shows the chain's figures, their history and the next buyback", async (openPage) => {
        // Read-only: anyone may look. Each figure is read here from the contracts themselves.
        const page = await openPage("economics");
        const [phase, reserve, burned, released, supply, circulating, epoch] = await Promise.all([
          read(emission, BuybackEmission, "phase"),
          read(emission, BuybackEmission, "reserveLeft"),
          read(emission, BuybackEmission, "totalBurned"),
          read(emission, BuybackEmission, "totalReleased"),
          read(tft, TFT, "totalSupply"),
          read(emission, BuybackEmission, "maxCirculatingSupply"),
          read(emission, BuybackEmission, "currentEpoch"),
        ]);
        if (burned === 0n || released === 0n) throw new Error("the story's buyback burned or released nothing");
        const expected = {
          phase: ["unfunded", "1 (reserve)", "2 (half burn)", "floor"][phase],
          reserve: tftOf(reserve),
          burned: tftOf(burned),
          released: tftOf(released),
          supply: tftOf(supply),
          circulating: tftOf(supply - reserve),
          floor: tftOf(100_000_000n * 10n ** 18n),
        };
        if (circulating !== supply - reserve) throw new Error("maxCirculatingSupply is not supply − reserve");
        for (const [id, want] of Object.entries(expected)) {
          const shown = await text(page.getByTestId(id));
          if (shown !== want) throw new Error(`${id}: the page shows ${shown}, the chain says ${want}`);
        }
        // The chart: the funding, the buyback's block and now; each line ends at the chain's figure.
        const line = page.locator('path[data-series="burned"]');
        if (Number(await line.getAttribute("data-points", wait)) < 3) throw new Error("the chart has no buyback point");
        for (const [series, want] of [
          ["burned", burned],
          ["released", released],
          ["reserve", reserve],
          ["supply", supply],
        ]) {
          const last = await page.locator(`path[data-series="${series}"]`).getAttribute("data-last");
          if (last !== String(want)) throw new Error(`the ${series} line ends at ${last}, the chain says ${want}`);
        }
        const next = await text(page.getByTestId("next-buyback"));
        if (!next.includes(`epoch ${epoch} ends at`)) throw new Error(`next buyback shown as: ${next}`);
        await docShot(page, "economics");
      });

      await test("an operator checks in its provider's node and takes it offline; a stale page's revert is decoded", async (openPage) => {
        const operator = story.accounts.gus;
        await registryTx(story.accounts.ada, "setOperator", [operator]);
        const idle = (await adaNodes()).find((n) => n.status === 1);
        if (!idle) throw new Error("Ada has no Idle node");
        const page = await openPage("provider", operator);
        await connect(page, operator);
        // Gus has no nodes of his own: the page opens on the provider he operates for.
        const actingFor = await page.getByLabel("acting for").inputValue(wait);
        if (actingFor !== story.accounts.ada) throw new Error(`the page acts for ${actingFor}, not Ada`);
        const row = page.locator(`#nodes tr[data-node="${idle.id}"]`);
        const checkedBefore = idle.lastCheckIn;
        await row.getByRole("button", { name: "Check in", exact: true }).click();
        const nodes = page.locator("#nodes");
        await nodes
          .locator('[data-phase="mined"]')
          .filter({ hasText: `Check-in of node ${idle.id}` })
          .waitFor(wait);
        await row.locator('[data-due="no"]').waitFor(wait);
        const checked = (await read(registry, ProviderRegistry, "node", [idle.id])).lastCheckIn;
        if (!(checked > checkedBefore)) throw new Error(`node ${idle.id}'s check-in did not move (${checked})`);
        await row.getByRole("button", { name: "Go offline" }).click();
        await nodes
          .locator('[data-phase="mined"]')
          .filter({ hasText: `Going offline of node ${idle.id}` })
          .waitFor(wait);
        await row.getByTestId("status").getByText("Disconnect").waitFor(wait);
        // The operator may not deregister, nor claim the provider's rewards.
        if ((await row.getByRole("button", { name: "Deregister" }).count()) !== 0)
          throw new Error("an operator is offered Deregister");
        if ((await page.locator("#rewards").getByRole("button", { name: "Claim" }).count()) !== 0)
          throw new Error("an operator is offered Claim");
        const status = (await read(registry, ProviderRegistry, "node", [idle.id])).status;
        if (status !== 4) throw new Error(`node ${idle.id} is ${status} on chain, not Disconnect`);
        // A page behind the chain: Ada takes her other Idle node offline herself; the operator's
        // page still offers Go offline, and the revert is shown in words.
        const other = (await adaNodes()).find((n) => n.status === 1);
        if (!other) throw new Error("Ada has no other Idle node");
        await registryTx(story.accounts.ada, "goOffline", [other.id]);
        await page.locator(`#nodes tr[data-node="${other.id}"]`).getByRole("button", { name: "Go offline" }).click();
        const failed = await text(nodes.locator('[data-phase="failed"]'));
        if (!failed.includes("InvalidStatus") || !failed.includes("Disconnect") || /0x[0-9a-f]{8,}/i.test(failed)) {
          throw new Error(`the failure shown: ${failed}`);
        }
        await page
          .locator(`#nodes tr[data-node="${other.id}"]`)
          .getByTestId("status")
          .getByText("Disconnect")
          .waitFor(wait);
      });

      await test("a provider claims its mining rewards, deregisters a node and withdraws the stake after unbonding", async (openPage) => {
        const ada = story.accounts.ada;
        const down = (await adaNodes()).find((n) => n.status === 4 && !n.engaged);
        if (!down) throw new Error("Ada has no Disconnect node free of the escrow");
        const bucket = { epoch: BigInt(buyback.epoch), token: gut };
        const owed = await read(emission, BuybackEmission, "claimable", [ada, [bucket]]);
        if (owed === 0n) throw new Error("the story left Ada no reward to claim");
        const page = await openPage("provider", ada);
        await connect(page, ada);
        const rewards = page.locator("#rewards");
        const shown = await text(rewards.getByTestId("claimable"));
        if (shown !== tftOf(owed)) throw new Error(`claimable shown ${shown}, the emission says ${tftOf(owed)}`);
        await docShot(page, "provider");
        const tftBefore = await read(tft, TFT, "balanceOf", [ada]);
        await rewards.getByRole("button", { name: "Claim" }).click();
        await rewards.locator('[data-phase="mined"]').filter({ hasText: "Reward claim" }).waitFor(wait);
        await rewards.getByTestId("claimable").getByText("0 TFT", { exact: true }).waitFor(wait);
        if ((await read(tft, TFT, "balanceOf", [ada])) - tftBefore !== owed)
          throw new Error("the claim paid another amount");

        const row = page.locator(`#nodes tr[data-node="${down.id}"]`);
        await row.getByRole("button", { name: "Deregister" }).click();
        await page
          .locator("#nodes [data-phase=mined]")
          .filter({ hasText: `Deregistration of node ${down.id}` })
          .waitFor(wait);
        const unbonding = await text(row.getByTestId("unbonding"));
        if (
          !/withdrawable from \d{1,2} [A-Z][a-z]{2,3} \d{4} \d{2}:\d{2} .*\(in (6 d 23 h|7 d 0 h)\)/.test(unbonding)
        ) {
          throw new Error(`unbonding shown as: ${unbonding}`);
        }
        // A week later (the registry's unbonding period here), the stake can be withdrawn.
        await rpc("evm_increaseTime", [7 * 24 * 3600]);
        await rpc("evm_mine");
        await page.reload();
        await connect(page, ada);
        const gutBefore = await read(gut, GUT, "balanceOf", [ada]);
        await row.getByRole("button", { name: "Withdraw stake" }).click();
        await page
          .locator("#nodes [data-phase=mined]")
          .filter({ hasText: `Stake withdrawal of node ${down.id}` })
          .waitFor(wait);
        await row.waitFor({ state: "detached", ...wait });
        const got = (await read(gut, GUT, "balanceOf", [ada])) - gutBefore;
        if (got !== down.stake) throw new Error(`the withdrawal paid ${got}, the stake was ${down.stake}`);
      });
    } finally {
      // A local node's revert takes blocks back without a reorg to follow: the indexer stops first.
      await indexer.stop();
      await rpc("evm_revert", [snapshot]);
    }
  }

  await test("with the indexer down, the market shows a banner and still lists the nodes from the chain", async (openPage) => {
    const page = await openPage("market", story.accounts.cleo);
    await connect(page, story.accounts.cleo);
    await page.getByTestId("indexer-down").waitFor(wait);
    await page.locator('tr[data-node="1"]').waitFor(wait);
    await page.getByTestId("market-source").getByText("Read from the chain").waitFor(wait);
    // The same five story nodes the chain has, in bounded windows of ids.
    const shown = await page.locator("tbody tr[data-node]").count();
    if (shown < 5) throw new Error(`only ${shown} nodes shown from the chain`);
    const { rpc, indexer: asked, methods } = page.counts;
    console.log(
      `    market without the indexer: ${rpc} JSON-RPC calls ${JSON.stringify(methods)}, ${asked} indexer requests`,
    );
    // Idle only, through `nodesByStatus`.
    await page.getByLabel("status").selectOption("1");
    await page.locator("tbody td.status-Sharing").first().waitFor({ state: "detached", timeout: 20_000 });
    await page.locator("tbody td.status-Idle").first().waitFor(wait);
  });
  await test("with the indexer down, the Provider and Token economics pages show the banner and read the chain's events", async (openPage) => {
    const ada = story.accounts.ada;
    const provider = await openPage("provider", ada);
    await connect(provider, ada);
    await provider.getByTestId("indexer-down").waitFor(wait);
    await provider.locator("#nodes tr[data-node]").first().waitFor(wait);
    await provider.locator("#rewards").getByTestId("claimable").waitFor(wait);
    const economics = await openPage("economics");
    await economics.getByTestId("indexer-down").waitFor(wait);
    const { tft } = appConfig.addressBook.contracts;
    const supply = await chainRead.readContract({ address: tft, abi: TFT, functionName: "totalSupply" });
    const shown = (await economics.getByTestId("supply").textContent(wait)).trim();
    if (shown !== formatAmount(supply, "TFT", 18)) throw new Error(`supply shown ${shown}, the chain says ${supply}`);
    // The reserve's funding, then now: rebuilt from the emission's events (split to the range cap).
    const line = economics.locator('path[data-series="supply"]');
    if (Number(await line.getAttribute("data-points", wait)) < 2) throw new Error("the chart has no funding point");
    if ((await line.getAttribute("data-last")) !== String(supply)) throw new Error("the supply line ends elsewhere");
  });
  indexer = await runIndexer();
  console.log(`indexer restarted over the reverted chain (${seconds()})`);
  // ---- end of the provider and token economics tests ---------------------------------------------

  // ---- Reservations, My leases and README screenshots ----
  /** Saves the page as README shows it (docs/images/app-<name>.png), when GPUFOG_DOCS_SHOTS=1. */
  async function docShot(page, name) {
    if (!docShots) return;
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const file = path.join(docShots, `app-${name}.png`);
    await page.screenshot({ path: file });
    await page.setViewportSize({ width: 1280, height: 900 });
    // Lossless and about a quarter smaller; skipped where Debian's optipng is not installed.
    spawnSync("optipng", ["-quiet", "-o2", "-strip", "all", file]);
  }

  await test("a customer reserves a node with a quote, seeing the fee before signing", async (openPage) => {
    const page = await openPage("market", story.accounts.ada);
    await connect(page, story.accounts.ada);
    const perHour = amountIn(await page.locator('tr[data-node="4"] td').nth(5).textContent(wait));
    await page.getByRole("button", { name: "reserve node 4" }).click();
    const form = page.getByTestId("reserve-form");
    await form.getByLabel("hours").fill("2");
    await form.getByLabel("reservation deposit").fill("20");
    // The window starts an hour ahead by default: the fee is 10 % of the hold's three hours (and up to a minute more).
    const feeLine = await form.getByTestId("reserve-fee").textContent(wait);
    const fee = amountIn(feeLine.split("Reservation fee")[1]);
    const ratio = fee / (0.1 * 3 * perHour);
    if (!(ratio > 0.99 && ratio < 1.01)) throw new Error(`fee shown: ${feeLine} (${perHour} GUT per hour)`);
    await form.getByText("Quoted price 0.8 GUT per TU-hour").waitFor(wait);
    await docShot(page, "market");
    await form.getByRole("button", { name: "Reserve", exact: true }).click();
    await form.locator('[data-phase="mined"]').filter({ hasText: "Reservation of node 4" }).waitFor(wait);
    await page.locator('tr[data-node="4"] td.status-Reserved').waitFor(wait);
  });

  await test("a customer cancels a reservation and sees the refund", async (openPage) => {
    // Ada's reservation of node 4, from the test above (the story's is number 1).
    const page = await openPage("leases", story.accounts.ada);
    await connect(page, story.accounts.ada);
    const card = page.locator('[data-reservation="2"]');
    const fee = amountIn(await card.getByTestId("reservation-fee").textContent(wait));
    await card.getByRole("button", { name: "Cancel the reservation" }).click();
    await card.locator('[data-phase="mined"]').filter({ hasText: "Cancel of reservation 2" }).waitFor(wait);
    await card.getByTestId("reservation-status").getByText("cancelled").waitFor(wait);
    const refund = amountIn(await card.getByTestId("reservation-refund").textContent(wait));
    if (!(fee > 0) || Math.abs(20 - fee - refund) > 0.0002) {
      throw new Error(`refund shown: ${refund} GUT, fee ${fee} GUT, of a 20 GUT deposit`);
    }
  });

  await test("a customer starts a reservation in its window and the story's provider accepts it", async (openPage) => {
    // Cleo's reservation of node 3 (Ben's) opened seconds after the story's setup.
    const page = await openPage("leases", story.accounts.cleo);
    await connect(page, story.accounts.cleo);
    const card = page.locator('[data-reservation="1"]');
    await card.getByText("the window is open").waitFor(wait);
    await docShot(page, "leases");
    await card.getByRole("button", { name: "Start the lease" }).click();
    await card.locator('[data-phase="mined"]').filter({ hasText: "Start of reservation 1" }).waitFor(wait);
    await card.getByTestId("reservation-status").getByText("starting").waitFor(wait);
    await card.getByTestId("starting").getByText("waiting for the provider to accept").waitFor(wait);

    const provider = await openPage("provider", story.accounts.ben);
    await connect(provider, story.accounts.ben);
    const row = provider.locator('#leases tr[data-reservation="1"]');
    await row.getByRole("button", { name: "Accept the start" }).click();
    await provider.locator("#leases [data-phase=mined]").filter({ hasText: "Accept of reservation 1" }).waitFor(wait);
    const reservation = await chainRead.readContract({
      address: escrow,
      abi: LeaseEscrow,
      functionName: "reservation",
      args: [1n],
    });
    if (reservation.status !== 3 || reservation.leaseId === 0n)
      throw new Error(`reservation 1 is ${reservation.status}`);
    const leaseRow = provider.locator(`#leases tr[data-lease="${reservation.leaseId}"]`);
    await leaseRow.getByTestId("lease-status").getByText("open").waitFor(wait);

    await page.reload();
    await connect(page, story.accounts.cleo);
    const ended = await card.getByTestId("reservation-ended").textContent(wait);
    if (!ended.includes(`Became lease ${reservation.leaseId}`)) throw new Error(`shown: ${ended}`);
    const lease = page.locator(`[data-lease="${reservation.leaseId}"]`);
    await lease.getByText(`Lease ${reservation.leaseId} on node 3 — open`).waitFor(wait);
  });

  await test("a customer's closed lease is finalized after the collect window with the refund shown", async (openPage) => {
    // Ben closed lease 1 above; the provider's collect window (an hour) passes. Last of the
    // tests that read the story's leases: it moves the chain's clock.
    const closing = await chainRead.readContract({
      address: escrow,
      abi: LeaseEscrow,
      functionName: "lease",
      args: [1n],
    });
    await elapse(Number(closing.collectDeadline) - Number((await chainRead.getBlock()).timestamp) + 1);
    const page = await openPage("leases", story.accounts.ben);
    await connect(page, story.accounts.ben);
    const card = page.locator('[data-lease="1"]');
    await card.getByRole("button", { name: "Finalize the refund" }).click();
    await card.locator('[data-phase="mined"]').filter({ hasText: "Finalize of lease 1" }).waitFor(wait);
    const refund = amountIn(await card.getByTestId("refund").textContent(wait));
    const lease = await chainRead.readContract({
      address: escrow,
      abi: LeaseEscrow,
      functionName: "lease",
      args: [1n],
    });
    const expected = Number(lease.deposit - lease.paid) / 1e18;
    if (lease.status !== 3 || Math.abs(refund - expected) > 0.0001) {
      throw new Error(`refund shown ${refund} GUT; the chain: status ${lease.status}, deposit − paid ${expected} GUT`);
    }
  });

  await test("a customer leases with the real agent's quote, sees the access, the receipts and the horizon, and is refunded; the provider collects its agent's receipt", async (openPage) => {
    // Ada's real agent, with its API, now serves her nodes 1 and 2 (their URIs point to it); its
    // receipt interval is short so that receipts flow within the test. Node 2 is idle again since
    // Ben's lease 1 was finalized above.
    const interval = 2;
    const agents = await startAgents({
      rpcUrl: node.url,
      book,
      dir: path.join(work, "agents"),
      providers: { ada: story.accounts.ada },
      origins: [new URL(site.url).origin],
      receiptIntervalSeconds: interval,
    });
    const [agent] = agents.agents;
    const leaseOf = (id) =>
      chainRead.readContract({ address: escrow, abi: LeaseEscrow, functionName: "lease", args: [id] });
    try {
      const dan = story.accounts.dan;
      const market = await openPage("market", dan);
      await connect(market, dan);
      await market.getByRole("button", { name: "lease node 2" }).click();
      const form = market.getByTestId("lease-form");
      // The agent quotes node 2's listed 1.2 GUT per TU-hour, signed by Ada's operator key.
      await form.getByTestId("quote").getByText("Quoted price 1.2 GUT per TU-hour").waitFor(wait);
      if (!agent.log().includes(`"event":"quote_signed","node":"2","customer":"${dan}"`)) {
        throw new Error("the quote shown is not one the agent signed");
      }
      await form.getByLabel("deposit").fill("20");
      await form.getByRole("button", { name: "Open the lease" }).click();
      await form.locator('[data-phase="mined"]').filter({ hasText: "Lease of node 2" }).waitFor(wait);
      const id = await chainRead.readContract({ address: escrow, abi: LeaseEscrow, functionName: "leaseCount" });
      const opened = await leaseOf(id);
      if (opened.customer !== dan || opened.nodeId !== 2n) throw new Error(`lease ${id} is not Dan's of node 2`);

      const page = await openPage("leases", dan);
      await connect(page, dan);
      const card = page.locator(`[data-lease="${id}"]`);
      // The start hook's answer, handed to a request signed by the session key this browser keeps.
      await card.getByTestId("access").getByText(`ssh -p 2222 lease${id}@127.0.0.1`).waitFor(wait);
      await card.getByTestId("receipts").getByText("Receipts flowing").waitFor(wait);
      // The agent's stored receipt advances while the page is open.
      const held = () => {
        const receipt = JSON.parse(readFileSync(agent.stateFile, "utf8")).receipts?.[String(id)];
        return receipt === undefined ? 0n : BigInt(receipt.paidThrough);
      };
      const first = held();
      if (first === 0n) throw new Error("the agent holds no receipt of the lease");
      const deadline = Date.now() + 20_000;
      while (held() <= first && Date.now() < deadline) await page.waitForTimeout(500);
      const second = held();
      if (second <= first) throw new Error(`the agent's receipt stayed at ${first}`);
      // Each receipt pays the chosen horizon ahead (10 min by default): what a node stopping now costs at most.
      const riskOf = (seconds) => Number((opened.rate * seconds) / 3_600_000n) / 1e18;
      const near = (a, b) => Math.abs(a - b) <= Math.max(0.0001, b * 0.001);
      const risk = amountIn(await card.getByTestId("risk").textContent(wait));
      if (!near(risk, riskOf(600n)))
        throw new Error(`risk shown ${risk} GUT, 10 min at the lease's rate is ${riskOf(600n)}`);
      const horizonText = await card.getByTestId("horizon").textContent();
      if (!horizonText.includes("if the node stops now you pay at most"))
        throw new Error(`horizon shown: ${horizonText}`);
      if (!(second - BigInt(Math.floor(Date.now() / 1000)) > 0n))
        throw new Error(`the receipt pays through ${second}: not ahead`);
      // A longer horizon risks more at once; a shorter one would leave the receipt already sent in force.
      await card.getByLabel("prepay horizon").selectOption("3600");
      await page.waitForFunction(
        ([el, want]) =>
          Math.abs(Number(/([0-9.]+) GUT/.exec(el.textContent)?.[1]) - want) <= Math.max(0.0001, want * 0.001),
        [await card.getByTestId("risk").elementHandle(), riskOf(3600n)],
        wait,
      );
      await page.screenshot({ path: path.join(shots, "lease-session.png"), fullPage: true });
      // The agent cannot be reached: the page says receipts stopped and what happens next, and
      // clears the banner once a receipt is acknowledged again.
      await page.route(`${agent.url}/**`, (route) => route.abort("connectionrefused"));
      const banner = await card.getByTestId("receipts-stopped").textContent(wait);
      if (
        !banner.includes("the provider stops serving after two missed intervals") ||
        !banner.includes("you pay only up to your last receipt")
      ) {
        throw new Error(`banner shown: ${banner}`);
      }
      await page.unroute(`${agent.url}/**`);
      await card.getByTestId("receipts-stopped").waitFor({ state: "detached", ...wait });
      // The tab sleeps: its thread is held for 6 s, as a frozen tab's or a sleeping computer's, and
      // the receipt due meanwhile runs late; the page says for how long receipts stopped.
      await page.evaluate(() => {
        const until = Date.now() + 6_000;
        while (Date.now() < until);
      });
      const slept = await card.getByTestId("receipts-stopped").textContent(wait);
      const gap = Number(
        /Receipts stopped for ([0-9]+) s \(the tab or the computer slept\) and have resumed/.exec(slept)?.[1],
      );
      if (!(gap >= 5 && gap <= 10)) throw new Error(`banner after the tab slept: ${slept}`);

      // Ada's Provider page shows the receipt her agent holds for the lease (from the agent, not
      // the chain) and what a collect of it pays now; her collect, mined at the chain time the
      // page's figures are for, raises the lease's pay and her earnings by exactly those figures.
      const ada = story.accounts.ada;
      const earningsOf = () =>
        chainRead.readContract({
          address: escrow,
          abi: LeaseEscrow,
          functionName: "earnings",
          args: [ada, opened.token],
        });
      const providerPage = await openPage("provider", ada);
      await connect(providerPage, ada);
      const row = providerPage.locator(`#leases tr[data-lease="${id}"]`);
      const receiptCell = row.getByTestId("receipt");
      await receiptCell.getByText("paid through").waitFor(wait);
      const shownThrough = BigInt(await receiptCell.getAttribute("data-paid-through"));
      if (shownThrough < second || shownThrough > held())
        throw new Error(`receipt shown through ${shownThrough}; the agent held ${second}, then ${held()}`);
      const [paidBefore, earnedBefore] = [(await leaseOf(id)).paid, await earningsOf()];
      const cell = row.getByTestId("collectable");
      let figures;
      for (let tries = 0; ; tries++) {
        figures = await cell.evaluate((el) => ({ ...el.dataset, text: el.textContent }));
        if (BigInt(figures.at) > (await chainRead.getBlock()).timestamp) break;
        if (tries > 40) throw new Error(`the page's chain time ${figures.at} stays behind the chain's`);
        await providerPage.waitForTimeout(250);
      }
      const [pay, earned] = [BigInt(figures.pay), BigInt(figures.earned)];
      if (
        !(earned > 0n && pay > earned) ||
        !figures.text.includes(formatAmount(pay, "GUT", 18)) ||
        !figures.text.includes(`${formatAmount(earned, "GUT", 18)} to the provider after the protocol fee`)
      ) {
        throw new Error(`collect shown: ${figures.text} (pay ${pay}, earned ${earned})`);
      }
      await fetch(node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "evm_setNextBlockTimestamp",
          params: [Number(figures.at)],
        }),
      });
      await row.getByRole("button", { name: "Collect the receipt" }).click();
      await providerPage
        .locator('#leases [data-phase="mined"]')
        .filter({ hasText: `Collect of lease ${id}` })
        .waitFor(wait);
      const rise = (await leaseOf(id)).paid - paidBefore;
      const earnedRise = (await earningsOf()) - earnedBefore;
      if (rise !== pay || earnedRise !== earned) {
        throw new Error(`the page said ${pay} paid, ${earned} earned; the chain: ${rise} paid, ${earnedRise} earned`);
      }
      await providerPage.screenshot({ path: path.join(shots, "provider-collects-agent-receipt.png"), fullPage: true });
      await providerPage.close();

      // Stopped before the close: a running agent holding a receipt ahead of the close would end
      // its collect window at once (docs/operators.md); here the customer finalizes after it.
      await agents.stop();
      await card.getByRole("button", { name: "Close the lease" }).click();
      await card.getByTestId("lease-status").getByText("closing").waitFor(wait);
      const closing = await leaseOf(id);
      await elapse(Number(closing.collectDeadline) - Number((await chainRead.getBlock()).timestamp) + 1);
      await page.reload();
      await connect(page, dan);
      await card.getByRole("button", { name: "Finalize the refund" }).click();
      await card
        .locator('[data-phase="mined"]')
        .filter({ hasText: `Finalize of lease ${id}` })
        .waitFor(wait);
      const refund = amountIn(await card.getByTestId("refund").textContent(wait));
      const final = await leaseOf(id);
      const expected = Number(final.deposit - final.paid) / 1e18;
      if (final.status !== 3 || !(final.paid > 0n) || Math.abs(refund - expected) > 0.0001) {
        throw new Error(
          `refund shown ${refund} GUT; the chain: status ${final.status}, paid ${final.paid}, deposit − paid ${expected} GUT`,
        );
      }
    } catch (error) {
      for (const a of agents.agents)
        console.log(`    ${a.name}'s agent:\n${a.log().split("\n").slice(-20).join("\n")}`);
      throw error;
    } finally {
      await agents.stop();
    }
  });

  if (docShots) {
    await test("README screenshot of the claim page", async (openPage) => {
      const claim = await openPage("claim", story.accounts.finn);
      await connect(claim, story.accounts.finn);
      await claim.locator('#evm-claim [data-state="claimable"]').waitFor(wait);
      await docShot(claim, "claim");
    });
  }
  // ---- end of reservations, My leases and README screenshots ----
  await test("the app's log reads were split to the endpoint's range cap", async () => {
    // Every page above read its events through the capped endpoint; the story spans more blocks
    // than the cap, so a read that asked for the whole range at once was refused and split.
    if (capped.refused === 0) throw new Error(`no eth_getLogs was refused: the story fits in ${LOGS_SPAN} blocks`);
    console.log(`    ${capped.refused} wide eth_getLogs refused and asked again over halves`);
  });
} finally {
  await browser?.close();
  await site?.close();
  await indexer?.stop();
  await capped.close();
  await node.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
const failed = results.filter(([, ok]) => !ok).length;
console.log(
  `${results.length - failed} passed, ${failed} failed (${seconds()}); screenshots in ${path.relative(process.cwd(), shots)}/`,
);
process.exit(failed ? 1 : 0);
