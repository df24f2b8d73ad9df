// The address books on disk: `deployments/<chainId>.json` beside the package (or
// `$GPUFOG_DEPLOYMENTS`). Node only (`gpufog/node`).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { ContractRunner } from "ethers";

import { connectDeployment, parseAddressBook, type AddressBook, type GetContractsOptions } from "./deployments.js";
import { InputError } from "./errors.js";
import { writeJsonAtomic } from "./io.js";

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

/** {@link connectDeployment} with the book of the runner's chain read from `dir` (default {@link deploymentsDir}). */
export async function loadDeployment(
  runner: ContractRunner,
  options: GetContractsOptions & { dir?: string } = {},
): ReturnType<typeof connectDeployment> {
  if (runner.provider === null || runner.provider === undefined) throw new Error("the runner has no provider");
  const { chainId } = await runner.provider.getNetwork();
  return connectDeployment(loadAddressBook(chainId, options.dir), runner, options);
}
