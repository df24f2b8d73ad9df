import { existsSync, readFileSync } from "node:fs";

import { getAddress } from "ethers";

import { InputError } from "../../errors.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Reads a list of addresses to leave out of a snapshot (the burn address, pools, the treasury):
 * one address per line; blank lines and `#` comments are ignored. Addresses in mixed case must
 * carry a valid EIP-55 checksum. Returns them lowercased.
 */
export function readExclusionFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InputError(file, undefined, undefined, `cannot read the exclusion list: ${(error as Error).message}`);
  }
  const addresses: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = raw.replace(/#.*/, "").trim();
    if (entry !== "") addresses.push(checkedAddress(entry, file, index + 1));
  });
  return addresses;
}

/**
 * Parses the `--exclude` option: comma-separated items, each an address or the path of a file
 * in the {@link readExclusionFile} format. Returns the addresses lowercased, without duplicates.
 */
export function parseExclusions(spec: string, source = "--exclude"): string[] {
  const addresses = new Set<string>();
  for (const raw of spec.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    if (ADDRESS.test(item)) {
      addresses.add(checkedAddress(item, source, undefined));
    } else if (existsSync(item)) {
      for (const address of readExclusionFile(item)) addresses.add(address);
    } else {
      throw new InputError(source, undefined, "address", `"${item}" is neither an address nor an existing file`);
    }
  }
  return [...addresses];
}

function checkedAddress(entry: string, file: string, line: number | undefined): string {
  if (!ADDRESS.test(entry)) {
    throw new InputError(file, line, "address", `"${entry}" is not an address (0x and 40 hex digits)`);
  }
  try {
    return getAddress(entry).toLowerCase();
  } catch {
    throw new InputError(file, line, "address", `"${entry}" has a bad EIP-55 checksum`);
  }
}
