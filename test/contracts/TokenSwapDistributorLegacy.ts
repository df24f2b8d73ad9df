import { expect } from "chai";
import { network } from "hardhat";

import { secp256k1 } from "@noble/curves/secp256k1.js";
import bitcoinMessage from "bitcoinjs-message";
import { getAddress, hexlify, randomBytes, toBeHex } from "ethers";

import { addressOfKey, GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { evmAddressOfKey, hash160, publicKeyOf, type KeyForm } from "../../src/airdrop/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC, legacyMessageHash } from "../../src/airdrop/legacy/message.js";
import { recoverLegacySigner, signLegacyMessage } from "../../src/airdrop/legacy/sign.js";
import { LeafKind, type LeafEntry } from "../../src/airdrop/merkle/proof.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const UNIT = 10n ** 18n;
const DAY = 24n * 3600n;
const { n: N, p: P } = secp256k1.Point.CURVE();
/** bitcoinjs-message takes the magic with its length byte in front. */
const BITCOINJS_PREFIX = String.fromCharCode(DEFAULT_LEGACY_MAGIC.length) + DEFAULT_LEGACY_MAGIC;

interface Holder {
  privateKey: Uint8Array;
  form: KeyForm;
  pubkey: Uint8Array;
  hash160: string;
}

function newHolder(form: KeyForm): Holder {
  const privateKey = secp256k1.utils.randomSecretKey();
  const pubkey = publicKeyOf(privateKey, form);
  return { privateKey, form, pubkey, hash160: hexlify(hash160(pubkey)) };
}

/**
 * A mixed tree: EVM holders, a compressed-key and an uncompressed-key legacy holder, and an EVM
 * leaf whose account is the HASH160 of a third key (so that key signs validly for a leaf that is
 * not legacy).
 */
async function deployMixed() {
  const [admin, relayer, recipient, other] = await ethers.getSigners();
  const compressed = newHolder("compressed");
  const uncompressed = newHolder("uncompressed");
  const evmLookalike = newHolder("compressed");
  const entries: LeafEntry[] = [
    ...Array.from({ length: 6 }, (_, i) => ({
      kind: LeafKind.Evm,
      holder: getAddress(hexlify(randomBytes(20))),
      amount: BigInt(i + 1) * UNIT,
    })),
    { kind: LeafKind.Legacy, holder: compressed.hash160, amount: 70n * UNIT },
    { kind: LeafKind.Legacy, holder: uncompressed.hash160, amount: 80n * UNIT },
    { kind: LeafKind.Evm, holder: getAddress(evmLookalike.hash160), amount: 90n * UNIT },
  ];
  const tree = await buildTree(entries, { threads: 1 });
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  await gut.grantRole(await gut.MINTER_ROLE(), admin.address);
  const start = BigInt(await time.latest()) + DAY;
  const config = {
    token: await gut.getAddress(),
    merkleRoot: tree.root,
    total: tree.total,
    start,
    deadline: start + 30n * DAY,
    sweepTarget: admin.address,
    topNodes: tree.topNodes,
    legacyMagic: DEFAULT_LEGACY_MAGIC,
    legacyVersion: GUT_P2PKH_VERSION,
  };
  const distributor = await ethers.deployContract("TokenSwapDistributor", [config, 0n, admin.address]);
  const twin = await ethers.deployContract("TokenSwapDistributor", [config, 0n, admin.address]);
  for (const d of [distributor, twin]) await gut.mint(await d.getAddress(), tree.total);
  await time.increaseTo(start);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const target = {
    recipient: recipient.address,
    chainId,
    distributor: await distributor.getAddress(),
  };
  return {
    gut,
    distributor,
    twin,
    tree,
    config,
    admin,
    relayer,
    recipient,
    other,
    compressed,
    uncompressed,
    evmLookalike,
    target,
  };
}

type Fixture = Awaited<ReturnType<typeof deployMixed>>;

const LEGACY_C = 6;
const LEGACY_U = 7;
const EVM_LOOKALIKE = 8;

function sign(holder: Holder, target: Parameters<typeof claimMessage>[0], form = holder.form): string {
  return hexlify(Buffer.from(signLegacyMessage(claimMessage(target), holder.privateKey, form), "base64"));
}

function legacyArgs(
  f: Fixture,
  index: number,
  holder: Holder,
  signature: string,
  overrides: { pubkey?: string; recipient?: string } = {},
) {
  const entry = f.tree.entries[index]!;
  return [
    index,
    entry.holder,
    entry.amount,
    f.tree.shortProof(index),
    overrides.recipient ?? f.recipient.address,
    overrides.pubkey ?? hexlify(holder.pubkey),
    signature,
  ] as const;
}

/** The EVM address a signature recovers to over the distributor's message for `recipient`. */
function recoveredBy(signature: string, target: Parameters<typeof claimMessage>[0]): string {
  const { pubkey } = recoverLegacySigner(
    claimMessage(target),
    Buffer.from(signature.slice(2), "hex").toString("base64"),
  );
  return getAddress(evmAddressOfKey(pubkey));
}

function withByte(signature: string, at: number, value: number): string {
  const bytes = Buffer.from(signature.slice(2), "hex");
  bytes[at] = value;
  return hexlify(bytes);
}

function withRS(signature: string, r: bigint, s: bigint): string {
  return hexlify(
    Buffer.concat([
      Buffer.from(signature.slice(2, 4), "hex"),
      Buffer.from(toBeHex(r, 32).slice(2) + toBeHex(s, 32).slice(2), "hex"),
    ]),
  );
}

/** An x below p with no point on the curve: x³ + 7 is not a square. */
function xOffCurve(): bigint {
  for (let x = 1n; ; x++) {
    const rhs = (x ** 3n + 7n) % P;
    if (modPow(rhs, (P - 1n) / 2n, P) !== 1n) return x;
  }
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  for (let b = base % modulus, e = exponent; e > 0n; e >>= 1n, b = (b * b) % modulus)
    if (e & 1n) result = (result * b) % modulus;
  return result;
}

describe("TokenSwapDistributor (legacy claims)", function () {
  describe("constructor", function () {
    it("stores the magic and the address version", async function () {
      const { distributor } = await loadFixture(deployMixed);
      expect(await distributor.legacyMagic()).to.equal(DEFAULT_LEGACY_MAGIC);
      expect(await distributor.legacyAddressVersion()).to.equal(BigInt(GUT_P2PKH_VERSION));
    });

    it("takes another magic, up to 31 bytes", async function () {
      const { config, admin } = await loadFixture(deployMixed);
      for (const magic of ["Bitcoin Signed Message:\n", "x", "a".repeat(31)]) {
        const d = await ethers.deployContract("TokenSwapDistributor", [
          { ...config, legacyMagic: magic },
          0n,
          admin.address,
        ]);
        expect(await d.legacyMagic()).to.equal(magic);
      }
    });

    it("reverts when the magic is empty or longer than 31 bytes", async function () {
      const { config, admin } = await loadFixture(deployMixed);
      const factory = await ethers.getContractFactory("TokenSwapDistributor");
      for (const magic of ["", "a".repeat(32)]) {
        await expect(factory.deploy({ ...config, legacyMagic: magic }, 0n, admin.address))
          .to.be.revertedWithCustomError(factory, "InvalidLegacyMagic")
          .withArgs(magic.length);
      }
    });
  });

  describe("legacyClaimMessage", function () {
    it("is the text the tooling signs, and its hash is the chain's signed-message hash", async function () {
      const f = await loadFixture(deployMixed);
      const text = await f.distributor.legacyClaimMessage(f.recipient.address);
      expect(text).to.equal(claimMessage(f.target));
      expect(text).to.equal(
        `gpufog token swap: claim to ${f.recipient.address.toLowerCase()} on chain ${f.target.chainId} via distributor ${f.target.distributor.toLowerCase()}`,
      );
      const hash = await f.distributor.legacyMessageHash(f.recipient.address);
      expect(hash).to.equal(hexlify(legacyMessageHash(text)));
      expect(hash).to.equal(hexlify(bitcoinMessage.magicHash(text, BITCOINJS_PREFIX)));
    });
  });

  describe("claimLegacy", function () {
    for (const [name, index, key] of [
      ["compressed", LEGACY_C, "compressed"],
      ["uncompressed", LEGACY_U, "uncompressed"],
    ] as const) {
      it(`pays a ${name}-key holder's leaf to the recipient they signed for, sent by anyone`, async function () {
        const f = await loadFixture(deployMixed);
        const holder = f[key];
        const signature = sign(holder, f.target);
        const amount = f.tree.entries[index]!.amount;
        await expect(f.distributor.connect(f.relayer).claimLegacy(...legacyArgs(f, index, holder, signature)))
          .to.emit(f.distributor, "LegacyClaimed")
          .withArgs(index, holder.hash160, f.recipient.address, amount);
        expect(await f.gut.balanceOf(f.recipient.address)).to.equal(amount);
        expect(await f.gut.balanceOf(f.relayer.address)).to.equal(0n);
        expect(await f.distributor.isClaimed(index)).to.equal(true);
      });
    }

    it("accepts a signature made by bitcoinjs-message, and ours verify with it", async function () {
      const f = await loadFixture(deployMixed);
      const message = claimMessage(f.target);
      for (const [index, holder] of [
        [LEGACY_C, f.compressed],
        [LEGACY_U, f.uncompressed],
      ] as const) {
        const address = addressOfKey(holder.pubkey, GUT_P2PKH_VERSION);
        const ours = signLegacyMessage(message, holder.privateKey, holder.form);
        expect(bitcoinMessage.verify(message, address, ours, BITCOINJS_PREFIX)).to.equal(true);
        expect(bitcoinMessage.verify(message + ".", address, ours, BITCOINJS_PREFIX)).to.equal(false);
        const theirs = bitcoinMessage.sign(
          message,
          Buffer.from(holder.privateKey),
          holder.form === "compressed",
          BITCOINJS_PREFIX,
        );
        expect(theirs.toString("base64")).to.equal(ours);
        await expect(f.distributor.claimLegacy(...legacyArgs(f, index, holder, hexlify(theirs)))).to.emit(
          f.distributor,
          "LegacyClaimed",
        );
      }
    });

    it("reverts when the index was already claimed (a replay)", async function () {
      const f = await loadFixture(deployMixed);
      const args = legacyArgs(f, LEGACY_C, f.compressed, sign(f.compressed, f.target));
      await f.distributor.claimLegacy(...args);
      await expect(f.distributor.connect(f.relayer).claimLegacy(...args))
        .to.be.revertedWithCustomError(f.distributor, "AlreadyClaimed")
        .withArgs(LEGACY_C);
    });

    it("reverts when the signature was made for another distributor", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      const args = legacyArgs(f, LEGACY_C, f.compressed, signature);
      await f.distributor.claimLegacy(...args);
      const twinTarget = { ...f.target, distributor: await f.twin.getAddress() };
      await expect(f.twin.claimLegacy(...args))
        .to.be.revertedWithCustomError(f.twin, "SignatureMismatch")
        .withArgs(evmAddressOfKey(f.compressed.pubkey), recoveredBy(signature, twinTarget));
      await expect(
        f.twin.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, sign(f.compressed, twinTarget))),
      ).to.emit(f.twin, "LegacyClaimed");
    });

    it("reverts when the signature names another recipient", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      const stolen = { ...f.target, recipient: f.other.address };
      await expect(
        f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, signature, { recipient: f.other.address })),
      )
        .to.be.revertedWithCustomError(f.distributor, "SignatureMismatch")
        .withArgs(getAddress(evmAddressOfKey(f.compressed.pubkey)), recoveredBy(signature, stolen));
    });

    it("reverts when the signature names another chain id", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.uncompressed, { ...f.target, chainId: 1n });
      await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_U, f.uncompressed, signature)))
        .to.be.revertedWithCustomError(f.distributor, "SignatureMismatch")
        .withArgs(getAddress(evmAddressOfKey(f.uncompressed.pubkey)), recoveredBy(signature, f.target));
    });

    it("reverts when the signature uses another magic", async function () {
      const f = await loadFixture(deployMixed);
      const bitcoin = hexlify(
        Buffer.from(
          signLegacyMessage(claimMessage(f.target), f.compressed.privateKey, "compressed", "Bitcoin Signed Message:\n"),
          "base64",
        ),
      );
      await expect(
        f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, bitcoin)),
      ).to.be.revertedWithCustomError(f.distributor, "SignatureMismatch");
    });

    it("reverts when another key signed, with the holder's key given", async function () {
      const f = await loadFixture(deployMixed);
      const thief = newHolder("compressed");
      const signature = sign(thief, f.target);
      await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, signature)))
        .to.be.revertedWithCustomError(f.distributor, "SignatureMismatch")
        .withArgs(getAddress(evmAddressOfKey(f.compressed.pubkey)), getAddress(evmAddressOfKey(thief.pubkey)));
    });

    it("reverts when the key is not the leaf's (a wrong key)", async function () {
      const f = await loadFixture(deployMixed);
      const thief = newHolder("compressed");
      await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, thief, sign(thief, f.target))))
        .to.be.revertedWithCustomError(f.distributor, "PublicKeyMismatch")
        .withArgs(f.compressed.hash160, thief.hash160);
    });

    it("reverts when the key is given in the other form than the address was made from", async function () {
      const f = await loadFixture(deployMixed);
      const compressedForm = publicKeyOf(f.uncompressed.privateKey, "compressed");
      await expect(
        f.distributor.claimLegacy(
          ...legacyArgs(f, LEGACY_U, f.uncompressed, sign(f.uncompressed, f.target, "compressed"), {
            pubkey: hexlify(compressedForm),
          }),
        ),
      )
        .to.be.revertedWithCustomError(f.distributor, "PublicKeyMismatch")
        .withArgs(f.uncompressed.hash160, hexlify(hash160(compressedForm)));
    });

    it("reverts when the signature's header names the other key form", async function () {
      const f = await loadFixture(deployMixed);
      const asCompressed = sign(f.uncompressed, f.target, "compressed");
      await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_U, f.uncompressed, asCompressed)))
        .to.be.revertedWithCustomError(f.distributor, "CompressionMismatch")
        .withArgs(true, false);
      const asUncompressed = sign(f.compressed, f.target, "uncompressed");
      await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, asUncompressed)))
        .to.be.revertedWithCustomError(f.distributor, "CompressionMismatch")
        .withArgs(false, true);
    });

    it("reverts on a high-s signature that ecrecover alone would accept", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      const bytes = Buffer.from(signature.slice(2), "hex");
      const s = BigInt(hexlify(bytes.subarray(33)));
      const flipped = ((bytes[0]! - 27) & 3) ^ 1;
      const high = withByte(withRS(signature, BigInt(hexlify(bytes.subarray(1, 33))), N - s), 0, 31 + flipped);
      // The same key, by the textbook malleability: (r, n − s) with the other parity.
      const key = secp256k1.Signature.fromBytes(Buffer.from(high.slice(4), "hex"), "compact")
        .addRecoveryBit(flipped)
        .recoverPublicKey(legacyMessageHash(claimMessage(f.target)));
      expect(hexlify(key.toBytes(true))).to.equal(hexlify(f.compressed.pubkey));
      await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, high)))
        .to.be.revertedWithCustomError(f.distributor, "HighS")
        .withArgs(N - s);
    });

    it("reverts when r or s is zero, or r is no point's x", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      const bytes = Buffer.from(signature.slice(2), "hex");
      const r = BigInt(hexlify(bytes.subarray(1, 33)));
      const s = BigInt(hexlify(bytes.subarray(33)));
      for (const [r2, s2] of [
        [0n, s],
        [r, 0n],
        [N + 1n, s],
      ] as const) {
        await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, withRS(signature, r2, s2))))
          .to.be.revertedWithCustomError(f.distributor, "InvalidSignature")
          .withArgs(toBeHex(r2, 32), toBeHex(s2, 32));
      }
    });

    it("reverts when the header is outside 27..34 or asks for recovery id 2 or 3", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      for (const header of [0, 26, 29, 30, 33, 34, 35, 42]) {
        await expect(
          f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, withByte(signature, 0, header))),
        )
          .to.be.revertedWithCustomError(f.distributor, "InvalidSignatureHeader")
          .withArgs(header);
      }
    });

    it("reverts when the signature is not 65 bytes", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      for (const bad of [signature.slice(0, -2), signature + "00", "0x"]) {
        await expect(f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, bad)))
          .to.be.revertedWithCustomError(f.distributor, "InvalidSignatureLength")
          .withArgs((bad.length - 2) / 2);
      }
    });

    it("reverts on a malformed public key: length, prefix, x not below p, a point off the curve", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, f.target);
      const c = Buffer.from(f.compressed.pubkey);
      const u = Buffer.from(publicKeyOf(f.compressed.privateKey, "uncompressed"));
      const x = c.subarray(1);
      const y = u.subarray(33);
      const offX = Buffer.from(toBeHex(xOffCurve(), 32).slice(2), "hex");
      const pX = Buffer.from(toBeHex(P, 32).slice(2), "hex");
      const yPlusOne = Buffer.from(toBeHex((BigInt(hexlify(y)) + 1n) % P, 32).slice(2), "hex");
      const malformed = [
        Buffer.alloc(0),
        x, // 32 bytes, no prefix
        Buffer.concat([c, Buffer.of(0)]), // 34 bytes
        u.subarray(0, 64),
        Buffer.concat([u, Buffer.of(0)]),
        Buffer.concat([Buffer.of(0x04), x]), // the uncompressed prefix on 33 bytes
        Buffer.concat([Buffer.of(0x02), u.subarray(1)]), // a compressed prefix on 65 bytes
        Buffer.concat([Buffer.of(0x05), x]),
        Buffer.concat([Buffer.of(0x00), x]),
        Buffer.concat([Buffer.of(0x06 | (y[31]! & 1)), x, y]), // the hybrid form
        Buffer.concat([Buffer.of(0x02), offX]),
        Buffer.concat([Buffer.of(0x03), pX]),
        Buffer.concat([Buffer.of(0x04), x, yPlusOne]),
        Buffer.concat([Buffer.of(0x04), x, pX]),
        Buffer.concat([Buffer.of(0x04), pX, y]),
      ];
      for (const pubkey of malformed) {
        await expect(
          f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, signature, { pubkey: hexlify(pubkey) })),
        )
          .to.be.revertedWithCustomError(f.distributor, "InvalidPublicKey")
          .withArgs(hexlify(pubkey));
      }
    });

    it("reverts when the recipient is the zero address", async function () {
      const f = await loadFixture(deployMixed);
      const signature = sign(f.compressed, { ...f.target, recipient: ethers.ZeroAddress });
      await expect(
        f.distributor.claimLegacy(
          ...legacyArgs(f, LEGACY_C, f.compressed, signature, { recipient: ethers.ZeroAddress }),
        ),
      )
        .to.be.revertedWithCustomError(f.distributor, "ZeroAddress")
        .withArgs("recipient");
    });

    it("reverts when the amount or the index is not the leaf's", async function () {
      const f = await loadFixture(deployMixed);
      const [index, holder, amount, proof, recipient, pubkey, signature] = legacyArgs(
        f,
        LEGACY_U,
        f.uncompressed,
        sign(f.uncompressed, f.target),
      );
      await expect(f.distributor.claimLegacy(index, holder, amount + 1n, proof, recipient, pubkey, signature))
        .to.be.revertedWithCustomError(f.distributor, "InvalidProof")
        .withArgs(index, getAddress(holder), amount + 1n);
      await expect(f.distributor.claimLegacy(LEGACY_C, holder, amount, proof, recipient, pubkey, signature))
        .to.be.revertedWithCustomError(f.distributor, "InvalidProof")
        .withArgs(LEGACY_C, getAddress(holder), amount);
    });

    it("never pays an EVM leaf, even one whose account is the key's HASH160", async function () {
      const f = await loadFixture(deployMixed);
      const args = legacyArgs(f, EVM_LOOKALIKE, f.evmLookalike, sign(f.evmLookalike, f.target));
      await expect(f.distributor.claimLegacy(...args))
        .to.be.revertedWithCustomError(f.distributor, "InvalidProof")
        .withArgs(EVM_LOOKALIKE, getAddress(f.evmLookalike.hash160), args[2]);
      // The same leaf is an ordinary EVM leaf for `claim`.
      await expect(f.distributor.claim(EVM_LOOKALIKE, args[1], args[2], args[3])).to.emit(f.distributor, "Claimed");
    });

    it("leaves legacy leaves to claimLegacy: claim refuses them", async function () {
      const f = await loadFixture(deployMixed);
      const entry = f.tree.entries[LEGACY_C]!;
      await expect(f.distributor.claim(LEGACY_C, entry.holder, entry.amount, f.tree.shortProof(LEGACY_C)))
        .to.be.revertedWithCustomError(f.distributor, "InvalidProof")
        .withArgs(LEGACY_C, getAddress(entry.holder), entry.amount);
    });

    it("reverts while paused and outside the window, like claim", async function () {
      const f = await loadFixture(deployMixed);
      const args = legacyArgs(f, LEGACY_C, f.compressed, sign(f.compressed, f.target));
      await f.distributor.pause();
      await expect(f.distributor.claimLegacy(...args)).to.be.revertedWithCustomError(f.distributor, "EnforcedPause");
      await f.distributor.unpause();
      await time.increaseTo(f.config.deadline);
      await expect(f.distributor.claimLegacy(...args))
        .to.be.revertedWithCustomError(f.distributor, "DeadlinePassed")
        .withArgs(f.config.deadline);
    });

    it("pays the tree total once every leaf of both kinds is claimed", async function () {
      const f = await loadFixture(deployMixed);
      await f.distributor.claimLegacy(...legacyArgs(f, LEGACY_C, f.compressed, sign(f.compressed, f.target)));
      await f.distributor.claimLegacy(...legacyArgs(f, LEGACY_U, f.uncompressed, sign(f.uncompressed, f.target)));
      for (const i of [0, 1, 2, 3, 4, 5, EVM_LOOKALIKE]) {
        const e = f.tree.entries[i]!;
        await f.distributor.claim(i, e.holder, e.amount, f.tree.shortProof(i));
      }
      expect(await f.gut.balanceOf(await f.distributor.getAddress())).to.equal(0n);
      expect(await f.gut.balanceOf(f.recipient.address)).to.equal(150n * UNIT);
    });
  });
});
