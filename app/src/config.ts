// The app's configuration, fetched at start from `config.json` beside the build, so one build
// serves any deployment: the chain and its RPC endpoint, the address book `deploy:system` wrote,
// and where the airdrop directory (manifest, index and data shards) is published.
import { type AddressBook, InputError, parseAddressBook } from "gpufog";
import { type Address, defineChain } from "viem";

export interface AppConfig {
  chain: ReturnType<typeof defineChain>;
  book: AddressBook;
  contracts: Record<"gut" | "registry" | "escrow" | "distributor" | "emission" | "tft", Address>;
  /** The airdrop directory's URL, ending in "/". */
  airdrop: string;
  /**
   * The deployment's indexer (indexer/, Ponder), whose REST routes serve the lists and histories
   * paged, filtered and sorted on the server. Without it the pages read bounded pages from the RPC.
   */
  indexer?: string;
}

export const CONFIG_FORMAT = "gpufog-app-config-v1";

export async function loadConfig(url = "./config.json"): Promise<AppConfig> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const raw = (await response.json()) as Record<string, unknown>;
  const bad = (field: string, problem: string) => new InputError("config.json", undefined, field, problem);
  if (raw.format !== CONFIG_FORMAT) throw bad("format", `expected "${CONFIG_FORMAT}"`);
  const chain = raw.chain as { id?: unknown; name?: unknown; rpcUrl?: unknown } | undefined;
  if (!chain || !Number.isSafeInteger(chain.id) || typeof chain.rpcUrl !== "string") {
    throw bad("chain", "needs a numeric id and an rpcUrl");
  }
  if (typeof raw.airdrop !== "string") throw bad("airdrop", "is not a URL");
  if (raw.indexer !== undefined && typeof raw.indexer !== "string") throw bad("indexer", "is not a URL");
  const book = parseAddressBook(raw.addressBook as object, "config.json addressBook");
  if (BigInt(book.chainId) !== BigInt(chain.id as number)) {
    throw bad("addressBook.chainId", `is ${book.chainId}, but chain.id is ${String(chain.id)}`);
  }
  return {
    chain: defineChain({
      id: chain.id as number,
      name: typeof chain.name === "string" ? chain.name : `chain ${String(chain.id)}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [chain.rpcUrl] } },
    }),
    book,
    contracts: book.contracts as AppConfig["contracts"],
    airdrop: new URL(raw.airdrop.endsWith("/") ? raw.airdrop : `${raw.airdrop}/`, new URL(url, location.href)).href,
    ...(raw.indexer === undefined
      ? {}
      : { indexer: new URL(raw.indexer, new URL(url, location.href)).href.replace(/\/$/, "") }),
  };
}
