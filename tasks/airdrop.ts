import { ArgumentType } from "hardhat/types/arguments";
import { task } from "hardhat/config";

import { UNSET } from "./options.js";

export const airdropBuildTask = task(
  "airdrop:build",
  "Builds the Merkle tree from a snapshot CSV: manifest, data shards (subtrees) and index shards; --oz-dump adds the OpenZeppelin dump",
)
  .addOption({
    name: "csv",
    description: "The EVM snapshot CSV (address,amount in wei); this, --legacy or both (required)",
    ...UNSET,
  })
  .addOption({
    name: "legacy",
    description:
      "The old chain's balance CSV (base58 P2PKH address,amount in 8-decimal units), as kind 1 leaves (default: none)",
    ...UNSET,
  })
  .addOption({
    name: "addressVersion",
    description: "The old chain's P2PKH version byte (38: G… addresses)",
    type: ArgumentType.INT,
    defaultValue: 38,
  })
  .addOption({ name: "out", description: "The output directory, replaced whole (required)", ...UNSET })
  .addFlag({
    name: "ozDump",
    description: "Also write tree.json, the dump OpenZeppelin's StandardMerkleTree.load accepts (~10x the rest)",
  })
  .setAction(() => import("./actions/airdrop-build.js"))
  .build();

export const airdropVerifyTask = task(
  "airdrop:verify",
  "Checks an airdrop directory against a deployed distributor: the whole dump re-hashed, root, total, top nodes, legacy magic and version, funding, sampled proofs",
)
  .addOption({ name: "airdrop", description: "The airdrop directory, from airdrop:build (required)", ...UNSET })
  .addOption({
    name: "distributor",
    description: "The TokenSwapDistributor address (default: the address book's)",
    ...UNSET,
  })
  .addOption({
    name: "samples",
    description: "How many random proofs to check",
    type: ArgumentType.INT,
    defaultValue: 20,
  })
  .addOption({
    name: "magic",
    description:
      'The signed-message magic old-chain holders sign with, \\n for a newline (default: "GPUnion Signed Message:\\n")',
    ...UNSET,
  })
  .setAction(() => import("./actions/airdrop-verify.js"))
  .build();

export const airdropClaimTask = task("airdrop:claim", "Claims an account's airdrop from the airdrop directory's shards")
  .addOption({ name: "airdrop", description: "The airdrop directory, from airdrop:build (required)", ...UNSET })
  .addOption({
    name: "distributor",
    description: "The TokenSwapDistributor address (default: the address book's)",
    ...UNSET,
  })
  .addOption({
    name: "account",
    description:
      "The holder to claim for; the tokens always go to it (default: the network's first account, which sends)",
    ...UNSET,
  })
  .setAction(() => import("./actions/airdrop-claim.js"))
  .build();

export const airdropSignLegacyTask = task(
  "airdrop:sign-legacy",
  "Signs a legacy claim offline from a WIF key: prints the message, the public key and the compact base64 signature",
)
  .addOption({
    name: "wifFile",
    description: "A file holding the WIF private key; this or --wif (required)",
    ...UNSET,
  })
  .addOption({
    name: "wif",
    description: "The WIF private key, which lands in shell history (default: none; prefer --wif-file)",
    ...UNSET,
  })
  .addOption({ name: "recipient", description: "The EVM account to be paid (required)", ...UNSET })
  .addOption({
    name: "distributor",
    description: "The TokenSwapDistributor address (required: this task reads no chain)",
    ...UNSET,
  })
  .addOption({ name: "chainId", description: "The EVM chain id the distributor is on (required)", ...UNSET })
  .addOption({
    name: "magic",
    description: 'The signed-message magic, \\n for a newline (default: "GPUnion Signed Message:\\n")',
    ...UNSET,
  })
  .addOption({
    name: "addressVersion",
    description: "The old chain's P2PKH version byte (38: G… addresses)",
    type: ArgumentType.INT,
    defaultValue: 38,
  })
  .addOption({
    name: "address",
    description: "Your old-chain address, to check the key against (default: not checked)",
    ...UNSET,
  })
  .addOption({
    name: "airdrop",
    description: "The airdrop directory, to check the key has a leaf (default: not checked)",
    ...UNSET,
  })
  .setAction(() => import("./actions/airdrop-sign-legacy.js"))
  .build();

export const airdropClaimLegacyTask = task(
  "airdrop:claim-legacy",
  "Submits an old-chain holder's signed claim (anyone may send it; the tokens go to the signed recipient)",
)
  .addOption({
    name: "airdrop",
    description: "The airdrop directory, from airdrop:build --legacy (required)",
    ...UNSET,
  })
  .addOption({
    name: "distributor",
    description: "The TokenSwapDistributor address (default: the address book's)",
    ...UNSET,
  })
  .addOption({ name: "recipient", description: "The EVM account named in the signed message (required)", ...UNSET })
  .addOption({
    name: "signature",
    description: "The compact signature, base64, from the old wallet or airdrop:sign-legacy (required)",
    ...UNSET,
  })
  .addOption({
    name: "pubkey",
    description: "The holder's public key, hex (default: recovered from the signature)",
    ...UNSET,
  })
  .addOption({
    name: "holder",
    description: "The holder's base58 address or HASH160, for a precise diagnosis (default: from the key)",
    ...UNSET,
  })
  .setAction(() => import("./actions/airdrop-claim-legacy.js"))
  .build();
