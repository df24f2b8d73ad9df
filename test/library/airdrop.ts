import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import { expect } from "chai";
import hre, { network } from "hardhat";

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import TokenSwapModule from "../../deploy/modules/TokenSwap.js";
import { buildAirdrop } from "../../src/airdrop/build.js";
import { claimAirdrop } from "../../src/airdrop/claim.js";
import { verifyAirdrop } from "../../src/airdrop/verify.js";
import { InputError } from "../../src/errors.js";
import { GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { DEFAULT_LEGACY_MAGIC } from "../../src/airdrop/legacy/message.js";

const connection = await network.create();
const { ethers, networkHelpers, ignition } = connection;
const { loadFixture, time } = networkHelpers;

const DAY = 24n * 3600n;
const dir = mkdtempSync(path.join(tmpdir(), "gpufog-airdrop-"));

/** A snapshot of eight signers, built into an airdrop directory, deployed on `on` (this file's network). */
async function deployAirdrop(on: Pick<typeof connection, "ethers" | "networkHelpers"> = connection) {
  const { ethers, networkHelpers } = on;
  const { time } = networkHelpers;
  const signers = await ethers.getSigners();
  const [admin, relayer] = signers;
  const holders = signers.slice(2, 10).sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  const csv = path.join(dir, "snapshot.csv");
  writeFileSync(csv, "address,amount\n" + holders.map((h, i) => `${h.address},${(i + 1) * 10 ** 6}\n`).join(""));
  const out = mkdtempSync(path.join(dir, "airdrop-"));
  const { manifest } = await buildAirdrop(csv, out);
  const gut = await ethers.deployContract("GUT", [0n, admin!.address, admin!.address]);
  await gut.grantRole(await gut.MINTER_ROLE(), admin!.address);
  const start = BigInt(await time.latest()) + DAY;
  const config = {
    token: await gut.getAddress(),
    merkleRoot: manifest.root,
    total: BigInt(manifest.total),
    start,
    deadline: start + 30n * DAY,
    sweepTarget: admin!.address,
    topNodes: manifest.topNodes,
    legacyMagic: DEFAULT_LEGACY_MAGIC,
    legacyVersion: GUT_P2PKH_VERSION,
  };
  const distributor = await ethers.deployContract("TokenSwapDistributor", [config, 0n, admin!.address]);
  await gut.mint(await distributor.getAddress(), config.total);
  return { gut, distributor, out, manifest, holders, relayer: relayer!, config, admin: admin! };
}

const deployOpenAirdrop = () => deployAirdrop();

describe("airdrop tooling", function () {
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("the TokenSwap Ignition module", function () {
    it("deploys the distributor from the manifest, funded and open, and the files verify against it", async function () {
      const { out, manifest } = await loadFixture(deployOpenAirdrop);
      const start = BigInt(await time.latest());
      const { distributor, gut } = await ignition.deploy(TokenSwapModule, {
        parameters: {
          TokenSwap: {
            merkleRoot: manifest.root,
            total: BigInt(manifest.total),
            start,
            deadline: start + 30n * DAY,
            topNodes: manifest.topNodes,
          },
        },
      });
      const address = await distributor.getAddress();
      expect(await distributor.getFunction("activated")()).to.equal(true);
      expect(await distributor.getFunction("legacyMagic")()).to.equal(DEFAULT_LEGACY_MAGIC);
      expect(await distributor.getFunction("legacyAddressVersion")()).to.equal(BigInt(GUT_P2PKH_VERSION));
      expect(await gut.getFunction("balanceOf")(address)).to.equal(BigInt(manifest.total));
      const result = await verifyAirdrop(out, address, ethers.provider, 4);
      expect(result.ok).to.equal(true);
    });
  });

  describe("the compact layout against the contract", function () {
    it("derives proofs the distributor accepts for random holders of a 12,000-holder airdrop", async function () {
      const [admin] = await ethers.getSigners();
      const count = 12_000;
      const holders = Array.from({ length: count }, (_, i) => ethers.getAddress(ethers.id(`holder ${i}`).slice(0, 42)));
      holders.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
      const csv = path.join(dir, "big.csv");
      writeFileSync(csv, "address,amount\n" + holders.map((h, i) => `${h},${(i + 1) * 10 ** 9}\n`).join(""));
      const out = path.join(dir, "big");
      const { manifest } = await buildAirdrop(csv, out);
      expect(manifest.shards.depth).to.equal(2);
      const gut = await ethers.deployContract("GUT", [0n, admin!.address, admin!.address]);
      await gut.grantRole(await gut.MINTER_ROLE(), admin!.address);
      const start = BigInt(await time.latest()) + 10n;
      const config = {
        token: await gut.getAddress(),
        merkleRoot: manifest.root,
        total: BigInt(manifest.total),
        start,
        deadline: start + 30n * DAY,
        sweepTarget: admin!.address,
        topNodes: manifest.topNodes,
        legacyMagic: DEFAULT_LEGACY_MAGIC,
        legacyVersion: GUT_P2PKH_VERSION,
      };
      const distributor = await ethers.deployContract("TokenSwapDistributor", [config, 0n, admin!.address]);
      await gut.mint(await distributor.getAddress(), config.total);
      await time.increaseTo(start);
      const { findClaims } = await import("../../src/airdrop/directory.js");
      for (let k = 0; k < 12; k++) {
        const i = (k * 7919 + 13) % count;
        const [claim] = await findClaims(out, holders[i]!);
        expect(claim!.index).to.equal(i);
        await distributor.getFunction("claim").staticCall(claim!.index, claim!.holder, claim!.amount, claim!.proof);
      }
    });
  });

  describe("verifyAirdrop", function () {
    it("passes an airdrop against its distributor, by eth_call once the window is open", async function () {
      const { distributor, out, config } = await loadFixture(deployOpenAirdrop);
      const address = await distributor.getAddress();
      const before = await verifyAirdrop(out, address, ethers.provider, 5);
      expect(before.ok).to.equal(true);
      expect(before.checks.at(-1)!.detail).to.match(/^locally only/);
      await time.increaseTo(config.start);
      const after = await verifyAirdrop(out, address, ethers.provider, 5);
      expect(after.ok).to.equal(true);
      const proofs = after.checks.filter((c) => c.what.startsWith("proof of index"));
      expect(proofs.length).to.be.greaterThan(0);
      for (const c of proofs) expect(c.detail).to.equal("local ok; eth_call ok");
      // Eight holders of 1..8 million wei: amounts in GUT, not raw wei.
      const detail = (what: string) => after.checks.find((c) => c.what === what)?.detail;
      expect(detail("contract total = manifest total")).to.equal("0.000000000036 GUT");
      expect(detail("funded")).to.equal("holds 0.000000000036 GUT of 0.000000000036 GUT");
    });

    it("fails a distributor with another root, and an unfunded one", async function () {
      const { distributor, out, config, admin, gut } = await loadFixture(deployOpenAirdrop);
      const other = await ethers.deployContract("TokenSwapDistributor", [
        { ...config, merkleRoot: ethers.id("another tree"), topNodes: [] },
        0n,
        admin.address,
      ]);
      const result = await verifyAirdrop(out, await other.getAddress(), ethers.provider, 3);
      expect(result.ok).to.equal(false);
      const failed = result.checks.filter((c) => !c.ok).map((c) => c.what);
      expect(failed).to.include.members(["contract root = manifest root", "funded"]);
      expect(await gut.balanceOf(await distributor.getAddress())).to.equal(config.total);
    });

    it("refuses an address that is not a distributor", async function () {
      const { out, admin } = await loadFixture(deployOpenAirdrop);
      let error: unknown;
      await verifyAirdrop(out, admin.address, ethers.provider).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(InputError);
      expect((error as InputError).message).to.match(/is not a TokenSwapDistributor on this network/);
    });
  });

  describe("claimAirdrop", function () {
    it("claims for an account from the shards, sent by someone else, and skips it the second time", async function () {
      const { distributor, gut, out, holders, relayer, config } = await loadFixture(deployOpenAirdrop);
      await time.increaseTo(config.start);
      const holder = holders[3]!;
      const { token, outcomes } = await claimAirdrop(out, await distributor.getAddress(), holder.address, relayer);
      const [outcome] = outcomes;
      expect(token).to.deep.equal({ symbol: "GUT", decimals: 18 });
      expect(outcome!.status).to.equal("claimed");
      expect(await gut.balanceOf(holder.address)).to.equal(BigInt(outcome!.claim.amount));
      expect(await gut.balanceOf(relayer.address)).to.equal(0n);
      const [again] = (await claimAirdrop(out, await distributor.getAddress(), holder.address, relayer)).outcomes;
      expect(again!.status).to.equal("already claimed");
    });

    it("refuses an account that is not in the airdrop", async function () {
      const { distributor, out, relayer } = await loadFixture(deployOpenAirdrop);
      let error: unknown;
      await claimAirdrop(out, await distributor.getAddress(), relayer.address, relayer).catch(
        (e: unknown) => (error = e),
      );
      expect((error as InputError).message).to.equal(
        `${out}, field "account": ${relayer.address} has no EVM claim in this airdrop`,
      );
    });

    it("refuses an address that is not a distributor, and sends nothing", async function () {
      const { out, holders, relayer } = await loadFixture(deployOpenAirdrop);
      const nonce = await ethers.provider.getTransactionCount(relayer.address);
      let error: unknown;
      await claimAirdrop(out, holders[0]!.address, holders[3]!.address, relayer).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(InputError);
      expect((error as InputError).message).to.match(
        new RegExp(`field "distributor": ${holders[0]!.address} is not a TokenSwapDistributor on this network`),
      );
      expect(await ethers.provider.getTransactionCount(relayer.address)).to.equal(nonce);
    });
  });

  describe("airdrop:claim", function () {
    it("prints each claimed amount in the distributor's token, with its decimals and symbol", async function () {
      // The task signs on the network's shared connection, so the airdrop is deployed there.
      const shared = await hre.network.getOrCreate();
      const { distributor, out, holders, config } = await deployAirdrop(shared);
      await shared.networkHelpers.time.increaseTo(config.start);
      const holder = holders[1]!;
      const printed: string[] = [];
      const log = console.log;
      console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
      try {
        await hre.tasks
          .getTask("airdrop:claim")
          .run({ airdrop: out, distributor: await distributor.getAddress(), account: holder.address });
      } finally {
        console.log = log;
      }
      // The second holder's leaf: 2,000,000 wei of an 18-decimal GUT.
      expect(printed.join("\n")).to.match(
        new RegExp(`^index \\d+: 0\\.000000000002 GUT to ${holder.address} — claimed \\(tx 0x[0-9a-f]{64}\\)$`),
      );
    });

    it("prints the amounts of a refusal in the distributor's token", async function () {
      const shared = await hre.network.getOrCreate();
      const { out, holders, config, admin } = await deployAirdrop(shared);
      // The same airdrop on a distributor that was never funded: every claim reverts Underfunded.
      const unfunded = await shared.ethers.deployContract("TokenSwapDistributor", [config, 0n, admin.address]);
      await shared.networkHelpers.time.increaseTo(config.start);
      let error: unknown;
      await hre.tasks
        .getTask("airdrop:claim")
        .run({ airdrop: out, distributor: await unfunded.getAddress(), account: holders[1]!.address })
        .catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(HardhatPluginError);
      // The eight leaves add up to 36,000,000 wei.
      expect((error as Error).message).to.equal(
        "airdrop:claim: the contract refused: Underfunded: balance 0.0 GUT, total 0.000000000036 GUT",
      );
    });
  });
});
