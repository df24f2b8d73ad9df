// What `deploy:system` checks before it sends anything: which rules the parameter file deploys
// under (local or public), and that it replaces no other deployment's journal or address book.
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

import { InputError } from "../src/errors.js";
import { writeJsonAtomic } from "../src/io.js";

/** The chain id `hardhat node`, anvil and the in-process network use unless told otherwise. */
export const DEV_CHAIN_ID = 31337n;

/**
 * Public chains by id, named in errors: local rules (addresses defaulting to the deployer, a
 * timelock without delay, a Uniswap deployed alongside) are refused on them whatever a file says.
 */
export const PUBLIC_CHAINS: ReadonlyMap<bigint, string> = new Map([
  [1n, "Ethereum mainnet"],
  [10n, "OP Mainnet"],
  [56n, "BNB Smart Chain"],
  [137n, "Polygon PoS"],
  [8453n, "Base"],
  [17000n, "Holesky"],
  [42161n, "Arbitrum One"],
  [84532n, "Base Sepolia"],
  [560048n, "Hoodi"],
  [11155111n, "Sepolia"],
  [11155420n, "OP Sepolia"],
]);

/** The key of a parameter file that names its rules: `"Chain": { "rules": "local" }`. */
export const RULES_KEY = "Chain";

export type Rules = "local" | "public";

export interface RulesDecision {
  rules: Rules;
  /** Why, in words, for the errors of a parameter the rules require. */
  why: string;
}

/**
 * The rules a deployment runs under. A parameter file says which with `"Chain": { "rules":
 * "local" | "public" }`; without it, chain 31337 (the development chains' default) is local and
 * any other chain public. Local rules are refused on a known public chain.
 */
export function deploymentRules(file: string, params: Record<string, unknown>, chainId: bigint): RulesDecision {
  const chain = params[RULES_KEY];
  const declared =
    typeof chain === "object" && chain !== null
      ? (chain as Record<string, unknown>).rules
      : chain === undefined
        ? undefined
        : chain;
  if (declared !== undefined && declared !== "local" && declared !== "public") {
    throw new InputError(
      file,
      undefined,
      `${RULES_KEY}.rules`,
      `must be "local" or "public", not ${JSON.stringify(declared)}`,
    );
  }
  const known = PUBLIC_CHAINS.get(chainId);
  if (declared === "local") {
    if (known !== undefined) {
      throw new InputError(
        file,
        undefined,
        `${RULES_KEY}.rules`,
        `is "local", but chain ${chainId} is ${known}, a public chain: local rules (addresses defaulting to the deployer, no timelock delay) are refused there`,
      );
    }
    return { rules: "local", why: `${file} says "${RULES_KEY}": { "rules": "local" }` };
  }
  if (declared === "public") return { rules: "public", why: `${file} says "${RULES_KEY}": { "rules": "public" }` };
  if (chainId === DEV_CHAIN_ID) {
    return { rules: "local", why: `chain ${chainId} is the development chains' default id` };
  }
  return {
    rules: "public",
    why:
      known !== undefined
        ? `chain ${chainId} is ${known}`
        : `chain ${chainId} is not 31337 (the development chains' default), so it counts as public; for a local node on another id, add "${RULES_KEY}": { "rules": "local" } to ${file}`,
  };
}

/** `deploy/deployments/<id>/gpufog-run.json`: the chain a journal belongs to and its first clock. */
interface RunState {
  genesis?: string;
  /** Written by earlier versions: the `hardhat node` instance. */
  instanceId?: string;
  now: string;
}

/**
 * What a run must reuse, and the guard over the journal: the time the first run took as "now" (a
 * local claim window defaults to start then; a new "now" would change the distributor's
 * constructor arguments, and Ignition refuses to resume a deployment whose executed futures
 * changed), kept beside Ignition's journal with the genesis hash of the chain it was written
 * for. A journal of another chain (a restarted node, another client on the same chain id) is
 * never resumed nor replaced without `reset`; with it, it is removed.
 */
export function journalState(
  deploymentDir: string,
  genesis: string,
  latest: bigint,
  reset: boolean,
): { now: bigint; replaced: boolean } {
  const file = path.join(deploymentDir, "gpufog-run.json");
  const journal = path.join(deploymentDir, "journal.jsonl");
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RunState) : undefined;
  if (!reset && saved !== undefined && saved.genesis === genesis) return { now: BigInt(saved.now), replaced: false };
  // A run state of an earlier version on a persistent network (no node instance, no genesis):
  // the journal of an interrupted public deployment, to be resumed, never dropped. It is adopted
  // for this chain.
  if (!reset && saved !== undefined && saved.genesis === undefined && saved.instanceId === undefined) {
    writeJsonAtomic(file, { genesis, now: saved.now });
    return { now: BigInt(saved.now), replaced: false };
  }
  const other = saved !== undefined || existsSync(journal);
  if (other && !reset) {
    const whose =
      saved?.genesis !== undefined
        ? `another chain's (genesis ${short(saved.genesis)}; this chain's is ${short(genesis)}: a restarted node, or another client on the same chain id)`
        : "a deployment this chain cannot be matched to (no genesis hash recorded)";
    throw new InputError(
      deploymentDir,
      undefined,
      undefined,
      `is the Ignition journal of ${whose}; nothing was sent. Pass --reset to replace it (and the address book), or --deployment-id <new id> with --out <dir> to keep both`,
    );
  }
  if (other) rmSync(deploymentDir, { recursive: true, force: true });
  writeJsonAtomic(file, { genesis, now: latest });
  return { now: latest, replaced: other };
}

/**
 * The guard over the address book `file` the deployment will write: a book of another chain
 * (genesis hash) or of another deployment id is not replaced without `reset`.
 */
export function checkBookReplacement(
  file: string,
  genesis: string,
  deploymentId: string,
  reset: boolean,
): { replaces?: string } {
  if (!existsSync(file)) return {};
  let book: { genesisHash?: unknown; deploymentId?: unknown } = {};
  try {
    book = JSON.parse(readFileSync(file, "utf8")) as typeof book;
  } catch {
    // An unreadable book is someone's file all the same.
  }
  const sameChain = book.genesisHash === genesis;
  const sameDeployment = book.deploymentId === deploymentId;
  if (sameDeployment && (sameChain || book.genesisHash === undefined)) return {};
  const what = `deployment "${String(book.deploymentId)}"${
    typeof book.genesisHash === "string"
      ? ` on ${sameChain ? "this chain" : `another chain (genesis ${short(book.genesisHash)})`}`
      : ""
  }`;
  if (!reset) {
    throw new InputError(
      file,
      undefined,
      undefined,
      `is the address book of ${what}; nothing was sent. Pass --reset to replace it, or --out <dir> to write this deployment's book elsewhere`,
    );
  }
  return { replaces: what };
}

function short(hash: string): string {
  return `${hash.slice(0, 10)}…`;
}
