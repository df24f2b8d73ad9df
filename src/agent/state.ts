// The agent's state file: what a restart must not forget (the transaction in flight and the next
// nonce, the last block whose events were read, the leases seen). Written atomically after every
// change, so a kill at any moment leaves the old state or the new one.
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

export interface AgentState {
  format: "gpufog-agent-state-v1";
  kind: "provider" | "keeper";
  chainId: number;
  account: string;
  /** The next nonce this agent will use. */
  nonce: number;
  pending: PendingTx | null;
  /** The last block whose logs were read (provider agent). */
  lastBlock: number;
  /** Lease ids of the provider's nodes, seen in `LeaseOpened` (provider agent). */
  leases: string[];
  /** Reservation ids of the provider's nodes, seen in `Reserved` (provider agent). */
  reservations: string[];
  /** Fee buckets ("epoch:token") seen in `FeeRecorded`: the provider's, or every one (keeper). */
  buckets: string[];
  /** Leases below this id are closed with their fees forwarded (keeper). */
  leaseFloor: string;
  /** Reservations below this id are no longer pending (keeper). */
  reservationFloor: string;
}

/** The state of `file`, or a fresh one; refuses a file written for another chain, account or agent. */
export function loadState(
  file: string,
  kind: AgentState["kind"],
  chainId: number,
  account: string,
  startBlock: number,
): AgentState {
  const fresh: AgentState = {
    format: "gpufog-agent-state-v1",
    kind,
    chainId,
    account,
    nonce: 0,
    pending: null,
    lastBlock: startBlock,
    leases: [],
    reservations: [],
    buckets: [],
    leaseFloor: "1",
    reservationFloor: "1",
  };
  if (!existsSync(file)) return fresh;
  let state: AgentState;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as AgentState;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not an agent state file: ${(error as Error).message}`);
  }
  if (state.format !== fresh.format) throw new InputError(file, undefined, "format", `is not ${fresh.format}`);
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
