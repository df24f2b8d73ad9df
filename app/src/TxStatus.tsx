import { useEffect, useRef } from "react";
import type { Hash } from "viem";
import { useConfig } from "wagmi";

import type { TxState } from "./chain.ts";
import { shortHash, txUrl } from "./explorer.ts";
import { logTx } from "./txlog.ts";

/**
 * A transaction's hash as the pages show it: shortened, the whole of it in the title and
 * `data-hash`, a copy button, and a link to the chain's explorer when it has one.
 */
export function TxHash({ hash }: { hash: Hash }) {
  const config = useConfig();
  const url = txUrl(config.chains[0], hash);
  return (
    <span className="tx-hash">
      transaction{" "}
      <code title={hash} data-hash={hash} data-testid="tx-hash">
        {shortHash(hash)}
      </code>{" "}
      <button
        className="link"
        title="Copy the transaction hash"
        onClick={() => void navigator.clipboard?.writeText(hash).catch(() => {})}
      >
        Copy
      </button>
      {url && (
        <>
          {" "}
          <a href={url} target="_blank" rel="noreferrer" data-testid="explorer-link">
            View on explorer ↗
          </a>
        </>
      )}
    </span>
  );
}

/**
 * One line for a transaction's state, in words: waiting for the wallet, sent (with its hash),
 * confirmed (with its block and the hash, which stays), or failed (with the reason, and the hash
 * when it was sent). `data-phase` lets tests wait on it. Every state with a hash also goes to this
 * session's list of recent transactions (the header's list and its toasts).
 */
export function TxStatus({ state }: { state: TxState }) {
  // A transaction reverted once mined is reported as failed without its hash: keep the one sent.
  const sent = useRef<{ label: string; hash: Hash }>(undefined);
  if (state.phase === "pending" || state.phase === "mined") sent.current = { label: state.label, hash: state.hash };
  else if (state.phase === "signing") sent.current = undefined;
  const failedHash = state.phase === "failed" && sent.current?.label === state.label ? sent.current.hash : undefined;

  useEffect(() => {
    if (state.phase === "pending") logTx({ hash: state.hash, label: state.label, phase: "pending" });
    else if (state.phase === "mined")
      logTx({ hash: state.hash, label: state.label, phase: "mined", block: String(state.block) });
    else if (state.phase === "failed" && failedHash)
      logTx({ hash: failedHash, label: state.label, phase: "failed", reason: state.reason });
  }, [state, failedHash]);

  if (state.phase === "idle") return null;
  return (
    <p className={`tx tx-${state.phase}`} data-phase={state.phase} role="status">
      {state.phase === "signing" && `${state.label}: waiting for your wallet to sign…`}
      {state.phase === "pending" && (
        <>
          {state.label}: sent, waiting to be mined — <TxHash hash={state.hash} />
        </>
      )}
      {state.phase === "mined" && (
        <>
          {state.label}: confirmed, mined in block {String(state.block)} — <TxHash hash={state.hash} />
        </>
      )}
      {state.phase === "failed" && (
        <>
          {state.label} failed: {state.reason}
          {failedHash && (
            <>
              {" "}
              — <TxHash hash={failedHash} />
            </>
          )}
        </>
      )}
    </p>
  );
}
