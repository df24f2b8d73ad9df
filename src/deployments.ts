// Address books and the typed contracts of a deployment. Browser-safe: a book is passed in (from
// a JSON import or a fetch); reading and writing `deployments/<chainId>.json` is in
// ./deployments-fs.ts (`gpufog/node`).
import {
  getAddress,
  Interface,
  isAddress,
  keccak256,
  toUtf8Bytes,
  type ContractRunner,
  type InterfaceAbi,
} from "ethers";

import { BuybackEmission__factory } from "../types/factories/BuybackEmission__factory.js";
import { GUT__factory } from "../types/factories/GUT__factory.js";
import { LeaseEscrow__factory } from "../types/factories/LeaseEscrow__factory.js";
import { ProviderRegistry__factory } from "../types/factories/ProviderRegistry__factory.js";
import { TFT__factory } from "../types/factories/TFT__factory.js";
import { TokenSwapDistributor__factory } from "../types/factories/TokenSwapDistributor__factory.js";
import { GovernanceTimelock__factory } from "../types/factories/governance/GovernanceTimelock__factory.js";
import type { BuybackEmission } from "../types/BuybackEmission.js";
import type { GUT } from "../types/GUT.js";
import type { LeaseEscrow } from "../types/LeaseEscrow.js";
import type { ProviderRegistry } from "../types/ProviderRegistry.js";
import type { TFT } from "../types/TFT.js";
import type { TokenSwapDistributor } from "../types/TokenSwapDistributor.js";
import type { GovernanceTimelock } from "../types/governance/GovernanceTimelock.js";
import { InputError } from "./errors.js";

/** The format name in every address book. */
export const ADDRESS_BOOK_FORMAT = "gpufog-deployments-v1";

/**
 * The contracts of a deployment, by the names `getContracts` returns them under. `timelock` is the
 * OpenZeppelin `TimelockController` that holds governance (see docs/deployment.md).
 */
export const CONTRACT_NAMES = ["gut", "tft", "registry", "escrow", "emission", "distributor", "timelock"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/**
 * `deployments/<chainId>.json`: where one deployment of the market lives. `block` is the first
 * block of the deployment, where an event scanner starts, and `blocks` the block each contract
 * was created in (an indexer starts each contract's events there); `abiHash` identifies the ABIs
 * the contracts were deployed with (see {@link abiHash}).
 */
export interface AddressBook {
  format: typeof ADDRESS_BOOK_FORMAT;
  chainId: number;
  network: string;
  deploymentId: string;
  /**
   * The hash of the chain's block 0: tells two chains of one id apart (a restarted `hardhat node`,
   * anvil, a fork). Tasks refuse a book whose chain does not match. Absent in older books.
   */
  genesisHash?: string;
  block: number;
  /** The block each contract was created in (books written before this field: `block` for each). */
  blocks: Record<ContractName, number>;
  abiHash: string;
  contracts: Record<ContractName, string>;
  /** The Uniswap V2 router and factory the emission contract buys back through. */
  uniswap: { router: string; factory: string };
}

/** The typed contracts of a deployment, connected to one runner. */
export interface GpufogContracts {
  gut: GUT;
  tft: TFT;
  registry: ProviderRegistry;
  escrow: LeaseEscrow;
  emission: BuybackEmission;
  distributor: TokenSwapDistributor;
  timelock: GovernanceTimelock;
}

const FACTORIES = {
  gut: GUT__factory,
  tft: TFT__factory,
  registry: ProviderRegistry__factory,
  escrow: LeaseEscrow__factory,
  emission: BuybackEmission__factory,
  distributor: TokenSwapDistributor__factory,
  timelock: GovernanceTimelock__factory,
} as const;

/**
 * keccak256 over the seven contracts' ABIs, each in ethers' normalised JSON, in `CONTRACT_NAMES`
 * order. With no argument, the ABIs of the bindings in this package: a book whose hash differs
 * was deployed from other sources than the bindings reading it.
 */
export function abiHash(abis: Record<ContractName, InterfaceAbi> = bundledAbis()): string {
  const text = CONTRACT_NAMES.map((name) => Interface.from(abis[name]).formatJson()).join("\n");
  return keccak256(toUtf8Bytes(text));
}

function bundledAbis(): Record<ContractName, InterfaceAbi> {
  const abis = {} as Record<ContractName, InterfaceAbi>;
  for (const name of CONTRACT_NAMES) abis[name] = FACTORIES[name].abi as unknown as InterfaceAbi;
  return abis;
}

/**
 * Checks an address book's text and returns it typed: every field present and well-formed, the
 * addresses checksummed, and the chain id that of the file name when `expectedChainId` is given.
 * Anything wrong is an `InputError` naming the file and the field.
 */
export function parseAddressBook(text: string | object, file: string, expectedChainId?: number | bigint): AddressBook {
  let raw: unknown = text;
  if (typeof text === "string") {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new InputError(file, undefined, undefined, `is not JSON: ${(error as Error).message}`);
    }
  }
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("(root)", "must be a JSON object");
  const book = raw as Record<string, unknown>;
  if (book.format !== ADDRESS_BOOK_FORMAT) {
    throw bad("format", `must be "${ADDRESS_BOOK_FORMAT}", not ${JSON.stringify(book.format)}`);
  }
  const int = (field: string, value = book[field]): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw bad(field, `must be a whole number, not ${JSON.stringify(value)}`);
    }
    return value;
  };
  const str = (field: string): string => {
    const value = book[field];
    if (typeof value !== "string" || value === "") throw bad(field, `must be a non-empty string`);
    return value;
  };
  const chainId = int("chainId");
  if (expectedChainId !== undefined && BigInt(chainId) !== BigInt(expectedChainId)) {
    throw bad("chainId", `is ${chainId}, but the book was looked up for chain ${expectedChainId}`);
  }
  const genesisHash = book.genesisHash;
  if (genesisHash !== undefined && (typeof genesisHash !== "string" || !/^0x[0-9a-f]{64}$/.test(genesisHash))) {
    throw bad("genesisHash", `${JSON.stringify(genesisHash)} is not a 32-byte lower-case hex hash`);
  }
  const hash = str("abiHash");
  if (!/^0x[0-9a-f]{64}$/.test(hash)) throw bad("abiHash", `"${hash}" is not a 32-byte lower-case hex hash`);
  const addresses = (field: string, names: readonly string[]): Record<string, string> => {
    const group = book[field];
    if (typeof group !== "object" || group === null || Array.isArray(group)) throw bad(field, "must be an object");
    const out: Record<string, string> = {};
    for (const name of names) {
      const value = (group as Record<string, unknown>)[name];
      if (value === undefined) throw bad(`${field}.${name}`, "is missing");
      if (typeof value !== "string" || !isAddress(value)) {
        throw bad(`${field}.${name}`, `${JSON.stringify(value)} is not an address`);
      }
      out[name] = getAddress(value);
    }
    return out;
  };
  const block = int("block");
  const blocks = {} as Record<ContractName, number>;
  if (book.blocks !== undefined && (typeof book.blocks !== "object" || book.blocks === null)) {
    throw bad("blocks", "must be an object");
  }
  for (const name of CONTRACT_NAMES) {
    const given = (book.blocks as Record<string, unknown> | undefined)?.[name];
    blocks[name] = book.blocks === undefined ? block : int(`blocks.${name}`, given);
    if (blocks[name] < block) throw bad(`blocks.${name}`, `is ${blocks[name]}, before the deployment's block ${block}`);
  }
  return {
    format: ADDRESS_BOOK_FORMAT,
    chainId,
    network: str("network"),
    deploymentId: str("deploymentId"),
    ...(genesisHash === undefined ? {} : { genesisHash }),
    block,
    blocks,
    abiHash: hash,
    contracts: addresses("contracts", CONTRACT_NAMES) as Record<ContractName, string>,
    uniswap: addresses("uniswap", ["router", "factory"]) as AddressBook["uniswap"],
  };
}

