import type { Signer } from "ethers";

import { InputError } from "../src/errors.js";
import { parseAddress } from "../src/parse.js";

/** The network account named by an `--account` option, or the first one when it is empty. */
export async function accountOption<S extends Signer & { address: string }>(
  signers: readonly S[],
  given: string,
  source: string,
  option = "account",
): Promise<S> {
  if (given.trim() === "") {
    const [first] = signers;
    if (first === undefined) throw new InputError(source, undefined, option, "the network has no accounts");
    return first;
  }
  const wanted = parseAddress(source, option, given);
  const signer = signers.find((s) => s.address === wanted);
  if (signer === undefined)
    throw new InputError(source, undefined, option, `${wanted} is not one of the network's accounts`);
  return signer;
}
