import type { TxState } from "./chain.ts";

/** One line for a transaction's state; `data-phase` lets tests wait on it. */
export function TxStatus({ state }: { state: TxState }) {
  if (state.phase === "idle") return null;
  const text =
    state.phase === "signing"
      ? `${state.label}: waiting for the wallet…`
      : state.phase === "pending"
        ? `${state.label}: pending (${state.hash.slice(0, 10)}…)`
        : state.phase === "mined"
          ? `${state.label}: mined in block ${state.block}`
          : `${state.label} failed: ${state.reason}`;
  return (
    <p className={`tx tx-${state.phase}`} data-phase={state.phase} role="status">
      {text}
    </p>
  );
}
