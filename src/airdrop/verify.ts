import path from "node:path";

import { type ContractRunner } from "ethers";

import { InputError } from "../errors.js";
import { DEFAULT_LEGACY_MAGIC } from "./legacy/message.js";
import { findClaims, readAirdropTree, readManifest, readTreeDump } from "./directory.js";
import { type HolderClaim } from "./format.js";
import { type AirdropTree } from "./merkle/tree.js";
import { LeafKind, processProof } from "./merkle/proof.js";
import { balanceOf } from "../erc20.js";
import { formatToken } from "../format.js";
import { TokenSwapDistributor__factory } from "../../types/factories/TokenSwapDistributor__factory.js";

/** One check of `verifyAirdrop`: what was compared and whether it held. */
export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

/** The outcome of `verifyAirdrop`; `ok` when every check held. */
export interface Verification {
  ok: boolean;
  checks: Check[];
}

/** `count` claims of an airdrop, at random holders, each read as a claim page reads it. */
async function sampleClaims(dir: string, tree: AirdropTree, count: number): Promise<HolderClaim[]> {
  const picked: HolderClaim[] = [];
  for (let tries = 0; picked.length < Math.min(count, tree.count) && tries < count * 4; tries++) {
    const i = Math.floor(Math.random() * tree.count);
    if (picked.some((c) => c.index === i)) continue;
    const claim = (await findClaims(dir, tree.entries[i]!.holder)).find((c) => c.index === i);
    if (claim !== undefined) picked.push(claim);
  }
  return picked;
}

/**
 * Checks an airdrop directory against a deployed distributor. Every shard is read and the tree
 * built again from them (`readAirdropTree`), and the dump (`tree.json`), when written, hashed
 * again whole, every leaf and node (`readTreeDump`: a corrupt dump is an `InputError` naming the
 * value or node); the tree's root, total, holders and top nodes must be the manifest's; the
 * manifest's root, total and top nodes the contract's; the contract's `legacyMagic` the magic
 * the holders sign with (`magic`, by default the one `airdrop:sign-legacy` uses) and its
 * `legacyAddressVersion` the version the legacy leaves were decoded with (`manifest.legacy`),
 * both judged only when the tree has old-chain leaves, since no other claim reads them. Then the
 * funding, and `samples` random proofs from the shards, each first recomputed locally, then,
 * while the claim window is open, run through `claim` by `eth_call` (nothing is sent). Legacy
 * leaves are checked locally only.
 */
export async function verifyAirdrop(
  dir: string,
  address: string,
  runner: ContractRunner,
  samples = 20,
  magic = DEFAULT_LEGACY_MAGIC,
): Promise<Verification> {
  const manifest = await readManifest(dir);
  const distributor = TokenSwapDistributor__factory.connect(address, runner);
  const checks: Check[] = [];
  const check = (what: string, ok: boolean, detail: string) => checks.push({ what, ok, detail });

  let root: string;
  try {
    root = await distributor.merkleRoot();
  } catch (error) {
    throw new InputError(
      address,
      undefined,
      "distributor",
      `is not a TokenSwapDistributor on this network: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  // The root alone says nothing of the rest of the file: a dApp or an auditor reads the values.
  // The dump, when there is one, is what OpenZeppelin's tools read: it is checked whole too.
  const dump = manifest.tree === undefined ? undefined : await readTreeDump(path.join(dir, manifest.tree));
  const tree = await readAirdropTree(dir, manifest);
  if (dump !== undefined) check("dump root = shards root", dump.root === tree.root, dump.root);
  check("shards re-hashed", true, `${tree.count} leaves and ${tree.count - 1} inner nodes hold`);
  check("dump root = manifest root", tree.root === manifest.root, tree.root);
  check("dump total = manifest total", tree.total.toString() === manifest.total, formatToken(tree.total, "GUT"));
  check("dump holders = manifest count", tree.count === manifest.count, `${tree.count}`);
  check(
    "dump top nodes = manifest top nodes",
    tree.topNodes.join() === manifest.topNodes.join(),
    `${tree.topNodes.length} nodes at depth ${tree.topDepth}`,
  );
  const legacyLeaves = tree.entries.filter((e) => e.kind === LeafKind.Legacy).length;
  check(
    "dump legacy holders = manifest legacy holders",
    legacyLeaves === (manifest.legacy?.holders ?? 0),
    `${legacyLeaves}`,
  );
  check("contract root = manifest root", root === manifest.root, root);
  const total = await distributor.total();
  check("contract total = manifest total", total.toString() === manifest.total, formatToken(total, "GUT"));
  const top = await distributor.topNodes();
  check("contract top nodes = manifest top nodes", top.join() === manifest.topNodes.join(), `${top.length} nodes`);
  // A wrong magic or version is fixed at deployment (immutable): every old-chain holder's
  // signature, or address, would be refused. Without legacy leaves neither is ever read.
  const onChainMagic = await distributor.legacyMagic();
  const version = Number(await distributor.legacyAddressVersion());
  const unused = legacyLeaves === 0 ? "; not used: the tree has no old-chain leaves" : "";
  check(
    "contract legacyMagic = signing magic",
    legacyLeaves === 0 || onChainMagic === magic,
    `${JSON.stringify(onChainMagic)}${onChainMagic === magic ? "" : `, holders sign with ${JSON.stringify(magic)}`}${unused}`,
  );
  const built = manifest.legacy?.version;
  check(
    "contract legacyAddressVersion = manifest legacy.version",
    legacyLeaves === 0 || version === built,
    `${version}${built === undefined || version === built ? "" : `, the leaves were decoded with ${built}`}${unused}`,
  );

  const balance = await balanceOf(await distributor.token(), address, runner);
  const activated = await distributor.activated();
  check(
    "funded",
    activated || balance >= total,
    activated
      ? `activated; holds ${formatToken(balance, "GUT")}`
      : `holds ${formatToken(balance, "GUT")} of ${formatToken(total, "GUT")}`,
  );

  const block = await runner.provider!.getBlock("latest");
  const now = BigInt(block!.timestamp);
  const start = await distributor.start();
  const deadline = await distributor.deadline();
  const paused = await distributor.paused();
  const open = now >= start && now < deadline && !paused && (activated || balance >= total);
  const claimsChecked = open ? "by eth_call" : "locally only: the window is not open, or it is paused or unfunded";

  const sampled = await sampleClaims(dir, tree, samples);
  for (const claim of sampled) {
    const entry = { kind: claim.kind as LeafKind, holder: claim.holder, amount: BigInt(claim.amount) };
    const reached = await processProof(claim.index, entry, claim.proof);
    const local = manifest.topNodes.includes(reached) || reached === manifest.root;
    let onChain = "not run";
    let ok = local;
    if (open && claim.kind === LeafKind.Evm) {
      if (await distributor.isClaimed(claim.index)) onChain = "already claimed";
      else {
        try {
          await distributor.claim.staticCall(claim.index, claim.holder, claim.amount, claim.proof);
          onChain = "eth_call ok";
        } catch (error) {
          onChain = `eth_call reverted: ${(error as Error).message.split("\n")[0]}`;
          ok = false;
        }
      }
    }
    check(`proof of index ${claim.index} (${claim.holder})`, ok, `local ${local ? "ok" : "WRONG"}; ${onChain}`);
  }
  check("sampled proofs", true, claimsChecked);
  return { ok: checks.every((c) => c.ok), checks };
}
