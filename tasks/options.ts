// The options task definitions share. Definitions load with the config, so this file imports
// nothing: the actions (and the library under them) load only when a task runs.

/** `--account`: the signer of every task that sends a transaction, one of the network's accounts. */
export const accountOption = {
  name: "account",
  description: "The account that signs, an address of the network's accounts (default: the first)",
  defaultValue: "",
} as const;
