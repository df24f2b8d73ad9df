// The header's account and session parts: the connected account's GUT balance, this
// session's recent transactions with toasts as they are mined, and the chain's clock when it is
// off the computer's.
import { useEffect, useState } from "react";
import { type Address, erc20Abi } from "viem";
import { useConfig, useReadContract } from "wagmi";

import { shortHash, txUrl } from "./explorer.ts";
import { clockSkew, useChainClock, when } from "./time.ts";
import { type LoggedTx, useRecentTxs } from "./txlog.ts";
import { exactAmount, formatAmount } from "./units.ts";

/** GUT has 18 decimals (the token contract's). */
const GUT_DECIMALS = 18;
/** How often the balances are read again, besides after each of this session's mined transactions. */
const REFRESH_MS = 15_000;

/**
 * The account's GUT balance, read again every 15 s and after every transaction of this session is
 * mined or fails. One call (the token's `balanceOf`): the gas balance is left to the wallet, to keep
 * a page's first render light on the endpoint.
 */
export function Balances({ account, gut }: { account: Address; gut: Address }) {
  const txs = useRecentTxs();
  const settled = txs.filter((t) => t.phase !== "pending").length;
  const query = { refetchInterval: REFRESH_MS };
  const token = useReadContract({
    address: gut,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [account],
    query,
  });
  const { refetch } = token;
  useEffect(() => {
    if (settled > 0) void refetch();
  }, [settled, refetch]);
  return (
    <span className="balances">
      <span data-testid="gut-balance" title={token.data === undefined ? undefined : exactAmount(token.data, "GUT")}>
        {token.data === undefined ? "… GUT" : formatAmount(token.data, "GUT", GUT_DECIMALS)}
      </span>
    </span>
  );
}

const PHASE_WORDS: Record<LoggedTx["phase"], string> = {
  pending: "Pending",
  mined: "Confirmed",
  failed: "Failed",
};

function TxLine({ tx }: { tx: LoggedTx }) {
  const config = useConfig();
  const url = txUrl(config.chains[0], tx.hash);
  return (
    <>
      <span className={`tx-word tx-${tx.phase}`}>{PHASE_WORDS[tx.phase]}</span> {tx.label}
      <br />
      <code title={tx.hash} data-hash={tx.hash}>
        {shortHash(tx.hash)}
      </code>
      {tx.block && <span className="muted"> block {tx.block}</span>}
      {url && (
        <>
          {" "}
          <a href={url} target="_blank" rel="noreferrer">
            View on explorer ↗
          </a>
        </>
      )}
      {tx.reason && <span className="error"> {tx.reason}</span>}
    </>
  );
}

/** A button with the count of this session's transactions that opens their list, newest first. */
export function RecentTransactions() {
  const txs = useRecentTxs();
  const [open, setOpen] = useState(false);
  if (txs.length === 0) return null;
  const pending = txs.filter((t) => t.phase === "pending").length;
  return (
    <div className="recent">
      <button aria-expanded={open} onClick={() => setOpen(!open)} data-testid="recent-button">
        {pending > 0 ? `${pending} pending` : `Recent transactions (${txs.length})`}
      </button>
      {open && (
        <ol className="recent-list" data-testid="recent-transactions">
          {txs.map((tx) => (
            <li key={tx.hash} data-phase={tx.phase}>
              <TxLine tx={tx} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** How long a toast stays. */
const TOAST_MS = 10_000;

/** A toast for each of this session's transactions as it is mined or fails, closing itself after ten seconds. */
export function TxToasts() {
  const txs = useRecentTxs();
  const [closed, setClosed] = useState<string[]>([]);
  const [, tick] = useState(0);
  const shown = txs.filter(
    (t) => t.phase !== "pending" && Date.now() - t.changedMs < TOAST_MS && !closed.includes(t.hash + t.phase),
  );
  useEffect(() => {
    if (shown.length === 0) return;
    const timer = setTimeout(() => tick((n) => n + 1), 1000);
    return () => clearTimeout(timer);
  });
  if (shown.length === 0) return null;
  return (
    <div className="toasts" aria-live="polite">
      {shown.map((tx) => (
        <div key={tx.hash} className={`toast toast-${tx.phase}`} data-testid="toast" data-phase={tx.phase}>
          <button className="close" aria-label="dismiss" onClick={() => setClosed([...closed, tx.hash + tx.phase])}>
            ×
          </button>
          <TxLine tx={tx} />
        </div>
      ))}
    </div>
  );
}

/**
 * The chain's time, shown when it is more than a minute off the computer's clock (a local node
 * moved ahead by its story, a wrong computer clock): every time on the pages is the chain's.
 */
export function ChainClock() {
  const now = useChainClock();
  if (now === undefined) return null;
  const skew = clockSkew(now);
  if (!skew) return null;
  return (
    <span className="chain-clock" data-testid="chain-clock">
      Chain time {when(now)}, {skew}
    </span>
  );
}
