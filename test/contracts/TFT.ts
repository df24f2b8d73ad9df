import { expect } from "chai";
import { network } from "hardhat";

import { shouldBehaveLikePermit } from "../shared/permit.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const TFT_UNIT = 10n ** 18n;
const INITIAL_SUPPLY = 1_000_000_000n * TFT_UNIT;
const FLOOR = 100_000_000n * TFT_UNIT;
const CIRCULATING = 650_000_000n * TFT_UNIT;
const RESERVE = INITIAL_SUPPLY - CIRCULATING;

async function deployTft() {
  const [circulating, reserve, alice, bob] = await ethers.getSigners();
  const tft = await ethers.deployContract("TFT", [circulating.address, CIRCULATING, reserve.address]);
  return { tft, circulating, reserve, alice, bob };
}

/** Burns everything above the floor from one holder, leaving supply at exactly the floor. */
async function burnToFloor() {
  const fixture = await deployTft();
  const { tft, circulating, reserve } = fixture;
  await tft.connect(reserve).transfer(circulating.address, RESERVE);
  await tft.connect(circulating).burn(INITIAL_SUPPLY - FLOOR);
  return fixture;
}

describe("TFT", function () {
  describe("constructor", function () {
    it("mints the whole nominal supply once, split into circulating and reserve", async function () {
      const { tft, circulating, reserve } = await loadFixture(deployTft);
      expect(await tft.totalSupply()).to.equal(INITIAL_SUPPLY);
      expect(await tft.balanceOf(circulating.address)).to.equal(CIRCULATING);
      expect(await tft.balanceOf(reserve.address)).to.equal(RESERVE);
      expect(await tft.circulatingAllocation()).to.equal(CIRCULATING);
      expect(await tft.reserveAllocation()).to.equal(RESERVE);
      expect(await tft.INITIAL_SUPPLY()).to.equal(INITIAL_SUPPLY);
      expect(await tft.SUPPLY_FLOOR()).to.equal(FLOOR);
      expect(await tft.name()).to.equal("TuringFog Token");
      expect(await tft.symbol()).to.equal("TFT");
    });

    it("has no mint function after deployment", async function () {
      const { tft } = await loadFixture(deployTft);
      const minting = tft.interface.fragments.filter((f) => f.type === "function" && /mint/i.test(f.format()));
      expect(minting.map((f) => f.format())).to.deep.equal([]);
    });

    it("reverts when the circulating recipient is the zero address", async function () {
      const [, reserve] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("TFT");
      await expect(factory.deploy(ethers.ZeroAddress, CIRCULATING, reserve.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("circulatingRecipient");
    });

    it("reverts when the reserve holder is the zero address", async function () {
      const [circulating] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("TFT");
      await expect(factory.deploy(circulating.address, CIRCULATING, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("reserveHolder");
    });

    it("reverts when the circulating allocation exceeds the nominal supply", async function () {
      const [circulating, reserve] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("TFT");
      await expect(factory.deploy(circulating.address, INITIAL_SUPPLY + 1n, reserve.address))
        .to.be.revertedWithCustomError(factory, "InvalidAllocation")
        .withArgs(INITIAL_SUPPLY + 1n, INITIAL_SUPPLY);
    });
  });

  describe("burn", function () {
    it("lowers the supply and what is burnable", async function () {
      const { tft, circulating } = await loadFixture(deployTft);
      await tft.connect(circulating).burn(TFT_UNIT);
      expect(await tft.totalSupply()).to.equal(INITIAL_SUPPLY - TFT_UNIT);
      expect(await tft.burnable()).to.equal(INITIAL_SUPPLY - TFT_UNIT - FLOOR);
    });

    it("burns down to exactly the floor", async function () {
      const { tft } = await loadFixture(burnToFloor);
      expect(await tft.totalSupply()).to.equal(FLOOR);
      expect(await tft.burnable()).to.equal(0n);
    });

    it("reverts when the burn would take supply below the floor", async function () {
      const { tft, circulating, reserve } = await loadFixture(deployTft);
      const burnable = INITIAL_SUPPLY - FLOOR;
      await tft.connect(reserve).transfer(circulating.address, RESERVE);
      await expect(tft.connect(circulating).burn(burnable + 1n))
        .to.be.revertedWithCustomError(tft, "BurnBelowFloor")
        .withArgs(burnable + 1n, burnable);
    });

    it("reverts on any burn once supply is at the floor", async function () {
      const { tft, circulating } = await loadFixture(burnToFloor);
      await expect(tft.connect(circulating).burn(1n))
        .to.be.revertedWithCustomError(tft, "BurnBelowFloor")
        .withArgs(1n, 0n);
    });
  });

  describe("burnFrom", function () {
    it("spends the allowance", async function () {
      const { tft, circulating, alice } = await loadFixture(deployTft);
      await tft.connect(circulating).approve(alice.address, 10n);
      await tft.connect(alice).burnFrom(circulating.address, 4n);
      expect(await tft.allowance(circulating.address, alice.address)).to.equal(6n);
      expect(await tft.totalSupply()).to.equal(INITIAL_SUPPLY - 4n);
    });

    it("reverts when the burn would take supply below the floor", async function () {
      const { tft, circulating, alice } = await loadFixture(burnToFloor);
      await tft.connect(circulating).approve(alice.address, 10n);
      await expect(tft.connect(alice).burnFrom(circulating.address, 1n))
        .to.be.revertedWithCustomError(tft, "BurnBelowFloor")
        .withArgs(1n, 0n);
    });

    it("reverts when the allowance is too low", async function () {
      const { tft, circulating, alice } = await loadFixture(deployTft);
      await expect(tft.connect(alice).burnFrom(circulating.address, 1n))
        .to.be.revertedWithCustomError(tft, "ERC20InsufficientAllowance")
        .withArgs(alice.address, 0n, 1n);
    });
  });

  describe("transfer", function () {
    it("still works at the floor", async function () {
      const { tft, circulating, alice } = await loadFixture(burnToFloor);
      await expect(tft.connect(circulating).transfer(alice.address, 5n)).to.changeTokenBalances(
        ethers,
        tft,
        [circulating, alice],
        [-5n, 5n],
      );
    });

    it("reverts when the receiver is the zero address", async function () {
      const { tft, circulating } = await loadFixture(deployTft);
      await expect(tft.connect(circulating).transfer(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(tft, "ERC20InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });
  });

  shouldBehaveLikePermit(async function () {
    const { tft, circulating, alice, bob } = await loadFixture(deployTft);
    return { token: tft, owner: circulating, spender: alice, stranger: bob, now: time.latest };
  });
});
