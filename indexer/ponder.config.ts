// The indexer of one gpufog deployment: the chain and the address book come from the environment,
// so the same build serves a local story, a test chain and a production network.
//   GPUFOG_ADDRESS_BOOK  the deployment's address book (deployments/<chainId>.json, as deploy:system
//                        writes it): the addresses and the block each contract was created in
//   PONDER_RPC_URL       the chain's JSON-RPC endpoint
//   DATABASE_URL         PostgreSQL; without it Ponder uses embedded PGlite, in GPUFOG_PGLITE_DIR
//                        (default .ponder/pglite)
import { readFileSync } from "node:fs";
import path from "node:path";

import { BuybackEmission, LeaseEscrow, ProviderRegistry, TFT } from "gpufog/abi";
import { createConfig } from "ponder";

const ZERO = "0x0000000000000000000000000000000000000000";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`set ${name} (see docs/indexer.md)`);
  return value;
}

interface Book {
  chainId: number;
  contracts: Record<"registry" | "escrow" | "emission" | "tft", `0x${string}`>;
  blocks: Record<"registry" | "escrow" | "emission" | "tft", number>;
}

// Relative to where the command was typed: `npm run indexer` at the root runs Ponder in indexer/.
const bookPath = path.resolve(process.env.INIT_CWD ?? process.cwd(), required("GPUFOG_ADDRESS_BOOK"));
const book = JSON.parse(readFileSync(bookPath, "utf8")) as Book;
const rpc = required("PONDER_RPC_URL");
// A local node (anvil, hardhat node) is restarted with the same chain id and other blocks; the
// RPC cache would serve the old chain's answers.
const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(rpc);

export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: process.env.GPUFOG_PGLITE_DIR ?? ".ponder/pglite" },
  chains: {
    market: { id: book.chainId, rpc, disableCache: local, pollingInterval: local ? 250 : 1_000 },
  },
  contracts: {
    ProviderRegistry: {
      chain: "market",
      abi: ProviderRegistry,
      address: book.contracts.registry,
      startBlock: book.blocks.registry,
    },
    LeaseEscrow: {
      chain: "market",
      abi: LeaseEscrow,
      address: book.contracts.escrow,
      startBlock: book.blocks.escrow,
    },
    BuybackEmission: {
      chain: "market",
      abi: BuybackEmission,
      address: book.contracts.emission,
      startBlock: book.blocks.emission,
    },
    // The supply's history: only TFT's burns, not its every transfer (it mints only when created).
    TFT: {
      chain: "market",
      abi: TFT,
      address: book.contracts.tft,
      startBlock: book.blocks.tft,
      filter: { event: "Transfer", args: { to: ZERO } },
    },
  },
});
