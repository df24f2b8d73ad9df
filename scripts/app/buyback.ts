// A finished buyback on the app's local node, played after the story (scripts/app/setup.ts): the
// treasury seeds a GUT/TFT pool; Cleo leases an Idle node of Ada's with Ada's quote for 18 minutes,
// her session key signing receipts, and Ada closes it with the last receipt; Ada withdraws, the
// keeper forwards the protocol fee to the emission and observes the pair, and once the fee's epoch
// has ended and the TWAP window has passed it buys the bucket back: TFT burned, TFT released, a
// reward for Ada to claim. The chain's clock moves on by about an epoch and a half, well inside a
// day's check-in period: no node needs a check-in for it. Prints what it did as JSON.
// With GPUFOG_APP_STORY=1 (`npm run app`), Cleo's reservation, past its window by then, is
// cancelled and made again with Ben's quote for a window that opens now.
//
//   GPUFOG_APP_OUT=app/.local npx hardhat run --no-compile scripts/app/buyback.ts --network localhost
import { readFileSync } from "node:fs";
import path from "node:path";

import { network } from "hardhat";

import { connectUniswapV2, addLiquidity } from "../../harness/uniswap.js";
import { getContracts, parseAddressBook } from "../../src/deployments.js";
import { sendBuyback } from "../../src/emission/client.js";
import { mined } from "../../src/receipts.js";
import { leaseWithQuote, receiptOf, reserveWithQuote, sessionKeyOf, storyOf } from "./story.js";

const out = path.resolve(process.env.GPUFOG_APP_OUT ?? "app/.local");
const UNIT = 10n ** 18n;

const connection = await network.create();
const { ethers } = connection;
const [deployer, , keeper, ada, ben, cleo] = await ethers.getSigners();
const playStory = process.env.GPUFOG_APP_STORY === "1";
const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8")) as { addressBook: object };
const book = parseAddressBook(config.addressBook, "config.json addressBook");
const { gut, tft, registry, escrow, emission } = getContracts(book, deployer!);

const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
async function advance(seconds: bigint) {
  await ethers.provider.send("evm_increaseTime", [Number(seconds)]);
  await ethers.provider.send("evm_mine", []);
}
const story = await storyOf({ escrow, registry, gut }, now);

const uni = await connectUniswapV2(book.uniswap.router, deployer!);
const pair = await addLiquidity(uni, deployer!, gut, 200_000n * UNIT, tft, 200_000n * UNIT);

const [adaNodes] = await registry.nodesOf(ada!.address, 0n, 100n);
const idle = adaNodes.find((n) => n.status === 1n);
if (!idle) throw new Error("Ada has no Idle node to lease");
const nodeId = idle.id;
const session = sessionKeyOf("cleo");
const lease = await leaseWithQuote(story, ada!, cleo!, nodeId, 20n * UNIT, session.address);
await advance(18n * 60n);
const paidThrough = await now();
await mined(escrow.connect(ada!).closeLease(lease, paidThrough, await receiptOf(story, session, lease, paidThrough)));
const { paid } = await escrow.lease(lease);
await mined(escrow.connect(ada!).withdraw(await gut.getAddress(), ada!.address));
const keeperEmission = emission.connect(keeper!);
await mined(escrow.connect(keeper!).forwardFees(await gut.getAddress(), [ada!.address]));
const epoch = await emission.currentEpoch();
await mined(keeperEmission.observe(await gut.getAddress()));

// The bucket is sold once its epoch has ended and the observation is one TWAP window old, whole:
// the story's fee is far smaller than a slice of the pool.
const epochEnds = (await emission.genesis()) + (epoch + 1n) * (await emission.epochLength());
const observed = await now();
const ready = [epochEnds, observed + (await emission.twapWindow())].reduce((a, b) => (a > b ? a : b)) + 60n;
await advance(ready - observed);
const bought = await sendBuyback(keeperEmission, await gut.getAddress(), epoch, { now: await now() });

if (playStory) {
  const count = await escrow.reservationCount();
  for (let id = 1n; id <= count; id++) {
    const held = await escrow.reservation(id);
    if (held.customer !== cleo!.address || held.status !== 1n) continue;
    await mined(escrow.connect(cleo!).cancelReservation(id));
    const window = { start: (await now()) + 10n, duration: 7_200n };
    await reserveWithQuote(story, ben!, cleo!, held.nodeId, window, 20n * UNIT);
  }
}

console.log(
  JSON.stringify({
    pair,
    node: String(nodeId),
    lease: String(lease),
    paid: String(paid),
    epoch: String(epoch),
    tftOut: String(bought.tftOut),
  }),
);
