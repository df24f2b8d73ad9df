import { expect } from "chai";
import hre, { network } from "hardhat";

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hexlify } from "ethers";

import { buildAirdrop } from "../../src/airdrop/build.js";
import { InputError } from "../../src/errors.js";
import { claimLegacyAirdrop, planLegacyClaim, type LegacyClaimRequest } from "../../src/airdrop/legacy-claim.js";
import { addressOfKey, GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { encodeWif, publicKeyOf, type KeyForm } from "../../src/airdrop/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC } from "../../src/airdrop/legacy/message.js";
import { signLegacyMessage } from "../../src/airdrop/legacy/sign.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const DAY = 24n * 3600n;
const dir = mkdtempSync(path.join(tmpdir(), "gpufog-legacy-claim-"));

interface Key {
  privateKey: Uint8Array;
  form: KeyForm;
  address: string;
}

function key(form: KeyForm): Key {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, form, address: addressOfKey(publicKeyOf(privateKey, form), GUT_P2PKH_VERSION) };
}

/** An EVM snapshot and a legacy balance list of two keys (one per form), built, deployed, opened. */
async function deployLegacyAirdrop() {
  const [admin, relayer, recipient, other] = await ethers.getSigners();
  const holders = [key("compressed"), key("uncompressed")];
  const evm = path.join(dir, "evm.csv");
  const legacy = path.join(dir, "legacy.csv");
  writeFileSync(evm, `address,amount\n${other!.address},5000\n`);
  writeFileSync(
    legacy,
    `address,amount\n${holders.map((h, i) => `${h.address},${(i + 1) * 25 * 10 ** 8}`).join("\n")}\n`,
  );
  const out = path.join(dir, "airdrop");
  const { manifest } = await buildAirdrop(evm, out, undefined, { csv: legacy, version: GUT_P2PKH_VERSION });
  const gut = await ethers.deployContract("GUT", [0n, admin!.address, admin!.address]);
  await gut.grantRole(await gut.MINTER_ROLE(), admin!.address);
  const start = BigInt(await time.latest()) + 60n;
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
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const target = { recipient: recipient!.address, chainId, distributor: await distributor.getAddress() };
  return {
    gut,
    distributor,
    out,
    holders,
    relayer: relayer!,
    recipient: recipient!,
    other: other!,
    target,
    config,
    admin: admin!,
  };
}

type Fixture = Awaited<ReturnType<typeof deployLegacyAirdrop>>;

function request(f: Fixture, signature: string, extra: Partial<LegacyClaimRequest> = {}): LegacyClaimRequest {
  return { dir: f.out, distributor: f.target.distributor, recipient: f.recipient.address, signature, ...extra };
}

function signFor(holder: Key, target: Parameters<typeof claimMessage>[0], form = holder.form): string {
  return signLegacyMessage(claimMessage(target), holder.privateKey, form);
}

