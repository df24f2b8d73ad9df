import { expect } from "chai";
import { network } from "hardhat";

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, getAddress, hexlify, keccak256 } from "ethers";

import { deployLocalSystem } from "../../deploy/local.js";
import { addLiquidity, connectUniswapV2 } from "../../harness/uniswap.js";
import { verifyAirdrop } from "../../src/airdrop/verify.js";
import { writeAirdrop } from "../../src/airdrop/directory.js";
import { deployEmissionSystem } from "../../harness/emission-system.js";
import { buybackEndedBuckets, claimRewards, providerBuckets } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { closeLease, keeperSweep, openLease, withdrawAll, type EscrowHandle } from "../../src/escrow.js";
import { executeOperation, handoverOperation, scheduleOperation, timelockOperation } from "../../src/governance.js";
import { GUT_P2PKH_VERSION } from "../../src/legacy/address.js";
import { evmAddressOfKey, hash160, publicKeyOf } from "../../src/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC, type ClaimTarget } from "../../src/legacy/message.js";
import { signLegacyMessage } from "../../src/legacy/sign.js";
import { LEAF_ENCODING, LeafKind, type LeafEntry } from "../../src/merkle/proof.js";
import { buildTree } from "../../src/merkle/tree.js";
import { registerNode } from "../../src/registry.js";
import { minTftOut } from "../../src/uniswap.js";
import { deployDelayedSystem } from "../helpers/governance.js";
import {
  ANY_PRICE,
  deployEscrowSystem,
  GTX_1080_TI,
  MIN_STAKE_PER_TU,
  NodeStatus,
  PRICE,
  RESERVATION_FEE_BPS,
  ReservationStatus,
  SLASH_BPS,
  UNIT,
} from "../contracts/LeaseEscrowFixture.js";

/**
 * One named test per attack class, against the real contracts, so that SECURITY.md can point at
 * one place. Where another suite already covers a class in depth, the test here repeats the
 * attack in its plainest form on the same fixtures.
 */

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const DAY = 86_400n;

/** The `System` module with a public network's delays, after the timelock accepted every admin. */
async function governedSystem() {
  const s = await deployDelayedSystem(connection);
  const timelock = s.timelock.connect(s.admin);
  const handover = await handoverOperation(s);
  await scheduleOperation(timelock, handover);
  await time.increase(2n * DAY);
  await executeOperation(timelock, handover);
  return s;
}

async function escrowSystem() {
  return deployEscrowSystem(ethers);
}

/** A node priced in a token with transfer hooks, and a 100-GUT-equivalent lease on it. */
async function reentrantTokenLease() {
  const s = await deployEscrowSystem(ethers);
  const re = await ethers.deployContract("ReentrantToken");
  await s.escrow.setPaymentToken(await re.getAddress(), true, 500);
  await s.registry.connect(s.provider).register(GTX_1080_TI, 1n, PRICE, await re.getAddress(), "");
  await re.mint(s.customer.address, 1_000n * UNIT);
  await re.connect(s.customer).approve(await s.escrow.getAddress(), ethers.MaxUint256);
  await s.escrow.connect(s.customer).openLease(2n, 100n * UNIT, ANY_PRICE);
  await time.increase(100n);
  await s.registry.connect(s.provider).heartbeat(2n);
  return { ...s, re };
}

interface LegacyKey {
  privateKey: Uint8Array;
  pubkey: Uint8Array;
  hash160: string;
}

function legacyKey(): LegacyKey {
  const privateKey = secp256k1.utils.randomSecretKey();
  const pubkey = publicKeyOf(privateKey, "compressed");
  return { privateKey, pubkey, hash160: getAddress(hexlify(hash160(pubkey))) };
}

/** The 65-byte signature `claimLegacy` takes, over the claim message for `target`. */
function signClaim(key: LegacyKey, target: ClaimTarget): string {
  return hexlify(Buffer.from(signLegacyMessage(claimMessage(target), key.privateKey, "compressed"), "base64"));
}

/**
 * Ten EVM holders, a legacy (kind 1) holder, and an EVM leaf whose account is the HASH160 of a
 * second old-chain key, under a distributor and its twin (same tree and funding), window open.
 */
async function mixedAirdrop() {
  const [admin, treasury, stranger, ...holders] = await ethers.getSigners();
  const [legacy, lookalike] = [legacyKey(), legacyKey()];
  const entries: LeafEntry[] = holders.slice(0, 10).map((h, i) => ({
    kind: LeafKind.Evm,
    holder: h.address,
    amount: BigInt(i + 1) * 100n * UNIT,
  }));
  entries.push({ kind: LeafKind.Legacy, holder: legacy.hash160, amount: 7n * UNIT });
  entries.push({ kind: LeafKind.Evm, holder: lookalike.hash160, amount: 9n * UNIT });
  const tree = await buildTree(entries, { threads: 1 });
  const gut = await ethers.deployContract("GUT", [0n, admin.address, treasury.address]);
  await gut.grantRole(await gut.MINTER_ROLE(), admin.address);
  const start = BigInt(await time.latest()) + 10n;
  const config = {
    token: await gut.getAddress(),
    merkleRoot: tree.root,
    total: tree.total,
    start,
    deadline: start + 30n * DAY,
    sweepTarget: treasury.address,
    topNodes: tree.topNodes,
    legacyMagic: DEFAULT_LEGACY_MAGIC,
    legacyVersion: GUT_P2PKH_VERSION,
  };
  const distributor = await ethers.deployContract("TokenSwapDistributor", [config, 0n, admin.address]);
  const twin = await ethers.deployContract("TokenSwapDistributor", [config, 0n, admin.address]);
  for (const d of [distributor, twin]) await gut.mint(await d.getAddress(), tree.total);
  await time.increaseTo(start);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { gut, distributor, twin, tree, config, admin, stranger, legacy, lookalike, chainId, recipient: holders[0]! };
}

