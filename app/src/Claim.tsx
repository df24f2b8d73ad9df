// The token swap claim. An EVM holder (the connected account, or any address typed in, since
// anyone may submit a claim for an account) finds its leaf in the published airdrop directory (its
// index shard, then its data shard: `fetchClaims`); an old-chain holder types its `G…` address, signs the shown text in the old wallet, and pastes the
// signature, which is checked here (recovered key, its HASH160, its form) before anything is sent.
import {
  type AirdropManifest,
  claimMessage,
  decodeLegacyAddress,
  fetchClaims,
  type HolderClaim,
  type LeafKind,
  parseCompactSignature,
  parseManifest,
  recoverLegacySigner,
  type TokenInfo,
  toHex,
  verifyProof,
} from "gpufog";
import { TokenSwapDistributor } from "gpufog/abi";
import { useEffect, useRef, useState } from "react";
import { type Address, type Hash, type Hex, isAddress, isAddressEqual } from "viem";
import { useConfig, useConnection } from "wagmi";

import { ChainTime } from "./ChainTime.tsx";
import { chainNow, client, send, type TxState } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { at, useChainNow } from "./time.ts";
import { TxHash, TxStatus } from "./TxStatus.tsx";
import { formatAmount } from "./units.ts";

interface Window {
  start: bigint;
  deadline: bigint;
  paused: boolean;
  /** The chain's time at the read (the latest block's), and the browser's clock then. */
  now: bigint;
  readAtMs: number;
  version: number;
  magic: string;
}

/**
 * What stands between a found entry and a claim, in words; undefined when it can be claimed now.
 * `now` is the chain's time (the contract judges the window by it, not by this computer's clock).
 */
function blocker(w: Window, now: bigint, claimed: boolean): string | undefined {
  if (claimed) return "Already claimed: this entry has been paid out.";
  if (w.paused) return "Claims are paused by governance for now.";
  if (now < w.start) return `The claim window is not open yet: it opens ${at(w.start, now)}.`;
  if (now > w.deadline) return `The claim window closed ${at(w.deadline, now)}; what was left has been swept.`;
  return undefined;
}

/** The distributor pays GUT (18 decimals). */
const GUT: TokenInfo = { symbol: "GUT", decimals: 18 };
const gut = (amount: bigint) => formatAmount(amount, GUT.symbol, GUT.decimals);

/** A claim mined from this page: shown as claimed, with what it paid and its transaction. */
interface ClaimedHere {
  hash: Hash;
  amount: bigint;
  to: string;
}

/** The green state of an entry claimed from this page, with the amount, the recipient and the hash. */
function Claimed({ done }: { done: ClaimedHere }) {
  return (
    <p className="state claimed-here" data-state="claimed" data-testid="claimed">
      <strong>✓ Claimed</strong>: <span data-testid="claimed-amount">{gut(done.amount)}</span> paid to {done.to} —{" "}
      <TxHash hash={done.hash} />
    </p>
  );
}

/**
 * `send`'s report, also keeping the hash of the transaction once it is mined (the claim's state
 * shows it after the page reads the entry again).
 */
function keepingHash(report: (state: TxState) => void) {
  const kept: { hash?: Hash } = {};
  return {
    kept,
    report: (state: TxState) => {
      if (state.phase === "mined") kept.hash = state.hash;
      report(state);
    },
  };
}

/** Finds `holder`'s claims (an EVM address or a 0x HASH160) and checks each proof against the manifest. */
async function findClaims(app: AppConfig, manifest: AirdropManifest, holder: string): Promise<HolderClaim[]> {
  // A shard nobody's address falls into is not published: no claim, not an error.
  const claims = await fetchClaims(manifest, holder, async (path) => {
    const response = await fetch(new URL(path, app.airdrop));
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  });
  for (const c of claims) {
    const entry = { kind: c.kind as LeafKind, holder: c.holder, amount: BigInt(c.amount) };
    if (!verifyProof(manifest.topNodes, c.index, entry, c.proof)) {
      throw new Error(
        `the published proof of entry #${c.index} in the snapshot does not verify: the airdrop files do not match the tree`,
      );
    }
  }
  return claims;
}

