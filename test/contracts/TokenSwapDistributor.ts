import { expect } from "chai";
import { network } from "hardhat";

import { randomBytes } from "node:crypto";

import { AbiCoder, concat, getAddress, hexlify, keccak256 } from "ethers";

import { GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { DEFAULT_LEGACY_MAGIC } from "../../src/airdrop/legacy/message.js";
import { LeafKind, type LeafEntry } from "../../src/airdrop/merkle/proof.js";
import { TOP_DEPTH } from "../../src/airdrop/merkle/top-level.js";
import { buildTree, type AirdropTree } from "../../src/airdrop/merkle/tree.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const UNIT = 10n ** 18n;
const DAY = 24n * 3600n;
const ADMIN_DELAY = 2n * DAY;
/** The most nodes the distributor keeps, from the depth the contract is generated with. */
const MAX_TOP_NODES = 2 ** TOP_DEPTH;

function randomHolder(): string {
  return getAddress(hexlify(randomBytes(20)));
}

/** Deploys GUT and a distributor over `entries`, funds it unless told not to, opens the window. */
async function deployOver(entries: LeafEntry[], options: { fund?: boolean; burn?: boolean } = {}) {
  const [admin, treasury, stranger] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, treasury.address]);
  await gut.grantRole(await gut.MINTER_ROLE(), admin.address);
  const tree = await buildTree(entries, { threads: 1 });
  const start = BigInt(await time.latest()) + DAY;
  const deadline = start + 30n * DAY;
  const config = {
    token: await gut.getAddress(),
    merkleRoot: tree.root,
    total: tree.total,
    start,
    deadline,
    sweepTarget: options.burn ? ethers.ZeroAddress : treasury.address,
    topNodes: tree.topNodes,
    legacyMagic: DEFAULT_LEGACY_MAGIC,
    legacyVersion: GUT_P2PKH_VERSION,
  };
  const distributor = await ethers.deployContract("TokenSwapDistributor", [config, ADMIN_DELAY, admin.address]);
  if (options.fund !== false) await gut.mint(await distributor.getAddress(), tree.total);
  return { gut, distributor, tree, config, admin, treasury, stranger };
}

async function holdersOf(count: number): Promise<LeafEntry[]> {
  const signers = await ethers.getSigners();
  return Array.from({ length: count }, (_, i) => ({
    kind: LeafKind.Evm,
    holder: i < 5 ? signers[5 + i]!.address : randomHolder(),
    amount: BigInt(i + 1) * 1_000n * UNIT,
  }));
}

async function deployTenHolders() {
  const deployed = await deployOver(await holdersOf(10));
  await time.increaseTo(deployed.config.start);
  return deployed;
}

async function deployTenHoldersBeforeStart() {
  return deployOver(await holdersOf(10));
}

async function deployUnfunded() {
  const deployed = await deployOver(await holdersOf(10), { fund: false });
  await time.increaseTo(deployed.config.start);
  return deployed;
}

async function deployBurning() {
  const deployed = await deployOver(await holdersOf(10), { burn: true });
  await time.increaseTo(deployed.config.start);
  return deployed;
}

/** 300 holders so indices span two bitmap words; one of them is a legacy (kind 1) leaf. */
async function deployWideMixed() {
  const entries = await holdersOf(300);
  entries[7] = { kind: LeafKind.Legacy, holder: randomHolder(), amount: 5n * UNIT };
  const deployed = await deployOver(entries);
  await time.increaseTo(deployed.config.start);
  return deployed;
}

async function deploySingleHolder() {
  const deployed = await deployOver([{ kind: LeafKind.Evm, holder: randomHolder(), amount: 7n * UNIT }]);
  await time.increaseTo(deployed.config.start);
  return deployed;
}

function args(tree: AirdropTree, index: number) {
  const entry = tree.entries[index]!;
  return [index, entry.holder, entry.amount, tree.shortProof(index)] as const;
}