const scratch = mkdtempSync(path.join(tmpdir(), "gpufog-attacks-"));

/** The mixed airdrop written out as `airdrop:build` writes it (manifest, dump, shards), to tamper with. */
async function mixedAirdropDirectory() {
  const f = await mixedAirdrop();
  const dir = path.join(scratch, "airdrop");
  writeAirdrop(f.tree, dir, undefined, { version: GUT_P2PKH_VERSION, holders: 1 }, { ozDump: true });
  return { ...f, dir };
}

interface Dump {
  tree: string[];
  values: { value: string[]; treeIndex: number }[];
}

let copies = 0;

/** A copy of the airdrop directory `dir` whose dump `edit` changed, and the dump's path. */
function tampered(dir: string, edit: (dump: Dump) => void): { dir: string; file: string; dump: Dump } {
  const copy = path.join(scratch, `tampered-${copies++}`);
  cpSync(dir, copy, { recursive: true });
  const file = path.join(copy, "tree.json");
  const dump = JSON.parse(readFileSync(file, "utf8")) as Dump;
  edit(dump);
  writeFileSync(file, JSON.stringify(dump));
  return { dir: copy, file, dump };
}

/** The one-line error `verifyAirdrop` refuses with; fails the test if it accepts. */
async function verifyRefusal(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => new Error("verifyAirdrop accepted the dump"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(InputError, (error as Error).message);
  return (error as InputError).message;
}

type Airdrop = Awaited<ReturnType<typeof mixedAirdrop>>;

/** `claimLegacy`'s arguments for leaf `index`, paid to the fixture's recipient. */
function legacyArgs(f: Airdrop, index: number, key: LegacyKey, signature: string) {
  const entry = f.tree.entries[index]!;
  return [
    index,
    entry.holder,
    entry.amount,
    f.tree.shortProof(index),
    f.recipient.address,
    hexlify(key.pubkey),
    signature,
  ] as const;
}

/** GUT, TFT, Uniswap V2 from npm, the emission contract and a 1M/1M GUT/TFT pool, TWAP primed. */
async function emissionWithPool() {
  const [admin, keeper, escrow, attacker] = await ethers.getSigners();
  const system = await deployEmissionSystem(admin);
  const { gut, tft, emission, uni } = system;
  await emission.grantRole(await emission.KEEPER_ROLE(), keeper.address);
  await emission.grantRole(await emission.ESCROW_ROLE(), escrow.address);
  const fee = 10_000n * UNIT;
  await gut.transfer(await emission.getAddress(), fee);
  await emission.connect(escrow).recordFee(escrow.address, await gut.getAddress(), fee);
  for (const token of [gut, tft]) {
    await token.transfer(attacker.address, 200_000n * UNIT);
    await token.connect(attacker).approve(await uni.router.getAddress(), ethers.MaxUint256);
  }
  // The fee's bucket (epoch 0) can be sold once epoch 0 has ended.
  await time.increase(await emission.epochLength());
  await emission.observe(await gut.getAddress());
  await time.increase(await emission.twapWindow());
  return { ...system, admin, keeper, escrow, attacker, fee };
}

/**
 * The whole market through the Ignition System module (Uniswap V2 from the npm builds), with a
 * GUT/TFT pool of `poolGut`/`poolTft`, an honest provider and an attacker with one 1-TU node each,
 * and a customer for each (the attacker's "customer" is its own second account). Fees are 5 %.
 */
async function market(poolGut: bigint, poolTft: bigint) {
  const [deployer, , keeper, honest, attacker, puppet, customer] = await ethers.getSigners();
  const tree = await buildTree([{ kind: LeafKind.Evm, holder: customer!.address, amount: UNIT }], { threads: 1 });
  const { contracts, book } = await deployLocalSystem(connection, {
    root: tree.root,
    total: tree.total.toString(),
    topNodes: tree.topNodes,
  });
  const { gut, tft, registry, escrow, emission } = contracts;
  const uni = await connectUniswapV2(book.uniswap.router, deployer!);
  await addLiquidity(uni, deployer!, gut, poolGut, tft, poolTft);
  for (const who of [honest!, attacker!, puppet!, customer!]) {
    await gut.transfer(who.address, 100_000n * UNIT);
    await tft.transfer(who.address, 100_000n * UNIT);
  }
  for (const who of [attacker!, puppet!]) {
    for (const token of [gut, tft]) await token.connect(who).approve(book.uniswap.router, ethers.MaxUint256);
  }
  const h: EscrowHandle = { escrow, registry };
  return {
    gut,
    tft,
    registry,
    escrow,
    emission,
    uni,
    h,
    deployer: deployer!,
    keeper: keeper!,
    honest: honest!,
    attacker: attacker!,
    puppet: puppet!,
    customer: customer!,
  };
}

type Market = Awaited<ReturnType<typeof market>>;

/** Registers a 1-TU node of `provider` priced at `pricePerTuHour` in `token`. */
async function nodeOf(m: Market, provider: Market["honest"], pricePerTuHour: bigint, token: string) {
  const { nodeId } = await registerNode(
    m.registry,
    provider,
    { model: "GTX 1080 Ti", gpuCount: 1n, pricePerTuHour, paymentToken: token, uri: "" },
    "attack",
  );
  return nodeId;
}

/** Moves time forward by `seconds`, the live nodes heartbeating every 5 minutes. */
async function advance(m: Market, seconds: bigint, nodes: [Market["honest"], bigint][]) {
  for (let left = seconds; left > 0n; left -= 300n) {
    await time.increase(left < 300n ? left : 300n);
    for (const [owner, node] of nodes) await m.registry.connect(owner).heartbeat(node);
  }
}

/** The start of `epoch` on the emission's clock. */
async function epochStart(m: Market, epoch: bigint): Promise<bigint> {
  return (await m.emission.genesis()) + epoch * (await m.emission.epochLength());
}

/**
 * The wash-leasing scene at the start of epoch 1: an honest node (priced in GUT) leased by a
 * customer for 20,000 GUT, and the attacker's node (priced in `token`) leased by its own puppet
 * for `deposit`; both heartbeating, 1,500 s in.
 */
async function washMarket(m: Market, wash: { token: string; price: bigint; deposit: bigint }) {
  const honestNode = await nodeOf(m, m.honest, 21_200n * UNIT, await m.gut.getAddress());
  const washNode = await nodeOf(m, m.attacker, wash.price, wash.token);
  const live: [Market["honest"], bigint][] = [
    [m.honest, honestNode],
    [m.attacker, washNode],
  ];
  await time.increaseTo((await epochStart(m, 1n)) + 60n);
  // The providers' agents are up: a node that went silent cannot be leased.
  await m.registry.connect(m.honest).heartbeat(honestNode);
  await m.registry.connect(m.attacker).heartbeat(washNode);
  await openLease(m.h, m.customer, honestNode, 20_000n * UNIT, ANY_PRICE);
  const washLease = await openLease(m.h, m.puppet, washNode, wash.deposit, ANY_PRICE);
  await advance(m, 1_500n, live);
  return { live, washLease };
}

/** The keeper's round as the README prescribes it: forward every fee, then buy back all it may. */
async function keeperRound(m: Market, tokens: string[]) {
  await keeperSweep(m.h, m.keeper);
  const round = await buybackEndedBuckets(m.emission.connect(m.keeper), { tokens, now: BigInt(await time.latest()) });
  expect(round.failed).to.deep.equal([]);
}

/**
 * The most the phase-one bound lets `who` get: `RELEASE_BPS × minerShare` of the TFT its own fees
 * bought.
 */
async function phaseOneBound(m: Market, who: string): Promise<bigint> {
  const bought = (await providerBuckets(m.emission, who)).reduce((a, b) => a + b.boughtByFee, 0n);
  return (bought * (await m.emission.RELEASE_BPS()) * (await m.emission.minerShareBps())) / 10n ** 8n;
}

/** The attacker claims every reward it can and sells the TFT for GUT on the pool. */
async function claimAndSell(m: Market): Promise<{ tft: bigint; gut: bigint }> {
  const before = await m.tft.balanceOf(m.attacker.address);
  await claimRewards(m.emission.connect(m.attacker));
  const rewards = (await m.tft.balanceOf(m.attacker.address)) - before;
  if (rewards === 0n) return { tft: 0n, gut: 0n };
  const gutBefore = await m.gut.balanceOf(m.attacker.address);
  await m.uni.router.connect(m.attacker).getFunction("swapExactTokensForTokens")(
    rewards,
    0n,
    [await m.tft.getAddress(), await m.gut.getAddress()],
    m.attacker.address,
    BigInt(await time.latest()) + 600n,
  );
  return { tft: rewards, gut: (await m.gut.balanceOf(m.attacker.address)) - gutBefore };
}

/** The market with a 1M/1M GUT/TFT pool (1 TFT = 1 GUT). */
const evenMarket = () => market(1_000_000n * UNIT, 1_000_000n * UNIT);
/** The market with a 1M/2M GUT/TFT pool (1 TFT = 0.5 GUT), TFT accepted for leases at a 5 % fee. */
async function cheapTftMarket() {
  const m = await market(1_000_000n * UNIT, 2_000_000n * UNIT);
  await allowTft(m);
  return m;
}

/** Lets leases be paid in TFT, at the same 5 % fee as GUT. */
async function allowTft(m: Market) {
  await m.escrow.setPaymentToken(await m.tft.getAddress(), true, 500);
}

/** `x` as a multiple with two decimals. */
const ratio = (num: bigint, den: bigint) => Number((num * 10_000n) / den) / 10_000;

describe("Attacks", function () {
  describe("reentrancy", function () {
    it("a malicious ERC-20 re-entering the escrow from its transfer hook is refused", async function () {
      const { escrow, re, provider } = await loadFixture(reentrantTokenLease);
      await re.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("withdraw", [[1n]]));
      await expect(escrow.connect(provider).withdraw([1n])).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("a malicious receiver (fee collector) re-entering the escrow while fees are recorded is refused", async function () {
      const { escrow, registry, provider, customer, nodeId } = await loadFixture(escrowSystem);
      await escrow.connect(customer).openLease(nodeId, 100n * UNIT, ANY_PRICE);
      await time.increase(100n);
      const hostile = await ethers.deployContract("ReentrantFeeCollector");
      await hostile.arm(await escrow.getAddress(), escrow.interface.encodeFunctionData("forwardFees", [[1n]]));
      await escrow.setFeeCollector(await hostile.getAddress());
      await registry.connect(provider).heartbeat(nodeId);
      await escrow.connect(provider).withdraw([1n]);
      await expect(escrow.forwardFees([1n])).to.be.revertedWithCustomError(escrow, "ReentrancyGuardReentrantCall");
    });
  });

  describe("Merkle proofs", function () {
    it("a second preimage (a 64-byte inner node presented as a leaf) is refused", async function () {
      const { distributor, tree } = await loadFixture(mixedAirdrop);
      const [low, high] = [tree.node(3), tree.node(4)].sort();
      expect(keccak256(concat([low!, high!]))).to.equal(tree.node(1));
      const [index, account, amount] = [BigInt(low!), ethers.getAddress("0x" + high!.slice(-40)), BigInt(high!)];
      await expect(distributor.claim(index, account, amount, [tree.node(2)]))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(index, account, amount);
    });

    it("cross-kind confusion: a leaf's proof pays only through its own kind's claim", async function () {
      const f = await loadFixture(mixedAirdrop);
      const { distributor, tree, gut } = f;
      const legacy = tree.entries.findIndex((e) => e.kind === LeafKind.Legacy);
      const entry = tree.entries[legacy]!;
      await expect(distributor.claim(legacy, entry.holder, entry.amount, tree.shortProof(legacy)))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(legacy, entry.holder, entry.amount);
      // The other way: an EVM leaf whose account is the HASH160 of a key the attacker holds, with
      // a valid signature from that key, is still an EVM leaf.
      const lookalike = tree.entries.findIndex((e) => e.holder === f.lookalike.hash160);
      const target = {
        recipient: f.recipient.address,
        chainId: f.chainId,
        distributor: await distributor.getAddress(),
      };
      const args = legacyArgs(f, lookalike, f.lookalike, signClaim(f.lookalike, target));
      await expect(distributor.claimLegacy(...args))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(lookalike, f.lookalike.hash160, tree.entries[lookalike]!.amount);
      expect(await distributor.isClaimed(legacy)).to.equal(false);
      expect(await distributor.isClaimed(lookalike)).to.equal(false);
      expect(await gut.balanceOf(f.recipient.address)).to.equal(0n);
    });

    it("signature replay across chain ids and distributors is refused", async function () {
      const f = await loadFixture(mixedAirdrop);
      const { distributor, twin, tree } = f;
      const index = tree.entries.findIndex((e) => e.kind === LeafKind.Legacy);
      const signer = evmAddressOfKey(f.legacy.pubkey);
      const here = { recipient: f.recipient.address, chainId: f.chainId, distributor: await distributor.getAddress() };
      const valid = signClaim(f.legacy, here);
      // The same signature on the twin distributor: its message names the other address.
      await expect(twin.claimLegacy(...legacyArgs(f, index, f.legacy, valid)))
        .to.be.revertedWithCustomError(twin, "SignatureMismatch")
        .withArgs(signer, (recovered: string) => recovered !== signer);
      // A signature made for another chain id (a fork or a testnet deployment at the same address).
      const otherChain = signClaim(f.legacy, { ...here, chainId: 1n });
      await expect(distributor.claimLegacy(...legacyArgs(f, index, f.legacy, otherChain)))
        .to.be.revertedWithCustomError(distributor, "SignatureMismatch")
        .withArgs(signer, (recovered: string) => recovered !== signer);
      // The valid one pays once; replayed on the same distributor it is refused.
      await expect(distributor.claimLegacy(...legacyArgs(f, index, f.legacy, valid))).to.emit(
        distributor,
        "LegacyClaimed",
      );
      await expect(distributor.claimLegacy(...legacyArgs(f, index, f.legacy, valid)))
        .to.be.revertedWithCustomError(distributor, "AlreadyClaimed")
        .withArgs(index);
    });
  });

  describe("airdrop dump", function () {
    after(function () {
      rmSync(scratch, { recursive: true, force: true });
    });

    it("airdrop:verify refuses a dump whose leaf value was altered, naming the value", async function () {
      const { dir, distributor } = await loadFixture(mixedAirdropDirectory);
      // A holder's amount raised a thousandfold: the root at the head of the file is unchanged.
      const t = tampered(dir, (d) => (d.values[3]!.value[3] = (BigInt(d.values[3]!.value[3]!) * 1000n).toString()));
      expect(() =>
        StandardMerkleTree.load({ format: "standard-v1", leafEncoding: [...LEAF_ENCODING], ...t.dump }),
      ).to.throw();
      const at = t.dump.values[3]!.treeIndex;
      expect(await verifyRefusal(verifyAirdrop(t.dir, await distributor.getAddress(), ethers.provider, 4))).to.equal(
        `${t.file}, field "values[3]": its leaf hash is not tree[${at}] (${t.dump.tree[at]}): the value or that node was altered`,
      );
    });

    it("airdrop:verify refuses a dump whose inner node was altered, naming the node", async function () {
      const { dir, distributor } = await loadFixture(mixedAirdropDirectory);
      const t = tampered(dir, (d) => (d.tree[9] = keccak256("0x01")));
      expect(() =>
        StandardMerkleTree.load({ format: "standard-v1", leafEncoding: [...LEAF_ENCODING], ...t.dump }),
      ).to.throw();
      expect(await verifyRefusal(verifyAirdrop(t.dir, await distributor.getAddress(), ethers.provider, 4))).to.equal(
        `${t.file}, field "tree[9]": ${keccak256("0x01")} is not the hash of its children tree[19] and tree[20]`,
      );
    });

    it("airdrop:verify fails a distributor whose legacyMagic or address version is not the airdrop's", async function () {
      const { dir, distributor, config, gut } = await loadFixture(mixedAirdropDirectory);
      expect((await verifyAirdrop(dir, await distributor.getAddress(), ethers.provider, 4)).ok).to.equal(true);
      const wrong = [
        { legacyMagic: "Bitcoin Signed Message:\n", failed: "contract legacyMagic = signing magic" },
        { legacyVersion: 0, failed: "contract legacyAddressVersion = manifest legacy.version" },
      ];
      for (const { failed, ...change } of wrong) {
        const other = await ethers.deployContract("TokenSwapDistributor", [
          { ...config, ...change },
          0n,
          config.sweepTarget,
        ]);
        await gut.mint(await other.getAddress(), config.total);
        const result = await verifyAirdrop(dir, await other.getAddress(), ethers.provider, 4);
        expect(result.ok).to.equal(false);
        expect(result.checks.filter((c) => !c.ok).map((c) => c.what)).to.deep.equal([failed]);
      }
    });

    it("airdrop:verify refuses every dump StandardMerkleTree.load(dump).validate() rejects, and a leaf hidden from the values", async function () {
      const { dir, distributor } = await loadFixture(mixedAirdropDirectory);
      const address = await distributor.getAddress();
      const cases: { edit: (d: Dump) => void; ozAccepts?: true; message: (d: Dump) => string }[] = [
        {
          // Two holders' leaves swapped: each proof then pays the other's amount to nobody.
          edit: (d) =>
            ([d.values[1]!.treeIndex, d.values[6]!.treeIndex] = [d.values[6]!.treeIndex, d.values[1]!.treeIndex]),
          message: (d) =>
            `field "values[1]": its leaf hash is not tree[${d.values[1]!.treeIndex}] (${d.tree[d.values[1]!.treeIndex]})`,
        },
        {
          edit: (d) => (d.tree[d.values[5]!.treeIndex] = keccak256("0x02")),
          message: (d) =>
            `field "values[5]": its leaf hash is not tree[${d.values[5]!.treeIndex}] (${keccak256("0x02")})`,
        },
        {
          edit: (d) => (d.tree[0] = keccak256("0x03")),
          message: () => `field "tree[0]": ${keccak256("0x03")} is not the hash of its children tree[1] and tree[2]`,
        },
        {
          edit: (d) => (d.values[2]!.treeIndex = d.values[4]!.treeIndex),
          message: (d) => `field "values[4].treeIndex": ${d.values[4]!.treeIndex} is the leaf of an earlier value too`,
        },
        {
          // OpenZeppelin's validate() checks only the values it is given: a leaf with no value
          // still counts in the root, a claim the holder list does not show.
          edit: (d) => d.values.pop(),
          ozAccepts: true,
          message: () => `field "tree": has 23 nodes; 11 values need 21`,
        },
      ];
      for (const { edit, ozAccepts, message } of cases) {
        const t = tampered(dir, edit);
        const load = () =>
          StandardMerkleTree.load({ format: "standard-v1", leafEncoding: [...LEAF_ENCODING], ...t.dump });
        if (ozAccepts) expect(load).not.to.throw();
        else expect(load).to.throw();
        expect(await verifyRefusal(verifyAirdrop(t.dir, address, ethers.provider, 4))).to.satisfy((m: string) =>
          m.startsWith(`${t.file}, ${message(t.dump)}`),
        );
      }
    });
  });

  describe("buyback", function () {
    it("a sandwich around a buyback is refused by the TWAP guard", async function () {
      const { emission, gut, tft, uni, keeper, attacker, fee } = await loadFixture(emissionWithPool);
      const [gutAddress, tftAddress] = [await gut.getAddress(), await tft.getAddress()];
      const quote = await emission.twapQuote(gutAddress, fee);
      const minOut = minTftOut(quote, await emission.maxSlippageBps());
      // Front-run: the attacker buys TFT with GUT, so the keeper's GUT would buy far less TFT.
      const deadline = BigInt(await time.latest()) + 600n;
      await uni.router.connect(attacker).getFunction("swapExactTokensForTokens")(
        100_000n * UNIT,
        0n,
        [gutAddress, tftAddress],
        attacker.address,
        deadline,
      );
      // The manipulated price lasted one block, so the TWAP barely moved.
      expect(await emission.twapQuote(gutAddress, fee)).to.be.closeTo(quote, quote / 1_000n);
      await expect(emission.connect(keeper).buyback(gutAddress, 0n, fee, minOut, deadline)).to.be.revertedWith(
        "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT",
      );
      // Nor can a keeper waive the guard to let the sandwich through.
      await expect(emission.connect(keeper).buyback(gutAddress, 0n, fee, 0n, deadline))
        .to.be.revertedWithCustomError(emission, "BelowTwapQuote")
        .withArgs(0n, (floor: bigint) => floor > (minOut * 999n) / 1_000n);
      expect(await gut.balanceOf(await emission.getAddress())).to.equal(fee);
    });
  });

  describe("mining rewards", function () {
    it("reward sniping by wash leasing next to a large unforwarded fee returns less than it costs", async function () {
      const m = await loadFixture(evenMarket);
      const gut = await m.gut.getAddress();
      const { live, washLease } = await washMarket(m, { token: gut, price: 2_400n * UNIT, deposit: 2_100n * UNIT });
      await m.emission.connect(m.keeper).observe(gut);
      await advance(m, 1_500n, live);
      // The honest provider withdraws; its large fee waits in the escrow for anyone to forward.
      const honestFee = (await withdrawAll(m.h, m.honest)).reduce((a, w) => a + w.fee, 0n);
      // The attacker sees it, withdraws from its own wash lease and forwards its own fee at once.
      const paid = (await withdrawAll(m.h, m.attacker)).reduce((a, w) => a + w.fee, 0n);
      await m.escrow.forwardFees([washLease]);
      await closeLease(m.h, m.puppet, washLease);
      // The next epoch's keeper round forwards everything, then buys back what it may.
      await advance(m, (await epochStart(m, 2n)) + 60n - BigInt(await time.latest()), live);
      await keeperRound(m, [gut]);
      await advance(m, 1_500n, live);
      await m.emission.connect(m.keeper).observe(gut);
      await advance(m, (await epochStart(m, 3n)) + 60n - BigInt(await time.latest()), live);
      await keeperRound(m, [gut]);
      const bound = await phaseOneBound(m, m.attacker.address);
      const sold = await claimAndSell(m);
      expect(sold.tft).to.be.at.most(bound);
      const honestBefore = await m.tft.balanceOf(m.honest.address);
      await claimRewards(m.emission.connect(m.honest));
      const honestGot = (await m.tft.balanceOf(m.honest.address)) - honestBefore;
      const r = ratio(sold.gut, paid);
      console.log(
        `      sniping: attacker paid ${ethers.formatUnits(paid)} GUT of fee, got ${ethers.formatUnits(sold.tft)} TFT, ` +
          `sold for ${ethers.formatUnits(sold.gut)} GUT: return x${r}; the honest provider paid ` +
          `${ethers.formatUnits(honestFee)} GUT and got ${ethers.formatUnits(honestGot)} TFT`,
      );
      expect(sold.gut).to.be.lessThan(paid);
    });

    it("wash leasing in a token its weight overvalues (TFT at 0.5 GUT) returns less than it costs", async function () {
      const m = await loadFixture(cheapTftMarket);
      const [gut, tft] = [await m.gut.getAddress(), await m.tft.getAddress()];
      const { live, washLease } = await washMarket(m, { token: tft, price: 4_800n * UNIT, deposit: 4_200n * UNIT });
      await m.emission.connect(m.keeper).observe(gut);
      await advance(m, 1_500n, live);
      await withdrawAll(m.h, m.honest);
      const paid = (await withdrawAll(m.h, m.attacker)).reduce((a, w) => a + w.fee, 0n);
      await closeLease(m.h, m.puppet, washLease);
      await keeperSweep(m.h, m.keeper);
      await advance(m, (await epochStart(m, 2n)) + 60n - BigInt(await time.latest()), live);
      await keeperRound(m, [gut, tft]);
      await advance(m, (await epochStart(m, 3n)) + 60n - BigInt(await time.latest()), live);
      const bound = await phaseOneBound(m, m.attacker.address);
      const before = await m.tft.balanceOf(m.attacker.address);
      await claimRewards(m.emission.connect(m.attacker));
      const got = (await m.tft.balanceOf(m.attacker.address)) - before;
      expect(got).to.be.at.most(bound);
      console.log(
        `      weights: attacker paid ${ethers.formatUnits(paid)} TFT of fee and got ${ethers.formatUnits(got)} TFT: ` +
          `return x${ratio(got, paid)}`,
      );
      expect(got).to.be.lessThan(paid);
    });
  });

  describe("griefing", function () {
    it("a dust lease drains at once and anyone can close it, returning the node to Idle", async function () {
      const { escrow, registry, provider, other, keeper, nodeId } = await loadFixture(escrowSystem);
      await escrow.connect(other).openLease(nodeId, 1n, ANY_PRICE);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Sharing);
      await registry.connect(provider).heartbeat(nodeId);
      await expect(escrow.connect(keeper).closeLease(1n)).to.emit(escrow, "LeaseClosed");
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Idle);
    });
  });

  describe("access", function () {
    it("a status-machine bypass through direct calls to the registry is refused", async function () {
      const { registry, escrow, provider, customer, other, nodeId } = await loadFixture(escrowSystem);
      const role = await registry.ESCROW_ROLE();
      for (const call of [
        registry.connect(other).startLease(nodeId),
        registry.connect(other).holdForReservation(nodeId),
        registry.connect(provider).startLease(nodeId),
        registry.connect(provider).release(nodeId),
        registry.connect(customer).slash(nodeId, customer.address, ethers.MaxUint256),
      ]) {
        await expect(call).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      }
      await escrow.connect(customer).openLease(nodeId, 100n * UNIT, ANY_PRICE);
      // A provider cannot step out of a lease, or unbond, behind the escrow's back.
      await expect(registry.connect(provider).goOffline(nodeId))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(nodeId, NodeStatus.Sharing);
      await expect(registry.connect(provider).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(nodeId, NodeStatus.Sharing);
      await expect(registry.connect(other).markDisconnected(nodeId)).to.be.revertedWithCustomError(
        registry,
        "HeartbeatNotStale",
      );
      expect(await registry.hasRole(role, await escrow.getAddress())).to.equal(true);
    });

    it("a role escalation attempt is refused on every contract", async function () {
      const { registry, escrow, gut, admin, other } = await loadFixture(escrowSystem);
      const roles = [await registry.AUDITOR_ROLE(), await escrow.PAUSER_ROLE(), await gut.MINTER_ROLE()];
      for (const [i, c] of [registry, escrow, gut].entries()) {
        await expect(c.connect(other).grantRole(roles[i]!, other.address)).to.be.revertedWithCustomError(
          c,
          "AccessControlUnauthorizedAccount",
        );
        await expect(c.connect(other).beginDefaultAdminTransfer(other.address)).to.be.revertedWithCustomError(
          c,
          "AccessControlUnauthorizedAccount",
        );
        // Even the admin cannot hand out the admin role in one step.
        await expect(c.connect(admin).grantRole(ethers.ZeroHash, other.address)).to.be.revertedWithCustomError(
          c,
          "AccessControlEnforcedDefaultAdminRules",
        );
      }
      // The escrow holds ESCROW_ROLE but cannot grant it on.
      const escrowSigner = await ethers.getImpersonatedSigner(await escrow.getAddress());
      await networkHelpers.setBalance(await escrow.getAddress(), UNIT);
      await expect(
        registry.connect(escrowSigner).grantRole(await registry.ESCROW_ROLE(), other.address),
      ).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      await expect(gut.connect(other).mint(other.address, 1n)).to.be.revertedWithCustomError(
        gut,
        "AccessControlUnauthorizedAccount",
      );
    });
  });

  /**
   * The wave-2 review's findings (issue "Hardening"): each test replays the attack as measured on
   * the old contracts and asserts that it no longer pays. SECURITY.md gives the figures.
   */
  describe("hardening", function () {
    const HOUR = 3_600n;

    /** A 1,000-GUT lease on node 1 with one heartbeat inside it, then five silent hours. */
    async function silentLease() {
      const s = await deployEscrowSystem(ethers);
      await s.escrow.connect(s.customer).openLease(s.nodeId, 1_000n * UNIT, PRICE);
      await time.increase(60n);
      await s.registry.connect(s.provider).heartbeat(s.nodeId);
      const lastHeartbeat = (await s.registry.node(s.nodeId)).lastHeartbeat;
      const lease = await s.escrow.lease(1n);
      await time.increase(5n * HOUR);
      return { ...s, lastHeartbeat, paidToHeartbeat: (lease.rate * (lastHeartbeat - lease.start)) / 3_600_000n };
    }

    it("a late heartbeat does not erase an outage: the customer pays to the last heartbeat and the stake is slashed", async function () {
      const { escrow, registry, gut, provider, customer, nodeId, lastHeartbeat, paidToHeartbeat } =
        await loadFixture(silentLease);
      const before = await gut.balanceOf(customer.address);
      // The provider wakes up and heartbeats before anyone marks the node: the outage stays.
      await registry.connect(provider).heartbeat(nodeId);
      const n = await registry.node(nodeId);
      expect([n.status, n.lastHeartbeat]).to.deep.equal([BigInt(NodeStatus.Disconnect), lastHeartbeat]);
      await expect(escrow.connect(provider).closeLease(1n)).to.emit(registry, "Slashed");
      const lease = await escrow.lease(1n);
      expect(lease.paid).to.equal(paidToHeartbeat);
      const slash = (MIN_STAKE_PER_TU * SLASH_BPS) / 10_000n;
      expect((await gut.balanceOf(customer.address)) - before).to.equal(1_000n * UNIT - paidToHeartbeat + slash);
      // And the node reconnects with the provider's next heartbeat, once the lease is closed.
      await expect(registry.connect(provider).heartbeat(nodeId))
        .to.emit(registry, "StatusChanged")
        .withArgs(nodeId, NodeStatus.Disconnect, NodeStatus.Idle);
    });

    it("a provider closing its own stale, unmarked lease is slashed and paid only to its last heartbeat", async function () {
      const { escrow, registry, provider, customer, nodeId, paidToHeartbeat } = await loadFixture(silentLease);
      const slash = (MIN_STAKE_PER_TU * SLASH_BPS) / 10_000n;
      await expect(escrow.connect(provider).closeLease(1n))
        .to.emit(escrow, "LeaseClosed")
        .withArgs(1n, provider.address, paidToHeartbeat, 1_000n * UNIT - paidToHeartbeat, slash);
      expect((await registry.node(nodeId)).status).to.equal(NodeStatus.Disconnect);
      expect((await escrow.lease(1n)).customer).to.equal(customer.address);
    });

    it("a price raised under a customer's pending openLease or reserve is refused by the customer's bound", async function () {
      const { escrow, registry, gut, provider, customer, nodeId } = await loadFixture(escrowSystem);
      const shown = (await registry.node(nodeId)).pricePerTuHour;
      // The provider sees the pending transaction and raises its price first.
      const huge = 10_000n * 3_600n * UNIT;
      await registry.connect(provider).update(nodeId, huge, "");
      const before = await gut.balanceOf(customer.address);
      await expect(escrow.connect(customer).openLease(nodeId, 1_000n * UNIT, shown))
        .to.be.revertedWithCustomError(escrow, "PriceAboveBound")
        .withArgs(nodeId, huge, shown);
      const start = BigInt(await time.latest()) + HOUR;
      await expect(escrow.connect(customer).reserve(nodeId, start, HOUR, 1_000n * UNIT, shown))
        .to.be.revertedWithCustomError(escrow, "PriceAboveBound")
        .withArgs(nodeId, huge, shown);
      expect(await gut.balanceOf(customer.address)).to.equal(before);
    });

    it("a provider going offline and back in one block has failed the reservation: the customer gets it all back", async function () {
      const { escrow, registry, gut, provider, customer, other, nodeId } = await loadFixture(escrowSystem);
      const start = BigInt(await time.latest()) + 2n * HOUR;
      const deposit = 100n * UNIT;
      await escrow.connect(customer).reserve(nodeId, start, 2n * HOUR, deposit, PRICE);
      const before = await gut.balanceOf(customer.address);
      // heartbeat, goOffline and expireReservation bundled in one block.
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        await registry.connect(provider).heartbeat(nodeId);
        await registry.connect(provider).goOffline(nodeId);
        await escrow.connect(other).expireReservation(1n);
        await ethers.provider.send("evm_mine", []);
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      const r = await escrow.reservation(1n);
      expect(r.status).to.equal(ReservationStatus.Expired);
      expect((await gut.balanceOf(customer.address)) - before).to.equal(deposit);
      expect(await escrow.leaseCount()).to.equal(0n);
    });

    it("a dust lease cannot farm a stake: the slash is bounded by the lease's deposit", async function () {
      const { escrow, registry, gut, provider, other, nodeId } = await loadFixture(escrowSystem);
      await escrow.connect(other).openLease(nodeId, 1n, PRICE);
      await time.increase(1n);
      await registry.connect(provider).heartbeat(nodeId);
      await time.increase(15n * 60n);
      const before = await gut.balanceOf(other.address);
      await escrow.connect(other).closeLease(1n);
      // The whole 1-wei deposit was paid for the second the node was up; the slash is capped at it.
      expect((await gut.balanceOf(other.address)) - before).to.be.lessThanOrEqual(1n);
      expect((await registry.node(nodeId)).stake).to.be.greaterThanOrEqual(MIN_STAKE_PER_TU - 1n);
    });

    it("a one-second reservation a week ahead costs the reservation fee of the whole week it holds the node", async function () {
      const { escrow, registry, other, nodeId } = await loadFixture(escrowSystem);
      const now = BigInt(await time.latest());
      const start = now + 7n * DAY - 10n;
      const rate = PRICE * 1_000n;
      // The fee prices the hold, from the reservation to the end of the window.
      const weekFee = (((rate * (7n * DAY - 10n)) / 3_600_000n) * RESERVATION_FEE_BPS) / 10_000n;
      await expect(
        escrow.connect(other).reserve(nodeId, start, 1n, 10n ** 14n + 1n, PRICE),
      ).to.be.revertedWithCustomError(escrow, "DepositBelowFee");
      await escrow.connect(other).reserve(nodeId, start, 1n, weekFee + UNIT, PRICE);
      const fee = (await escrow.reservation(1n)).fee;
      // A few seconds pass between reading the clock and mining the reservation.
      const lessAMinute = (((rate * (7n * DAY - 70n)) / 3_600_000n) * RESERVATION_FEE_BPS) / 10_000n;
      expect(fee).to.be.greaterThanOrEqual(lessAMinute);
      expect(fee).to.be.greaterThan(50n * UNIT);
      expect((await registry.node(nodeId)).status).to.equal(NodeStatus.Reserved);
    });

    it("the slash entry point refuses a node with no open lease, even for an ESCROW_ROLE holder", async function () {
      const { registry, admin, other, nodeId } = await loadFixture(escrowSystem);
      // Governance grants itself the escrow's role (on real networks only through the timelock).
      await registry.connect(admin).grantRole(await registry.ESCROW_ROLE(), admin.address);
      await expect(registry.connect(admin).slash(nodeId, other.address, ethers.MaxUint256))
        .to.be.revertedWithCustomError(registry, "NotEngaged")
        .withArgs(nodeId);
    });
  });

  describe("governance", function () {
    it("governance cannot grant itself ESCROW_ROLE without notice", async function () {
      // The System module as on a public network: a two-day timelock, one-day admin delays, and
      // governance's first operation (the timelock accepts every admin) done.
      const s = await loadFixture(governedSystem);
      const registry = await s.registry.getAddress();
      const escrowRole = await s.registry.ESCROW_ROLE();
      // At once, directly: the multisig is no admin of the registry.
      await expect(s.registry.connect(s.admin).grantRole(escrowRole, s.admin.address))
        .to.be.revertedWithCustomError(s.registry, "AccessControlUnauthorizedAccount")
        .withArgs(s.admin.address, ethers.ZeroHash);
      // At once, through the timelock: no delay below the minimum is accepted.
      const timelock = s.timelock.connect(s.admin);
      const grant = timelockOperation([
        { target: registry, data: s.registry.interface.encodeFunctionData("grantRole", [escrowRole, s.admin.address]) },
      ]);
      await expect(scheduleOperation(timelock, grant, 0n)).to.be.revertedWithCustomError(
        s.timelock,
        "TimelockInsufficientDelay",
      );
      // Scheduled in public (CallScheduled names the registry and the grant), it waits two days.
      await expect(scheduleOperation(timelock, grant)).to.emit(s.timelock, "CallScheduled");
      await time.increase(2n * DAY - 60n);
      await expect(executeOperation(timelock, grant)).to.be.revertedWithCustomError(
        s.timelock,
        "TimelockUnexpectedOperationState",
      );
      expect(await s.registry.hasRole(escrowRole, s.admin.address)).to.equal(false);
      // Only after the notice does it act.
      await time.increase(60n);
      await executeOperation(timelock, grant);
      expect(await s.registry.hasRole(escrowRole, s.admin.address)).to.equal(true);
    });
  });

  describe("tokens", function () {
    it("a fee-on-transfer token is refused by the escrow and as a registry stake", async function () {
      const { escrow, registry, provider, customer, admin } = await loadFixture(escrowSystem);
      const fot = await ethers.deployContract("MockFeeOnTransferERC20");
      const fotAddress = await fot.getAddress();
      await escrow.setPaymentToken(fotAddress, true, 500);
      await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, fotAddress, "");
      await fot.mint(customer.address, 1_000n * UNIT);
      await fot.connect(customer).approve(await escrow.getAddress(), ethers.MaxUint256);
      await expect(escrow.connect(customer).openLease(2n, 100n * UNIT, ANY_PRICE))
        .to.be.revertedWithCustomError(escrow, "TransferMismatch")
        .withArgs(fotAddress, 100n * UNIT, 99n * UNIT);
      const staking = await ethers.deployContract("ProviderRegistry", [
        0n,
        admin.address,
        fotAddress,
        UNIT,
        600n,
        DAY,
        0n,
      ]);
      await fot.mint(provider.address, 10n * UNIT);
      await fot.connect(provider).approve(await staking.getAddress(), ethers.MaxUint256);
      await expect(staking.connect(provider).register(GTX_1080_TI, 1n, PRICE, fotAddress, ""))
        .to.be.revertedWithCustomError(staking, "StakeNotReceived")
        .withArgs(UNIT, (UNIT * 99n) / 100n);
    });
  });
});