export function Claim({ app }: { app: AppConfig }) {
  const config = useConfig();
  const [manifest, setManifest] = useState<AirdropManifest>();
  const [window, setWindow] = useState<Window>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    const distributor = { address: app.contracts.distributor, abi: TokenSwapDistributor } as const;
    const c = client(config);
    Promise.all([
      fetch(new URL("manifest.json", app.airdrop)).then((r) => r.json()),
      c.readContract({ ...distributor, functionName: "start" }),
      c.readContract({ ...distributor, functionName: "deadline" }),
      c.readContract({ ...distributor, functionName: "paused" }),
      chainNow(config),
      c.readContract({ ...distributor, functionName: "legacyAddressVersion" }),
      c.readContract({ ...distributor, functionName: "legacyMagic" }),
    ]).then(
      ([m, start, deadline, paused, now, version, magic]) => {
        setManifest(parseManifest(m, "manifest.json"));
        setWindow({ start, deadline, paused, now, readAtMs: Date.now(), version, magic });
      },
      (e: unknown) => setError(String((e as Error).message ?? e)),
    );
  }, [app, config]);

  if (error) return <p className="error">Cannot read the airdrop: {error}</p>;
  if (!manifest || !window) return <p>Reading the airdrop…</p>;
  return <ClaimWindow app={app} manifest={manifest} window={window} />;
}

function ClaimWindow({ app, manifest, window }: Omit<Props, "now">) {
  const now = useChainNow({ readAt: window.now, readAtMs: window.readAtMs });
  return (
    <>
      <p className="muted" data-testid="claim-window">
        Claim window <ChainTime t={window.start} now={now} /> to <ChainTime t={window.deadline} now={now} />
        {window.paused ? " — paused" : ""}. Total {gut(BigInt(manifest.total))} to {manifest.count} holders.
      </p>
      <EvmClaim app={app} manifest={manifest} window={window} now={now} />
      <LegacyClaim app={app} manifest={manifest} window={window} now={now} />
    </>
  );
}

interface Props {
  app: AppConfig;
  manifest: AirdropManifest;
  window: Window;
  /** The chain's time now. */
  now: bigint;
}

/** Reads whether each leaf is claimed. */
async function claimedFlags(app: AppConfig, config: ReturnType<typeof useConfig>, claims: HolderClaim[]) {
  return Promise.all(
    claims.map((c) =>
      client(config).readContract({
        address: app.contracts.distributor,
        abi: TokenSwapDistributor,
        functionName: "isClaimed",
        args: [BigInt(c.index)],
      }),
    ),
  );
}