describe("TokenSwapDistributor", function () {
  describe("constructor", function () {
    it("stores the configuration and gives the admin both roles", async function () {
      const { distributor, config, admin } = await loadFixture(deployTenHoldersBeforeStart);
      expect(await distributor.token()).to.equal(config.token);
      expect(await distributor.merkleRoot()).to.equal(config.merkleRoot);
      expect(await distributor.total()).to.equal(config.total);
      expect(await distributor.start()).to.equal(config.start);
      expect(await distributor.deadline()).to.equal(config.deadline);
      expect(await distributor.sweepTarget()).to.equal(config.sweepTarget);
      expect(await distributor.activated()).to.equal(false);
      expect(await distributor.topNodes()).to.deep.equal(config.topNodes);
      expect(config.topNodes).to.have.length(8);
      expect(await distributor.KIND_EVM()).to.equal(0n);
      expect(await distributor.KIND_LEGACY()).to.equal(1n);
      expect(await distributor.hasRole(await distributor.PAUSER_ROLE(), admin.address)).to.equal(true);
      expect(await distributor.defaultAdmin()).to.equal(admin.address);
    });

    it("reverts when the root is zero", async function () {
      const { config, admin } = await loadFixture(deployTenHoldersBeforeStart);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      await expect(
        factory.deploy({ ...config, merkleRoot: ethers.ZeroHash }, ADMIN_DELAY, admin.address),
      ).to.be.revertedWithCustomError(factory, "ZeroRoot");
    });

    it("keeps the root alone when given no top nodes", async function () {
      const { config, admin } = await loadFixture(deployTenHoldersBeforeStart);
      const distributor = await ethers.deployContract("TokenSwapDistributor", [
        { ...config, topNodes: [] },
        ADMIN_DELAY,
        admin.address,
      ]);
      expect(await distributor.topNodes()).to.deep.equal([config.merkleRoot]);
    });

    it("reverts when the top nodes do not hash to the root", async function () {
      const { config, admin, tree } = await loadFixture(deployTenHoldersBeforeStart);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      const level2 = [3, 4, 5, 6].map((i) => tree.node(i));
      await factory.deploy({ ...config, topNodes: level2 }, ADMIN_DELAY, admin.address);
      const wrong = [...level2.slice(0, 3), tree.node(7)];
      const [a, b] = [tree.node(5), tree.node(7)].sort();
      const [c, d] = [tree.node(1), keccak256(concat([a!, b!]))].sort();
      await expect(factory.deploy({ ...config, topNodes: wrong }, ADMIN_DELAY, admin.address))
        .to.be.revertedWithCustomError(factory, "InvalidTopNodes")
        .withArgs(4, keccak256(concat([c!, d!])));
    });

    // A power of two above MAX_TOP_NODES is refused too, but no deployment can bring one: twice
    // the level is 16 KB of arguments, which the 49,152-byte limit of init code leaves no room for.
    it("reverts when the number of top nodes is not a power of two", async function () {
      const { config, admin, tree } = await loadFixture(deployTenHoldersBeforeStart);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      for (const count of [3, MAX_TOP_NODES - 1]) {
        const nodes = Array.from({ length: count }, (_, i) => tree.node(i % 7));
        await expect(factory.deploy({ ...config, topNodes: nodes }, ADMIN_DELAY, admin.address))
          .to.be.revertedWithCustomError(factory, "InvalidTopNodes")
          .withArgs(count, ethers.ZeroHash);
      }
    });

    it("reverts when the total is zero", async function () {
      const { config, admin } = await loadFixture(deployTenHoldersBeforeStart);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      await expect(factory.deploy({ ...config, total: 0n }, ADMIN_DELAY, admin.address)).to.be.revertedWithCustomError(
        factory,
        "ZeroTotal",
      );
    });

    it("reverts when the token is the zero address", async function () {
      const { config, admin } = await loadFixture(deployTenHoldersBeforeStart);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      await expect(factory.deploy({ ...config, token: ethers.ZeroAddress }, ADMIN_DELAY, admin.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("token");
    });

    it("reverts when the deadline is not after the start", async function () {
      const { config, admin } = await loadFixture(deployTenHoldersBeforeStart);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      await expect(factory.deploy({ ...config, deadline: config.start }, ADMIN_DELAY, admin.address))
        .to.be.revertedWithCustomError(factory, "InvalidWindow")
        .withArgs(config.start, config.start);
    });
  });

  describe("activate", function () {
    it("opens once the distributor holds the total, and only once", async function () {
      const { distributor, stranger, tree } = await loadFixture(deployTenHolders);
      await expect(distributor.connect(stranger).activate())
        .to.emit(distributor, "Activated")
        .withArgs(stranger.address, tree.total);
      expect(await distributor.activated()).to.equal(true);
      await expect(distributor.activate()).to.not.emit(distributor, "Activated");
    });

    it("reverts when the distributor holds less than the total", async function () {
      const { distributor, gut, tree } = await loadFixture(deployUnfunded);
      await gut.mint(await distributor.getAddress(), tree.total - 1n);
      await expect(distributor.activate())
        .to.be.revertedWithCustomError(distributor, "Underfunded")
        .withArgs(tree.total - 1n, tree.total);
    });
  });

  describe("claim", function () {
    it("logs Claimed(index, account, amount) with the index and the account indexed, as Uniswap's distributor names it", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      const [index, account, amount, proof] = args(tree, 5);
      const [other, otherAccount, otherAmount, otherProof] = args(tree, 6);
      await distributor.claim(other, otherAccount, otherAmount, otherProof);
      const receipt = await (await distributor.claim(index, account, amount, proof)).wait();
      const log = receipt!.logs.find((entry) => entry.address === distributor.target)!;
      expect(log.topics).to.deep.equal([
        distributor.interface.getEvent("Claimed")!.topicHash,
        ethers.toBeHex(index, 32),
        ethers.zeroPadValue(account, 32),
      ]);
      const fields = ({ args }: { args: { index: bigint; account: string; amount: bigint } }) => [
        args.index,
        args.account,
        args.amount,
      ];
      const byAccount = await distributor.queryFilter(distributor.filters.Claimed(undefined, account));
      expect(byAccount.map(fields)).to.deep.equal([[BigInt(index), account, amount]]);
      const byIndex = await distributor.queryFilter(distributor.filters.Claimed(other));
      expect(byIndex.map(fields)).to.deep.equal([[BigInt(other), otherAccount, otherAmount]]);
    });

    it("pays the leaf's account, marks the index and emits Claimed", async function () {
      const { distributor, gut, tree } = await loadFixture(deployTenHolders);
      const [index, account, amount, proof] = args(tree, 3);
      expect(await distributor.isClaimed(index)).to.equal(false);
      await expect(distributor.claim(index, account, amount, proof))
        .to.emit(distributor, "Claimed")
        .withArgs(index, account, amount);
      expect(await gut.balanceOf(account)).to.equal(amount);
      expect(await distributor.isClaimed(index)).to.equal(true);
      expect(await distributor.isClaimed(index + 1)).to.equal(false);
    });

    it("accepts the full proof up to the root as well as the short one, nothing in between", async function () {
      const { distributor, gut, tree } = await loadFixture(deployTenHolders);
      const [index, account, amount] = args(tree, 6);
      expect(tree.proof(index).length).to.equal(tree.shortProof(index).length + 3);
      await distributor.claim(index, account, amount, tree.proof(index));
      expect(await gut.balanceOf(account)).to.equal(amount);
      const [other, account2, amount2] = args(tree, 8);
      const toLevelOne = tree.proof(other).slice(0, -1);
      await expect(distributor.claim(other, account2, amount2, toLevelOne))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(other, account2, amount2);
    });

    it("pays every holder of a tree deep enough for the whole kept level on its short proof", async function () {
      const { distributor, gut, tree, config } = await deployOver(await holdersOf(MAX_TOP_NODES + 2));
      await time.increaseTo(config.start);
      expect(await distributor.TOP_DEPTH()).to.equal(BigInt(TOP_DEPTH));
      expect(await distributor.MAX_TOP_NODES()).to.equal(BigInt(MAX_TOP_NODES));
      expect(config.topNodes).to.have.length(MAX_TOP_NODES);
      expect(await distributor.topNodes()).to.deep.equal(config.topNodes);
      for (let i = 0; i < tree.count; i++) {
        const [index, account, amount, proof] = args(tree, i);
        await distributor.claim(index, account, amount, proof);
        expect(await gut.balanceOf(account)).to.equal(amount);
      }
      expect(await gut.balanceOf(await distributor.getAddress())).to.equal(0n);
    });

    it("activates on the first claim", async function () {
      const { distributor, tree, stranger } = await loadFixture(deployTenHolders);
      await expect(distributor.connect(stranger).claim(...args(tree, 0)))
        .to.emit(distributor, "Activated")
        .withArgs(stranger.address, tree.total);
      await expect(distributor.claim(...args(tree, 1))).to.not.emit(distributor, "Activated");
    });

    it("sends the tokens to the leaf's account when someone else submits it", async function () {
      const { distributor, gut, tree, stranger } = await loadFixture(deployTenHolders);
      const [index, account, amount, proof] = args(tree, 2);
      await distributor.connect(stranger).claim(index, account, amount, proof);
      expect(await gut.balanceOf(account)).to.equal(amount);
      expect(await gut.balanceOf(stranger.address)).to.equal(0n);
    });

    it("pays every holder exactly the tree total", async function () {
      const { distributor, gut, tree } = await loadFixture(deployTenHolders);
      for (let i = 0; i < tree.count; i++) await distributor.claim(...args(tree, i));
      expect(await gut.balanceOf(await distributor.getAddress())).to.equal(0n);
      for (const entry of tree.entries) expect(await gut.balanceOf(entry.holder)).to.equal(entry.amount);
    });

    it("pays a one-holder tree with an empty proof", async function () {
      const { distributor, gut, tree } = await loadFixture(deploySingleHolder);
      const [index, account, amount] = args(tree, 0);
      await distributor.claim(index, account, amount, []);
      expect(await gut.balanceOf(account)).to.equal(amount);
    });

    it("keeps indices in different bitmap words apart", async function () {
      const { distributor, tree } = await loadFixture(deployWideMixed);
      await distributor.claim(...args(tree, 256));
      expect(await distributor.isClaimed(256)).to.equal(true);
      expect(await distributor.isClaimed(0)).to.equal(false);
      expect(await distributor.isClaimed(255)).to.equal(false);
      await distributor.claim(...args(tree, 255));
      expect(await distributor.isClaimed(255)).to.equal(true);
      expect(await distributor.isClaimed(257)).to.equal(false);
    });

    it("reverts when the index was already claimed", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      await distributor.claim(...args(tree, 4));
      await expect(distributor.claim(...args(tree, 4)))
        .to.be.revertedWithCustomError(distributor, "AlreadyClaimed")
        .withArgs(4);
    });

    it("reverts when the amount is wrong", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      const [index, account, amount, proof] = args(tree, 5);
      await expect(distributor.claim(index, account, amount + 1n, proof))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, account, amount + 1n);
    });

    it("reverts when the index is wrong", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      const [, account, amount, proof] = args(tree, 5);
      await expect(distributor.claim(6, account, amount, proof))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(6, account, amount);
    });

    it("reverts when the account is not the leaf's", async function () {
      const { distributor, tree, stranger } = await loadFixture(deployTenHolders);
      const [index, , amount, proof] = args(tree, 5);
      await expect(distributor.claim(index, stranger.address, amount, proof))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, stranger.address, amount);
    });

    it("reverts when the proof is empty", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      // Leaves on the kept level itself prove with an empty proof; this one is deeper.
      const deep = tree.entries.findIndex((_, i) => tree.shortProof(i).length > 0);
      const [index, account, amount] = args(tree, deep);
      await expect(distributor.claim(index, account, amount, []))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, account, amount);
    });

    it("reverts when an inner node is presented as a leaf", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      // Node 1 is an inner node; its children's 64 bytes are the preimage a second-preimage
      // attack would pass off as a leaf. Its own proof (node 2) does lead to the root.
      const [low, high] = [tree.node(3), tree.node(4)].sort();
      expect(keccak256(concat([low!, high!]))).to.equal(tree.node(1));
      const index = BigInt(low!);
      const account = ethers.getAddress("0x" + high!.slice(-40));
      const amount = BigInt(high!);
      await expect(distributor.claim(index, account, amount, [tree.node(2)]))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, account, amount);
    });

    it("reverts when the proof comes from another tree", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      const other = await buildTree([...tree.entries.slice(0, 9), { ...tree.entries[9]!, amount: 1n }], { threads: 1 });
      expect(other.root).to.not.equal(tree.root);
      const [index, account, amount] = args(tree, 0);
      const foreign = other.proof(0);
      expect(foreign).to.not.deep.equal(tree.proof(0));
      await expect(distributor.claim(index, account, amount, foreign))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, account, amount);
    });

    it("reverts when the leaf is a legacy (kind 1) leaf", async function () {
      const { distributor, tree } = await loadFixture(deployWideMixed);
      const [index, holder, amount, proof] = args(tree, 7);
      await expect(distributor.claim(index, holder, amount, proof))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, holder, amount);
    });

    it("reverts before the start", async function () {
      const { distributor, tree, config } = await loadFixture(deployTenHoldersBeforeStart);
      await expect(distributor.claim(...args(tree, 0)))
        .to.be.revertedWithCustomError(distributor, "NotStarted")
        .withArgs(config.start);
    });

    it("reverts at and after the deadline", async function () {
      const { distributor, tree, config } = await loadFixture(deployTenHolders);
      await time.setNextBlockTimestamp(config.deadline);
      await expect(distributor.claim(...args(tree, 0)))
        .to.be.revertedWithCustomError(distributor, "DeadlinePassed")
        .withArgs(config.deadline);
    });

    it("accepts a claim in the last second of the window", async function () {
      const { distributor, tree, config } = await loadFixture(deployTenHolders);
      await time.setNextBlockTimestamp(config.deadline - 1n);
      await expect(distributor.claim(...args(tree, 0))).to.emit(distributor, "Claimed");
    });

    it("reverts while paused, and pays again once unpaused", async function () {
      const { distributor, tree } = await loadFixture(deployTenHolders);
      await distributor.pause();
      await expect(distributor.claim(...args(tree, 0))).to.be.revertedWithCustomError(distributor, "EnforcedPause");
      await distributor.unpause();
      await expect(distributor.claim(...args(tree, 0))).to.emit(distributor, "Claimed");
    });

    it("reverts while the distributor holds less than the total", async function () {
      const { distributor, tree } = await loadFixture(deployUnfunded);
      await expect(distributor.claim(...args(tree, 0)))
        .to.be.revertedWithCustomError(distributor, "Underfunded")
        .withArgs(0n, tree.total);
    });
  });

  describe("sweep", function () {
    it("reverts before the deadline", async function () {
      const { distributor, config } = await loadFixture(deployTenHolders);
      await time.setNextBlockTimestamp(config.deadline - 1n);
      await expect(distributor.sweep())
        .to.be.revertedWithCustomError(distributor, "DeadlineNotReached")
        .withArgs(config.deadline);
    });

    it("sends what is left to the target after the deadline, even while paused", async function () {
      const { distributor, gut, tree, treasury, stranger } = await loadFixture(deployTenHolders);
      await distributor.claim(...args(tree, 9));
      await distributor.pause();
      await time.increaseTo(await distributor.deadline());
      const left = tree.total - tree.entries[9]!.amount;
      const before = await gut.balanceOf(treasury.address);
      await expect(distributor.connect(stranger).sweep())
        .to.emit(distributor, "Swept")
        .withArgs(treasury.address, left);
      expect(await gut.balanceOf(treasury.address)).to.equal(before + left);
      expect(await gut.balanceOf(await distributor.getAddress())).to.equal(0n);
    });

    it("burns what is left when the target is the zero address", async function () {
      const { distributor, gut, tree } = await loadFixture(deployBurning);
      await time.increaseTo(await distributor.deadline());
      const supply = await gut.totalSupply();
      await expect(distributor.sweep()).to.emit(distributor, "Swept").withArgs(ethers.ZeroAddress, tree.total);
      expect(await gut.totalSupply()).to.equal(supply - tree.total);
    });

    it("reverts when nothing is left", async function () {
      const { distributor } = await loadFixture(deployUnfunded);
      await time.increaseTo(await distributor.deadline());
      await expect(distributor.sweep()).to.be.revertedWithCustomError(distributor, "NothingToSweep");
    });
  });

  describe("pause", function () {
    it("reverts when the caller lacks PAUSER_ROLE", async function () {
      const { distributor, stranger } = await loadFixture(deployTenHolders);
      const role = await distributor.PAUSER_ROLE();
      await expect(distributor.connect(stranger).pause())
        .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await distributor.pause();
      await expect(distributor.connect(stranger).unpause())
        .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
    });
  });

  describe("leaf format", function () {
    it("hashes leaves as keccak256(keccak256(abi.encode(index, kind, holder, amount)))", async function () {
      const { tree } = await loadFixture(deployWideMixed);
      for (const index of [0, 7, 299]) {
        const { kind, holder, amount } = tree.entries[index]!;
        const inner = keccak256(
          AbiCoder.defaultAbiCoder().encode(["uint256", "uint8", "address", "uint256"], [index, kind, holder, amount]),
        );
        expect(tree.leaf(index)).to.equal(keccak256(inner));
      }
    });
  });
});