async function problem(body: () => Promise<unknown>): Promise<string> {
  try {
    await body();
  } catch (error) {
    expect(error).to.be.instanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error("expected an InputError");
}

describe("legacy claim tooling", function () {
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("claimLegacyAirdrop", function () {
    it("claims from a base64 signature alone (key recovered), sent by someone else; then skips it", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      for (const [i, holder] of f.holders.entries()) {
        const { plan, outcomes } = await claimLegacyAirdrop(request(f, signFor(holder, f.target)), f.relayer);
        expect(plan.address).to.equal(holder.address);
        expect(plan.form).to.equal(holder.form);
        expect(outcomes.map((o) => o.status)).to.deep.equal(["claimed"]);
        expect(outcomes[0]!.claim.index).to.equal(1 + i);
      }
      expect(await f.gut.balanceOf(f.recipient.address)).to.equal(75n * 10n ** 18n);
      expect(await f.gut.balanceOf(f.relayer.address)).to.equal(0n);
      const again = await claimLegacyAirdrop(request(f, signFor(f.holders[0]!, f.target)), f.relayer);
      expect(again.outcomes.map((o) => o.status)).to.deep.equal(["already claimed"]);
    });

    it("claims with the public key and address given", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const holder = f.holders[1]!;
      const { outcomes } = await claimLegacyAirdrop(
        request(f, signFor(holder, f.target), {
          pubkey: hexlify(publicKeyOf(holder.privateKey, holder.form)),
          holder: holder.address,
        }),
        f.relayer,
      );
      expect(outcomes[0]!.status).to.equal("claimed");
    });

    it("refuses a claim the distributor would revert before sending, in words and in the distributor's token", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      // The same airdrop on a distributor that was never funded: every claim reverts Underfunded.
      const unfunded = await ethers.deployContract("TokenSwapDistributor", [f.config, 0n, f.admin.address]);
      const target = { ...f.target, distributor: await unfunded.getAddress() };
      const nonce = await ethers.provider.getTransactionCount(f.relayer.address);
      const signature = signFor(f.holders[0]!, target);
      expect(
        await problem(() =>
          claimLegacyAirdrop({ ...request(f, signature), distributor: target.distributor }, f.relayer),
        ),
      ).to.equal(
        // The two keys' 25 and 50 GUT, and the EVM leaf's 5,000 wei.
        "claim-legacy: the distributor refuses index 1: Underfunded: balance 0.0 GUT, total 75.000000000000005 GUT",
      );
      expect(await ethers.provider.getTransactionCount(f.relayer.address)).to.equal(nonce);
    });
  });

  describe("planLegacyClaim explains what is wrong", function () {
    it("a key that is not the holder's", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const thief = key("compressed");
      const message = await problem(() =>
        planLegacyClaim(
          request(f, signFor(thief, f.target), {
            pubkey: hexlify(publicKeyOf(thief.privateKey, "compressed")),
            holder: f.holders[0]!.address,
          }),
          ethers.provider,
        ),
      );
      expect(message).to.equal(
        `claim-legacy, field "--pubkey": this key's address is ${thief.address}, not ${f.holders[0]!.address}: wrong key`,
      );
      const alone = await problem(() => planLegacyClaim(request(f, signFor(thief, f.target)), ethers.provider));
      expect(alone).to.include(
        `${thief.address} has no legacy claim in this airdrop (that is the key the signature recovers to`,
      );
    });

    it("the right key in the other form", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const holder = f.holders[1]!; // uncompressed
      const byPubkey = await problem(() =>
        planLegacyClaim(
          request(f, signFor(holder, f.target, "compressed"), {
            pubkey: hexlify(publicKeyOf(holder.privateKey, "compressed")),
            holder: holder.address,
          }),
          ethers.provider,
        ),
      );
      expect(byPubkey).to.match(
        /this is the key of .*, but in the compressed form; that address was made from the other form/,
      );
      const bySignature = await problem(() =>
        planLegacyClaim(
          request(f, signFor(holder, f.target, "compressed"), { holder: holder.address }),
          ethers.provider,
        ),
      );
      expect(bySignature).to.match(
        /its header says the compressed key while that address was made from the other form/,
      );
      const noHolder = await problem(() =>
        planLegacyClaim(request(f, signFor(holder, f.target, "compressed")), ethers.provider),
      );
      expect(noHolder).to.match(
        /has no claim, but .*, the uncompressed form of the same key, does: sign again in that form/,
      );
      const header = await problem(() =>
        planLegacyClaim(
          request(f, signFor(holder, f.target, "compressed"), {
            pubkey: hexlify(publicKeyOf(holder.privateKey, "uncompressed")),
          }),
          ethers.provider,
        ),
      );
      expect(header).to.match(
        /the signature's header says a compressed key, but .* is the address of the uncompressed key/,
      );
    });

    it("a signature for another chain id names that chain", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const holder = f.holders[0]!;
      const message = await problem(() =>
        planLegacyClaim(
          request(f, signFor(holder, { ...f.target, chainId: 1n }), { holder: holder.address }),
          ethers.provider,
        ),
      );
      expect(message).to.equal(
        `claim-legacy, field "--signature": the signature is for chain 1, but this distributor is on chain ${f.target.chainId}: sign again with --chain-id ${f.target.chainId}`,
      );
    });

    it("a signature for another recipient or distributor shows the message to sign", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const holder = f.holders[0]!;
      for (const target of [
        { ...f.target, recipient: f.other.address },
        { ...f.target, distributor: f.other.address },
      ]) {
        const message = await problem(() =>
          planLegacyClaim(
            request(f, signFor(holder, target), {
              holder: holder.address,
              pubkey: hexlify(publicKeyOf(holder.privateKey, holder.form)),
            }),
            ethers.provider,
          ),
        );
        expect(message).to.include(`the signature does not come from the key of ${holder.address}`);
        expect(message).to.include(`"${claimMessage(f.target)}"`);
      }
    });

    it("an unreadable signature, key or holder, and a contract that is not a distributor", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const good = signFor(f.holders[0]!, f.target);
      expect(await problem(() => planLegacyClaim(request(f, "AAAA"), ethers.provider))).to.match(
        /"--signature": the signature is 3 bytes/,
      );
      expect(
        await problem(() => planLegacyClaim(request(f, good, { pubkey: "0x05" + "11".repeat(32) }), ethers.provider)),
      ).to.match(/"--pubkey": .* is not a secp256k1 public key/);
      expect(
        await problem(() =>
          planLegacyClaim(request(f, good, { holder: "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH" }), ethers.provider),
        ),
      ).to.match(/"--holder": .* has version byte 0, not the chain's P2PKH version 38/);
      expect(
        await problem(() => planLegacyClaim({ ...request(f, good), distributor: f.other.address }, ethers.provider)),
      ).to.match(/"--distributor": .* is not a TokenSwapDistributor with legacy claims on this network/);
    });
  });

  describe("airdrop:sign-legacy", function () {
    it("signs offline from a WIF file and prints the signature that claims", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const holder = f.holders[0]!;
      const wifFile = path.join(dir, "key.wif");
      writeFileSync(wifFile, encodeWif(holder.privateKey, "compressed", 0xa6) + "\n");
      const printed: string[] = [];
      const log = console.log;
      console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
      try {
        await hre.tasks.getTask("airdrop:sign-legacy").run({
          wifFile,
          recipient: f.recipient.address,
          distributor: f.target.distributor,
          chainId: String(f.target.chainId),
          address: holder.address,
          airdrop: f.out,
        });
      } finally {
        console.log = log;
      }
      const output = printed.join("\n");
      expect(output).to.include(`address    ${holder.address} (compressed key`);
      expect(output).to.include(`message    ${claimMessage(f.target)}`);
      const signature = /signature {2}(\S+)/.exec(output)![1]!;
      expect(signature).to.equal(signFor(holder, f.target));
      const { outcomes } = await claimLegacyAirdrop(request(f, signature), f.relayer);
      expect(outcomes[0]!.status).to.equal("claimed");
    });

    it("fails with one line when the key is missing or the chain id is not given", async function () {
      const f = await loadFixture(deployLegacyAirdrop);
      const task = hre.tasks.getTask("airdrop:sign-legacy");
      const base = { recipient: f.recipient.address, distributor: f.target.distributor };
      let error: unknown;
      await task.run({ ...base, chainId: "1" }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(HardhatPluginError);
      expect((error as Error).message).to.match(/give the WIF private key by --wif-file/);
      await task
        .run({ ...base, wif: encodeWif(f.holders[0]!.privateKey, "compressed", 0xa6) })
        .catch((e: unknown) => (error = e));
      expect((error as Error).message).to.match(/"--chain-id": the chain id the distributor is on is required/);
    });
  });
});
