import { createRequire } from "node:module";
import path from "node:path";

import {
  ContractFactory,
  getAddress,
  getBytes,
  hexlify,
  solidityPackedKeccak256,
  type ContractTransactionResponse,
  type InterfaceAbi,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { createKeccakEngine } from "../src/airdrop/merkle/keccak.js";
import { LeafKind, type LeafEntry } from "../src/airdrop/merkle/proof.js";
import { buildTree } from "../src/airdrop/merkle/tree.js";
import { GUT_P2PKH_VERSION } from "../src/airdrop/legacy/address.js";
import { hash160, publicKeyOf, type KeyForm } from "../src/airdrop/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC } from "../src/airdrop/legacy/message.js";
import { signLegacyMessage } from "../src/airdrop/legacy/sign.js";
import { compileMinimalDistributor, gasByOpcodeGroup, type GasByGroup } from "./claim/trace.js";
import { gasOf, printTable, writeResult } from "./lib.js";
import { Random } from "../test/utils/random.js";

const HOLDERS = 100_000;
const CLAIMS = 200;
/** Old-chain holders mixed into the same tree, half with compressed keys, half uncompressed. */
const LEGACY_CLAIMS = 100;
const SEED = 20_261_122;
const DAY = 24n * 3600n;

/**
 * The figures before the assembly claim path (commit b1c76f6), before the 128-node kept level
 * (commit 51170c1, 8 nodes), and before the IR pipeline, the one-word `Claimed` event, the
 * two-level proof loop and the lower-bound search (commit b4d0e53), same bench.
 */
const BEFORE = { claim: 89_246, claimLegacyCompressed: 107_860, claimLegacyUncompressed: 104_122, uniswap: 90_084 };
const BEFORE_KEPT_LEVEL = {
  claim: 87_376,
  claimLegacyCompressed: 98_860,
  claimLegacyUncompressed: 95_133,
  uniswap: 90_084,
};

const BEFORE_IR = {
  claim: 84_971,
  claimLegacyCompressed: 96_504,
  claimLegacyUncompressed: 92_766,
  uniswap: 90_084,
};

/** Issue 16's goal: the average claim at most this share of Uniswap's, in the same run. */
const GOAL_RATIO = 0.93;

/**
 * The opcode floor of a claim, with no instruction spent on anything but what any distributor
 * must pay for: the transaction, its calldata, the claimed bit, the token transfer and the hashes.
 */
const FLOOR = {
  base: 21_000,
  /** SSTORE of a cold slot, zero to non-zero (the first claim in a bitmap word) … */
  bitmapFirstInWord: 22_100,
  /** … and non-zero to non-zero (a later claim in the same word). */
  bitmapLaterInWord: 5_000,
  /**
   * An ERC-20 transfer to a holder with no balance yet: the cold CALL (2,600), the sender's
   * balance (cold SLOAD 2,100 + SSTORE 2,900), the new holder's (cold 2,100 + SSTORE 20,000)
   * and the Transfer log (LOG3 with one data word, 1,756).
   */
  transferToNewHolder: 2_600 + 2_100 + 2_900 + 2_100 + 20_000 + 1_756,
};

/** Calldata gas: 4 per zero byte, 16 per other byte. */
function calldataGas(data: string): number {
  let gas = 0;
  for (const byte of getBytes(data)) gas += byte === 0 ? 4 : 16;
  return gas;
}

/** KECCAK256 of `bytes` bytes: 30 + 6 per word. */
const keccakGas = (bytes: number) => 30 + 6 * Math.ceil(bytes / 32);

/** SHA-256 and RIPEMD-160 precompiles (called warm, 100) of `bytes` bytes. */
const sha256Gas = (bytes: number) => 100 + 60 + 12 * Math.ceil(bytes / 32);
const ripemd160Gas = (bytes: number) => 100 + 600 + 120 * Math.ceil(bytes / 32);

/**
 * The key checks of `claimLegacy` at their precompile prices: HASH160 of the key, the message's
 * double SHA-256, ecrecover (3,000), the key's EVM address, and for a compressed key the square
 * root by modexp: 16 × 253 for a 32-byte base and modulus and the exponent (p + 1) / 4, whose top
 * bit is bit 253 (EIP-7883, Osaka, the hardfork the simulated network runs; 1,349 before it).
 */
function legacyKeyFloor(pubkeyLength: number, messageLength: number): number {
  const decompress = pubkeyLength === 33 ? 100 + 16 * 253 : 0;
  return (
    sha256Gas(pubkeyLength) +
    ripemd160Gas(32) +
    sha256Gas(messageLength) +
    sha256Gas(32) +
    100 +
    3_000 +
    keccakGas(64) +
    decompress
  );
}

/** Tracks which bitmap words a run has written, to price each claim's bit write. */
class BitmapFloor {
  private readonly words = new Set<number>();

  /** The floor's bitmap term for `index`, and marks its word written. */
  write(index: number): number {
    const word = Math.floor(index / 256);
    const first = !this.words.has(word);
    this.words.add(word);
    return first ? FLOOR.bitmapFirstInWord : FLOOR.bitmapLaterInWord;
  }
}

/** Sends a claim, and returns its gas and the floor of that same transaction. */
async function claimWithFloor(
  tx: Promise<ContractTransactionResponse>,
  bitmap: number,
  hashing: number,
  extra = 0,
): Promise<{ gas: bigint; floor: number }> {
  const sent = await tx;
  const gas = await gasOf(Promise.resolve(sent));
  return { gas, floor: FLOOR.base + calldataGas(sent.data) + bitmap + FLOOR.transferToNewHolder + hashing + extra };
}

interface GasStats {
  average: number;
  max: number;
  min: number;
}

function stats(gas: bigint[]): GasStats {
  const n = gas.map(Number);
  return {
    average: Math.round(n.reduce((a, b) => a + b, 0) / n.length),
    max: Math.max(...n),
    min: Math.min(...n),
  };
}

/**
 * A sorted-pair tree over Uniswap's leaves, `keccak256(abi.encodePacked(index, account, amount))`,
 * built level by level (odd nodes move up), which is how Uniswap's own generator lays it out.
 */
async function uniswapTree(entries: readonly LeafEntry[]) {
  const engine = await createKeccakEngine();
  const levels: Buffer[][] = [
    entries.map((e, i) =>
      Buffer.from(solidityPackedKeccak256(["uint256", "address", "uint256"], [i, e.holder, e.amount]).slice(2), "hex"),
    ),
  ];
  while (levels.at(-1)!.length > 1) {
    const below = levels.at(-1)!;
    const level: Buffer[] = [];
    for (let i = 0; i < below.length; i += 2) {
      const [a, b] = [below[i]!, below[i + 1]];
      if (b === undefined) {
        level.push(a);
        continue;
      }
      const [low, high] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
      low.copy(engine.input, 0);
      high.copy(engine.input, 32);
      engine.hash(64);
      level.push(Buffer.from(engine.input.subarray(0, 32)));
    }
    levels.push(level);
  }
  const proof = (index: number): string[] => {
    const out: string[] = [];
    for (let level = 0, i = index; level < levels.length - 1; level++, i >>= 1) {
      const sibling = levels[level]![i ^ 1];
      if (sibling !== undefined) out.push(hexlify(sibling));
    }
    return out;
  };
  return { root: hexlify(levels.at(-1)![0]!), proof };
}

/**
 * `npm run bench -- claim`: one 100,000-holder snapshot, this project's distributor and Uniswap's
 * reference MerkleDistributor (its npm build), the same 200 random claims on each. Each side pays
 * out its own GUT deployment, so every claim writes a fresh holder balance on both sides. The tree
 * also holds 100 old-chain (kind 1) holders, claimed through `claimLegacy` with signatures made in
 * the chain's format, half with compressed keys and half uncompressed.
 */
export default async function claim(hre: HardhatRuntimeEnvironment): Promise<void> {
  const random = new Random(SEED);
  const entries: LeafEntry[] = Array.from({ length: HOLDERS }, () => ({
    kind: LeafKind.Evm,
    holder: getAddress(hexlify(random.bytes(20))),
    amount: random.below(9_000n * 10n ** 18n) + 1n,
  }));
  const indices = random.sample(HOLDERS, CLAIMS);
  // Legacy leaves come from a generator of their own, so the EVM holders and claims stay the same.
  const legacyRandom = new Random(SEED + 1);
  const taken = new Set(indices);
  const legacy: { index: number; privateKey: Uint8Array; form: KeyForm; pubkey: Uint8Array }[] = [];
  while (legacy.length < LEGACY_CLAIMS) {
    const index = Number(legacyRandom.below(BigInt(HOLDERS)));
    if (taken.has(index)) continue;
    taken.add(index);
    const privateKey = legacyRandom.bytes(32);
    const form: KeyForm = legacy.length % 2 === 0 ? "compressed" : "uncompressed";
    const pubkey = publicKeyOf(privateKey, form);
    legacy.push({ index, privateKey, form, pubkey });
    entries[index] = { kind: LeafKind.Legacy, holder: hexlify(hash160(pubkey)), amount: entries[index]!.amount };
  }

  console.log(`building both trees over ${HOLDERS.toLocaleString("en-US")} holders…`);
  const tree = await buildTree(entries);
  const reference = await uniswapTree(entries);

  const { ethers, networkHelpers } = await hre.network.create();
  const [admin, relayer] = await ethers.getSigners();
  const deployGut = () => ethers.deployContract("GUT", [0n, admin!.address, admin!.address]);
  const [gutOurs, gutTheirs, gutMinimal] = [await deployGut(), await deployGut(), await deployGut()];
  for (const gut of [gutOurs, gutTheirs, gutMinimal]) await gut.grantRole(await gut.MINTER_ROLE(), admin!.address);

  const gutFull = await deployGut();
  await gutFull.grantRole(await gutFull.MINTER_ROLE(), admin!.address);
  const now = BigInt(await networkHelpers.time.latest());
  const deployOurs = async (token: string) =>
    ethers.deployContract("TokenSwapDistributor", [
      {
        token,
        merkleRoot: tree.root,
        total: tree.total,
        start: now,
        deadline: now + 365n * DAY,
        sweepTarget: admin!.address,
        topNodes: tree.topNodes,
        legacyMagic: DEFAULT_LEGACY_MAGIC,
        legacyVersion: GUT_P2PKH_VERSION,
      },
      0n,
      admin!.address,
    ]);
  const ours = await deployOurs(await gutOurs.getAddress());
  const oursFull = await deployOurs(await gutFull.getAddress());
  const artifact = createRequire(import.meta.url)("@uniswap/merkle-distributor/build/MerkleDistributor.json") as {
    abi: InterfaceAbi;
    bytecode: string;
  };
  const theirs = await new ContractFactory(artifact.abi, artifact.bytecode, admin).deploy(
    await gutTheirs.getAddress(),
    reference.root,
  );
  const minimalBuild = compileMinimalDistributor();
  // The minimal distributor keeps the level three below the root (8 nodes, what this project kept
  // before), so its proofs are three nodes longer than ours.
  const minimal = await new ContractFactory(minimalBuild.abi, minimalBuild.bytecode, admin).deploy(
    await gutMinimal.getAddress(),
    tree.root,
    Array.from({ length: 8 }, (_, i) => tree.node(7 + i)),
  );
  await gutMinimal.mint(await minimal.getAddress(), tree.total);
  await gutOurs.mint(await ours.getAddress(), tree.total);
  await gutFull.mint(await oursFull.getAddress(), tree.total);
  await gutTheirs.mint(await theirs.getAddress(), tree.total);
  const activation = await gasOf(ours.activate());
  await oursFull.activate();

  const gasOurs: bigint[] = [];
  const gasFull: bigint[] = [];
  const gasTheirs: bigint[] = [];
  const gasMinimal: bigint[] = [];
  const floorMinimal: number[] = [];
  const traced: Record<"ours" | "minimal" | "uniswap", ContractTransactionResponse | undefined> = {
    ours: undefined,
    minimal: undefined,
    uniswap: undefined,
  };
  const floorOurs: number[] = [];
  const floorFull: number[] = [];
  const floorTheirs: number[] = [];
  // The three runs claim the same indices in the same order, so one bitmap history prices all three.
  const bitmap = new BitmapFloor();
  // Our leaf: keccak of the 4-word encoding, then of the 32-byte hash; Uniswap's: keccak of the
  // 84 packed bytes. Both derive the bitmap word's slot with one more 64-byte keccak.
  const oursLeafHashing = keccakGas(128) + keccakGas(32) + keccakGas(64);
  const theirsLeafHashing = keccakGas(84) + keccakGas(64);
  const theirsClaim = theirs.connect(relayer!).getFunction("claim");
  const minimalClaim = minimal.connect(relayer!).getFunction("claim");
  for (const index of indices) {
    const { holder, amount } = entries[index]!;
    const bit = bitmap.write(index);
    const [short, full, uni] = [tree.shortProof(index), tree.proof(index), reference.proof(index)];
    const oursTx = await ours.connect(relayer!).claim(index, holder, amount, short);
    const a = await claimWithFloor(Promise.resolve(oursTx), bit, oursLeafHashing + keccakGas(64) * short.length);
    const f = await claimWithFloor(
      oursFull.connect(relayer!).claim(index, holder, amount, full),
      bit,
      oursLeafHashing + keccakGas(64) * full.length,
    );
    const toEight = full.slice(0, -3);
    const minimalTx = (await minimalClaim(index, holder, amount, toEight)) as ContractTransactionResponse;
    const mi = await claimWithFloor(Promise.resolve(minimalTx), bit, oursLeafHashing + keccakGas(64) * toEight.length);
    gasMinimal.push(mi.gas);
    floorMinimal.push(mi.floor);
    const uniswapTx = (await theirsClaim(index, holder, amount, uni)) as ContractTransactionResponse;
    if (index === indices[0]) Object.assign(traced, { ours: oursTx, minimal: minimalTx, uniswap: uniswapTx });
    const u = await claimWithFloor(Promise.resolve(uniswapTx), bit, theirsLeafHashing + keccakGas(64) * uni.length);
    gasOurs.push(a.gas);
    floorOurs.push(a.floor);
    gasFull.push(f.gas);
    floorFull.push(f.floor);
    gasTheirs.push(u.gas);
    floorTheirs.push(u.floor);
  }
  for (const index of indices) {
    if (!(await ours.isClaimed(index))) throw new Error(`index ${index} was not marked claimed`);
  }

  // Each legacy holder signs for a fresh recipient, so every claim writes a new balance as above.
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const distributorAddress = await ours.getAddress();
  const gasLegacy: Record<KeyForm, bigint[]> = { compressed: [], uncompressed: [] };
  const floorLegacy: Record<KeyForm, number[]> = { compressed: [], uncompressed: [] };
  const tracedLegacy: Partial<Record<KeyForm, ContractTransactionResponse>> = {};
  for (const { index, privateKey, form, pubkey } of legacy) {
    const recipient = getAddress(hexlify(legacyRandom.bytes(20)));
    const message = claimMessage({ recipient, chainId, distributor: distributorAddress });
    const signature = Buffer.from(signLegacyMessage(message, privateKey, form), "base64");
    const { holder, amount } = entries[index]!;
    const proof = tree.shortProof(index);
    // The signed bytes: varint(len(magic)) ‖ magic ‖ varint(len(message)) ‖ message.
    const signedLength = 1 + Buffer.byteLength(DEFAULT_LEGACY_MAGIC) + 1 + Buffer.byteLength(message);
    const legacyTx = await ours
      .connect(relayer!)
      .claimLegacy(index, holder, amount, proof, recipient, pubkey, signature);
    tracedLegacy[form] ??= legacyTx;
    const { gas, floor } = await claimWithFloor(
      Promise.resolve(legacyTx),
      bitmap.write(index),
      oursLeafHashing + keccakGas(64) * proof.length,
      legacyKeyFloor(pubkey.length, signedLength),
    );
    gasLegacy[form].push(gas);
    floorLegacy[form].push(floor);
    if ((await gutOurs.balanceOf(recipient)) !== amount) throw new Error(`legacy index ${index} was not paid`);
  }
  const lc = stats(gasLegacy.compressed);
  const lu = stats(gasLegacy.uncompressed);
  const mean = (xs: number[]) => Math.round(xs.reduce((x, y) => x + y, 0) / xs.length);
  const floor = {
    claim: mean(floorOurs),
    claimWithFullProof: mean(floorFull),
    minimal: mean(floorMinimal),
    uniswap: mean(floorTheirs),
    claimLegacyCompressed: mean(floorLegacy.compressed),
    claimLegacyUncompressed: mean(floorLegacy.uncompressed),
  };

  const a = stats(gasOurs);
  const f = stats(gasFull);
  const b = stats(gasTheirs);
  const m = stats(gasMinimal);
  const request = (args: { method: string; params: unknown[] }) => ethers.provider.send(args.method, args.params);
  const trace = {} as Record<keyof typeof traced | KeyForm, GasByGroup>;
  for (const [name, tx] of Object.entries({ ...traced, ...tracedLegacy }) as [
    keyof typeof trace,
    ContractTransactionResponse,
  ][]) {
    trace[name] = await gasByOpcodeGroup(request, tx.hash, await gasOf(Promise.resolve(tx)));
  }
  const ratio = a.average / b.average;
  const ratioFull = f.average / b.average;
  const sample = indices[0]!;
  console.log();
  printTable(
    [
      "distributor",
      "call",
      "proof",
      "claims",
      "average gas",
      "max gas",
      "min gas",
      "vs Uniswap",
      "floor (avg)",
      "over floor",
    ],
    [
      [
        "TokenSwapDistributor",
        "claim",
        "short (to the kept level)",
        CLAIMS,
        a.average,
        a.max,
        a.min,
        ratio.toFixed(3),
        floor.claim,
        a.average - floor.claim,
      ],
      [
        "TokenSwapDistributor",
        "claim",
        "full (to the root)",
        CLAIMS,
        f.average,
        f.max,
        f.min,
        ratioFull.toFixed(3),
        floor.claimWithFullProof,
        f.average - floor.claimWithFullProof,
      ],
      [
        "bench/claim/MinimalDistributor",
        "claim",
        "to its 8 kept nodes",
        CLAIMS,
        m.average,
        m.max,
        m.min,
        (m.average / b.average).toFixed(3),
        floor.minimal,
        m.average - floor.minimal,
      ],
      [
        "Uniswap MerkleDistributor",
        "claim",
        "full (to the root)",
        CLAIMS,
        b.average,
        b.max,
        b.min,
        "1.000",
        floor.uniswap,
        b.average - floor.uniswap,
      ],
      [
        "TokenSwapDistributor",
        "claimLegacy, compressed key",
        "short (to the kept level)",
        gasLegacy.compressed.length,
        lc.average,
        lc.max,
        lc.min,
        (lc.average / b.average).toFixed(3),
        floor.claimLegacyCompressed,
        lc.average - floor.claimLegacyCompressed,
      ],
      [
        "TokenSwapDistributor",
        "claimLegacy, uncompressed key",
        "short (to the kept level)",
        gasLegacy.uncompressed.length,
        lu.average,
        lu.max,
        lu.min,
        (lu.average / b.average).toFixed(3),
        floor.claimLegacyUncompressed,
        lu.average - floor.claimLegacyUncompressed,
      ],
    ],
  );
  const sum = (g: GasByGroup) => Object.values(g).reduce((x, y) => x + y, 0);
  console.log(
    `\nwhere the gas of claim(${sample}) and of the first claimLegacy of each key form goes, by opcode group (debug_traceTransaction, top frame):\n`,
  );
  printTable(
    [
      "opcode group",
      "TokenSwapDistributor",
      "MinimalDistributor",
      "ours − minimal",
      "Uniswap",
      "claimLegacy, compressed",
      "claimLegacy, uncompressed",
    ],
    [
      ...(Object.keys(trace.ours) as (keyof GasByGroup)[]).map((g) => [
        g,
        trace.ours[g],
        trace.minimal[g],
        trace.ours[g] - trace.minimal[g],
        trace.uniswap[g],
        trace.compressed[g],
        trace.uncompressed[g],
      ]),
      [
        "total",
        sum(trace.ours),
        sum(trace.minimal),
        sum(trace.ours) - sum(trace.minimal),
        sum(trace.uniswap),
        sum(trace.compressed),
        sum(trace.uncompressed),
      ],
    ],
  );
  console.log(
    `\nproof lengths for index ${sample}: short ${tree.shortProof(sample).length}, full ${tree.proof(sample).length}, Uniswap ${reference.proof(sample).length}`,
  );
  console.log(
    `average claim gas, ours (short proofs, as the proofs files carry them) / Uniswap's: ${ratio.toFixed(3)} (goal ≤ ${GOAL_RATIO}: ${ratio <= GOAL_RATIO ? "met" : "MISSED"}); the floor of our mix / Uniswap's: ${(floor.claim / b.average).toFixed(3)}`,
  );
  console.log(
    "floor = 21,000 + calldata (4/16 per byte) + bitmap SSTORE (22,100 first in a word, 5,000 later) + transfer to a new holder (31,456) + keccaks; claimLegacy adds its precompiles",
  );
  console.log(
    `before (b1c76f6): claim ${BEFORE.claim}, claimLegacy ${BEFORE.claimLegacyCompressed} / ${BEFORE.claimLegacyUncompressed} (compressed / uncompressed), Uniswap ${BEFORE.uniswap}`,
  );
  console.log(
    `before (51170c1, 8 kept nodes): claim ${BEFORE_KEPT_LEVEL.claim}, claimLegacy ${BEFORE_KEPT_LEVEL.claimLegacyCompressed} / ${BEFORE_KEPT_LEVEL.claimLegacyUncompressed}`,
  );
  console.log(
    `before (b4d0e53, legacy pipeline, Claimed with account and amount): claim ${BEFORE_IR.claim}, claimLegacy ${BEFORE_IR.claimLegacyCompressed} / ${BEFORE_IR.claimLegacyUncompressed}`,
  );
  console.log(`one-time activate() (funding check): ${activation} gas, not in the averages`);
  console.log(
    `claimLegacy over claim (short proofs): +${lc.average - a.average} gas with a compressed key (modexp decompression), +${lu.average - a.average} uncompressed`,
  );

  const file = writeResult(hre.config.paths.root, "claim", {
    measuredAt: new Date().toISOString(),
    holders: HOLDERS,
    claims: CLAIMS,
    seed: SEED,
    proofLength: {
      index: sample,
      short: tree.shortProof(sample).length,
      full: tree.proof(sample).length,
      uniswap: reference.proof(sample).length,
    },
    tokenSwapDistributor: { claim: a, claimWithFullProof: f, activate: Number(activation) },
    uniswapMerkleDistributor: { claim: b },
    minimalDistributor: { claim: m, ratioAverage: Number((m.average / b.average).toFixed(4)) },
    traceOfFirstClaims: { index: sample, ...trace },
    ratioAverage: Number(ratio.toFixed(4)),
    ratioAverageFullProof: Number(ratioFull.toFixed(4)),
    goalRatio: GOAL_RATIO,
    goalMet: ratio <= GOAL_RATIO,
    legacyClaims: LEGACY_CLAIMS,
    claimLegacy: { compressed: lc, uncompressed: lu },
    floor: { ...floor, ratioToUniswap: Number((floor.claim / b.average).toFixed(4)), terms: FLOOR },
    before: { commit: "b1c76f6", ...BEFORE },
    beforeKeptLevel: { commit: "51170c1", ...BEFORE_KEPT_LEVEL },
    beforeIr: { commit: "b4d0e53", ...BEFORE_IR },
  });
  console.log(`wrote ${path.relative(hre.config.paths.root, file)}`);
  if (ratio > 1) throw new Error("the average claim costs more gas than Uniswap's MerkleDistributor");
}
