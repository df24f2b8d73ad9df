import { createRequire } from "node:module";
import path from "node:path";

import { ContractFactory, getAddress, hexlify, solidityPackedKeccak256, type InterfaceAbi } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { createKeccakEngine } from "../src/merkle/keccak.js";
import { LeafKind, type LeafEntry } from "../src/merkle/proof.js";
import { buildTree } from "../src/merkle/tree.js";
import { GUT_P2PKH_VERSION } from "../src/legacy/address.js";
import { hash160, publicKeyOf, type KeyForm } from "../src/legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC } from "../src/legacy/message.js";
import { signLegacyMessage } from "../src/legacy/sign.js";
import { gasOf, printTable, writeResult } from "./lib.js";
import { Random } from "../test/utils/random.js";

const HOLDERS = 100_000;
const CLAIMS = 200;
/** Old-chain holders mixed into the same tree, half with compressed keys, half uncompressed. */
const LEGACY_CLAIMS = 100;
const SEED = 20_261_122;
const DAY = 24n * 3600n;

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
  const [gutOurs, gutTheirs] = [await deployGut(), await deployGut()];
  for (const gut of [gutOurs, gutTheirs]) await gut.grantRole(await gut.MINTER_ROLE(), admin!.address);

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
  await gutOurs.mint(await ours.getAddress(), tree.total);
  await gutFull.mint(await oursFull.getAddress(), tree.total);
  await gutTheirs.mint(await theirs.getAddress(), tree.total);
  const activation = await gasOf(ours.activate());
  await oursFull.activate();

  const gasOurs: bigint[] = [];
  const gasFull: bigint[] = [];
  const gasTheirs: bigint[] = [];
  const theirsClaim = theirs.connect(relayer!).getFunction("claim");
  for (const index of indices) {
    const { holder, amount } = entries[index]!;
    gasOurs.push(await gasOf(ours.connect(relayer!).claim(index, holder, amount, tree.shortProof(index))));
    gasFull.push(await gasOf(oursFull.connect(relayer!).claim(index, holder, amount, tree.proof(index))));
    gasTheirs.push(await gasOf(theirsClaim(index, holder, amount, reference.proof(index))));
  }
  for (const index of indices) {
    if (!(await ours.isClaimed(index))) throw new Error(`index ${index} was not marked claimed`);
  }

  // Each legacy holder signs for a fresh recipient, so every claim writes a new balance as above.
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const distributorAddress = await ours.getAddress();
  const gasLegacy: Record<KeyForm, bigint[]> = { compressed: [], uncompressed: [] };
  for (const { index, privateKey, form, pubkey } of legacy) {
    const recipient = getAddress(hexlify(legacyRandom.bytes(20)));
    const message = claimMessage({ recipient, chainId, distributor: distributorAddress });
    const signature = Buffer.from(signLegacyMessage(message, privateKey, form), "base64");
    const { holder, amount } = entries[index]!;
    gasLegacy[form].push(
      await gasOf(
        ours.connect(relayer!).claimLegacy(index, holder, amount, tree.shortProof(index), recipient, pubkey, signature),
      ),
    );
    if ((await gutOurs.balanceOf(recipient)) !== amount) throw new Error(`legacy index ${index} was not paid`);
  }
  const lc = stats(gasLegacy.compressed);
  const lu = stats(gasLegacy.uncompressed);

  const a = stats(gasOurs);
  const f = stats(gasFull);
  const b = stats(gasTheirs);
  const ratio = a.average / b.average;
  const ratioFull = f.average / b.average;
  const sample = indices[0]!;
  console.log();
  printTable(
    ["distributor", "call", "proof", "claims", "average gas", "max gas", "min gas", "vs Uniswap"],
    [
      ["TokenSwapDistributor", "claim", "short (to the kept level)", CLAIMS, a.average, a.max, a.min, ratio.toFixed(3)],
      ["TokenSwapDistributor", "claim", "full (to the root)", CLAIMS, f.average, f.max, f.min, ratioFull.toFixed(3)],
      ["Uniswap MerkleDistributor", "claim", "full (to the root)", CLAIMS, b.average, b.max, b.min, "1.000"],
      [
        "TokenSwapDistributor",
        "claimLegacy, compressed key",
        "short (to the kept level)",
        gasLegacy.compressed.length,
        lc.average,
        lc.max,
        lc.min,
        (lc.average / b.average).toFixed(3),
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
      ],
    ],
  );
  console.log(
    `\nproof lengths for index ${sample}: short ${tree.shortProof(sample).length}, full ${tree.proof(sample).length}, Uniswap ${reference.proof(sample).length}`,
  );
  console.log(
    `average claim gas, ours (short proofs, as the proofs files carry them) / Uniswap's: ${ratio.toFixed(3)} (${ratio <= 1 ? "target met" : "TARGET MISSED"})`,
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
    ratioAverage: Number(ratio.toFixed(4)),
    ratioAverageFullProof: Number(ratioFull.toFixed(4)),
    legacyClaims: LEGACY_CLAIMS,
    claimLegacy: { compressed: lc, uncompressed: lu },
  });
  console.log(`wrote ${path.relative(hre.config.paths.root, file)}`);
  if (ratio > 1) throw new Error("the average claim costs more gas than Uniswap's MerkleDistributor");
}
