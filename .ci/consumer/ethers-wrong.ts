// Must NOT type-check: a typed binding refuses a string where the contract takes a uint256.
import type { ProviderRegistry } from "gpufog/types";

export async function wrong(registry: ProviderRegistry): Promise<unknown> {
  return registry.node({ not: "a node id" });
}
