// Stands in for a holder on the old GUT chain, for the networked path (.ci/network): a fixed
// test key (never a real one), its WIF in `<dir>/key.wif`, and the old chain's balance list
// `<dir>/legacy.csv` with that holder, for `airdrop:build --legacy`. Prints the base58 address.
//
//   GPUFOG_LEGACY_DIR=work/ npx hardhat run scripts/localhost/legacy-holder.ts
import { writeFileSync } from "node:fs";
import path from "node:path";

import { secp256k1 } from "@noble/curves/secp256k1.js";

import { encodeLegacyAddress } from "../../src/airdrop/legacy/address.js";
import { encodeWif, hash160 } from "../../src/airdrop/legacy/keys.js";

const dir = process.env.GPUFOG_LEGACY_DIR ?? ".";
const privateKey = new Uint8Array(32).fill(0x42);
const address = encodeLegacyAddress(hash160(secp256k1.getPublicKey(privateKey, true)), 38);
writeFileSync(path.join(dir, "key.wif"), encodeWif(privateKey, "compressed", 0x80) + "\n");
// 1,234.5 GUT in the old chain's 8-decimal units.
writeFileSync(path.join(dir, "legacy.csv"), `address,amount\n${address},123450000000\n`);
console.log(address);
