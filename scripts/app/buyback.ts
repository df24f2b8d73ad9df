// A finished buyback on the app's local node, played after the story (scripts/app/setup.ts): the
// treasury seeds a GUT/TFT pool; Cleo leases an Idle node of Ada's for 18 minutes while Ada's agent
// heartbeats, and closes it; Ada withdraws, the keeper forwards the protocol fee to the emission and
// observes the pair, and once the fee's epoch has ended and the TWAP window has passed it buys the
// bucket back: TFT burned, TFT released, a reward for Ada to claim. Ada's nodes then heartbeat
// again. The chain's clock moves on by about an epoch and a half. Prints what it did as JSON.
// With GPUFOG_APP_STORY=1 (`npm run app`), the rest of the story lives through that time: every
// provider's live nodes heartbeat every five minutes of it (Ben's lease keeps running), and Cleo's
// reservation, past its window by then, is cancelled and made again for a window that opens now.
//
//   GPUFOG_APP_OUT=app/.local npx hardhat run --no-compile scripts/app/buyback.ts --network localhost
import { readFileSync } from "node:fs";
import path from "node:path";

import { network } from "hardhat";

import { connectUniswapV2, addLiquidity } from "../../harness/uniswap.js";
import { getContracts, parseAddressBook } from "../../src/deployments.js";
import { buybackEndedBuckets } from "../../src/emission/client.js";
import { cancelReservation, closeLease, nodeQuote, openLease, reserve, withdrawAll } from "../../src/escrow.js";
import { mined } from "../../src/receipts.js";

const out = path.resolve(process.env.GPUFOG_APP_OUT ?? "app/.local");
const UNIT = 10n ** 18n;

const connection = await network.create();
const { ethers } = connection;
const [deployer, , keeper, ada, ben, cleo] = await ethers.getSigners();
const story = process.env.GPUFOG_APP_STORY === "1";
const config = JSON.parse(readFileSync(path.join(out, "config.json"), "utf8")) as { addressBook: object };
const book = parseAddressBook(config.addressBook, "config.json addressBook");
const { gut, tft, registry, escrow, emission } = getContracts(book, deployer!);
const h = { escrow, registry };

const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const LIVE = new Set([1n, 2n, 3n]); // Idle, Sharing, Reserved
async function advance(seconds: bigint) {
  const step = story ? 300n : seconds;
  for (let left = seconds; left > 0n; left -= step) {
    await ethers.provider.send("evm_increaseTime", [Number(left < step ? left : step)]);
    await ethers.provider.send("evm_mine", []);
    if (!story) continue;
    for (const provider of [ada!, ben!, cleo!]) {
      const [owned] = await registry.nodesOf(provider.address, 0n, 100n);
      const live = owned.filter((n) => LIVE.has(n.status)).map((n) => n.id);
      if (live.length > 0) await mined(registry.connect(provider).heartbeatBatch(live));
    }
  }
}

const uni = await connectUniswapV2(book.uniswap.router, deployer!);
const pair = await addLiquidity(uni, deployer!, gut, 200_000n * UNIT, tft, 200_000n * UNIT);

const [adaNodes] = await registry.nodesOf(ada!.address, 0n, 100n);
const idle = adaNodes.find((n) => n.status === 1n);
if (!idle) throw new Error("Ada has no Idle node to lease");
const nodeId = idle.id;
await mined(registry.connect(ada!).heartbeat(nodeId));
const lease = await openLease(h, cleo!, nodeId, 20n * UNIT, (await nodeQuote(h, nodeId)).pricePerTuHour);
for (let i = 0; i < 2; i++) {
  await advance(9n * 60n);
  await mined(registry.connect(ada!).heartbeat(nodeId));
}
const closed = await closeLease(h, cleo!, lease);
await withdrawAll(h, ada!);
const keeperEmission = emission.connect(keeper!);
await mined(escrow.connect(keeper!).forwardFees([lease]));
const epoch = await emission.currentEpoch();
await mined(keeperEmission.observe(await gut.getAddress()));

// The bucket is sold once its epoch has ended and the observation is one TWAP window old.
const epochEnds = (await emission.genesis()) + (epoch + 1n) * (await emission.epochLength());
const observed = await now();
const ready = [epochEnds, observed + (await emission.twapWindow())].reduce((a, b) => (a > b ? a : b)) + 60n;
await advance(ready - observed);
const round = await buybackEndedBuckets(keeperEmission, { tokens: [await gut.getAddress()], now: await now() });
if (round.failed.length > 0 || round.done.length === 0) {
  throw new Error(`the buyback failed: ${round.failed.map((f) => f.reason).join("; ") || "nothing to sell"}`);
}

// Ada's agent is back: every node of hers heartbeats (a Sharing node gone stale stays Disconnect).
const alive = adaNodes.filter((n) => n.status !== 0n).map((n) => n.id);
await mined(registry.connect(ada!).heartbeatBatch(alive));

if (story) {
  const count = await escrow.reservationCount();
  for (let id = 1n; id <= count; id++) {
    const held = await escrow.reservation(id);
    if (held.customer !== cleo!.address || held.status !== 1n) continue;
    await cancelReservation(h, cleo!, id);
    const start = (await now()) + 10n;
    await reserve(h, cleo!, held.nodeId, start, 7_200n, 20n * UNIT, (await nodeQuote(h, held.nodeId)).pricePerTuHour);
  }
}

console.log(
  JSON.stringify({
    pair,
    node: String(nodeId),
    lease: String(lease),
    paid: String(closed.paid),
    epoch: String(epoch),
    tftOut: String(round.done[0]!.tftOut),
  }),
);
