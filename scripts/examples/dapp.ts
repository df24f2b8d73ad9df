// An example dApp built on the package's public exports only: `gpufog` (browser-safe: typed
// contracts over an address book, formatting, lease helpers), `gpufog/node` (the address book on
// disk and the airdrop directory), `gpufog/types` (the typechain bindings) and `gpufog/abi` (the
// ABIs `as const`). It lists the market's nodes, claims a holder's token-swap airdrop and opens a
// lease on the cheapest idle node with the provider's signed quote, its deposit permitted in the
// same transaction (GUT has ERC-2612 permit: no approval is sent). The quote comes from the
// provider's own key here; the node's endpoint serves quotes in a later release. CI (.ci/network) runs it from the packed tarball installed into
// a project outside the repository; in the repository it resolves `gpufog` to dist/.
//
//   npm run build
//   npm run dapp -- <rpc-url> <airdrop-dir> [account-index]
//
// The provider's key is the node's provider account as the JSON-RPC node manages it.
//
// (`npm run` puts the pinned Node 24 first on PATH; a system Node 20 cannot run TypeScript.)
//
// The account is one the node manages (`hardhat node`); a browser dApp would take the wallet's
// signer instead. The address book is `deployments/<chainId>.json` (or $GPUFOG_DEPLOYMENTS).
import { fileURLToPath } from "node:url";

import { Contract, JsonRpcProvider, type Signer } from "ethers";

import {
  connectDeployment,
  formatTable,
  formatToken,
  leaseReport,
  listNodes,
  makeQuote,
  NODE_TABLE_HEADER,
  nodeRows,
  openLease,
  tokenLabel,
} from "gpufog";
import { ProviderRegistry as registryAbi } from "gpufog/abi";
import { claimAirdrop, loadAddressBook } from "gpufog/node";
import type { LeaseEscrow, ProviderRegistry } from "gpufog/types";

export interface DappOptions {
  /** The directory of address books (default: `deployments/` of the package, or $GPUFOG_DEPLOYMENTS). */
  dir?: string;
  /** The user's wallet: the airdrop holder, and the customer of the lease. */
  signer: Signer;
  /** The airdrop directory `airdrop:build` wrote (manifest and proof shards). */
  airdropDir: string;
  /**
   * The key that signs the node's quote: its provider's or operator's (default: the provider's
   * account on the signer's JSON-RPC node, as `hardhat node` and anvil manage it).
   */
  quoteSigner?: (provider: string) => Promise<Signer>;
  /** The lease deposit, in GUT wei (default 5 GUT). */
  deposit?: bigint;
  log?: (line: string) => void;
}

export interface DappResult {
  nodes: number;
  registeredSinceDeployment: number;
  claimed: bigint;
  leaseId: bigint;
  nodeId: bigint;
}

export async function runDapp(options: DappOptions): Promise<DappResult> {
  const { signer, airdropDir, log = console.log } = options;
  const provider = signer.provider;
  if (provider === null) throw new Error("the signer has no provider");
  const me = await signer.getAddress();
  const { chainId } = await provider.getNetwork();
  const { gut, registry, escrow, distributor, book } = await connectDeployment(
    loadAddressBook(chainId, options.dir),
    signer,
  );
  log(`gpufog on chain ${book.chainId} (${book.network}), deployed from block ${book.block}`);
  log(`the registry was created in block ${book.blocks.registry}`);

  // 1. The nodes, as the typed registry lists them.
  const nodes = await listNodes(registry);
  const gutAddress = await gut.getAddress();
  const tokens = new Map([[gutAddress, await tokenLabel(gutAddress, provider)]]);
  const now = BigInt((await provider.getBlock("latest"))!.timestamp);
  log(formatTable(NODE_TABLE_HEADER, nodeRows(nodes, now, tokens)));

  // The plain ABI suits code without the bindings: here, the registrations since the deployment.
  const plain = new Contract(await registry.getAddress(), registryAbi, provider);
  const registered = await plain.queryFilter(plain.filters.NodeRegistered!(), book.blocks.registry);
  log(`${registered.length} NodeRegistered events since block ${book.blocks.registry}`);

  // 2. The token swap: every unclaimed leaf of this account, from the proof shards.
  const before = await gut.balanceOf(me);
  const { token, outcomes } = await claimAirdrop(airdropDir, await distributor.getAddress(), me, signer);
  for (const outcome of outcomes) {
    log(
      `airdrop index ${outcome.claim.index}: ${formatToken(BigInt(outcome.claim.amount), token.symbol, token.decimals)} ${outcome.status}`,
    );
  }
  const claimed = (await gut.balanceOf(me)) - before;

  // 3. A lease on the cheapest idle node, paid from the claim.
  const idle = nodes
    .filter((n) => n.status === "Idle" && n.paymentToken === gutAddress)
    .sort((a, b) => (a.pricePerTuHour * a.milliTu < b.pricePerTuHour * b.milliTu ? -1 : 1));
  const node = idle[0];
  if (node === undefined) throw new Error("no idle node to lease");
  const deposit = options.deposit ?? 5n * 10n ** 18n;
  const handle: { escrow: LeaseEscrow; registry: ProviderRegistry } = { escrow, registry };
  const quoteSigner =
    options.quoteSigner ??
    ((address: string) => {
      if (!(provider instanceof JsonRpcProvider))
        throw new Error("give quoteSigner: the provider's key signs the quote");
      return provider.getSigner(address);
    });
  const quote = await makeQuote(handle, await quoteSigner(node.provider), { nodeId: node.id, customer: me });
  const leaseId = await openLease(handle, signer, quote, deposit);
  const report = await leaseReport(handle, leaseId);
  log(
    `lease ${leaseId} on node ${node.id} (${node.gpuCount} × ${node.model}): ${formatToken(report.deposit, "GUT")} ` +
      `deposited, runs out at ${report.runsOutAt}`,
  );
  return { nodes: nodes.length, registeredSinceDeployment: registered.length, claimed, leaseId, nodeId: node.id };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, airdropDir, index = "0"] = process.argv.slice(2);
  if (url === undefined || airdropDir === undefined) {
    console.error("usage: npm run dapp -- <rpc-url> <airdrop-dir> [account-index]");
    process.exit(2);
  }
  const provider = new JsonRpcProvider(url);
  const signer = await provider.getSigner(Number(index));
  await runDapp({ signer, airdropDir });
  provider.destroy();
}
