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
import { keeperRound } from "../../src/agent/keeper.js";
import { claimRewards, endedBuckets, providerBuckets, sendBuyback } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { closeLease, collect, makeQuote, makeReceipt, openLease, type EscrowHandle } from "../../src/escrow.js";
import { executeOperation, handoverOperation, scheduleOperation, timelockOperation } from "../../src/governance.js";
import { GUT_P2PKH_VERSION } from "../../src/airdrop/legacy/address.js";
import { evmAddressOfKey, hash160, publicKeyOf } from "../../src/airdrop/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC, type ClaimTarget } from "../../src/airdrop/legacy/message.js";
import { signLegacyMessage } from "../../src/airdrop/legacy/sign.js";
import { LEAF_ENCODING, LeafKind, type LeafEntry } from "../../src/airdrop/merkle/proof.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { registerNode } from "../../src/registry.js";
import { minTftOut } from "../../src/uniswap.js";
import { deployDelayedSystem } from "../helpers/governance.js";
import {
  deployEscrowSystem,
  GTX_1080_TI,
  NodeStatus,
  openWithQuote,
  PRICE,
  quoteFor,
  receiptFor,
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
  const { quote, signature } = await quoteFor(s, ethers, { nodeId: 2n, token: await re.getAddress() });
  await s.escrow.connect(s.customer).openLease(quote, signature, 100n * UNIT, s.session.address);
  await time.increase(100n);
  const t = BigInt(await time.latest());
  await s.escrow.collect(1n, t, await receiptFor(s, 1n, t));
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
    fromBlock: book.block,
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

/** A running lease and the key that signs its receipts (its customer). */
type Running = [Market["customer"], bigint];

/** Moves time forward by `seconds`, each running lease's customer signing a receipt every 5 minutes that anyone collects. */
async function advance(m: Market, seconds: bigint, leases: Running[]) {
  for (let left = seconds; left > 0n; left -= 300n) {
    await time.increase(left < 300n ? left : 300n);
    const t = BigInt(await time.latest());
    for (const [customer, leaseId] of leases) {
      const l = await m.escrow.lease(leaseId);
      if (l.status !== 1n || l.paid === l.deposit) continue;
      await collect(m.h, m.keeper, await makeReceipt(m.h, customer, leaseId, t));
    }
  }
}

/** The start of `epoch` on the emission's clock. */
async function epochStart(m: Market, epoch: bigint): Promise<bigint> {
  return (await m.emission.genesis()) + epoch * (await m.emission.epochLength());
}

/**
 * The wash-leasing scene at the start of epoch 1: an honest node (priced in GUT) leased by a
 * customer for 20,000 GUT, and the attacker's node (priced in `token`) leased by its own puppet
 * with the attacker's own quote for `deposit`; both served and receipted, 1,500 s in.
 */
async function washMarket(m: Market, wash: { token: string; price: bigint; deposit: bigint }) {
  const honestNode = await nodeOf(m, m.honest, 21_200n * UNIT, await m.gut.getAddress());
  const washNode = await nodeOf(m, m.attacker, wash.price, wash.token);
  await time.increaseTo((await epochStart(m, 1n)) + 60n);
  const honestQuote = await makeQuote(m.h, m.honest, { nodeId: honestNode, customer: m.customer.address });
  const honestLease = await openLease(m.h, m.customer, honestQuote, 20_000n * UNIT);
  const washQuote = await makeQuote(m.h, m.attacker, { nodeId: washNode, customer: m.puppet.address });
  const washLease = await openLease(m.h, m.puppet, washQuote, wash.deposit);
  const live: Running[] = [
    [m.customer, honestLease],
    [m.puppet, washLease],
  ];
  await advance(m, 1_500n, live);
  return { live, washLease };
}

/** The protocol fee due from `provider` in `token`: what its earnings so far paid. */
function feeDue(m: Market, provider: Market["honest"], token: string): Promise<bigint> {
  return m.escrow.feesDue(provider.address, token);
}

/**
 * A round of the keeper's planner (every fee due forwarded, every chore done) without its own
 * observations and sliced buybacks: the tests observe when their story needs it.
 */
async function keeperChores(m: Market) {
  const outcomes = await keeperRound({
    signer: m.keeper,
    contracts: { escrow: m.escrow, registry: m.registry, emission: m.emission },
    fromBlock: m.fromBlock,
    policy: { tokens: [] },
  });
  expect(outcomes.filter((o) => o.result !== "done")).to.deep.equal([]);
}

/**
 * The keeper's chores, then each ended bucket of `tokens` bought back whole in one transaction
 * (the buckets here are well under the slice its default 0.5 % price impact allows in these pools).
 */
async function forwardAndBuyBack(m: Market, tokens: string[]) {
  await keeperChores(m);
  for (const token of tokens) {
    for (const b of await endedBuckets(m.emission, token)) {
      await sendBuyback(m.emission.connect(m.keeper), token, b.epoch, { now: BigInt(await time.latest()) });
    }
  }
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
      const token = await re.getAddress();
      await re.arm(
        await escrow.getAddress(),
        escrow.interface.encodeFunctionData("withdraw", [token, provider.address]),
      );
      await expect(escrow.connect(provider).withdraw(token, provider.address)).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("a malicious receiver (fee collector) re-entering the escrow while fees are recorded is refused", async function () {
      const s = await loadFixture(escrowSystem);
      const { escrow, gut, provider } = s;
      const leaseId = await openWithQuote(s, ethers, 100n * UNIT);
      await time.increase(100n);
      const t = BigInt(await time.latest());
      await escrow.collect(leaseId, t, await receiptFor(s, leaseId, t));
      const token = await gut.getAddress();
      const hostile = await ethers.deployContract("ReentrantFeeCollector");
      const forward = escrow.interface.encodeFunctionData("forwardFees", [token, [provider.address]]);
      await hostile.arm(await escrow.getAddress(), forward);
      await escrow.setFeeCollector(await hostile.getAddress());
      await expect(escrow.forwardFees(token, [provider.address])).to.be.revertedWithCustomError(
        escrow,
        "ReentrancyGuardReentrantCall",
      );
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
      // The honest provider's large fee is due in the escrow, for anyone to forward.
      const honestFee = await feeDue(m, m.honest, gut);
      // The attacker sees it and forwards its own wash lease's fee at once.
      const paid = await feeDue(m, m.attacker, gut);
      await m.escrow.forwardFees(gut, [m.attacker.address]);
      await closeLease(m.h, m.puppet, washLease);
      // The next epoch's keeper round forwards everything, then buys back what it may.
      await advance(m, (await epochStart(m, 2n)) + 60n - BigInt(await time.latest()), live);
      await forwardAndBuyBack(m, [gut]);
      await advance(m, 1_500n, live);
      await m.emission.connect(m.keeper).observe(gut);
      await advance(m, (await epochStart(m, 3n)) + 60n - BigInt(await time.latest()), live);
      await forwardAndBuyBack(m, [gut]);
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
      const paid = await feeDue(m, m.attacker, tft);
      await closeLease(m.h, m.puppet, washLease);
      await keeperChores(m);
      await advance(m, (await epochStart(m, 2n)) + 60n - BigInt(await time.latest()), live);
      await forwardAndBuyBack(m, [gut, tft]);
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
    it("a dust lease is spent by its first receipt and anyone can close it, returning the node to Idle", async function () {
      const s = await loadFixture(escrowSystem);
      const { escrow, registry, keeper, nodeId } = s;
      const leaseId = await openWithQuote(s, ethers, 1n);
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Sharing);
      await time.increase(1n);
      const t = BigInt(await time.latest());
      await expect(escrow.connect(keeper).closeLease(leaseId, t, await receiptFor(s, leaseId, t))).to.emit(
        escrow,
        "LeaseClosed",
      );
      expect((await registry.leaseTerms(nodeId)).status).to.equal(NodeStatus.Idle);
    });
  });

  describe("access", function () {
    it("a status-machine bypass through direct calls to the registry is refused", async function () {
      const s = await loadFixture(escrowSystem);
      const { registry, escrow, provider, customer, other, nodeId } = s;
      const role = await registry.ESCROW_ROLE();
      for (const call of [
        registry.connect(other).startLease(nodeId),
        registry.connect(other).holdForReservation(nodeId),
        registry.connect(provider).startLease(nodeId),
        registry.connect(provider).release(nodeId),
        registry.connect(customer).penalize(nodeId, ethers.MaxUint256),
      ]) {
        await expect(call).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      }
      await openWithQuote(s, ethers, 100n * UNIT);
      // A provider cannot step out of a lease, or unbond, behind the escrow's back.
      await expect(registry.connect(provider).goOffline(nodeId))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(nodeId, NodeStatus.Sharing);
      await expect(registry.connect(provider).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(nodeId, NodeStatus.Sharing);
      await expect(registry.connect(other).markDisconnected(nodeId)).to.be.revertedWithCustomError(
        registry,
        "InvalidStatus",
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
      const s = await loadFixture(escrowSystem);
      const { escrow, registry, provider, customer, admin, treasury } = s;
      const fot = await ethers.deployContract("MockFeeOnTransferERC20");
      const fotAddress = await fot.getAddress();
      await escrow.setPaymentToken(fotAddress, true, 500);
      await registry.connect(provider).register(GTX_1080_TI, 1n, PRICE, fotAddress, "");
      await fot.mint(customer.address, 1_000n * UNIT);
      await fot.connect(customer).approve(await escrow.getAddress(), ethers.MaxUint256);
      const { quote, signature } = await quoteFor(s, ethers, { nodeId: 2n, token: fotAddress });
      await expect(escrow.connect(customer).openLease(quote, signature, 100n * UNIT, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "TransferMismatch")
        .withArgs(fotAddress, 100n * UNIT, 99n * UNIT);
      const staking = await ethers.deployContract("ProviderRegistry", [
        0n,
        admin.address,
        fotAddress,
        UNIT,
        DAY,
        DAY,
        treasury.address,
      ]);
      await fot.mint(provider.address, 10n * UNIT);
      await fot.connect(provider).approve(await staking.getAddress(), ethers.MaxUint256);
      await expect(staking.connect(provider).register(GTX_1080_TI, 1n, PRICE, fotAddress, ""))
        .to.be.revertedWithCustomError(staking, "TransferMismatch")
        .withArgs(fotAddress, UNIT, (UNIT * 99n) / 100n);
    });
  });
});
