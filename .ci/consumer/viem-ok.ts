// A viem dApp, type-checked against the installed tarball: `gpufog/abi` is `as const`, so viem
// infers function names, arguments, results, events and errors.
import { createPublicClient, decodeErrorResult, getContract, http, parseEventLogs, type Address, type Hex } from "viem";
import { ProviderRegistry, TokenSwapDistributor } from "gpufog/abi";
import { parseAddressBook } from "gpufog";

const client = createPublicClient({ transport: http("http://127.0.0.1:8545") });

export async function read(book: unknown): Promise<{ nodes: bigint; claimed: boolean; owner: Address }> {
  const { contracts } = parseAddressBook(book as object, "book.json");
  const registry = getContract({ address: contracts.registry as Address, abi: ProviderRegistry, client });
  const nodes: bigint = await registry.read.nodeCount();
  const claimed: boolean = await client.readContract({
    address: contracts.distributor as Address,
    abi: TokenSwapDistributor,
    functionName: "isClaimed",
    args: [0n],
  });
  const info = await registry.read.node([1n]);
  return { nodes, claimed, owner: info.provider };
}

export function revertName(data: Hex): string {
  return decodeErrorResult({ abi: TokenSwapDistributor, data }).errorName;
}

export function claimedEvents(
  logs: Parameters<typeof parseEventLogs>[0]["logs"],
): { index: bigint; account: Address; amount: bigint }[] {
  return parseEventLogs({ abi: TokenSwapDistributor, eventName: "Claimed", logs }).map(({ args }) => args);
}
