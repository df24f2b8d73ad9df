// A claim page's imports, in a browser: fetch the manifest, the holder's index shard and the data
// shard of its leaf, derive the proof and check it against the distributor's
// kept nodes, build and check a legacy claim message.
import {
  claimMessage,
  decodeLegacyAddress,
  fetchClaims,
  formatToken,
  parseManifest,
  recoverLegacySigner,
  verifyProof,
  type LeafKind,
} from "gpufog";
import { TokenSwapDistributor } from "gpufog/abi";

interface Fixture {
  holder: string;
  legacyHolder: string;
  legacyAddress: string;
  target: { recipient: string; chainId: number; distributor: string };
  message: string;
  signature: string;
  root: string;
}

const json = async (path: string): Promise<unknown> => (await fetch(path)).json();

/** A file of the airdrop as bytes; undefined when it is not published (a 404). */
async function load(path: string): Promise<Uint8Array | undefined> {
  const response = await fetch(`./airdrop/${path}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function run(): Promise<Record<string, unknown>> {
  const fixture = (await json("./fixture.json")) as Fixture;
  const manifest = parseManifest(await json("./airdrop/manifest.json"), "manifest.json");
  const check = async (holder: string) => {
    const [claim] = await fetchClaims(manifest, holder, load);
    if (claim === undefined) throw new Error(`no claim for ${holder}`);
    const entry = { kind: claim.kind as LeafKind, holder: claim.holder, amount: BigInt(claim.amount) };
    return {
      ok: verifyProof(manifest.topNodes, claim.index, entry, claim.proof),
      tampered: verifyProof(manifest.topNodes, claim.index, { ...entry, amount: entry.amount + 1n }, claim.proof),
      amount: formatToken(entry.amount, "GUT"),
    };
  };
  const evm = await check(fixture.holder);
  const legacy = await check(fixture.legacyHolder);
  const message = claimMessage(fixture.target);
  const signer = recoverLegacySigner(message, fixture.signature);
  const claimLegacy = TokenSwapDistributor.find((item) => item.type === "function" && item.name === "claimLegacy");
  return {
    proofVerifies: evm.ok,
    tamperedProofFails: !evm.tampered,
    legacyProofVerifies: legacy.ok,
    amount: evm.amount,
    messageBuilt: message === fixture.message,
    message,
    signerMatches: signer.hash160 === fixture.legacyHolder.toLowerCase(),
    addressDecodes: decodeLegacyAddress(fixture.legacyAddress, 38).hash160 === fixture.legacyHolder.toLowerCase(),
    abiHasClaimLegacy: claimLegacy !== undefined,
    rootMatches: manifest.root === fixture.root,
  };
}

const out = document.getElementById("out")!;
run().then(
  (result) => {
    (window as unknown as { gpufog: unknown }).gpufog = result;
    out.textContent = JSON.stringify(result, null, 2);
  },
  (error: unknown) => {
    (window as unknown as { gpufog: unknown }).gpufog = { error: String((error as Error)?.stack ?? error) };
    out.textContent = String(error);
  },
);
