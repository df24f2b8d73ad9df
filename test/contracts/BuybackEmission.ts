import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";

import { closedForm, split, SUPPLY_FLOOR, TFT_UNIT } from "../../src/emission/model.js";
import { deployEmissionSystem } from "../../harness/emission-system.js";
import { addLiquidity, checkPairInitCodeHash, pairAt, ROUTER02_PAIR_INIT_CODE_HASH } from "../../harness/uniswap.js";
import { getAmountOut, minTftOut, readPairState, twapQuoteHop } from "../../src/uniswap.js";
import { BuybackEmission__factory } from "../../types/index.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const M = 1_000_000n * TFT_UNIT;
const DAY = 86_400;
const WINDOW = 30 * 60;
const RESERVE = 350n * M;

async function deployFixture() {
  const [admin, keeper, escrow, treasury, alice, bob, trader] = await ethers.getSigners();
  const system = await deployEmissionSystem(admin, { treasury: treasury.address });
  const { gut, tft, emission } = system;
  await emission.grantRole(await emission.KEEPER_ROLE(), keeper.address);
  await emission.grantRole(await emission.ESCROW_ROLE(), escrow.address);
  await gut.transfer(escrow.address, 10n * M);
  await gut.transfer(trader.address, 10n * M);
  await tft.transfer(escrow.address, 10n * M);
  await tft.transfer(trader.address, 10n * M);
  const pair = pairAt(system.gutTftPair!, admin);
  return { ...system, pair, admin, keeper, escrow, treasury, alice, bob, trader };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** A 50M reserve (950M circulating), so that holders can burn their way close to the floor. */
async function smallReserveFixture() {
  const [admin, keeper, escrow, treasury, alice, bob, trader] = await ethers.getSigners();
  const system = await deployEmissionSystem(admin, { treasury: treasury.address, circulating: 950n * M });
  await system.emission.grantRole(await system.emission.KEEPER_ROLE(), keeper.address);
  await system.emission.grantRole(await system.emission.ESCROW_ROLE(), escrow.address);
  await system.tft.transfer(escrow.address, 100n * M);
  await system.gut.transfer(escrow.address, 10n * M);
  const pair = pairAt(system.gutTftPair!, admin);
  return { ...system, pair, admin, keeper, escrow, treasury, alice, bob, trader };
}

/** The escrow's side of a withdrawal: transfer the fee, then record it. Returns its bucket's epoch. */
async function payFee(f: Fixture, token: "gut" | "tft", provider: string, fee: bigint): Promise<bigint> {
  const t = f[token];
  await t.connect(f.escrow).transfer(await f.emission.getAddress(), fee);
  await f.emission.connect(f.escrow).recordFee(provider, await t.getAddress(), fee);
  return f.emission.currentEpoch();
}

/** A bucket id for `claim` and `claimable`. */
const bucketOf = (epoch: bigint, token: string) => ({ epoch, token });

/** Records an observation of every hop, then waits one window. */
async function observeAndWait(f: Fixture, token: string) {
  await f.emission.observe(token);
  await time.increase(WINDOW);
}

async function deadline() {
  return BigInt(await time.latest()) + 600n;
}

/** Keeper buyback with `minTftOut` from the TWAP and the configured slippage (what the task does). */
async function buybackAtTwap(f: Fixture, token: string, epoch: bigint, amount: bigint) {
  const quote = await f.emission.twapQuote(token, amount);
  const min = minTftOut(quote, await f.emission.maxSlippageBps());
  return f.emission.connect(f.keeper).buyback(token, epoch, amount, min, await deadline());
}

/** Burns `amount` of the TFT bucket of `epoch`. */
async function burnTftFees(f: Fixture, epoch: bigint, amount: bigint) {
  return f.emission.connect(f.keeper).buyback(await f.tft.getAddress(), epoch, amount, 0n, await deadline());
}

/** Moves time to the start of the next epoch. */
async function nextEpoch(f: Fixture) {
  const genesis = await f.emission.genesis();
  const current = await f.emission.currentEpoch();
  await time.increaseTo(genesis + (current + 1n) * BigInt(DAY));
}

describe("BuybackEmission", function () {
  describe("Uniswap V2 artifacts", function () {
    it("Router02's hard-coded pair init-code hash matches the v2-core Pair bytecode from npm", function () {
      const { pairHash, routerEmbedsPairHash } = checkPairInitCodeHash();
      expect(pairHash).to.equal(ROUTER02_PAIR_INIT_CODE_HASH);
      expect(routerEmbedsPairHash).to.equal(true);
    });

    it("routes real swaps through the deployed router and pair", async function () {
      const f = await loadFixture(deployFixture);
      const [r0, r1] = await f.pair.getReserves();
      const gutIsToken0 = (await f.pair.token0()) === (await f.gut.getAddress());
      const [rIn, rOut] = gutIsToken0 ? [r0, r1] : [r1, r0];
      const before = await f.tft.balanceOf(f.trader.address);
      await f.gut.connect(f.trader).approve(await f.uni.router.getAddress(), M);
      await f.uni.router.connect(f.trader).getFunction("swapExactTokensForTokens")(
        M,
        0n,
        [await f.gut.getAddress(), await f.tft.getAddress()],
        f.trader.address,
        await deadline(),
      );
      expect((await f.tft.balanceOf(f.trader.address)) - before).to.equal(getAmountOut(M, rIn, rOut));
    });
  });

  describe("constructor", function () {
    it("reverts when an address is zero or the epoch length is out of bounds", async function () {
      const f = await loadFixture(deployFixture);
      const factory = await ethers.getContractFactory("BuybackEmission");
      const [tft, router] = [await f.tft.getAddress(), await f.uni.router.getAddress()];
      const a = f.admin.address;
      await expect(factory.deploy(0, a, ethers.ZeroAddress, router, a, DAY))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("tft");
      await expect(factory.deploy(0, a, tft, ethers.ZeroAddress, a, DAY))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("router");
      await expect(factory.deploy(0, a, tft, router, ethers.ZeroAddress, DAY))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("treasury");
      await expect(factory.deploy(0, a, tft, router, a, 3599))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("epochLength", 3599, 3600, 30 * DAY);
      await expect(factory.deploy(0, a, tft, router, a, 30 * DAY + 1)).to.be.revertedWithCustomError(
        factory,
        "ParameterOutOfRange",
      );
    });

    it("reads the factory from the router and starts epoch zero now", async function () {
      const f = await loadFixture(deployFixture);
      expect(await f.emission.factory()).to.equal(await f.uni.factory.getAddress());
      expect(await f.emission.router()).to.equal(await f.uni.router.getAddress());
      expect(await f.emission.currentEpoch()).to.equal(0n);
      expect(await f.emission.twapWindow()).to.equal(BigInt(WINDOW));
      expect(await f.emission.RELEASE_BPS()).to.equal(8000n);
      expect(await f.emission.BURN_BPS()).to.equal(5000n);
    });
  });

  describe("fundReserve", function () {
    it("pulls the reserve allocation once and enters phase one", async function () {
      const f = await loadFixture(deployFixture);
      expect(await f.emission.reserveLeft()).to.equal(RESERVE);
      expect(await f.tft.balanceOf(await f.emission.getAddress())).to.equal(RESERVE);
      expect(await f.emission.phase()).to.equal(1n);
      expect(await f.emission.maxCirculatingSupply()).to.equal(650n * M);
      await expect(f.emission.fundReserve()).to.be.revertedWithCustomError(f.emission, "ReserveAlreadyFunded");
    });

    it("emits ReserveFunded; the phase is Unfunded and buybacks revert before it", async function () {
      const f = await loadFixture(deployFixture);
      const fresh = await new BuybackEmission__factory(f.admin).deploy(
        0,
        f.admin.address,
        await f.tft.getAddress(),
        await f.uni.router.getAddress(),
        f.admin.address,
        DAY,
      );
      await fresh.grantRole(await fresh.KEEPER_ROLE(), f.keeper.address);
      expect(await fresh.phase()).to.equal(0n);
      await expect(
        fresh.connect(f.keeper).buyback(await f.tft.getAddress(), 0n, 1n, 0n, await deadline()),
      ).to.be.revertedWithCustomError(fresh, "ReserveNotFunded");
      await f.tft.approve(await fresh.getAddress(), RESERVE);
      await expect(fresh.fundReserve()).to.emit(fresh, "ReserveFunded").withArgs(f.admin.address, RESERVE);
    });
  });

  describe("recordFee", function () {
    it("reverts when the caller is not the escrow", async function () {
      const f = await loadFixture(deployFixture);
      await expect(f.emission.connect(f.alice).recordFee(f.alice.address, await f.gut.getAddress(), 1n))
        .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, await f.emission.ESCROW_ROLE());
    });

    it("reverts when the provider is zero", async function () {
      const f = await loadFixture(deployFixture);
      await expect(f.emission.connect(f.escrow).recordFee(ethers.ZeroAddress, await f.gut.getAddress(), 1n))
        .to.be.revertedWithCustomError(f.emission, "ZeroAddress")
        .withArgs("provider");
    });

    it("reverts when the fee is zero", async function () {
      const f = await loadFixture(deployFixture);
      await expect(
        f.emission.connect(f.escrow).recordFee(f.alice.address, await f.gut.getAddress(), 0n),
      ).to.be.revertedWithCustomError(f.emission, "ZeroAmount");
    });

    it("reverts when a TFT fee did not arrive, even with the reserve and a stray transfer present", async function () {
      const f = await loadFixture(deployFixture);
      await f.tft.connect(f.trader).transfer(await f.emission.getAddress(), 5n);
      await expect(f.emission.connect(f.escrow).recordFee(f.alice.address, await f.tft.getAddress(), 6n))
        .to.be.revertedWithCustomError(f.emission, "FeeNotReceived")
        .withArgs(await f.tft.getAddress(), 6n, 5n);
    });

    it("reverts when a GUT fee did not arrive, or was already recorded (a fake fee)", async function () {
      const f = await loadFixture(deployFixture);
      const gut = await f.gut.getAddress();
      await expect(f.emission.connect(f.escrow).recordFee(f.alice.address, gut, 1n))
        .to.be.revertedWithCustomError(f.emission, "FeeNotReceived")
        .withArgs(gut, 1n, 0n);
      await payFee(f, "gut", f.alice.address, 100n);
      // The same 100 GUT cannot be recorded twice, and nothing sold frees a fee to record again.
      await expect(f.emission.connect(f.escrow).recordFee(f.bob.address, gut, 1n))
        .to.be.revertedWithCustomError(f.emission, "FeeNotReceived")
        .withArgs(gut, 1n, 0n);
      expect(await f.emission.pendingFees(gut)).to.equal(100n);
    });

    it("books the fee into the bucket of (current epoch, token), per provider", async function () {
      const f = await loadFixture(deployFixture);
      const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
      await f.gut.connect(f.escrow).transfer(await f.emission.getAddress(), 100n);
      await expect(f.emission.connect(f.escrow).recordFee(f.alice.address, gut, 100n))
        .to.emit(f.emission, "FeeRecorded")
        .withArgs(f.alice.address, gut, 0n, 100n);
      await payFee(f, "gut", f.bob.address, 50n);
      await nextEpoch(f);
      await payFee(f, "tft", f.alice.address, 7n);
      expect(await f.emission.bucket(0n, gut)).to.deep.equal([150n, 0n, 0n, 0n]);
      expect(await f.emission.feeOf(0n, gut, f.alice.address)).to.equal(100n);
      expect(await f.emission.feeOf(0n, gut, f.bob.address)).to.equal(50n);
      expect(await f.emission.bucket(1n, tft)).to.deep.equal([7n, 0n, 0n, 0n]);
      expect(await f.emission.bucket(1n, gut)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.emission.pendingFees(tft)).to.equal(7n);
      expect(await f.emission.pendingFees(gut)).to.equal(150n);
    });
  });

  describe("observe", function () {
    it("records at most one observation per half window and refuses a token without a pair", async function () {
      const f = await loadFixture(deployFixture);
      const gut = await f.gut.getAddress();
      await expect(f.emission.observe(gut)).to.emit(f.emission, "Observed");
      await expect(f.emission.observe(gut)).to.not.emit(f.emission, "Observed");
      await time.increase(WINDOW / 2);
      await expect(f.emission.observe(gut)).to.emit(f.emission, "Observed");
      const stored = await f.emission.observationsOf(f.gutTftPair!);
      expect(stored.filter((o) => o.timestamp > 0n).length).to.equal(2);
      await expect(f.emission.observe(f.alice.address))
        .to.be.revertedWithCustomError(f.emission, "PairNotFound")
        .withArgs(f.alice.address, await f.tft.getAddress());
    });

    it("keeps at most four observations, overwriting the oldest", async function () {
      const f = await loadFixture(deployFixture);
      for (let i = 0; i < 6; i++) {
        await f.emission.observe(await f.gut.getAddress());
        await time.increase(WINDOW / 2);
      }
      const stamps = (await f.emission.observationsOf(f.gutTftPair!)).map((o) => o.timestamp);
      const now = BigInt(await time.latest());
      // Six observations half a window apart: the ring holds the last four, spanning two windows.
      expect(stamps.every((t) => now - t <= 2n * BigInt(WINDOW) + 10n)).to.equal(true);
      expect(stamps.some((t) => now - t >= 2n * BigInt(WINDOW))).to.equal(true);
    });
  });

  describe("twapQuote", function () {
    it("reverts when no observation is a window old, and when it is stale", async function () {
      const f = await loadFixture(deployFixture);
      const gut = await f.gut.getAddress();
      await expect(f.emission.twapQuote(gut, M))
        .to.be.revertedWithCustomError(f.emission, "ObservationTooYoung")
        .withArgs(f.gutTftPair!, 0n, WINDOW);
      await f.emission.observe(gut);
      await time.increase(WINDOW - 10);
      await expect(f.emission.twapQuote(gut, M)).to.be.revertedWithCustomError(f.emission, "ObservationTooYoung");
      await time.increase(WINDOW + 11);
      await expect(f.emission.twapQuote(gut, M))
        .to.be.revertedWithCustomError(f.emission, "ObservationStale")
        .withArgs(f.gutTftPair!, 2 * WINDOW + 1, 2 * WINDOW);
    });

    it("equals the TypeScript TWAP over the same observation and pair state", async function () {
      const f = await loadFixture(deployFixture);
      const gut = await f.gut.getAddress();
      await f.emission.observe(gut);
      await time.increase(600);
      await f.gut.connect(f.trader).approve(await f.uni.router.getAddress(), M);
      await f.uni.router.connect(f.trader).getFunction("swapExactTokensForTokens")(
        M / 10n,
        0n,
        [gut, await f.tft.getAddress()],
        f.trader.address,
        2n ** 40n,
      );
      await time.increase(WINDOW);
      const quote = await f.emission.twapQuote(gut, 12_345n * TFT_UNIT);
      const observations = await f.emission.observationsOf(f.gutTftPair!);
      const state = await readPairState(f.pair);
      const ts = twapQuoteHop(
        observations.map((o) => ({
          timestamp: o.timestamp,
          price0Cumulative: o.price0Cumulative,
          price1Cumulative: o.price1Cumulative,
        })),
        state,
        BigInt(await time.latest()),
        BigInt(WINDOW),
        (await f.pair.token0()) === gut,
        12_345n * TFT_UNIT,
      );
      expect(quote).to.equal(ts);
      // A tenth of the pool sold 600 s into a 1830 s average makes TFT dearer for the rest of it.
      expect(quote < 12_345n * TFT_UNIT).to.equal(true);
    });
  });

  describe("buyback", function () {
    it("reverts when the caller is not a keeper, the deadline passed, or the amount is zero", async function () {
      const f = await loadFixture(deployFixture);
      const gut = await f.gut.getAddress();
      await expect(f.emission.connect(f.alice).buyback(gut, 0n, 1n, 0n, await deadline()))
        .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, await f.emission.KEEPER_ROLE());
      const past = BigInt(await time.latest()) - 1n;
      await expect(f.emission.connect(f.keeper).buyback(gut, 0n, 1n, 0n, past)).to.be.revertedWithCustomError(
        f.emission,
        "DeadlineExpired",
      );
      await expect(
        f.emission.connect(f.keeper).buyback(gut, 0n, 0n, 0n, await deadline()),
      ).to.be.revertedWithCustomError(f.emission, "ZeroAmount");
    });

    it("reverts when the bucket's epoch has not ended, so its fees and providers are not fixed yet", async function () {
      const f = await loadFixture(deployFixture);
      const epoch = await payFee(f, "tft", f.alice.address, 500n);
      await expect(burnTftFees(f, epoch, 500n))
        .to.be.revertedWithCustomError(f.emission, "BucketNotEnded")
        .withArgs(epoch, epoch);
      await expect(burnTftFees(f, epoch + 5n, 1n))
        .to.be.revertedWithCustomError(f.emission, "BucketNotEnded")
        .withArgs(epoch + 5n, epoch);
      await nextEpoch(f);
      await expect(burnTftFees(f, epoch, 500n)).to.emit(f.emission, "BoughtBack");
    });

    it("reverts when the amount exceeds the bucket's unsold fees, other buckets' fees notwithstanding", async function () {
      const f = await loadFixture(deployFixture);
      const tft = await f.tft.getAddress();
      await payFee(f, "tft", f.alice.address, 500n);
      await nextEpoch(f);
      await payFee(f, "tft", f.bob.address, 900n);
      await nextEpoch(f);
      await expect(burnTftFees(f, 0n, 501n))
        .to.be.revertedWithCustomError(f.emission, "ExceedsBucket")
        .withArgs(0n, tft, 501n, 500n);
      await burnTftFees(f, 0n, 200n);
      await expect(burnTftFees(f, 0n, 301n))
        .to.be.revertedWithCustomError(f.emission, "ExceedsBucket")
        .withArgs(0n, tft, 301n, 300n);
      await burnTftFees(f, 0n, 300n);
      expect(await f.emission.bucket(0n, tft)).to.deep.equal([
        500n,
        500n,
        500n,
        (((500n * 8_000n) / 10_000n) * 9_000n) / 10_000n,
      ]);
      expect(await f.emission.pendingFees(tft)).to.equal(900n);
    });

    it("swaps a GUT fee on the real pool, burns all of it and releases 80 % in phase one", async function () {
      const f = await loadFixture(deployFixture);
      const gut = await f.gut.getAddress();
      await payFee(f, "gut", f.alice.address, 10_000n * TFT_UNIT);
      await nextEpoch(f);
      await observeAndWait(f, gut);
      const [r0, r1] = await f.pair.getReserves();
      const [rIn, rOut] = (await f.pair.token0()) === gut ? [r0, r1] : [r1, r0];
      const expected = getAmountOut(10_000n * TFT_UNIT, rIn, rOut);
      const supply = await f.tft.totalSupply();
      const quote = await f.emission.twapQuote(gut, 10_000n * TFT_UNIT);
      const tx = buybackAtTwap(f, gut, 0n, 10_000n * TFT_UNIT);
      const release = (expected * 8000n) / 10_000n;
      const toMiners = (release * 9000n) / 10_000n;
      await expect(tx)
        .to.emit(f.emission, "BoughtBack")
        .withArgs(f.keeper.address, gut, 0n, 10_000n * TFT_UNIT, expected, quote);
      await expect(tx).to.emit(f.emission, "Burned").withArgs(expected, expected);
      await expect(tx)
        .to.emit(f.emission, "Released")
        .withArgs(0n, gut, release, 0n, toMiners, release - toMiners);
      expect(await f.tft.totalSupply()).to.equal(supply - expected);
      expect(await f.emission.totalBurned()).to.equal(expected);
      expect(await f.emission.totalReleased()).to.equal(release);
      expect(await f.emission.reserveLeft()).to.equal(RESERVE - release);
      expect(await f.tft.balanceOf(f.treasury.address)).to.equal(release - toMiners);
      // The miners' part is the bucket's, which Alice alone paid into.
      expect(await f.emission.bucket(0n, gut)).to.deep.equal([
        10_000n * TFT_UNIT,
        10_000n * TFT_UNIT,
        expected,
        toMiners,
      ]);
      expect(await f.emission.claimable(f.alice.address, [bucketOf(0n, gut)])).to.equal(toMiners);
      expect(await f.emission.minerRewardsUnclaimed()).to.equal(toMiners);
      expect(await f.emission.pendingFees(gut)).to.equal(0n);
    });

    it("refuses when a large swap just before moved the spot price (sandwich)", async function () {
      const f = await loadFixture(deployFixture);
      const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
      const amount = 20_000n * TFT_UNIT;
      await payFee(f, "gut", f.alice.address, amount);
      await nextEpoch(f);
      await observeAndWait(f, gut);
      const honestQuote = await f.emission.twapQuote(gut, amount);
      // The attacker buys TFT with 300,000 GUT (30 % of the pool) right before the keeper.
      await f.gut.connect(f.trader).approve(await f.uni.router.getAddress(), 300_000n * TFT_UNIT);
      await f.uni.router.connect(f.trader).getFunction("swapExactTokensForTokens")(
        300_000n * TFT_UNIT,
        0n,
        [gut, tft],
        f.trader.address,
        2n ** 40n,
      );
      // The spot quote (what a naive keeper would ask the router for) is far below the TWAP…
      const [, spotOut] = (await f.uni.router.getFunction("getAmountsOut")(amount, [gut, tft])) as bigint[];
      const twapNow = await f.emission.twapQuote(gut, amount);
      expect(spotOut < (twapNow * 7n) / 10n).to.equal(true);
      // …one second of the moved price barely moves the 30-minute average.
      expect(twapNow > (honestQuote * 999n) / 1000n).to.equal(true);
      const minAllowed = minTftOut(twapNow, await f.emission.maxSlippageBps());
      // The moved price enters the average a second later (about 0.03 % a second here), so the
      // minimum at execution is checked to 0.1 %.
      const near = (x: bigint) => x > (minAllowed * 9_990n) / 10_000n && x < (minAllowed * 10_010n) / 10_000n;
      await expect(f.emission.connect(f.keeper).buyback(gut, 0n, amount, spotOut, await deadline()))
        .to.be.revertedWithCustomError(f.emission, "BelowTwapQuote")
        .withArgs(spotOut, near);
      // A keeper asking the TWAP minimum gets the swap refused by the router's output check.
      await expect(
        f.emission.connect(f.keeper).buyback(gut, 0n, amount, minAllowed, await deadline()),
      ).to.be.revertedWith("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT");
      expect(await f.emission.totalBurned()).to.equal(0n);
    });

    it("refuses when the spot price was pushed the other way, so a release cannot be inflated", async function () {
      const f = await loadFixture(deployFixture);
      const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
      const amount = 20_000n * TFT_UNIT;
      await payFee(f, "gut", f.alice.address, amount);
      await nextEpoch(f);
      await observeAndWait(f, gut);
      await f.tft.connect(f.trader).approve(await f.uni.router.getAddress(), 300_000n * TFT_UNIT);
      await f.uni.router.connect(f.trader).getFunction("swapExactTokensForTokens")(
        300_000n * TFT_UNIT,
        0n,
        [tft, gut],
        f.trader.address,
        2n ** 40n,
      );
      const quote = await f.emission.twapQuote(gut, amount);
      const maxAllowed = (quote * 10_200n) / 10_000n;
      // The keeper leaves a margin above the minimum, since the average drifts towards the moved price.
      const min = minTftOut(quote, 150n);
      await expect(
        f.emission.connect(f.keeper).buyback(gut, 0n, amount, min, await deadline()),
      ).to.be.revertedWithCustomError(f.emission, "AboveTwapQuote");
      const [, spotOut] = (await f.uni.router.getFunction("getAmountsOut")(amount, [gut, tft])) as bigint[];
      expect(spotOut > maxAllowed).to.equal(true);
    });

    it("sells through WETH when the token's route says so", async function () {
      const f = await loadFixture(deployFixture);
      const usd = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
      const weth = f.uni.weth;
      const [usdAddr, wethAddr] = [await usd.getAddress(), await weth.getAddress()];
      await weth.getFunction("deposit")({ value: 200n * 10n ** 18n });
      await usd.mint(f.admin.address, 1_000_000n * 10n ** 6n);
      const wethToken = weth as unknown as Parameters<typeof addLiquidity>[2];
      await addLiquidity(f.uni, f.admin, usd, 200_000n * 10n ** 6n, wethToken, 100n * 10n ** 18n);
      await addLiquidity(f.uni, f.admin, wethToken, 100n * 10n ** 18n, f.tft, 400_000n * TFT_UNIT);
      await expect(f.emission.setRoute(usdAddr, wethAddr)).to.emit(f.emission, "RouteSet").withArgs(usdAddr, wethAddr);
      expect(await f.emission.routeOf(usdAddr)).to.deep.equal([usdAddr, wethAddr, await f.tft.getAddress()]);
      await usd.mint(f.escrow.address, 1_000n * 10n ** 6n);
      await usd.connect(f.escrow).transfer(await f.emission.getAddress(), 1_000n * 10n ** 6n);
      await f.emission.connect(f.escrow).recordFee(f.alice.address, usdAddr, 1_000n * 10n ** 6n);
      await nextEpoch(f);
      const observed = await (await f.emission.observe(usdAddr)).wait();
      expect(observed!.logs.length).to.equal(2);
      await time.increase(WINDOW);
      const quote = await f.emission.twapQuote(usdAddr, 1_000n * 10n ** 6n);
      // 1,000 USD is 0.5 WETH, which is 2,000 TFT at the seeded prices.
      expect(quote).to.be.closeTo(2_000n * TFT_UNIT, TFT_UNIT);
      await expect(buybackAtTwap(f, usdAddr, 0n, 1_000n * 10n ** 6n)).to.emit(f.emission, "Burned");
      expect(await usd.balanceOf(await f.emission.getAddress())).to.equal(0n);
      expect((await f.emission.totalBurned()) > 1_950n * TFT_UNIT).to.equal(true);
    });

    it("burns TFT fees with no swap, and never a stray transfer", async function () {
      const f = await loadFixture(deployFixture);
      const tft = await f.tft.getAddress();
      await f.tft.connect(f.trader).transfer(await f.emission.getAddress(), 1_000n);
      await payFee(f, "tft", f.alice.address, 500n);
      await nextEpoch(f);
      await expect(burnTftFees(f, 0n, 501n))
        .to.be.revertedWithCustomError(f.emission, "ExceedsBucket")
        .withArgs(0n, tft, 501n, 500n);
      await expect(burnTftFees(f, 0n, 500n))
        .to.emit(f.emission, "BoughtBack")
        .withArgs(f.keeper.address, tft, 0n, 500n, 500n, 500n);
      expect(await f.emission.totalBurned()).to.equal(500n);
      expect(await f.emission.reserveLeft()).to.equal(RESERVE - 400n);
      expect(await f.emission.pendingFees(tft)).to.equal(0n);
      const held = await f.tft.balanceOf(await f.emission.getAddress());
      expect(held - (await f.emission.reserveLeft()) - (await f.emission.minerRewardsUnclaimed())).to.equal(1_000n);
    });

    it("ignores a user's own burn: it lowers supply but releases nothing", async function () {
      const f = await loadFixture(deployFixture);
      await f.tft.connect(f.trader).burn(1_000n * TFT_UNIT);
      expect(await f.emission.totalBurned()).to.equal(0n);
      expect(await f.emission.reserveLeft()).to.equal(RESERVE);
      expect(await f.emission.maxCirculatingSupply()).to.equal(649_999_000n * TFT_UNIT);
    });
  });

  describe("phases", function () {
    it("ends phase one after exactly 437.5M burned, at 562.5M supply, splitting the crossing buyback", async function () {
      const f = await loadFixture(deployFixture);
      const tft = await f.tft.getAddress();
      const c = closedForm(RESERVE, 900n * M);
      expect(c.phaseOneBurned).to.equal(437_500_000n * TFT_UNIT);
      await f.tft.transfer(f.escrow.address, 500n * M);
      await payFee(f, "tft", f.alice.address, c.phaseOneBurned - 1n);
      await payFee(f, "tft", f.bob.address, 11n);
      await nextEpoch(f);
      await burnTftFees(f, 0n, c.phaseOneBurned - 1n);
      expect(await f.emission.reserveLeft()).to.equal(1n);
      expect(await f.emission.phase()).to.equal(1n);
      // 11 wei more: releasing the last reserve wei takes a 2-wei burn (floor(2 × 0.8) = 1); the
      // other 9 fall in phase two (4 burned, 5 released). Releases round down, in the reserve's favour.
      const preview = await f.emission.previewSplit(11n);
      expect(preview.inPhaseOne).to.equal(2n);
      expect(preview.inPhaseTwo).to.equal(9n);
      expect(preview.burned).to.equal(6n);
      await expect(burnTftFees(f, 0n, 11n))
        .to.emit(f.emission, "Released")
        .withArgs(0n, tft, 1n, 5n, 5n, 1n);
      expect(await f.emission.phase()).to.equal(2n);
      expect(await f.emission.totalReleased()).to.equal(RESERVE);
      expect(await f.emission.totalBurned()).to.equal(c.phaseOneBurned + 5n);
      expect(await f.tft.totalSupply()).to.equal(c.supplyAtPhaseOneEnd - 5n);
      expect(c.supplyAtPhaseOneEnd).to.equal(562_500_000n * TFT_UNIT);
      expect(c.phaseTwoBoughtBack).to.equal(925_000_000n * TFT_UNIT);
    });

    it("burns nothing at the floor and splits the buyback that reaches it", async function () {
      const f = await loadFixture(smallReserveFixture);
      const tft = await f.tft.getAddress();
      await payFee(f, "tft", f.alice.address, 62_500_000n * TFT_UNIT);
      await payFee(f, "tft", f.alice.address, 30n * TFT_UNIT + 7n);
      await nextEpoch(f);
      await burnTftFees(f, 0n, 62_500_000n * TFT_UNIT);
      expect(await f.emission.phase()).to.equal(2n);
      // A holder's own burn brings supply to 10 TFT above the floor (it releases nothing).
      const burnable = await f.tft.burnable();
      await f.tft.burn(burnable - 10n * TFT_UNIT);
      const s = split(30n * TFT_UNIT, 0n, 10n * TFT_UNIT);
      expect(s).to.deep.include({ inPhaseTwo: 20n * TFT_UNIT, atFloor: 10n * TFT_UNIT, burned: 10n * TFT_UNIT });
      await burnTftFees(f, 0n, 30n * TFT_UNIT);
      expect(await f.tft.totalSupply()).to.equal(SUPPLY_FLOOR);
      expect(await f.emission.phase()).to.equal(3n);
      expect(await f.emission.totalDistributed()).to.equal(20n * TFT_UNIT);
      const treasuryBefore = await f.tft.balanceOf(f.treasury.address);
      await expect(burnTftFees(f, 0n, 7n)).to.not.emit(f.emission, "Burned");
      expect(await f.tft.balanceOf(f.treasury.address)).to.equal(treasuryBefore + 7n - (7n * 9000n) / 10_000n);
    });

    it("matches the TypeScript split for random amounts in phase one", async function () {
      const f = await loadFixture(deployFixture);
      for (const amount of [1n, 3n, 999n, 12_345n * TFT_UNIT + 7n, 437_500_000n * TFT_UNIT + 13n, 2_000n * M]) {
        const got = await f.emission.previewSplit(amount);
        const want = split(amount, RESERVE, await f.tft.burnable());
        expect([
          got.burned,
          got.fromReserve,
          got.fromBuyback,
          got.inPhaseOne,
          got.inPhaseTwo,
          got.atFloor,
        ]).to.deep.equal([
          want.burned,
          want.fromReserve,
          want.fromBuyback,
          want.inPhaseOne,
          want.inPhaseTwo,
          want.atFloor,
        ]);
      }
    });
  });

  describe("claim", function () {
    /** Alice and Bob pay 300 and 100 TFT into the TFT bucket of epoch 1; it is burned in epoch 2. */
    async function rewardedFixture() {
      const f = await deployFixture();
      await nextEpoch(f);
      await payFee(f, "tft", f.alice.address, 300n * TFT_UNIT);
      await payFee(f, "tft", f.bob.address, 100n * TFT_UNIT);
      await nextEpoch(f);
      await burnTftFees(f, 1n, 400n * TFT_UNIT);
      return { ...f, bucket: bucketOf(1n, await f.tft.getAddress()) };
    }

    it("reverts when there is nothing to claim", async function () {
      const f = await loadFixture(rewardedFixture);
      const gutBucket = bucketOf(1n, await f.gut.getAddress());
      await expect(f.emission.connect(f.treasury).claim([f.bucket]))
        .to.be.revertedWithCustomError(f.emission, "NothingToClaim")
        .withArgs(f.treasury.address);
      await expect(f.emission.connect(f.alice).claim([gutBucket, bucketOf(0n, await f.tft.getAddress())]))
        .to.be.revertedWithCustomError(f.emission, "NothingToClaim")
        .withArgs(f.alice.address);
      await expect(f.emission.connect(f.alice).claim([])).to.be.revertedWithCustomError(f.emission, "NothingToClaim");
    });

    it("pays pro rata to the providers' fees in the bucket, once", async function () {
      const f = await loadFixture(rewardedFixture);
      const tft = await f.tft.getAddress();
      const pool = (((400n * TFT_UNIT * 8000n) / 10_000n) * 9000n) / 10_000n;
      expect((await f.emission.bucket(1n, tft)).rewards).to.equal(pool);
      expect(await f.emission.claimable(f.alice.address, [f.bucket])).to.equal((pool * 3n) / 4n);
      // A bucket named twice counts once.
      expect(await f.emission.claimable(f.alice.address, [f.bucket, f.bucket])).to.equal((pool * 3n) / 4n);
      await expect(f.emission.connect(f.alice).claim([f.bucket]))
        .to.emit(f.emission, "RewardClaimed")
        .withArgs(f.alice.address, 1n, tft, (pool * 3n) / 4n);
      expect(await f.emission.claimedOf(1n, tft, f.alice.address)).to.equal((pool * 3n) / 4n);
      await expect(f.emission.connect(f.alice).claim([f.bucket]))
        .to.be.revertedWithCustomError(f.emission, "NothingToClaim")
        .withArgs(f.alice.address);
      await f.emission.connect(f.bob).claim([f.bucket, f.bucket]);
      expect(await f.tft.balanceOf(f.bob.address)).to.equal(pool / 4n);
      expect(await f.emission.minerRewardsUnclaimed()).to.equal(0n);
    });

    it("pays as slices of the bucket are sold, and again after the next slice", async function () {
      const f = await loadFixture(deployFixture);
      const tft = await f.tft.getAddress();
      await payFee(f, "tft", f.alice.address, 300n);
      await payFee(f, "tft", f.bob.address, 100n);
      await nextEpoch(f);
      const bucket = bucketOf(0n, tft);
      await burnTftFees(f, 0n, 100n);
      const first = (((100n * 8000n) / 10_000n) * 9000n) / 10_000n;
      await expect(f.emission.connect(f.alice).claim([bucket])).to.changeTokenBalance(
        ethers,
        f.tft,
        f.alice,
        (first * 3n) / 4n,
      );
      await burnTftFees(f, 0n, 300n);
      const rewards = (await f.emission.bucket(0n, tft)).rewards;
      await expect(f.emission.connect(f.alice).claim([bucket])).to.changeTokenBalance(
        ethers,
        f.tft,
        f.alice,
        (rewards * 3n) / 4n - (first * 3n) / 4n,
      );
      expect(await f.emission.claimedOf(0n, tft, f.alice.address)).to.equal((rewards * 3n) / 4n);
    });

    it("keeps each bucket's release to its own providers, whatever the order of the buybacks", async function () {
      const f = await loadFixture(deployFixture);
      const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
      // Alice pays a large GUT fee in epoch 0 that nobody forwards or sells for a while; Bob pays a
      // small TFT fee in epoch 1. Selling Alice's bucket late pays Bob nothing.
      await payFee(f, "gut", f.alice.address, 1_000n * TFT_UNIT);
      await nextEpoch(f);
      await payFee(f, "tft", f.bob.address, 10n * TFT_UNIT);
      await nextEpoch(f);
      await burnTftFees(f, 1n, 10n * TFT_UNIT);
      await observeAndWait(f, gut);
      await buybackAtTwap(f, gut, 0n, 1_000n * TFT_UNIT);
      const [bobs, alices] = [bucketOf(1n, tft), bucketOf(0n, gut)];
      expect(await f.emission.claimable(f.bob.address, [alices])).to.equal(0n);
      expect(await f.emission.claimable(f.bob.address, [bobs])).to.equal(
        (((10n * TFT_UNIT * 8000n) / 10_000n) * 9000n) / 10_000n,
      );
      expect(await f.emission.claimable(f.alice.address, [alices])).to.equal(
        (await f.emission.bucket(0n, gut)).rewards,
      );
    });

    it("claims ten buckets in one call", async function () {
      const f = await loadFixture(deployFixture);
      const tft = await f.tft.getAddress();
      const buckets: { epoch: bigint; token: string }[] = [];
      for (let i = 0; i < 10; i++) {
        const epoch = await payFee(f, "tft", f.alice.address, 10n * TFT_UNIT);
        await nextEpoch(f);
        await burnTftFees(f, epoch, 10n * TFT_UNIT);
        buckets.push(bucketOf(epoch, tft));
      }
      const expected = await f.emission.claimable(f.alice.address, buckets);
      expect(expected).to.equal(10n * ((((10n * TFT_UNIT * 8000n) / 10_000n) * 9000n) / 10_000n));
      await expect(f.emission.connect(f.alice).claim(buckets)).to.changeTokenBalance(ethers, f.tft, f.alice, expected);
    });
  });

  describe("wash leasing", function () {
    // Model: a provider leases its own node, so the lease's price nets out and its cost is the
    // protocol fee `fee` (GUT). A competitor pays `competing` into the same bucket, and a third
    // provider a large fee into the next epoch's bucket (the fee a sniper would aim at). The
    // keeper sells the buckets on the real pool (phase one), in slices and in either order, so the
    // washer's reward is its share of 80 % × minerShare of what its own bucket bought. It is
    // valued two ways: at the buyback's own execution price, and by selling it back to the pool.
    it("returns strictly less than the fee, across fee levels, competing volume and keeper schedules", async function () {
      await fc.assert(
        fc.asyncProperty(
          // A fee of a few wei buys zero TFT, and the router refuses a swap with no output; from
          // 1e6 wei up every buyback (each of up to three slices here) gets a non-zero amount out
          // of the seeded pool.
          fc.bigInt({ min: 10n ** 7n, max: 2_500n * TFT_UNIT }),
          fc.bigInt({ min: 0n, max: 2_500n * TFT_UNIT }),
          fc.bigInt({ min: 10n ** 6n, max: 2_500n * TFT_UNIT }),
          fc.integer({ min: 1, max: 3 }),
          fc.boolean(),
          async (fee, competing, later, slices, laterFirst) => {
            const f = await loadFixture(deployFixture);
            const [gut, tft] = [await f.gut.getAddress(), await f.tft.getAddress()];
            await nextEpoch(f);
            await payFee(f, "gut", f.alice.address, fee);
            if (competing > 0n) await payFee(f, "gut", f.bob.address, competing);
            await nextEpoch(f);
            await payFee(f, "gut", f.treasury.address, later);
            await nextEpoch(f);
            await observeAndWait(f, gut);
            if (laterFirst) await buybackAtTwap(f, gut, 2n, later);
            let left = fee + competing;
            for (let i = slices; i > 0; i--) {
              const slice = i === 1 ? left : left / BigInt(i);
              if (slice > 0n) await buybackAtTwap(f, gut, 1n, slice);
              left -= slice;
            }
            if (!laterFirst) await buybackAtTwap(f, gut, 2n, later);
            const bucket = await f.emission.bucket(1n, gut);
            const reward = await f.emission.claimable(f.alice.address, [bucketOf(1n, gut), bucketOf(2n, gut)]);
            // What the washer's own fee bought is `bought × fee / (fee + competing)`, compared
            // without rounding: reward × (fee + competing) ≤ 80 % × 90 % × bought × fee.
            const fees = fee + competing;
            expect(reward * fees * 10_000n * 10_000n <= bucket.bought * fee * 8_000n * 9_000n).to.equal(true);
            expect(reward * fees < bucket.bought * fee).to.equal(true);
            if (reward > 0n) {
              const [, back] = (await f.uni.router.getFunction("getAmountsOut")(reward, [tft, gut])) as bigint[];
              expect(back < fee).to.equal(true);
            }
          },
        ),
        { numRuns: 12, seed: 20_261_122 },
      );
    });
  });

  describe("admin", function () {
    it("sets parameters within bounds, with events", async function () {
      const f = await loadFixture(deployFixture);
      await expect(f.emission.setTwapParams(3600, 50)).to.emit(f.emission, "TwapParamsSet").withArgs(3600, 50);
      await expect(f.emission.setTwapParams(299, 50))
        .to.be.revertedWithCustomError(f.emission, "ParameterOutOfRange")
        .withArgs("window", 299, 300, DAY);
      await expect(f.emission.setTwapParams(3600, 0))
        .to.be.revertedWithCustomError(f.emission, "ParameterOutOfRange")
        .withArgs("maxSlippageBps", 0, 1, 2000);
      await expect(f.emission.setTwapParams(DAY + 1, 50)).to.be.revertedWithCustomError(
        f.emission,
        "ParameterOutOfRange",
      );
      await expect(f.emission.setTwapParams(3600, 2001)).to.be.revertedWithCustomError(
        f.emission,
        "ParameterOutOfRange",
      );
      await expect(f.emission.setMinerShare(7000)).to.emit(f.emission, "MinerShareSet").withArgs(7000);
      await expect(f.emission.setMinerShare(9901))
        .to.be.revertedWithCustomError(f.emission, "ParameterOutOfRange")
        .withArgs("minerShareBps", 9901, 5000, 9900);
      await expect(f.emission.setMinerShare(4999)).to.be.revertedWithCustomError(f.emission, "ParameterOutOfRange");
      await expect(f.emission.setTreasury(f.bob.address)).to.emit(f.emission, "TreasurySet").withArgs(f.bob.address);
      expect(await f.emission.treasury()).to.equal(f.bob.address);
      expect(await f.emission.minerShareBps()).to.equal(7000n);
      expect(await f.emission.maxSlippageBps()).to.equal(50n);
      await expect(f.emission.setTreasury(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(f.emission, "ZeroAddress")
        .withArgs("treasury");
      await expect(f.emission.setRoute(ethers.ZeroAddress, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(f.emission, "ZeroAddress")
        .withArgs("tokenIn");
    });

    it("reverts when the caller is not the admin", async function () {
      const f = await loadFixture(deployFixture);
      const admin = await f.emission.DEFAULT_ADMIN_ROLE();
      for (const call of [
        f.emission.connect(f.keeper).setTwapParams(3600, 50),
        f.emission.connect(f.keeper).setMinerShare(8000),
        f.emission.connect(f.keeper).setTreasury(f.bob.address),
        f.emission.connect(f.keeper).setRoute(f.bob.address, ethers.ZeroAddress),
      ]) {
        await expect(call)
          .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
          .withArgs(f.keeper.address, admin);
      }
    });
  });
});
