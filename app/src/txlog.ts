// This session's transactions, whichever page sent them: every `TxStatus` reports the states it
// shows here, and the header lists the recent ones and toasts each as it is mined or fails. Kept
// in the tab's sessionStorage, so a reload keeps the list and another tab starts its own.
import { useSyncExternalStore } from "react";
import type { Hash } from "viem";

export interface LoggedTx {
  hash: Hash;
  label: string;
  phase: "pending" | "mined" | "failed";
  block?: string;
  reason?: string;
  /** The browser's clock when it was sent, and when its state last changed (ms). */
  sentMs: number;
  changedMs: number;
}

const KEY = "gpufog.recentTransactions";
const KEEP = 10;
const listeners = new Set<() => void>();

function load(): LoggedTx[] {
  try {
    const raw = JSON.parse(sessionStorage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(raw) ? (raw as LoggedTx[]) : [];
  } catch {
    return [];
  }
}

let entries: LoggedTx[] = typeof sessionStorage === "undefined" ? [] : load();

/** Records a transaction's state (a new hash goes first; a known one is updated in place). */
export function logTx(tx: Omit<LoggedTx, "sentMs" | "changedMs">) {
  const known = entries.find((e) => e.hash === tx.hash);
  if (known && known.phase === tx.phase) return;
  const now = Date.now();
  entries = known
    ? entries.map((e) => (e.hash === tx.hash ? { ...e, ...tx, changedMs: now } : e))
    : [{ ...tx, sentMs: now, changedMs: now }, ...entries].slice(0, KEEP);
  try {
    sessionStorage.setItem(KEY, JSON.stringify(entries));
  } catch {
    // Storage full or refused: the list still lives in this page.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** This session's transactions, newest first. */
export function useRecentTxs(): LoggedTx[] {
  return useSyncExternalStore(
    subscribe,
    () => entries,
    () => entries,
  );
}
