// Browser tests of what a person reads (issue 27, items 4, 8 and 9): a claim's success in green
// with its amount and transaction, the header's GUT balance and this session's transactions; chain
// times judged and shown by the chain's clock, with a relative time beside them, when that clock is
// hours ahead of the computer's; amounts with their symbol and sensible decimals, durations in
// minutes and hours, never a raw count of seconds. Run by run.mjs (`words(...)`) on its node, with
// its `test`, after the claim tests and before the buyback block.
import { erc20Abi } from "viem";

/** "12,345.67 GUT" in `text` → 12345.67 (the first amount of `symbol`), NaN when none. */
const amountOf = (text, symbol) =>
  Number(new RegExp(`([0-9][0-9,]*(?:\\.[0-9]+)?) ${symbol}`).exec(text)?.[1].replace(/,/g, "") ?? NaN);

/** "2 h 5 min", "6 d 23 h", "12 min 5 s", "42 s" → seconds. */
function secondsOf(text) {
  const unit = { d: 86_400, h: 3_600, min: 60, s: 1 };
  let total = 0;
  let found = false;
  for (const [, n, u] of text.matchAll(/(\d+) (d|h|min|s)\b/g)) {
    total += Number(n) * unit[u];
    found = true;
  }
  return found ? total : NaN;
}

/** The words a person should never read: raw seconds or minutes past their unit, 18-digit amounts, numbered statuses. */
function jargonIn(text) {
  const found = [];
  for (const m of text.matchAll(/\b(\d[\d,]*) ?(s|sec|seconds)\b/g)) {
    if (Number(m[1].replace(/,/g, "")) >= 60) found.push(m[0]);
  }
  for (const m of text.matchAll(/\b(\d[\d,]*) ?min\b/g)) {
    if (Number(m[1].replace(/,/g, "")) >= 60) found.push(m[0]);
  }
  for (const m of text.matchAll(/\d\.\d{7,}/g)) found.push(m[0]);
  for (const m of text.matchAll(/\bstatus \d\b/gi)) found.push(m[0]);
  for (const m of text.matchAll(/\bLeaf \d+/g)) found.push(m[0]);
  return found;
}

const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)";
/** time.ts's `when`, the one date format: "7 Dec 2026 21:01 UTC" (the zone as the browser names it). */
const WHEN = new RegExp(`^\\d{1,2} ${MONTH} \\d{4} \\d{2}:\\d{2} [A-Z]{2,5}(?:[+-]\\d{1,2}(?::\\d{2})?)?(?![\\w:])`);

/** Dates in `text` in another format than `when`'s: ISO strings, "12/7/2026", "Dec 7, 2026", a time to the second, "7 Dec 2026, 21:01". */
function foreignDates(text) {
  const found = [];
  for (const re of [
    /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?/g,
    /\b\d{1,4}\/\d{1,2}\/\d{2,4}\b/g,
    /\b\d{1,2}\.\d{1,2}\.\d{4}\b/g,
    /\b\d{1,2}:\d{2}:\d{2}\b/g,
    new RegExp(`\\b${MONTH}[a-z]* \\d{1,2},? \\d{4}`, "g"),
  ]) {
    for (const m of text.matchAll(re)) found.push(m[0]);
  }
  for (const m of text.matchAll(new RegExp(`\\b\\d{1,2} ${MONTH}[a-z]*,? \\d{4}.{0,16}`, "g"))) {
    if (!WHEN.test(m[0])) found.push(m[0]);
  }
  return found;
}

/** A `datetime-local` input's value in `page`'s time zone for the instant `seconds`, and back. */
const localInput = (page, seconds) =>
  page.evaluate((ms) => {
    const d = new Date(ms);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  }, seconds * 1000);
const fromInput = (page, value) => page.evaluate((v) => Math.floor(new Date(v).getTime() / 1000), value);

/** "in 1 h 0 min" → 3600, "5 min ago" → -300, "now" → 0. */
const relativeSeconds = (shown) => (shown.trim() === "now" ? 0 : (shown.includes("ago") ? -1 : 1) * secondsOf(shown));

/**
 * @param {object} ctx run.mjs's harness: `test`, the story, `connect`, `wait`, a viem public
 *   client on the node (`chainRead`) and the address book's contracts.
 */
