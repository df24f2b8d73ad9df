// Run in the consumer project with Node: builds a small airdrop with the installed package's
// `gpufog/node` (tree builder and directory writer, in its default compact layout) into
// page/public/, with a legacy signature made by the root entry, for the browser page to check.
import { mkdirSync, writeFileSync } from "node:fs";

import {
  encodeLegacyAddress,
  GUT_P2PKH_VERSION,
  hash160,
  LeafKind,
  publicKeyOf,
  signLegacyMessage,
  toHex,
} from "gpufog";
import { claimMessage } from "gpufog";
import { buildTree, writeAirdrop } from "gpufog/node";

// Enough holders for two data shards, so the page derives proofs across the shard roots.
const holders = Array.from({ length: 9000 }, (_, i) => ({
  kind: LeafKind.Evm,
  holder: "0x" + (i + 1).toString(16).padStart(4, "0").repeat(10),
  amount: BigInt(i + 1) * 10n ** 18n,
}));
const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const legacyHash = toHex(hash160(publicKeyOf(key, "compressed")));
holders.push({ kind: LeafKind.Legacy, holder: legacyHash, amount: 7n * 10n ** 17n });

const tree = await buildTree(holders, { threads: 1 });
mkdirSync("page/public", { recursive: true });
const manifest = writeAirdrop(tree, "page/public/airdrop");
const target = {
  recipient: "0x00000000000000000000000000000000000000aa",
  chainId: 31337,
  distributor: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const message = claimMessage(target);
const fixture = {
  holder: holders[7].holder,
  legacyHolder: legacyHash,
  legacyAddress: encodeLegacyAddress(legacyHash, GUT_P2PKH_VERSION),
  target,
  message,
  signature: signLegacyMessage(message, key, "compressed"),
  root: manifest.root,
};
writeFileSync("page/public/fixture.json", JSON.stringify(fixture, null, 2));
const shards = 2 ** manifest.shards.depth;
console.log(`airdrop of ${tree.count} holders, root ${manifest.root}, ${shards} data and ${shards} index shards`);
