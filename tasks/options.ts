// The options task definitions share. Definitions load with the config, so this file imports
// only Hardhat's argument types: the actions (and the library under them) load only when a task runs.
import { ArgumentType } from "hardhat/types/arguments";

/**
 * The type of an option whose absence its description explains ("(required)", "(default: from the
 * address book)"): Hardhat's help shows no "(default: )" after it, and the action sees it as ""
 * (see `optionsGiven` in cli.ts).
 */
export const UNSET = { type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined } as const;

/** `--account`: the signer of every task that sends a transaction, one of the network's accounts. */
export const accountOption = {
  name: "account",
  description: "The account that signs, an address of the network's accounts (default: the network's first)",
  ...UNSET,
} as const;