export interface GetContractsOptions {
  /** Accept a book whose ABI hash differs from this package's bindings (default: refuse). */
  allowAbiMismatch?: boolean;
}

/**
 * The market's contracts of `book`, typed by the typechain bindings and connected to `runner`.
 * Refuses a book deployed with other ABIs than these bindings. The runner's chain is not checked
 * (see {@link connectDeployment}).
 */
export function getContracts(
  book: AddressBook,
  runner: ContractRunner,
  options: GetContractsOptions = {},
): GpufogContracts {
  const expected = abiHash();
  if (!options.allowAbiMismatch && book.abiHash !== expected) {
    throw new InputError(
      `${book.chainId}.json`,
      undefined,
      "abiHash",
      `${book.abiHash} is not the ABI hash of this package's bindings (${expected}): the contracts were deployed from other sources`,
    );
  }
  const c = book.contracts;
  return {
    gut: GUT__factory.connect(c.gut, runner),
    tft: TFT__factory.connect(c.tft, runner),
    registry: ProviderRegistry__factory.connect(c.registry, runner),
    escrow: LeaseEscrow__factory.connect(c.escrow, runner),
    emission: BuybackEmission__factory.connect(c.emission, runner),
    distributor: TokenSwapDistributor__factory.connect(c.distributor, runner),
    timelock: GovernanceTimelock__factory.connect(c.timelock, runner),
  };
}

/**
 * The contracts of the deployment on the runner's chain, from `books` (one book or several, e.g.
 * imported JSON of each chain a dApp supports). Throws an `InputError` when no book is for that chain.
 */
export async function connectDeployment(
  books: AddressBook | readonly AddressBook[],
  runner: ContractRunner,
  options: GetContractsOptions = {},
): Promise<GpufogContracts & { book: AddressBook }> {
  if (runner.provider === null || runner.provider === undefined) throw new Error("the runner has no provider");
  const { chainId } = await runner.provider.getNetwork();
  const list: readonly AddressBook[] = Array.isArray(books) ? books : [books as AddressBook];
  const book = list.find((b) => BigInt(b.chainId) === chainId);
  if (book === undefined) {
    const known = list.map((b) => b.chainId).join(", ") || "none";
    throw new InputError("address books", undefined, "chainId", `no book for chain ${chainId} (books for: ${known})`);
  }
  return { ...getContracts(book, runner, options), book };
}
