import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { Provider } from "ethers";

import { BuybackEmission__factory } from "../types/index.js";
import { writeAddressBook } from "../src/deployments-fs.js";
import {
  abiHash,
  ADDRESS_BOOK_FORMAT,
  CONTRACT_NAMES,
  type AddressBook,
  type ContractName,
} from "../src/deployments.js";

export interface RecordDeploymentOptions {
  provider: Provider;
  network: string;
  deploymentId: string;
  /** The addresses, by the book's names (what the `System` module returns). */
  contracts: Partial<Record<string, string>>;
  /** Ignition's deployment directory, whose journal gives the first block; or give `block`. */
  deploymentDir?: string;
  block?: number;
}

/**
 * The first block of an Ignition deployment: the lowest block of the receipts in its journal
 * (`journal.jsonl`, one JSON message a line; a confirmed transaction carries its receipt).
 */
export function firstBlockOfJournal(deploymentDir: string): number {
  const journal = path.join(deploymentDir, "journal.jsonl");
  if (!existsSync(journal)) throw new Error(`no Ignition journal at ${journal}`);
  let first = Number.POSITIVE_INFINITY;
  for (const line of readFileSync(journal, "utf8").split("\n")) {
    if (!line.includes('"TRANSACTION_CONFIRM"')) continue;
    const message = JSON.parse(line) as { receipt?: { blockNumber?: number } };
    const block = message.receipt?.blockNumber;
    if (typeof block === "number" && block < first) first = block;
  }
  if (!Number.isFinite(first)) throw new Error(`the journal ${journal} has no confirmed transaction`);
  return first;
}

/**
 * The block `address` got its code in, between `from` and `to` (inclusive; it has code at `to`):
 * a binary search over `eth_getCode` at past blocks, so it needs only a node that keeps the state
 * of those blocks (any node does for a deployment just made).
 */
export async function creationBlock(provider: Provider, address: string, from: number, to: number): Promise<number> {
  let [low, high] = [from, to];
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if ((await provider.getCode(address, mid)) === "0x") low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The address book of a finished `System` deployment: the seven addresses (the timelock too), the router and factory
 * the emission contract uses, the first block, each contract's creation block and the ABI hash of
 * the bindings.
 */
export async function addressBookOf(options: RecordDeploymentOptions): Promise<AddressBook> {
  const { contracts } = options;
  const missing = CONTRACT_NAMES.filter((name) => contracts[name] === undefined);
  if (missing.length > 0) throw new Error(`the deployment has no ${missing.join(", ")}`);
  const emission = BuybackEmission__factory.connect(contracts.emission!, options.provider);
  const block = options.block ?? firstBlockOfJournal(options.deploymentDir ?? "");
  const latest = await options.provider.getBlockNumber();
  const book: AddressBook = {
    format: ADDRESS_BOOK_FORMAT,
    chainId: Number((await options.provider.getNetwork()).chainId),
    network: options.network,
    deploymentId: options.deploymentId,
    genesisHash: (await options.provider.getBlock(0))!.hash!,
    block,
    blocks: Object.fromEntries(
      await Promise.all(
        CONTRACT_NAMES.map(async (name) => [
          name,
          await creationBlock(options.provider, contracts[name]!, block, latest),
        ]),
      ),
    ) as Record<ContractName, number>,
    abiHash: abiHash(),
    contracts: Object.fromEntries(CONTRACT_NAMES.map((name) => [name, contracts[name]!])) as AddressBook["contracts"],
    uniswap: { router: await emission.router(), factory: await emission.factory() },
  };
  return book;
}

/** {@link addressBookOf}, written to `<dir>/<chainId>.json`. */
export async function recordDeployment(
  options: RecordDeploymentOptions & { dir: string },
): Promise<{ file: string; book: AddressBook }> {
  const book = await addressBookOf(options);
  return { file: writeAddressBook(book, options.dir), book };
}
