import type { Provider } from "ethers";

import { addressBookPath, loadAddressBook } from "../src/deployments-fs.js";
import { type AddressBook, type ContractName } from "../src/deployments.js";
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
  dir?: string,
): Promise<string> {
  if (given.trim() !== "") return given;
  if (connection.networkConfig.type === "edr-simulated") {
    throw new InputError(source, undefined, option, `the ${LABELS[name]} address is required`);
  }
  const { provider } = connection.ethers;
  const { chainId } = await provider.getNetwork();
  let book: AddressBook;
  try {
    book = loadAddressBook(chainId, dir);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(source, undefined, option, `not given, and no address book to read it from: ${error.message}`);
  }
  await checkBookChain(book, addressBookPath(chainId, dir), provider, name);
  return book.contracts[name];
}

/**
 * Refuses a book that does not describe the chain behind `provider`: another chain of the same
 * id (its genesis hash differs: a restarted node, another client, a fork), or no code at the
 * address of `name` (a deployment that is gone). One line each, naming the book and the field.
 */
export async function checkBookChain(
  book: AddressBook,
  file: string,
  provider: Provider,
  name: ContractName,
): Promise<void> {
  if (book.genesisHash !== undefined) {
    const genesis = (await provider.getBlock(0))?.hash;
    if (genesis !== undefined && genesis !== null && genesis !== book.genesisHash) {
      throw new InputError(
        file,
        undefined,
        "genesisHash",
        `the book is of another chain with id ${book.chainId} (genesis ${book.genesisHash.slice(0, 10)}…; this node's is ${genesis.slice(0, 10)}…): a restarted node or another client; deploy again (deploy:system --reset) or set GPUFOG_DEPLOYMENTS to that chain's books`,
      );
    }
  }
  const address = book.contracts[name];
  if ((await provider.getCode(address)) === "0x") {
    throw new InputError(
      file,
      undefined,
      `contracts.${name}`,
      `no contract at ${address} on this chain: the deployment "${book.deploymentId}" is not here (deploy again, or set GPUFOG_DEPLOYMENTS to this chain's books)`,
    );
  }
}
