// Must NOT type-check: the ABI's literal types refuse a string where `node` takes a uint256.
import { createPublicClient, getContract, http } from "viem";
import { ProviderRegistry } from "gpufog/abi";

const client = createPublicClient({ transport: http("http://127.0.0.1:8545") });
const registry = getContract({ address: "0x0000000000000000000000000000000000000001", abi: ProviderRegistry, client });

export const wrong = registry.read.node(["not-a-bigint"]);
