import { expect } from "chai";
import { network } from "hardhat";

import { shouldBehaveLikePermit } from "../shared/permit.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const GUT_UNIT = 10n ** 18n;
const CAP = 1_002_000_000n * GUT_UNIT;
const PREMINE = 50_100_000n * GUT_UNIT;
const ADMIN_DELAY = 2n * 24n * 3600n;

async function deployGut() {
  const [admin, treasury, minter, alice, bob] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [ADMIN_DELAY, admin.address, treasury.address]);
  await gut.connect(admin).grantRole(await gut.MINTER_ROLE(), minter.address);
  return { gut, admin, treasury, minter, alice, bob };
}

describe("GUT", function () {
  describe("constructor", function () {
    it("mints exactly the premine to the treasury", async function () {
      const { gut, treasury } = await loadFixture(deployGut);
      expect(await gut.balanceOf(treasury.address)).to.equal(PREMINE);
      expect(await gut.totalSupply()).to.equal(PREMINE);
      expect(await gut.totalMinted()).to.equal(PREMINE);
      expect(await gut.mintable()).to.equal(CAP - PREMINE);
      expect(await gut.treasury()).to.equal(treasury.address);
      expect(await gut.CAP()).to.equal(CAP);
      expect(await gut.PREMINE()).to.equal(PREMINE);
      expect(PREMINE * 20n).to.equal(CAP);
    });

    it("sets name, symbol and decimals", async function () {
      const { gut } = await loadFixture(deployGut);
      expect(await gut.name()).to.equal("GPUnion Token");
      expect(await gut.symbol()).to.equal("GUT");
      expect(await gut.decimals()).to.equal(18n);
    });

    it("reverts when the treasury is the zero address", async function () {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("GUT");
      await expect(factory.deploy(0n, admin.address, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("treasury");
    });

    it("reverts when the admin is the zero address", async function () {
      const [, treasury] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("GUT");
      await expect(factory.deploy(0n, ethers.ZeroAddress, treasury.address))
        .to.be.revertedWithCustomError(factory, "AccessControlInvalidDefaultAdmin")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("mint", function () {
    it("mints, counts toward the cap and emits Minted", async function () {
      const { gut, minter, alice } = await loadFixture(deployGut);
      const amount = 1_000n * GUT_UNIT;
      await expect(gut.connect(minter).mint(alice.address, amount))
        .to.emit(gut, "Minted")
        .withArgs(minter.address, alice.address, amount);
      expect(await gut.balanceOf(alice.address)).to.equal(amount);
      expect(await gut.totalMinted()).to.equal(PREMINE + amount);
      expect(await gut.mintable()).to.equal(CAP - PREMINE - amount);
    });

    it("mints up to exactly the cap", async function () {
      const { gut, minter, alice } = await loadFixture(deployGut);
      await gut.connect(minter).mint(alice.address, CAP - PREMINE);
      expect(await gut.totalSupply()).to.equal(CAP);
      expect(await gut.mintable()).to.equal(0n);
    });

    it("reverts when the amount exceeds what is left under the cap", async function () {
      const { gut, minter, alice } = await loadFixture(deployGut);
      const left = CAP - PREMINE;
      await expect(gut.connect(minter).mint(alice.address, left + 1n))
        .to.be.revertedWithCustomError(gut, "CapExceeded")
        .withArgs(left + 1n, left);
    });

    it("reverts when burned supply would be minted again", async function () {
      const { gut, minter, alice } = await loadFixture(deployGut);
      await gut.connect(minter).mint(alice.address, CAP - PREMINE);
      await gut.connect(alice).burn(GUT_UNIT);
      await expect(gut.connect(minter).mint(alice.address, GUT_UNIT))
        .to.be.revertedWithCustomError(gut, "CapExceeded")
        .withArgs(GUT_UNIT, 0n);
    });

    it("reverts when the caller lacks MINTER_ROLE", async function () {
      const { gut, alice } = await loadFixture(deployGut);
      await expect(gut.connect(alice).mint(alice.address, 1n))
        .to.be.revertedWithCustomError(gut, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await gut.MINTER_ROLE());
    });

    it("reverts when the receiver is the zero address", async function () {
      const { gut, minter } = await loadFixture(deployGut);
      await expect(gut.connect(minter).mint(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(gut, "ERC20InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("transfer", function () {
    it("moves tokens", async function () {
      const { gut, treasury, alice } = await loadFixture(deployGut);
      await expect(gut.connect(treasury).transfer(alice.address, 5n)).to.changeTokenBalances(
        ethers,
        gut,
        [treasury, alice],
        [-5n, 5n],
      );
    });

    it("reverts when the receiver is the zero address", async function () {
      const { gut, treasury } = await loadFixture(deployGut);
      await expect(gut.connect(treasury).transfer(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(gut, "ERC20InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });

    it("reverts when the balance is too low", async function () {
      const { gut, alice, bob } = await loadFixture(deployGut);
      await expect(gut.connect(alice).transfer(bob.address, 1n))
        .to.be.revertedWithCustomError(gut, "ERC20InsufficientBalance")
        .withArgs(alice.address, 0n, 1n);
    });
  });

  describe("burn and burnFrom", function () {
    it("burn lowers the supply but not totalMinted", async function () {
      const { gut, treasury } = await loadFixture(deployGut);
      await gut.connect(treasury).burn(GUT_UNIT);
      expect(await gut.totalSupply()).to.equal(PREMINE - GUT_UNIT);
      expect(await gut.totalMinted()).to.equal(PREMINE);
    });

    it("burnFrom spends the allowance", async function () {
      const { gut, treasury, alice } = await loadFixture(deployGut);
      await gut.connect(treasury).approve(alice.address, 3n);
      await gut.connect(alice).burnFrom(treasury.address, 2n);
      expect(await gut.allowance(treasury.address, alice.address)).to.equal(1n);
    });

    it("burnFrom reverts when the allowance is too low", async function () {
      const { gut, treasury, alice } = await loadFixture(deployGut);
      await expect(gut.connect(alice).burnFrom(treasury.address, 1n))
        .to.be.revertedWithCustomError(gut, "ERC20InsufficientAllowance")
        .withArgs(alice.address, 0n, 1n);
    });
  });

  shouldBehaveLikePermit(async function () {
    const { gut, treasury, alice, bob } = await loadFixture(deployGut);
    return { token: gut, owner: treasury, spender: alice, stranger: bob, now: time.latest };
  });

  describe("default admin transfer", function () {
    it("hands the admin over in two steps after the delay", async function () {
      const { gut, admin, alice } = await loadFixture(deployGut);
      await gut.connect(admin).beginDefaultAdminTransfer(alice.address);
      await time.increase(ADMIN_DELAY + 1n);
      await gut.connect(alice).acceptDefaultAdminTransfer();
      expect(await gut.defaultAdmin()).to.equal(alice.address);
      expect(await gut.hasRole(await gut.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(false);
    });

    it("reverts when the new admin accepts before the delay", async function () {
      const { gut, admin, alice } = await loadFixture(deployGut);
      await gut.connect(admin).beginDefaultAdminTransfer(alice.address);
      const [, schedule] = await gut.pendingDefaultAdmin();
      await expect(gut.connect(alice).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(gut, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
    });

    it("reverts when someone other than the pending admin accepts", async function () {
      const { gut, admin, alice, bob } = await loadFixture(deployGut);
      await gut.connect(admin).beginDefaultAdminTransfer(alice.address);
      await expect(gut.connect(bob).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(gut, "AccessControlInvalidDefaultAdmin")
        .withArgs(bob.address);
    });

    it("reverts when the admin role is granted directly", async function () {
      const { gut, admin, alice } = await loadFixture(deployGut);
      await expect(
        gut.connect(admin).grantRole(await gut.DEFAULT_ADMIN_ROLE(), alice.address),
      ).to.be.revertedWithCustomError(gut, "AccessControlEnforcedDefaultAdminRules");
    });

    it("reverts when a non-admin grants MINTER_ROLE", async function () {
      const { gut, alice } = await loadFixture(deployGut);
      await expect(gut.connect(alice).grantRole(await gut.MINTER_ROLE(), alice.address))
        .to.be.revertedWithCustomError(gut, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await gut.DEFAULT_ADMIN_ROLE());
    });
  });
});