export async function words({ test, story, connect, wait, chainRead, contracts }) {
  const gutOf = (account) =>
    chainRead.readContract({ address: contracts.gut, abi: erc20Abi, functionName: "balanceOf", args: [account] });
  /** Waits until `locator` shows `want` (in GUT units) to the decimals the app shows (2 from 1,000 up, else 4). */
  async function showsAmount(page, locator, want, symbol) {
    const tolerance = want >= 1000 ? 0.0051 : 0.000051;
    const deadline = Date.now() + wait.timeout;
    let shown;
    while (Date.now() < deadline) {
      shown = (await locator.textContent(wait)) ?? "";
      if (Math.abs(amountOf(shown, symbol) - want) <= tolerance) return shown;
      await page.waitForTimeout(250);
    }
    throw new Error(`shown "${shown}", the chain says ${want} ${symbol}`);
  }

  await test("a claim shows a green Claimed with its amount and transaction; the header's GUT balance and recent transactions follow", async (openPage) => {
    // Eve's own EVM entry is left by the story (she submitted Gus's old-chain claim above).
    const eve = story.accounts.eve;
    const page = await openPage("claim", eve);
    await connect(page, eve);
    const balance = page.locator("header").getByTestId("gut-balance");
    const before = await gutOf(eve);
    await showsAmount(page, balance, Number(before) / 1e18, "GUT");
    const evm = page.locator("#evm-claim");
    await evm.locator('[data-state="claimable"]').waitFor(wait);
    const entry = await evm.textContent();
    if (!entry.includes("Your entry in the snapshot")) throw new Error(`the entry reads: ${entry}`);
    if (jargonIn(entry).length) throw new Error(`jargon on the claim: ${jargonIn(entry).join(", ")}`);

    await evm.getByRole("button", { name: "Claim" }).click();
    const claimed = evm.getByTestId("claimed");
    await claimed.waitFor(wait);
    const text = await claimed.textContent();
    if (!text.includes("Claimed") || text.includes("Already claimed")) throw new Error(`the claim reads: ${text}`);
    const color = await claimed.evaluate((el) => getComputedStyle(el).color);
    if (color !== "rgb(10, 107, 45)") throw new Error(`the claim is shown in ${color}, not green`);
    // The hash stays, and is the mined claim's; the amount is what it paid.
    const hash = await claimed.getByTestId("tx-hash").getAttribute("data-hash");
    const receipt = await chainRead.getTransactionReceipt({ hash });
    if (
      receipt.status !== "success" ||
      receipt.to.toLowerCase() !== contracts.distributor.toLowerCase() ||
      receipt.from.toLowerCase() !== eve.toLowerCase()
    ) {
      throw new Error(`the hash shown (${hash}) is not Eve's mined claim`);
    }
    const after = await gutOf(eve);
    const paid = Number(after - before) / 1e18;
    if (!(paid > 0) || Math.abs(amountOf(text, "GUT") - paid) > 0.0051) {
      throw new Error(`the claim shows ${amountOf(text, "GUT")} GUT; it paid ${paid} GUT`);
    }
    const mined = await evm.locator('[data-phase="mined"] [data-testid="tx-hash"]').getAttribute("data-hash");
    if (mined !== hash) throw new Error(`the transaction line shows ${mined}, the claim ${hash}`);
    // The header's balance follows the claim.
    await showsAmount(page, balance, Number(after) / 1e18, "GUT");
    // A toast says it was confirmed, and the session's list keeps it.
    const toast = page.getByTestId("toast").filter({ hasText: "Claim of" });
    await toast.waitFor(wait);
    if (!(await toast.textContent()).includes("Confirmed")) throw new Error("the toast does not say Confirmed");
    await page.getByTestId("recent-button").click();
    const listed = page.getByTestId("recent-transactions").locator(`[data-hash="${hash}"]`);
    await listed.waitFor(wait);
  });

  await test("every page reads in words: amounts with their symbol and few decimals, durations in min and h, dates in one format", async (openPage) => {
    // Ben has a closing lease, nodes as a provider and earnings: every page has figures for him.
    const ben = story.accounts.ben;
    const page = await openPage("claim", ben);
    await connect(page, ben);
    // The header: his GUT balance, with its symbol and at most 4 decimals.
    const header = page.locator("header");
    const balance = await showsAmount(page, header.getByTestId("gut-balance"), Number(await gutOf(ben)) / 1e18, "GUT");
    if (!/^[0-9][0-9,]*(\.[0-9]{1,4})? GUT$/.test(balance.trim())) throw new Error(`the balance reads: ${balance}`);
    const pages = {
      claim: "#evm-claim [data-state]",
      market: 'tr[data-node="1"]',
      leases: '[data-lease="1"]',
      provider: "#nodes tr[data-node]",
      economics: '[data-testid="phase"]',
    };
    const problems = [];
    for (const [name, ready] of Object.entries(pages)) {
      await page.goto(`${page.url().split("#")[0]}#${name}`);
      await page.reload();
      await connect(page, ben);
      await page.locator(ready).first().waitFor(wait);
      if (name === "market") {
        // The reservation form: its start field shows how far it is by the chain's clock, and the
        // quote's times are read with the rest of the page.
        await page.getByRole("button", { name: "reserve node 4" }).click();
        const form = page.getByTestId("reserve-form");
        await form.getByTestId("reserve-fee").waitFor(wait);
        const start = await fromInput(page, await form.getByLabel("start").inputValue());
        const shown = await form.getByTestId("start-relative").textContent(wait);
        const chainNow = Number((await chainRead.getBlock()).timestamp);
        if (!/^in \d/.test(shown.trim()) || Math.abs(relativeSeconds(shown) - (start - chainNow)) > 120) {
          throw new Error(
            `the reservation's start reads "${shown}"; by the chain's clock it is ${start - chainNow} s away`,
          );
        }
      }
      await page.waitForTimeout(1500); // the reads that follow the first one
      const text = await page.locator("body").innerText();
      for (const word of jargonIn(text)) problems.push(`${name}: "${word}"`);
      for (const date of foreignDates(text)) problems.push(`${name}: date "${date}" not in the one format`);
    }
    if (problems.length) throw new Error(`not in words: ${problems.join("; ")}`);
  });
}

