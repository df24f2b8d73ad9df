import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  getAddress,
  Interface,
  isAddress,
  keccak256,
  toUtf8Bytes,
  type ContractRunner,
  type InterfaceAbi,
} from "ethers";

import {
  BuybackEmission__factory,
  GUT__factory,
  LeaseEscrow__factory,
  ProviderRegistry__factory,
  TFT__factory,
  TimelockController__factory,
  TokenSwapDistributor__factory,
  type BuybackEmission,
  type GUT,
  type LeaseEscrow,
  type ProviderRegistry,
  type TFT,
  type TimelockController,
  type TokenSwapDistributor,
} from "../types/index.js";
import { InputError } from "./errors.js";
import { writeJsonAtomic } from "./io.js";

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
 * block of the deployment, where an event scanner starts; `abiHash` identifies the ABIs the
 * contracts were deployed with (see {@link abiHash}).
 */
export interface AddressBook {
  format: typeof ADDRESS_BOOK_FORMAT;
  chainId: number;
  network: string;
  deploymentId: string;
  block: number;
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
  timelock: TimelockController;
}

const FACTORIES = {
  gut: GUT__factory,
  tft: TFT__factory,
  registry: ProviderRegistry__factory,
  escrow: LeaseEscrow__factory,
  emission: BuybackEmission__factory,
  distributor: TokenSwapDistributor__factory,
  timelock: TimelockController__factory,
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
 * The directory of address books: `$GPUFOG_DEPLOYMENTS` when set, else `deployments/` at the root
 * of this package (found from this file, so it works from the sources, from `dist/` and from
 * `node_modules/gpufog`).
 */
export function deploymentsDir(): string {
  const fromEnv = process.env.GPUFOG_DEPLOYMENTS;
  if (fromEnv !== undefined && fromEnv !== "") return path.resolve(fromEnv);
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "gpufog") {
      return path.join(dir, "deployments");
    }
    if (path.dirname(dir) === dir) return path.resolve("deployments");
  }
}

/** The book file of a chain. */
export function addressBookPath(chainId: number | bigint, dir = deploymentsDir()): string {
  return path.join(dir, `${chainId}.json`);
}

/**
 * Checks an address book's text and returns it typed: every field present and well-formed, the
 * addresses checksummed, and the chain id that of the file name when `expectedChainId` is given.
 * Anything wrong is an `InputError` naming the file and the field.
 */
export function parseAddressBook(text: string, file: string, expectedChainId?: number | bigint): AddressBook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not JSON: ${(error as Error).message}`);
  }
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("(root)", "must be a JSON object");
  const book = raw as Record<string, unknown>;
  if (book.format !== ADDRESS_BOOK_FORMAT) {
    throw bad("format", `must be "${ADDRESS_BOOK_FORMAT}", not ${JSON.stringify(book.format)}`);
  }
  const int = (field: string): number => {
    const value = book[field];
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
  return {
    format: ADDRESS_BOOK_FORMAT,
    chainId,
    network: str("network"),
    deploymentId: str("deploymentId"),
    block: int("block"),
    abiHash: hash,
    contracts: addresses("contracts", CONTRACT_NAMES) as Record<ContractName, string>,
    uniswap: addresses("uniswap", ["router", "factory"]) as AddressBook["uniswap"],
  };
}

/** Reads and checks `deployments/<chainId>.json` (see {@link parseAddressBook}). */
export function loadAddressBook(chainId: number | bigint, dir = deploymentsDir()): AddressBook {
  const file = addressBookPath(chainId, dir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new InputError(
      file,
      undefined,
      undefined,
      `no address book for chain ${chainId}: deploy first (npx hardhat deploy:system --network <name>)`,
    );
  }
  return parseAddressBook(text, file, chainId);
}

/** Writes a book atomically to `deployments/<chainId>.json`; returns the path. */
export function writeAddressBook(book: AddressBook, dir = deploymentsDir()): string {
  const file = addressBookPath(book.chainId, dir);
  writeJsonAtomic(file, book);
  return file;
}

export interface GetContractsOptions {
  /** The directory of address books (default {@link deploymentsDir}). */
  dir?: string;
  /** A book already loaded, instead of reading one. */
  book?: AddressBook;
  /** Accept a book whose ABI hash differs from this package's bindings (default: refuse). */
  allowAbiMismatch?: boolean;
}

/**
 * The market's contracts on `chainId`, typed by the typechain bindings and connected to `runner`,
 * from the chain's address book. Refuses a book deployed with other ABIs than these bindings.
 */
export function getContracts(
  runner: ContractRunner,
  chainId: number | bigint,
  options: GetContractsOptions = {},
): GpufogContracts {
  const book = options.book ?? loadAddressBook(chainId, options.dir);
  const expected = abiHash();
  if (!options.allowAbiMismatch && book.abiHash !== expected) {
    throw new InputError(
      addressBookPath(book.chainId, options.dir),
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
    timelock: TimelockController__factory.connect(c.timelock, runner),
  };
}

/** {@link getContracts} for the chain the runner's provider is on. */
export async function connectDeployment(
  runner: ContractRunner,
  options: GetContractsOptions = {},
): Promise<GpufogContracts & { book: AddressBook }> {
  if (runner.provider === null || runner.provider === undefined) throw new Error("the runner has no provider");
  const { chainId } = await runner.provider.getNetwork();
  const book = options.book ?? loadAddressBook(chainId, options.dir);
  return { ...getContracts(runner, chainId, { ...options, book }), book };
}
