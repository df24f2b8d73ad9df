// Kept apart from chain.ts, which every page loads: ethers' provider stack is large, and only the
// lazily loaded provider and token economics pages need it.
import { BrowserProvider, type Eip1193Provider } from "ethers";
import type { Config } from "wagmi";

import { client } from "./chain.ts";

/**
 * An ethers provider over wagmi's public client (an EIP-1193 `request`), for the package's
 * ethers-based readers (the emission's buckets and buyback timing): the same endpoint, no second
 * transport to configure.
 */
export function ethersReader(config: Config): BrowserProvider {
  const c = client(config);
  return new BrowserProvider(c as unknown as Eip1193Provider, c.chain.id, { staticNetwork: true });
}