function EvmClaim({ app, manifest, window, now }: Props) {
  const config = useConfig();
  const { address } = useConnection();
  const [typed, setTyped] = useState("");
  const holder = typed.trim() || address || "";
  const [found, setFound] = useState<{ holder: string; claims: HolderClaim[]; claimed: boolean[] }>();
  const [error, setError] = useState<string>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const [claimedHere, setClaimedHere] = useState<Record<number, ClaimedHere>>({});

  // Only the latest look-up is shown: wagmi restores the last session's account before the
  // wallet answers with its own, and the first look-up may answer last.
  const latest = useRef(0);
  const lookUp = async () => {
    const n = ++latest.current;
    setError(undefined);
    setFound(undefined);
    if (!isAddress(holder)) {
      setError(`"${holder}" is not an EVM address (0x and 40 hex digits)`);
      return;
    }
    try {
      const claims = await findClaims(app, manifest, holder);
      const claimed = await claimedFlags(app, config, claims);
      if (n === latest.current) setFound({ holder, claims, claimed });
    } catch (e) {
      if (n === latest.current) setError(String((e as Error).message ?? e));
    }
  };
  // The connected account is looked up as soon as it is known.
  useEffect(() => {
    if (address && !typed) void lookUp();
  }, [address]);

  const claim = async (c: HolderClaim) => {
    if (!address) return;
    const { kept, report } = keepingHash(setTx);
    const ok = await send(
      config,
      address,
      [
        {
          label: `Claim of ${gut(BigInt(c.amount))}`,
          address: app.contracts.distributor,
          abi: TokenSwapDistributor,
          functionName: "claim",
          args: [BigInt(c.index), c.holder as Address, BigInt(c.amount), c.proof as Hex[]],
          token: GUT,
        },
      ],
      report,
    );
    if (ok && kept.hash) {
      const done = { hash: kept.hash, amount: BigInt(c.amount), to: c.holder };
      setClaimedHere((before) => ({ ...before, [c.index]: done }));
    }
    if (ok) await lookUp();
  };
  const mine = (holder: string) => address !== undefined && isAddress(holder) && isAddressEqual(holder, address);

  return (
    <section className="card" id="evm-claim">
      <h2>EVM holder</h2>
      <p className="muted">
        The connected account is looked up; type another address to claim on its behalf (it is paid, not you).
      </p>
      <div className="row">
        <input
          aria-label="holder address"
          placeholder={address ?? "0x… holder address"}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <button onClick={() => void lookUp()}>Look up</button>
      </div>
      {error && <p className="error">{error}</p>}
      {found && found.claims.length === 0 && (
        <p className="state" data-state="absent">
          {found.holder} is not in the snapshot: it has nothing to claim.
        </p>
      )}
      {found?.claims.map((c, i) => {
        const done = claimedHere[c.index];
        const why = blocker(window, now, found.claimed[i]!);
        return (
          <div key={c.index} className="leaf">
            <p>
              {mine(c.holder) ? "Your" : "An"} entry in the snapshot (#{c.index}):{" "}
              <strong className="amount">{gut(BigInt(c.amount))}</strong>
              {mine(c.holder) ? "" : ` to ${c.holder}`}
            </p>
            {done && found.claimed[i] ? (
              <Claimed done={done} />
            ) : why ? (
              <p className="state" data-state={found.claimed[i] ? "claimed" : "blocked"}>
                {why}
              </p>
            ) : (
              <p className="state" data-state="claimable">
                Not claimed yet.{" "}
                <button disabled={!address} onClick={() => void claim(c)}>
                  Claim
                </button>
                {!address && " Connect a wallet to send the claim."}
              </p>
            )}
          </div>
        );
      })}
      <TxStatus state={tx} />
    </section>
  );
}

function LegacyClaim({ app, manifest, window, now }: Props) {
  const config = useConfig();
  const { address } = useConnection();
  const [legacyAddress, setLegacyAddress] = useState("");
  const [recipientText, setRecipientText] = useState("");
  const recipient = recipientText.trim() || address || "";
  const [found, setFound] = useState<{ hash160: string; claims: HolderClaim[]; claimed: boolean[] }>();
  const [error, setError] = useState<string>();
  const [pasted, setPasted] = useState("");
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const [claimedHere, setClaimedHere] = useState<Record<number, ClaimedHere>>({});

  const lookUp = async () => {
    setError(undefined);
    setFound(undefined);
    try {
      const { hash160 } = decodeLegacyAddress(legacyAddress.trim(), window.version);
      const claims = await findClaims(app, manifest, hash160);
      setFound({ hash160, claims, claimed: await claimedFlags(app, config, claims) });
    } catch (e) {
      setError(String((e as Error).message ?? e));
    }
  };

  const message = isAddress(recipient)
    ? claimMessage({ recipient, chainId: app.chain.id, distributor: app.contracts.distributor })
    : undefined;
  // The paste is checked as the contract would check it: a well-formed low-s compact signature
  // over this exact message, by the key whose HASH160 is the leaf's holder.
  let check: { ok: true; pubkey: Hex; signature: Hex; form: string } | { ok: false; reason: string } | undefined;
  if (pasted.trim() && message && found) {
    try {
      const sig = parseCompactSignature(pasted);
      const signer = recoverLegacySigner(message, sig, window.magic);
      check =
        signer.hash160 === found.hash160.toLowerCase()
          ? { ok: true, pubkey: toHex(signer.pubkey) as Hex, signature: toHex(sig.bytes) as Hex, form: signer.form }
          : {
              ok: false,
              reason: `the signature is valid but comes from another key (HASH160 ${signer.hash160}), or over another text: sign exactly the text above with the key of ${legacyAddress.trim()}`,
            };
    } catch (e) {
      check = { ok: false, reason: String((e as Error).message ?? e) };
    }
  }

  const submit = async (c: HolderClaim) => {
    if (!address || !check?.ok || !isAddress(recipient)) return;
    const { kept, report } = keepingHash(setTx);
    const ok = await send(
      config,
      address,
      [
        {
          label: `Old-chain claim of ${gut(BigInt(c.amount))}`,
          address: app.contracts.distributor,
          abi: TokenSwapDistributor,
          functionName: "claimLegacy",
          args: [
            BigInt(c.index),
            c.holder as Hex,
            BigInt(c.amount),
            c.proof as Hex[],
            recipient,
            check.pubkey,
            check.signature,
          ],
          token: GUT,
        },
      ],
      report,
    );
    if (ok && kept.hash) {
      const done = { hash: kept.hash, amount: BigInt(c.amount), to: recipient };
      setClaimedHere((before) => ({ ...before, [c.index]: done }));
    }
    if (ok) await lookUp();
  };

  return (
    <section className="card" id="legacy-claim">
      <h2>Old-chain holder</h2>
      <div className="row">
        <input
          aria-label="old-chain address"
          placeholder="G… address on the old chain"
          value={legacyAddress}
          onChange={(e) => setLegacyAddress(e.target.value)}
        />
        <button onClick={() => void lookUp()}>Look up</button>
      </div>
      {error && <p className="error">{error}</p>}
      {found && found.claims.length === 0 && (
        <p className="state" data-state="absent">
          {legacyAddress.trim()} is not in the snapshot: it has nothing to claim.
        </p>
      )}
      {found?.claims.map((c, i) => {
        const done = claimedHere[c.index];
        const why = blocker(window, now, found.claimed[i]!);
        return (
          <div key={c.index} className="leaf">
            <p>
              The entry of {legacyAddress.trim()} in the snapshot (#{c.index}):{" "}
              <strong className="amount">{gut(BigInt(c.amount))}</strong>
            </p>
            {done && found.claimed[i] ? (
              <Claimed done={done} />
            ) : why ? (
              <p className="state" data-state={found.claimed[i] ? "claimed" : "blocked"}>
                {why}
              </p>
            ) : (
              <>
                <label>
                  Pay to (EVM recipient)
                  <input
                    aria-label="recipient"
                    placeholder={address ?? "0x… recipient"}
                    value={recipientText}
                    onChange={(e) => setRecipientText(e.target.value)}
                  />
                </label>
                {message ? (
                  <>
                    <p>
                      Sign this text in the old wallet (<code>signmessage {legacyAddress.trim()} "…"</code>); it names
                      the recipient {recipient}:
                    </p>
                    <pre className="message" data-testid="legacy-message">
                      {message}
                    </pre>
                    <button onClick={() => void navigator.clipboard.writeText(message)}>Copy the text</button>
                    <label>
                      Signature (base64, as the old wallet prints it)
                      <textarea aria-label="signature" value={pasted} onChange={(e) => setPasted(e.target.value)} />
                    </label>
                    {check && !check.ok && (
                      <p className="error" data-state="bad-signature">
                        Not sent: {check.reason}
                      </p>
                    )}
                    {check?.ok && (
                      <p className="ok" data-state="signature-ok">
                        The signature checks: {check.form} key of {legacyAddress.trim()}.{" "}
                        <button disabled={!address} onClick={() => void submit(c)}>
                          Submit the claim
                        </button>
                        {!address && " Connect any wallet to submit it."}
                      </p>
                    )}
                  </>
                ) : (
                  <p className="muted">Connect a wallet or type the recipient to see the text to sign.</p>
                )}
              </>
            )}
          </div>
        );
      })}
      <TxStatus state={tx} />
    </section>
  );
}
