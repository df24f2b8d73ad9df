import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { Provider } from "ethers";

import { BuybackEmission__factory } from "../types/index.js";
import {
  abiHash,
  ADDRESS_BOOK_FORMAT,
  CONTRACT_NAMES,
  writeAddressBook,
  type AddressBook,
  type ContractName,
} from "./deployments.js";

/** The contract names Ignition reports (artifact names) → the address book's names. */
const BOOK_NAMES: Record<string, ContractName> = {
  GUT: "gut",
  TFT: "tft",
  ProviderRegistry: "registry",
  LeaseEscrow: "escrow",
  BuybackEmission: "emission",
  TokenSwapDistributor: "distributor",
};

export interface RecordDeploymentOptions {
  provider: Provider;
  network: string;
  deploymentId: string;
  /** What Ignition deployed: its result's `contracts`, or the same shape. */
  contracts: readonly { contractName: string; address: string }[];
  /** The directory of address books. */
  dir: string;
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
 * Writes the address book of a finished `System` deployment: the six addresses, the router and
 * factory the emission contract uses, the first block and the ABI hash of the bindings.
 */
export async function recordDeployment(options: RecordDeploymentOptions): Promise<{ file: string; book: AddressBook }> {
  const contracts: Partial<Record<ContractName, string>> = {};
  for (const { contractName, address } of options.contracts) {
    const name = BOOK_NAMES[contractName];
    if (name !== undefined) contracts[name] = address;
  }
  const missing = Object.values(BOOK_NAMES).filter((name) => contracts[name] === undefined);
  if (missing.length > 0) throw new Error(`the deployment has no ${missing.join(", ")}`);
  const emission = BuybackEmission__factory.connect(contracts.emission!, options.provider);
  const block = options.block ?? firstBlockOfJournal(options.deploymentDir ?? "");
  const book: AddressBook = {
    format: ADDRESS_BOOK_FORMAT,
    chainId: Number((await options.provider.getNetwork()).chainId),
    network: options.network,
    deploymentId: options.deploymentId,
    block,
    abiHash: abiHash(),
    contracts: Object.fromEntries(CONTRACT_NAMES.map((name) => [name, contracts[name]!])) as AddressBook["contracts"],
    uniswap: { router: await emission.router(), factory: await emission.factory() },
  };
  return { file: writeAddressBook(book, options.dir), book };
}
