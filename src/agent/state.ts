// The agent's state file: what a restart must not forget (the transaction in flight and the next
// nonce, the last block whose events were read, the work list those events built, the provider's
// best receipts). Written atomically after every change, so a kill at any moment leaves the old
// state or the new one.
import { existsSync, readFileSync } from "node:fs";

import { InputError } from "../errors.js";
import { writeJsonAtomic } from "../io.js";

/** A signed transaction, kept until one of its versions is mined. */
export interface PendingTx {
  label: string;
  nonce: number;
  to: string;
  data: string;
  gasLimit: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  /** Every version sent (the first, then each replacement), newest last. */
  hashes: string[];
  /** The newest version, signed: re-broadcast as is after a restart. */
  raw: string;
  sentAt: number;
}

/** An open or closing lease, from its events (amounts as decimal strings). */
export interface TrackedLease {
  nodeId: string;
  customer: string;
  provider: string;
  token: string;
  /** The deposit at opening: a floor, since top-ups are not followed (a read refreshes it). */
  deposit: string;
  /** Token units per second. */
  rate: string;
  /** When the lease started (unix seconds). */
  start: number;
  /** The lease's cumulative pay, from its last `Collected`. */
  paid: string;
  /** When the customer's close lets the provider collect until; 0 while the lease is open. */
  collectDeadline: number;
  /** When the provider agent last collected this lease (unix seconds; 0 for never). */
  collectedAt: number;
  /** When the keeper first saw the deposit spent (chain time); absent until then. */
  spentSeenAt?: number;
}

/** A pending or starting reservation, from its events. */
export interface TrackedReservation {
  nodeId: string;
  deadline: number;
  /** Until when the provider may accept the start; 0 until the customer starts it. */
  acceptBy: number;
  /** The node went Disconnect while the reservation held it: anyone may fail it (keeper). */
  down?: boolean;
}

/** The best receipt a provider holds for a lease: the one that pays the most. */
export interface BestReceipt {
  paidThrough: string;
  signature: string;
  /** The time it pays up to: `paidThrough`, or the end of its session key if earlier. */
  until: number;
}

export interface AgentState {
  format: "gpufog-agent-state-v2";
  kind: "provider" | "keeper";
  chainId: number;
  account: string;
  /** The next nonce this agent will use. */
  nonce: number;
  pending: PendingTx | null;
  /** The last block whose logs were read. */
  lastBlock: number;
  /** Open and closing leases by id: the provider's own (provider agent), every one (keeper). */
  leases: Record<string, TrackedLease>;
  /** Pending and starting reservations by id: of the provider's nodes, or every one (keeper). */
  reservations: Record<string, TrackedReservation>;
  /** The best receipt of each lease, stored before its inbox file is removed (provider agent). */
  receipts: Record<string, BestReceipt>;
  /** Fee buckets ("epoch:token") seen in `FeeRecorded`: the provider's, or every one (keeper). */
  buckets: string[];
  /** "token:provider" pairs that may have protocol fees due (keeper). */
  feesDue: string[];
  /** The last check-in (unix seconds) of every Idle or Reserved node (keeper). */
  checkIns: Record<string, number>;
}

export const STATE_FORMAT = "gpufog-agent-state-v2";

/** The state of `file`, or a fresh one; refuses a file written for another chain, account or agent. */
export function loadState(
  file: string,
  kind: AgentState["kind"],
  chainId: number,
  account: string,
  startBlock: number,
): AgentState {
  const fresh: AgentState = {
    format: STATE_FORMAT,
    kind,
    chainId,
    account,
    nonce: 0,
    pending: null,
    lastBlock: startBlock,
    leases: {},
    reservations: {},
    receipts: {},
    buckets: [],
    feesDue: [],
    checkIns: {},
  };
  if (!existsSync(file)) return fresh;
  let state: AgentState;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as AgentState;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not an agent state file: ${(error as Error).message}`);
  }
  if (state.format !== fresh.format) {
    throw new InputError(
      file,
      undefined,
      "format",
      `is ${JSON.stringify(state.format)}, not ${fresh.format}: a state file of the heartbeat contracts; once its transaction in flight (if any) is mined, move it away and start afresh`,
    );
  }
  for (const [field, want] of [
    ["kind", kind],
    ["chainId", chainId],
    ["account", account],
  ] as const) {
    if (state[field] !== want) {
      throw new InputError(
        file,
        undefined,
        field,
        `is ${state[field]} but this agent runs with ${want}: use another stateFile`,
      );
    }
  }
  return { ...fresh, ...state };
}

export function saveState(file: string, state: AgentState): void {
  writeJsonAtomic(file, state);
}
