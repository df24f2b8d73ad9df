// An ethers v6 dApp, type-checked against the installed tarball: the typechain bindings
// (`gpufog/types`), contract handles over an address book passed in, and the claim tools.
import { JsonRpcProvider, type Signer } from "ethers";
import {
  claimMessage,
  connectDeployment,
  formatToken,
  LeafKind,
  parseAddressBook,
  verifyProof,
  type AddressBook,
  type GpufogContracts,
} from "gpufog";
import type { ProviderRegistry, TokenSwapDistributor } from "gpufog/types";
import { TokenSwapDistributor__factory } from "gpufog/types";

export async function nodeCount(registry: ProviderRegistry): Promise<bigint> {
  return registry.nodeCount();
}

export async function claim(
  book: AddressBook,
  signer: Signer,
  index: bigint,
  amount: bigint,
  proof: string[],
): Promise<string> {
  const { distributor }: GpufogContracts = await connectDeployment(book, signer);
  const me = await signer.getAddress();
  if (!verifyProof(await distributor.topNodes(), index, { kind: LeafKind.Evm, holder: me, amount }, proof)) {
    throw new Error("the proof does not lead to the distributor's root");
  }
  const tx = await distributor.claim(index, me, amount, proof);
  const receipt = await tx.wait();
  return `${formatToken(amount, "GUT")} in ${receipt?.hash}`;
}

export function legacyMessage(book: AddressBook, recipient: string): string {
  return claimMessage({ recipient, chainId: book.chainId, distributor: book.contracts.distributor });
}

export async function claimsOf(text: string, provider: JsonRpcProvider, account: string): Promise<bigint[]> {
  const book = parseAddressBook(text, "31337.json");
  const distributor: TokenSwapDistributor = TokenSwapDistributor__factory.connect(book.contracts.distributor, provider);
  const claimed = await distributor.queryFilter(
    distributor.filters.Claimed(undefined, account),
    book.blocks.distributor,
  );
  return claimed.map((event) => event.args.amount);
}
