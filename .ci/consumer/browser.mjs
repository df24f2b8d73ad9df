// Serves the built claim page on 127.0.0.1 and loads it in headless Chromium (Debian's, driven by
// playwright-core); fails unless the page verified the proofs and built the legacy claim message.
import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

const root = path.resolve("page-dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json" };
const server = createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (!file.startsWith(root) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/index.html`;

const profile = mkdtempSync(path.join(tmpdir(), "gpufog-chromium-"));
// A persistent context is how playwright takes a fresh --user-data-dir of our own.
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
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
let failed = false;
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.gpufog !== undefined, undefined, { timeout: 30_000 });
  const result = await page.evaluate(() => window.gpufog);
  console.log(JSON.stringify(result, null, 2));
  const must = [
    "proofVerifies",
    "tamperedProofFails",
    "legacyProofVerifies",
    "messageBuilt",
    "signerMatches",
    "addressDecodes",
    "abiHasClaimLegacy",
    "rootMatches",
  ];
  for (const key of must) if (result[key] !== true) problems.push(`${key} is ${JSON.stringify(result[key])}`);
  if (problems.length > 0) {
    failed = true;
    console.error(`the claim page in Chromium failed:\n- ${problems.join("\n- ")}`);
  } else {
    console.log("Chromium: the proof verifies (and a tampered one does not), the legacy claim message is built");
  }
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
