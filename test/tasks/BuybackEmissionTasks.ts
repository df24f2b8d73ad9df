import { expect } from "chai";
import hre from "hardhat";

import { TFT_UNIT } from "../../src/emission/model.js";
import { readEmissionStats } from "../../src/emission/client.js";
import { deployEmissionSystem } from "../../harness/emission-system.js";
import { deployEscrowSystem } from "../contracts/LeaseEscrowFixture.js";

// The tasks connect to the default network connection, so these tests deploy on that one.
const { ethers, networkHelpers } = await hre.network.getOrCreate();
const { time } = networkHelpers;

async function deployFixture() {
  const [admin, provider] = await ethers.getSigners();
  const system = await deployEmissionSystem(admin);
  await system.emission.grantRole(await system.emission.KEEPER_ROLE(), admin.address);
  await system.emission.grantRole(await system.emission.ESCROW_ROLE(), admin.address);
  return { ...system, admin, provider, address: await system.emission.getAddress() };
}

/** Awaits `promise` and checks that it fails with a message matching `pattern`. */
async function expectFailure(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  let message: string | undefined;
  try {
    await promise;
  } catch (error) {
    message = error instanceof Error ? error.message : String(error);
  }
  expect(message, "the task succeeded").to.match(pattern);
}

const run = (name: string, args: Record<string, unknown>) => hre.tasks.getTask(name).run(args);
/** Runs `body` and returns what it printed. */
const capture = async (body: () => Promise<unknown>): Promise<string> => {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await body();
  } finally {
    console.log = log;
  }
  return lines.join("\n");
};
const quiet = async <T>(body: () => Promise<T>): Promise<T> => {
  const log = console.log;
  console.log = () => {};
  try {
    return await body();
  } finally {
    console.log = log;
  }
};

