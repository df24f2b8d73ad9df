import { expect } from "chai";

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import bitcoinMessage from "bitcoinjs-message";
import { hexlify } from "ethers";

import { buildAirdrop } from "../../src/airdrop/build.js";
import { InputError } from "../../src/errors.js";
import { parseLegacyCsv } from "../../src/airdrop/legacy-csv.js";
import { signLegacyClaim } from "../../src/airdrop/legacy-holder.js";
import { findLegacyClaims } from "../../src/airdrop/legacy-lookup.js";
import {
  addressOfKey,
  decodeLegacyAddress,
  encodeLegacyAddress,
  GUT_P2PKH_VERSION,
  LegacyAddressError,
} from "../../src/airdrop/legacy/address.js";
import { decodeWif, encodeWif, hash160, publicKeyOf } from "../../src/airdrop/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC, varint } from "../../src/airdrop/legacy/message.js";
import {
  parseCompactSignature,
  recoverLegacySigner,
  signLegacyMessage,
  verifyLegacyMessage,
} from "../../src/airdrop/legacy/sign.js";
import { readManifest } from "../../src/airdrop/directory.js";
import { LEAF_ENCODING, processProof } from "../../src/airdrop/merkle/proof.js";

const BITCOINJS_PREFIX = String.fromCharCode(DEFAULT_LEGACY_MAGIC.length) + DEFAULT_LEGACY_MAGIC;
const ONE = new Uint8Array(32);
ONE[31] = 1;
const TARGET = {
  recipient: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  chainId: 31337n,
  distributor: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

function caught(body: () => unknown): Error {
  try {
    body();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

async function rejected(body: () => Promise<unknown>): Promise<Error> {
  try {
    await body();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("legacy codec", function () {
  describe("addresses", function () {
    it("matches Bitcoin's published vectors for private key 1, in both key forms", function () {
      const compressed = publicKeyOf(ONE, "compressed");
      const uncompressed = publicKeyOf(ONE, "uncompressed");
      expect(hexlify(hash160(compressed))).to.equal("0x751e76e8199196d454941c45d1b3a323f1433bd6");
      expect(hexlify(hash160(uncompressed))).to.equal("0x91b24bf9f5288532960ac687abb035127b1d28a5");
      expect(addressOfKey(compressed, 0)).to.equal("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH");
      expect(addressOfKey(uncompressed, 0)).to.equal("1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm");
      expect(decodeLegacyAddress("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", 0).hash160).to.equal(
        "0x751e76e8199196d454941c45d1b3a323f1433bd6",
      );
    });

    it("decodes the GUT chain's own address (from the seed) with version 38", function () {
      const decoded = decodeLegacyAddress("GKKbPHko3174TL7PGqqYbZJxDtXbfyg9Yp", GUT_P2PKH_VERSION);
      expect(decoded).to.deep.equal({ version: 38, hash160: "0x1033e2c83570d771d4552811fc5cdd581ef7c44b" });
      expect(encodeLegacyAddress(decoded.hash160, 38)).to.equal("GKKbPHko3174TL7PGqqYbZJxDtXbfyg9Yp");
    });

    it("refuses a bad character, a bad checksum, a wrong length and another version byte", function () {
      const good = "GKKbPHko3174TL7PGqqYbZJxDtXbfyg9Yp";
      const cases: [string, RegExp][] = [
        ["GKKbPHko3174TL7PGqqYbZJxDtXbfyg9Y0", /is not base58/],
        ["GKKbPHko3174TL7PGqqYbZJxDtXbfyg9Yq", /wrong checksum/],
        [addressOfKey(ONE, 38).slice(0, 20), /wrong checksum/],
        [encodeLegacyAddress(new Uint8Array(20), 5), /version byte 5, not the chain's P2PKH version 38: a P2SH/],
        [good, /version byte 38, not the chain's P2PKH version 0/],
      ];
      for (const [address, problem] of cases) {
        const error = caught(() => decodeLegacyAddress(address, address === good ? 0 : 38));
        expect(error).to.be.instanceOf(LegacyAddressError);
        expect(error.message).to.match(problem);
      }
    });
  });

  describe("WIF", function () {
    it("decodes Bitcoin's WIF vectors for private key 1 and round-trips", function () {
      const c = decodeWif("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn");
      expect(c.form).to.equal("compressed");
      expect(c.version).to.equal(0x80);
      expect(hexlify(c.privateKey)).to.equal(hexlify(ONE));
      const u = decodeWif("5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf");
      expect(u.form).to.equal("uncompressed");
      expect(hexlify(u.privateKey)).to.equal(hexlify(ONE));
      const key = secp256k1.utils.randomSecretKey();
      expect(decodeWif(encodeWif(key, "compressed", 0xa6))).to.deep.equal({
        privateKey: key,
        form: "compressed",
        version: 0xa6,
      });
    });

    it("refuses a bad checksum, a wrong length and a zero key, without echoing the key", function () {
      const wif = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWo";
      const bad = caught(() => decodeWif(wif));
      expect(bad.message).to.match(/not valid base58check/);
      expect(bad.message).to.not.include(wif);
      expect(caught(() => decodeWif(encodeLegacyAddress(new Uint8Array(20), 0x80))).message).to.match(
        /decodes to 21 bytes/,
      );
      expect(caught(() => decodeWif(encodeWif(new Uint8Array(32), "compressed", 0x80))).message).to.match(
        /not a valid secp256k1 private key/,
      );
    });
  });

  describe("signed messages", function () {
    it("builds the claim text and Bitcoin's varint", function () {
      expect(claimMessage(TARGET)).to.equal(
        "gpufog token swap: claim to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 on chain 31337 via distributor 0x5fbdb2315678afecb367f032d93f642f64180aa3",
      );
      expect([...varint(252)]).to.deep.equal([252]);
      expect([...varint(253)]).to.deep.equal([0xfd, 253, 0]);
      expect([...varint(70_000)]).to.deep.equal([0xfe, 0x70, 0x11, 0x01, 0x00]);
    });

    it("signs as bitcoinjs-message does and verifies its signatures, both key forms", function () {
      const message = claimMessage(TARGET);
      for (const form of ["compressed", "uncompressed"] as const) {
        const key = secp256k1.utils.randomSecretKey();
        const address = addressOfKey(publicKeyOf(key, form), GUT_P2PKH_VERSION);
        const hash = hexlify(hash160(publicKeyOf(key, form)));
        const ours = signLegacyMessage(message, key, form);
        expect(bitcoinMessage.verify(message, address, ours, BITCOINJS_PREFIX)).to.equal(true);
        const theirs = bitcoinMessage
          .sign(message, Buffer.from(key), form === "compressed", BITCOINJS_PREFIX, {
            extraEntropy: Buffer.alloc(32, 7),
          })
          .toString("base64");
        expect(verifyLegacyMessage(message, hash, theirs)).to.equal(true);
        expect(recoverLegacySigner(message, theirs).form).to.equal(form);
        expect(verifyLegacyMessage(message + " ", hash, theirs)).to.equal(false);
        expect(verifyLegacyMessage(message, hash, theirs, "Bitcoin Signed Message:\n")).to.equal(false);
      }
    });

    it("refuses what the contract refuses: length, header, recovery id, zero r, high s", function () {
      const sig = Buffer.from(signLegacyMessage("m", ONE, "compressed"), "base64");
      const with_ = (at: number, value: number) => {
        const copy = Buffer.from(sig);
        copy[at] = value;
        return copy.toString("base64");
      };
      expect(caught(() => parseCompactSignature(sig.subarray(1).toString("base64"))).message).to.match(/64 bytes/);
      expect(caught(() => parseCompactSignature(with_(0, 39))).message).to.match(/header byte is 39.*segwit/);
      expect(caught(() => parseCompactSignature(with_(0, 33))).message).to.match(/recovery id 2/);
      const zeroR = Buffer.from(sig);
      zeroR.fill(0, 1, 33);
      expect(caught(() => parseCompactSignature(zeroR.toString("base64"))).message).to.match(/r or s is zero/);
      const high = Buffer.from(sig);
      high.fill(0xff, 33, 65);
      expect(caught(() => parseCompactSignature("0x" + high.toString("hex"))).message).to.match(/high s/);
    });

    it("refuses a mistyped or cut paste by position instead of decoding it to another signature", function () {
      const good = signLegacyMessage("m", ONE, "compressed");
      expect(parseCompactSignature(` ${good}\n`).bytes).to.deep.equal(Uint8Array.from(Buffer.from(good, "base64")));
      const typo = good.slice(0, 10) + "!" + good.slice(11);
      expect(caught(() => parseCompactSignature(typo)).message).to.equal(
        'the signature has "!" at character 11, which is not base64',
      );
      expect(caught(() => parseCompactSignature(good.slice(0, 87))).message).to.equal(
        'the signature\'s base64 is cut or padded wrongly (87 characters; "=" only at the end, a multiple of 4 in all)',
      );
      expect(caught(() => parseCompactSignature(good.slice(0, 40) + "=" + good.slice(41))).message).to.match(
        /cut or padded wrongly/,
      );
      const hex = "0x" + Buffer.from(good, "base64").toString("hex");
      expect(parseCompactSignature(hex).bytes).to.deep.equal(Uint8Array.from(Buffer.from(good, "base64")));
      expect(caught(() => parseCompactSignature(hex.slice(0, 5) + "g" + hex.slice(6))).message).to.equal(
        'the signature has "g" at character 6, which is not hex',
      );
      expect(caught(() => parseCompactSignature(hex.slice(0, -1))).message).to.equal(
        "the signature's hex has an odd number of digits",
      );
      // A typo that is still base64 changes r; about half of all r are no point's x.
      const isX = (r: Uint8Array) => {
        try {
          secp256k1.Point.fromBytes(Uint8Array.of(2, ...r));
          return true;
        } catch {
          return false;
        }
      };
      const damaged = Buffer.from(good, "base64");
      while (isX(damaged.subarray(1, 33))) damaged[32] = (damaged[32]! + 1) & 0xff;
      expect(caught(() => parseCompactSignature(damaged.toString("base64"))).message).to.equal(
        "the signature's r is the x of no curve point: the paste is damaged",
      );
      const big = Buffer.from(good, "base64");
      big.fill(0xff, 1, 33);
      expect(caught(() => parseCompactSignature(big.toString("base64"))).message).to.equal(
        "the signature's r is not below the curve order",
      );
    });
  });
});

describe("legacy balance CSV and mixed airdrops", function () {
  const dir = mkdtempSync(path.join(tmpdir(), "gpufog-legacy-"));
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const keys = Array.from({ length: 5 }, () => secp256k1.utils.randomSecretKey());
  const addresses = keys.map((k, i) => addressOfKey(publicKeyOf(k, i % 2 ? "uncompressed" : "compressed"), 38));

  it("reads addresses and 8-decimal amounts, scaled to 18 decimals", function () {
    const rows = parseLegacyCsv(`address,amount\r\n${addresses[0]},150000000\r\n${addresses[1]},1\r\n`, "l.csv", 38);
    expect(rows.map((r) => r.amount)).to.deep.equal([15n * 10n ** 17n, 10n ** 10n]);
    expect(rows[0]!.hash160).to.equal(decodeLegacyAddress(addresses[0]!, 38).hash160);
  });

  it("refuses each bad line with the file, the line and the field", function () {
    const p2sh = encodeLegacyAddress(new Uint8Array(20).fill(9), 5);
    const cases: [string, string][] = [
      ["", 'l.csv: the file is empty; expected the header "address,amount" and one line per holder'],
      ["addr,amount\n", 'l.csv, line 1, field "header": expected "address,amount", found "addr,amount"'],
      ["address,amount\n", "l.csv, line 2: no holders: expected at least one line after the header"],
      [`address,amount\n${addresses[0]},1,2\n`, "l.csv, line 2: expected 2 columns (address,amount), found 3"],
      [`address,amount\n${addresses[0]}\n`, 'l.csv, line 2, field "amount": missing column "amount"'],
      [
        `address,amount\n${addresses[0]},1\n${p2sh},5\n`,
        `l.csv, line 3, field "address": "${p2sh}" has version byte 5, not the chain's P2PKH version 38: a P2SH (script) address or another chain's address cannot claim, since no single key signs for it`,
      ],
      [
        `address,amount\n${typo(addresses[0]!)},1\n`,
        `l.csv, line 2, field "address": "${typo(addresses[0]!)}" has a wrong checksum (a typo, or a truncated address)`,
      ],
      [
        `address,amount\n${addresses[0]},1\n${addresses[1]},2\n${addresses[0]},3\n`,
        `l.csv, line 4, field "address": duplicate holder ${addresses[0]}, first on line 2`,
      ],
      [
        `address,amount\n${addresses[0]},1.5\n`,
        'l.csv, line 2, field "amount": "1.5" is not a whole number of the chain\'s units (1 GUT = 100000000 units; digits only, no decimal point)',
      ],
      [`address,amount\n${addresses[0]},-4\n`, 'l.csv, line 2, field "amount": "-4" is negative'],
      [
        `address,amount\n${addresses[0]},0\n`,
        'l.csv, line 2, field "amount": is zero; holders without a balance must be left out',
      ],
      [`address,amount\n${addresses[0]},1\n\n`, "l.csv, line 3: empty line"],
    ];
    for (const [text, message] of cases) {
      const error = caught(() => parseLegacyCsv(text, "l.csv", 38));
      expect(error).to.be.instanceOf(InputError);
      expect(error.message).to.equal(message);
    }
  });

  it("builds one tree from an EVM snapshot and a legacy list; proofs found by address or HASH160", async function () {
    const evm = path.join(dir, "evm.csv");
    const legacy = path.join(dir, "legacy.csv");
    const out = path.join(dir, "airdrop");
    const evmHolders = ["0x1000000000000000000000000000000000000001", "0x2000000000000000000000000000000000000002"];
    writeFileSync(evm, `address,amount\n${evmHolders.map((h, i) => `${h},${(i + 1) * 1000}`).join("\n")}\n`);
    writeFileSync(legacy, `address,amount\n${addresses.map((a, i) => `${a},${(i + 1) * 10 ** 8}`).join("\n")}\n`);
    const { manifest, tree } = await buildAirdrop(evm, out, undefined, { csv: legacy, version: 38 }, { ozDump: true });
    expect(manifest.count).to.equal(7);
    expect(manifest.legacy).to.deep.equal({ version: 38, holders: 5 });
    expect((await readManifest(out)).legacy).to.deep.equal({ version: 38, holders: 5 });
    expect(tree.entries.map((e) => e.kind)).to.deep.equal([0, 0, 1, 1, 1, 1, 1]);
    expect(tree.total).to.equal(3000n + 15n * 10n ** 18n);

    const dump = StandardMerkleTree.load<string[]>(JSON.parse(readFileSync(path.join(out, "tree.json"), "utf8")));
    dump.validate();
    const values = tree.entries.map((e, i) => [String(i), String(e.kind), e.holder, String(e.amount)]);
    expect(StandardMerkleTree.of(values, [...LEAF_ENCODING]).root).to.equal(manifest.root);

    for (const [i, address] of addresses.entries()) {
      const byAddress = await findLegacyClaims(out, address);
      expect(byAddress).to.have.length(1);
      const claim = byAddress[0]!;
      expect(claim.index).to.equal(2 + i);
      expect(claim.amount).to.equal(String(BigInt(i + 1) * 10n ** 18n));
      expect(
        await findLegacyClaims(out, decodeLegacyAddress(address, 38).hash160.toUpperCase().replace("0X", "")),
      ).to.deep.equal(byAddress);
      const reached = await processProof(
        claim.index,
        { kind: 1, holder: claim.holder, amount: BigInt(claim.amount) },
        claim.proof,
      );
      expect([...manifest.topNodes, manifest.root]).to.include(reached);
    }
    expect(await findLegacyClaims(out, addressOfKey(publicKeyOf(keys[0]!, "uncompressed"), 38))).to.deep.equal([]);
    const wrongVersion = await rejected(() =>
      findLegacyClaims(out, addressOfKey(publicKeyOf(keys[0]!, "compressed"), 0)),
    );
    expect(wrongVersion.message).to.match(/version byte 0, not the chain's P2PKH version 38/);
  });

  it("builds from a legacy list alone, and writes nothing when it is bad", async function () {
    const legacy = path.join(dir, "only.csv");
    const out = path.join(dir, "only");
    writeFileSync(legacy, `address,amount\n${addresses[2]},7\n`);
    const { manifest } = await buildAirdrop(undefined, out, undefined, { csv: legacy, version: 38 });
    expect(manifest.count).to.equal(1);
    writeFileSync(legacy, `address,amount\n${addresses[2]},7\n${addresses[2]},8\n`);
    const error = await rejected(() =>
      buildAirdrop(undefined, path.join(dir, "none"), undefined, { csv: legacy, version: 38 }),
    );
    expect(error).to.be.instanceOf(InputError);
    expect(() => readFileSync(path.join(dir, "none", "manifest.json"))).to.throw();
  });

  describe("signLegacyClaim (offline)", function () {
    it("signs with the form of the snapshot address even when the WIF is marked with the other", async function () {
      const key = keys[1]!; // its snapshot address is the uncompressed one
      const out = path.join(dir, "airdrop");
      const signed = await signLegacyClaim({
        ...TARGET,
        wif: encodeWif(key, "compressed", 0xa6),
        version: 38,
        lookup: (h) => findLegacyClaims(out, h),
      });
      expect(signed.form).to.equal("uncompressed");
      expect(signed.address).to.equal(addresses[1]);
      expect(signed.claims!.map((c) => c.index)).to.deep.equal([3]);
      expect(signed.notes[0]).to.match(/WIF is marked compressed, but the snapshot address .* uncompressed key/);
      expect(bitcoinMessage.verify(signed.message, addresses[1]!, signed.signature, BITCOINJS_PREFIX)).to.equal(true);
    });

    it("says which addresses the key has when it is not the address given or not in the airdrop", async function () {
      const stranger = secp256k1.utils.randomSecretKey();
      const wif = encodeWif(stranger, "compressed", 0xa6);
      const mine = [
        addressOfKey(publicKeyOf(stranger, "compressed"), 38),
        addressOfKey(publicKeyOf(stranger, "uncompressed"), 38),
      ];
      const wrong = await rejected(() =>
        signLegacyClaim({ ...TARGET, wif, version: 38, expected: decodeLegacyAddress(addresses[0]!, 38).hash160 }),
      );
      expect(wrong.message).to.equal(
        `sign-legacy, field "--address": this key's addresses are ${mine[0]} (compressed) and ${mine[1]} (uncompressed); neither is the address given. Use the WIF of that address (the old wallet's dumpprivkey <address>)`,
      );
      const absent = await rejected(() =>
        signLegacyClaim({ ...TARGET, wif, version: 38, lookup: (h) => findLegacyClaims(path.join(dir, "airdrop"), h) }),
      );
      expect(absent.message).to.match(
        /this key's addresses .* are not in this airdrop: nothing to claim with this key/,
      );
      const badWif = await rejected(() => signLegacyClaim({ ...TARGET, wif: "5Hx", version: 38 }));
      expect(badWif.message).to.match(/^sign-legacy, field "--wif": the WIF key is not valid base58check/);
    });
  });
});

/** The address with its last character changed (to one it did not already have). */
function typo(address: string): string {
  return address.slice(0, -1) + (address.endsWith("x") ? "y" : "x");
}