/** The chain-clock journey, run where the chain's clock is already hours ahead of the wall clock. */
export async function chainClock({ test, wait, chainRead, contracts }) {
  await test("with the chain's clock hours ahead, chain times are the chain's, with a relative time beside them", async (openPage) => {
    // Called after the played buyback, which moved the node's clock about 1.5 h ahead of the wall
    // clock, as `npm run app`'s story does: no snapshot of its own, which would rewind the chain
    // under the running indexer.
    {
      const page = await openPage("claim");
      const chainNow = Number((await chainRead.getBlock()).timestamp);
      const clock = await page.getByTestId("chain-clock").textContent(wait);
      const skew = chainNow - Date.now() / 1000;
      if (
        !clock.includes("ahead of this computer's clock") ||
        Math.abs(secondsOf(clock.split(",").pop()) - skew) > 120
      ) {
        throw new Error(`the header's chain clock reads: ${clock} (the chain is ${Math.round(skew)} s ahead)`);
      }
      // The claim window: each time with how far it is by the chain's clock.
      const line = page.getByTestId("claim-window");
      await line.waitFor(wait);
      const relatives = await line.getByTestId("relative-time").allTextContents();
      if (relatives.length !== 2) throw new Error(`the claim window reads: ${await line.textContent()}`);
      const deadline = Number(
        await chainRead.readContract({
          address: contracts.distributor,
          abi: [
            { type: "function", name: "deadline", stateMutability: "view", inputs: [], outputs: [{ type: "uint256" }] },
          ],
          functionName: "deadline",
        }),
      );
      const shown = relatives[1];
      const left = (shown.includes("ago") ? -1 : 1) * secondsOf(shown);
      // Shown to its two largest units (an hour's resolution for days); the wall clock would be 3 h off.
      if (Math.abs(left - (deadline - chainNow)) > 3600) {
        throw new Error(`the deadline reads "${shown}"; by the chain's clock it is ${deadline - chainNow} s away`);
      }
      if (!/\d{1,2} [A-Z][a-z]{2,3} \d{4} \d{2}:\d{2}/.test(await line.textContent())) {
        throw new Error(`the dates read: ${await line.textContent()}`);
      }
    }
    {
      // A reservation's start (issue 27, item 4): "now + 30 min" by the computer's clock is in the
      // past by the chain's, and the form says so before asking for any quote; 30 min ahead of the
      // chain's clock reads "in 30 min".
      const page = await openPage("market");
      await page
        .getByRole("button", { name: /^reserve node / })
        .first()
        .click();
      const form = page.getByTestId("reserve-form");
      const field = form.getByLabel("start");
      const shown = form.getByTestId("start-relative");
      await shown.waitFor(wait);
      const value = await localInput(page, Math.floor(Date.now() / 1000) + 1800);
      const wall = await fromInput(page, value); // to the minute, as the field keeps it
      await field.fill(value);
      await form.getByTestId("start-past").getByText("in the past by the chain's clock").waitFor(wait);
      let chainNow = Number((await chainRead.getBlock()).timestamp);
      let reads = await shown.textContent();
      if (!reads.includes("ago") || Math.abs(relativeSeconds(reads) - (wall - chainNow)) > 180) {
        throw new Error(
          `the computer's now + 30 min reads "${reads}"; by the chain's clock it is ${wall - chainNow} s away`,
        );
      }
      if ((await form.getByTestId("reserve-fee").count()) !== 0) throw new Error("a start in the past was quoted");
      chainNow = Number((await chainRead.getBlock()).timestamp);
      const later = await localInput(page, chainNow + 1830); // 29 or 30 min once kept to the minute
      const ahead = await fromInput(page, later);
      await field.fill(later);
      await form.getByTestId("start-past").waitFor({ state: "detached", ...wait });
      reads = await shown.textContent();
      if (!/^in (29|30) min/.test(reads.trim()) || Math.abs(relativeSeconds(reads) - (ahead - chainNow)) > 120) {
        throw new Error(`the chain's now + 30 min reads "${reads}"`);
      }
    }
  });
}