describe("BuybackEmission tasks", function () {
  it("observe, buyback of ended buckets at the TWAP, stats, pending and claim work end to end", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
    await time.increase(86_400);
    await f.gut.transfer(f.address, 8_000n * TFT_UNIT);
    await f.emission.recordFee(f.admin.address, gut, 8_000n * TFT_UNIT);
    await f.tft.transfer(f.address, 100n * TFT_UNIT);
    await f.emission.recordFee(f.admin.address, tft, 100n * TFT_UNIT);
    const buyback = { emission: f.address, marginBps: 10n, deadlineSeconds: 600n };
    // Epoch 1's buckets are still open.
    await expectFailure(
      run("emission:buyback", { ...buyback, token: gut, epoch: "", amount: "" }),
      /nothing to buy back/,
    );
    await expectFailure(
      run("emission:buyback", { ...buyback, token: tft, epoch: "1", amount: "" }),
      /field "epoch".*once its epoch has ended/,
    );
    await time.increase(86_400);
    await quiet(() => run("emission:observe", { emission: f.address, token: gut, account: "" }));
    // Too early: the revert is one line, with the moment the buyback can run.
    await expectFailure(
      run("emission:buyback", { ...buyback, token: gut, epoch: "1", amount: "" }),
      /^emission:buyback: the contract refused: ObservationTooYoung: pair 0x[0-9a-fA-F]{40}, oldestAge \d+, window 1800 \(observation \d+ s old, needs 1,800 s: retry after (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC(, once one is recorded \(observe\) if none was: emission:observe records one)?\)$/,
    );
    await expectFailure(
      run("emission:buyback", { ...buyback, token: gut, epoch: "", amount: "" }),
      /^emission:buyback, field "token": bucket of epoch 1: not ready: ObservationTooYoung: pair 0x[0-9a-fA-F]{40}, oldestAge 0, window 1800/,
    );
    await time.increase(1_800);
    // The keeper's slice: what moves the pool's price (1,000,000 GUT in) by 50 bps at most.
    const slice = (1_000_000n * TFT_UNIT * 50n) / 9_950n;
    const out = await capture(() => run("emission:buyback", { ...buyback, token: gut, epoch: "", amount: "" }));
    expect(out).to.match(
      /^bucket of epoch 1: sold 5,025\.\d+ GUT for [\d,.]+ TFT in 0x[0-9a-f]{64}; 2,974\.\d+ GUT left for the next slices \(run again\)$/,
    );
    expect(await f.gut.balanceOf(f.address)).to.equal(8_000n * TFT_UNIT - slice);
    const rest = await capture(() => run("emission:buyback", { ...buyback, token: gut, epoch: "", amount: "" }));
    expect(rest).to.match(/^bucket of epoch 1: sold 2,974\.\d+ GUT for [\d,.]+ TFT in 0x[0-9a-f]{64}$/);
    await quiet(() => run("emission:buyback", { ...buyback, token: tft, epoch: "1", amount: "40" }));
    expect(await f.gut.balanceOf(f.address)).to.equal(0n);
    expect(await f.emission.pendingFees(tft)).to.equal(60n * TFT_UNIT);
    const stats = await readEmissionStats(f.emission);
    expect(stats.totalBurned).to.equal(await f.emission.totalBurned());
    expect(stats.toPhaseOneEnd).to.equal((stats.reserveLeft * 10_000n + 7_999n) / 8_000n);
    expect(stats.toFloor).to.equal(stats.toPhaseOneEnd + 2n * (stats.floorDistance - stats.toPhaseOneEnd));
    // Buckets of one epoch come in the order of their tokens' addresses, which depend on what
    // ran before on the shared network: compared as a set.
    expect(stats.buckets.map((b) => [b.epoch, b.token, b.unsold])).to.have.deep.members([
      [1n, gut, 0n],
      [1n, tft, 60n * TFT_UNIT],
    ]);
    const printed = await capture(() => run("emission:stats", { emission: f.address, token: gut }));
    expect(printed).to.match(/pending \(unsold\)/);
    expect(printed).to.match(/for sale/);
    expect(printed).to.match(
      /epoch \d+ ends +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ [a-z]+( \d+ [a-z]+)?\): its fees can be bought back from then/,
    );
    expect(printed).to.match(/TWAP window +30 min: a buyback quotes from an observation 30 min to 1 h old/);
    expect(printed).to.match(
      /pair 0x[0-9a-fA-F]{8}… +newest observation \d+ [a-z]+( \d+ [a-z]+)? old: a buyback can run now, until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in /,
    );
    const noBook = await capture(() => run("emission:stats", { emission: f.address, token: "" }));
    expect(noBook).to.match(/buyback timing +give --token/);
    const pending = await capture(() =>
      run("rewards:pending", { emission: f.address, provider: "", fromEpoch: "", toEpoch: "" }),
    );
    expect(pending).to.match(/claimable over 2 bucket/);
    const owed = (await f.emission.bucket(1n, gut)).rewards + (await f.emission.bucket(1n, tft)).rewards;
    expect(owed > 0n).to.equal(true);
    const before = await f.tft.balanceOf(f.admin.address);
    await quiet(() => run("rewards:claim", { emission: f.address, fromEpoch: "1", toEpoch: "1" }));
    expect((await f.tft.balanceOf(f.admin.address)) - before).to.equal(owed);
    // The rest of the TFT bucket, sold later, is claimable again.
    await quiet(() => run("emission:buyback", { ...buyback, token: tft, epoch: "", amount: "" }));
    await quiet(() => run("rewards:claim", { emission: f.address, fromEpoch: "", toEpoch: "" }));
    expect(await f.emission.minerRewardsUnclaimed()).to.be.lessThan(2n);
  });

  it("reports bad input in one line, naming the field", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    await expectFailure(run("emission:stats", { emission: "0x1234" }), /emission.*not an address/);
    await expectFailure(run("emission:stats", { emission: f.provider.address }), /no contract at/);
    await expectFailure(
      run("emission:buyback", {
        emission: f.address,
        token: await f.gut.getAddress(),
        epoch: "0",
        amount: "1.2.3",
        marginBps: 10n,
        deadlineSeconds: 600n,
      }),
      /field "amount"/,
    );
    const gutBuyback = {
      emission: f.address,
      token: await f.gut.getAddress(),
      marginBps: 10n,
      deadlineSeconds: 600n,
    };
    await expectFailure(run("emission:buyback", { ...gutBuyback, epoch: "", amount: "" }), /nothing to buy back/);
    await expectFailure(run("emission:buyback", { ...gutBuyback, epoch: "-1", amount: "" }), /field "epoch"/);
    await expectFailure(
      run("emission:buyback", { ...gutBuyback, epoch: "", amount: "5" }),
      /field "amount".*give its --epoch/,
    );
    await expectFailure(run("rewards:claim", { emission: f.address, fromEpoch: "", toEpoch: "" }), /nothing to claim/);
    await expectFailure(
      run("rewards:claim", { emission: f.address, fromEpoch: "3", toEpoch: "2" }),
      /field "to-epoch".*before/,
    );
    await expectFailure(
      run("rewards:pending", { emission: f.address, provider: "", fromEpoch: "x", toEpoch: "" }),
      /field "from-epoch"/,
    );
    await expectFailure(run("simulate", { model: "nope" }), /unknown model/);
  });

  it("keeper:sweep observes the pair, then buys back the keeper agent's slice of each ended bucket", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const s = await deployEscrowSystem(ethers);
    const gut = await f.gut.getAddress();
    await time.increase(86_400);
    await f.gut.transfer(f.address, 12_000n * TFT_UNIT);
    await f.emission.recordFee(f.admin.address, gut, 12_000n * TFT_UNIT);
    await time.increase(86_400);
    const sweep = { escrow: await s.escrow.getAddress(), account: f.admin.address, emission: f.address };
    const first = await capture(() => run("keeper:sweep", sweep));
    expect(first).to.contain(`TWAP observation sent: ${gut}`);
    // The observation is too young for the TWAP: the bucket waits for a later round.
    expect(first).to.match(/\nnot bought back: bucket 1 of GUT: ObservationTooYoung: /);
    expect(await f.gut.balanceOf(f.address)).to.equal(12_000n * TFT_UNIT);
    await time.increase(1_800);
    const second = await capture(() => run("keeper:sweep", sweep));
    expect(second).to.match(/\nbought back: bucket 1 of GUT: 5,025\.\d+ GUT sold$/m);
    const slice = (1_000_000n * TFT_UNIT * 50n) / 9_950n;
    expect(await f.gut.balanceOf(f.address)).to.equal(12_000n * TFT_UNIT - slice);
  });
});
