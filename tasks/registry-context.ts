import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ContractTransactionResponse, Signer } from "ethers";

import { InputError } from "../src/errors.js";
import { connectRegistry, toNodeView, type NodeStatus, type NodeView } from "../src/registry.js";
import { parseAddress, parseInteger } from "../src/parse.js";
import { addressOption } from "./address-book.js";
import type { ProviderRegistry } from "../types/index.js";

/** The registry named by `--registry` on the selected network, with the `--from` signer. */
export async function registryContext(
  hre: HardhatRuntimeEnvironment,
  args: { registry: string; from?: string },
  source: string,
): Promise<{ registry: ProviderRegistry; signer: Signer; address: string; now: () => Promise<bigint> }> {
  const connection = await hre.network.getOrCreate();
  const { ethers } = connection;
  let signer: Signer;
  if (args.from !== undefined && args.from !== "") {
    signer = await ethers.getSigner(parseAddress(source, "from", args.from));
  } else {
    const [first] = await ethers.getSigners();
    if (first === undefined) throw new InputError(source, undefined, "from", "the network has no accounts configured");
    signer = first;
  }
  const address = await addressOption(args.registry, "registry", connection, source, "registry");
  const registry = await connectRegistry(address, signer, source);
  const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  return { registry, signer, address: await signer.getAddress(), now };
}

/** The node named by `--node`, which must exist (or have existed: `None` with a stake to withdraw). */
export async function readNode(registry: ProviderRegistry, text: string, source: string): Promise<NodeView> {
  if (text === "") throw new InputError(source, undefined, "node", "the node id is required");
  const id = parseInteger(source, "node", text, 1n);
  const node = toNodeView(await registry.node(id));
  if (node.provider === "0x0000000000000000000000000000000000000000") {
    throw new InputError(source, undefined, "node", `node ${id} does not exist (${await registry.nodeCount()} nodes)`);
  }
  return node;
}

/** Refuses, before sending anything, a call the registry would revert. */
export function expectNode(
  node: NodeView,
  source: string,
  what: string,
  allowed: NodeStatus[],
  provider?: string,
): void {
  if (!allowed.includes(node.status)) {
    throw new InputError(
      source,
      undefined,
      "node",
      `node ${node.id} is ${node.status}; ${what} needs ${allowed.join(" or ")}`,
    );
  }
  if (provider !== undefined && node.provider !== provider) {
    throw new InputError(source, undefined, "from", `node ${node.id} belongs to ${node.provider}, not ${provider}`);
  }
}

/** Waits for a transaction and returns its hash. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<string> {
  const sent = await tx;
  await sent.wait();
  return sent.hash;
}
