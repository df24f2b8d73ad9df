import type { Provider } from "ethers";

import { loadAddressBook } from "../src/deployments-fs.js";
import { type ContractName } from "../src/deployments.js";
import { InputError } from "../src/errors.js";

/** What `addressOption` needs of a network connection. */
export interface BookConnection {
  networkConfig: { type: string };
  ethers: { provider: Provider };
}

const LABELS: Record<ContractName, string> = {
  gut: "GUT",
  tft: "TFT",
  registry: "ProviderRegistry",
  escrow: "LeaseEscrow",
  emission: "BuybackEmission",
  distributor: "TokenSwapDistributor",
  timelock: "GovernanceTimelock",
};

/**
 * The address a task works on: the option when given, else the contract's entry in the address
 * book of the network's chain (`deployments/<chainId>.json`, written by `deploy:system`). The
 * in-process network starts empty on every run, so no book describes it: there the option is
 * required.
 */
export async function addressOption(
  given: string,
  name: ContractName,
  connection: BookConnection,
  source: string,
  option: string,
): Promise<string> {
  if (given.trim() !== "") return given;
  if (connection.networkConfig.type === "edr-simulated") {
    throw new InputError(source, undefined, option, `the ${LABELS[name]} address is required`);
  }
  const { chainId } = await connection.ethers.provider.getNetwork();
  try {
    return loadAddressBook(chainId).contracts[name];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(source, undefined, option, `not given, and no address book to read it from: ${error.message}`);
  }
}
