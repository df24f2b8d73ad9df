import type { ContractRunner } from "ethers";

import { InputError } from "./errors.js";
import { parseAddress, type Source } from "./parse.js";

/**
 * The address of a contract the caller is about to use, checksummed, after checking that it is
 * an address and that code lives there on the runner's chain: the `connect*` functions share it,
 * so a typo or a book of another chain fails as one `InputError` naming `field`, not as a call
 * that returns nothing.
 */
export async function contractAddress(
  address: string,
  runner: ContractRunner,
  source: Source,
  field: string,
): Promise<string> {
  if (address.trim() === "") throw new InputError(source, undefined, field, `the ${field} address is required`);
  const checked = parseAddress(source, field, address);
  const provider = runner.provider;
  if (provider === null || provider === undefined) throw new Error("the runner has no provider");
  if ((await provider.getCode(checked)) === "0x") {
    throw new InputError(source, undefined, field, `no contract at ${checked} on this network`);
  }
  return checked;
}
