// The lease session's test bench, beside agents.ts: a throwaway deployment whose address book the
// agents read, a chain clock that runs faster than the wall clock, a plain script hook for the
// provider agent, and the transactions an account sent.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { network } from "hardhat";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { rpc } from "./agents.js";

/**
 * Deploys the whole system on `connection` (an airdrop of `amount` to `holder`) and writes its
 * address book to `<dir>/book/<chainId>.json`, where the agents' configs point; the deployment's
 * own folder under deploy/deployments is removed, so runs leave nothing behind.
 */
export async function deployForAgents(
  connection: Awaited<ReturnType<typeof network.create>>,
  dir: string,
  holder: string,
  amount: bigint,
): Promise<Awaited<ReturnType<typeof deployLocalSystem>>> {
  const tree = await buildTree([{ kind: LeafKind.Evm, holder, amount }]);
  const id = `agents-test-${path.basename(dir)}`;
  const system = await deployLocalSystem(
    connection,
    { root: tree.root, total: tree.total.toString(), topNodes: tree.topNodes },
    undefined,
    { deploymentId: id },
  );
  rmSync(path.join("deploy", "deployments", id), { recursive: true, force: true });
  writeAddressBook(system.book, path.join(dir, "book"));
  return system;
}

export interface ChainClock {
  /** Chain seconds per wall second, as measured since the clock started. */
  rate(): Promise<number>;
  stop(): void;
}

/**
 * Makes anvil's time run `chainSecondsPerSecond` times faster than the wall clock: every `tickMs`
 * the next block comes that much further ahead (evm_increaseTime, then evm_mine). Transactions
 * mined between ticks get the same shifted clock, so chain time stays monotone and smooth.
 */
export function startChainClock(url: string, chainSecondsPerSecond: number, tickMs = 250): ChainClock {
  const extra = Math.round(((chainSecondsPerSecond - 1) * tickMs) / 1000);
  const startedMs = Date.now();
  const chainTime = async () =>
    Number(((await rpc(url, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string }).timestamp);
  const startedChain = chainTime();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    rpc(url, "evm_increaseTime", [extra])
      .then(() => rpc(url, "evm_mine"))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, tickMs);
  return {
    rate: async () => ((await chainTime()) - (await startedChain)) / ((Date.now() - startedMs) / 1000),
    stop: () => clearInterval(timer),
  };
}

/** A provider hook (Node script) that logs every event it gets to `log` and prints an access on start. */
export function writeLoggingHook(dir: string): { command: string[]; events: () => Record<string, unknown>[] } {
  const script = path.join(dir, "hook.mjs");
  const log = path.join(dir, "hooks.log");
  writeFileSync(
    script,
    `import { appendFileSync, readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(0, "utf8"));
appendFileSync(process.argv[2], JSON.stringify(input) + "\\n");
if (input.event === "start") console.log(JSON.stringify({ ssh: "ssh lease" + input.leaseId + "@127.0.0.1" }));
`,
  );
  writeFileSync(log, "");
  return {
    command: [process.execPath, script, log],
    events: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface SentTransaction {
  hash: string;
  nonce: number;
  to: string;
  input: string;
  status: number;
}

/** Every transaction `from` sent in blocks `fromBlock`..latest, with its receipt's status. */
export async function transactionsFrom(url: string, from: string, fromBlock: number): Promise<SentTransaction[]> {
  const latest = Number(await rpc(url, "eth_blockNumber"));
  const sent: SentTransaction[] = [];
  for (let n = fromBlock; n <= latest; n++) {
    const block = (await rpc(url, "eth_getBlockByNumber", ["0x" + n.toString(16), true])) as {
      transactions: { hash: string; from: string; nonce: string; to: string; input: string }[];
    };
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== from.toLowerCase()) continue;
      const receipt = (await rpc(url, "eth_getTransactionReceipt", [tx.hash])) as { status: string };
      sent.push({ hash: tx.hash, nonce: Number(tx.nonce), to: tx.to, input: tx.input, status: Number(receipt.status) });
    }
  }
  return sent;
}
