import { expect } from "chai";
import hre from "hardhat";

import { TFT_UNIT } from "../src/emission/model.js";
import { readEmissionStats } from "../src/emission/client.js";
import { deployEmissionSystem } from "../harness/emission-system.js";

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
  it("observe, buyback at the TWAP, stats, pending and claim work end to end", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
    await time.increase(86_400);
    await f.gut.transfer(f.address, 5_000n * TFT_UNIT);
    await f.emission.recordFee(f.admin.address, gut, 5_000n * TFT_UNIT, 5_000n);
    await f.tft.transfer(f.address, 100n * TFT_UNIT);
    await f.emission.recordFee(f.admin.address, tft, 100n * TFT_UNIT, 100n);
    await time.increase(86_400);
    await quiet(() => run("emission:observe", { emission: f.address, token: gut }));
    await time.increase(1_800);
    await quiet(() =>
      run("emission:buyback", { emission: f.address, token: gut, amount: "", marginBps: 10n, deadlineSeconds: 600n }),
    );
    await quiet(() =>
      run("emission:buyback", { emission: f.address, token: tft, amount: "40", marginBps: 10n, deadlineSeconds: 600n }),
    );
    expect(await f.gut.balanceOf(f.address)).to.equal(0n);
    expect(await f.emission.pendingTftFees()).to.equal(60n * TFT_UNIT);
    const stats = await readEmissionStats(f.emission);
    expect(stats.totalBurned).to.equal(await f.emission.totalBurned());
    expect(stats.toPhaseOneEnd).to.equal((stats.reserveLeft * 10_000n + 7_999n) / 8_000n);
    expect(stats.toFloor).to.equal(stats.toPhaseOneEnd + 2n * (stats.floorDistance - stats.toPhaseOneEnd));
    await quiet(() => run("emission:stats", { emission: f.address }));
    await time.increase(86_400);
    await quiet(() => run("rewards:pending", { emission: f.address, provider: "", from: 0n }));
    const pool = await f.emission.epochRewards(1n);
    expect(pool > 0n).to.equal(true);
    const before = await f.tft.balanceOf(f.admin.address);
    await quiet(() => run("rewards:claim", { emission: f.address, from: 0n }));
    expect((await f.tft.balanceOf(f.admin.address)) - before).to.equal(pool);
  });

  it("reports bad input in one line, naming the field", async function () {
    const f = await networkHelpers.loadFixture(deployFixture);
    await expectFailure(run("emission:stats", { emission: "0x1234" }), /emission.*not an address/);
    await expectFailure(run("emission:stats", { emission: f.provider.address }), /no contract at/);
    await expectFailure(
      run("emission:buyback", {
        emission: f.address,
        token: await f.gut.getAddress(),
        amount: "1.2.3",
        marginBps: 10n,
        deadlineSeconds: 600n,
      }),
      /field "amount"/,
    );
    await expectFailure(
      run("emission:buyback", {
        emission: f.address,
        token: await f.gut.getAddress(),
        amount: "",
        marginBps: 10n,
        deadlineSeconds: 600n,
      }),
      /nothing to buy back/,
    );
    await expectFailure(run("rewards:claim", { emission: f.address, from: 0n }), /nothing to claim/);
    await expectFailure(run("simulate", { model: "nope" }), /unknown model/);
  });
});
