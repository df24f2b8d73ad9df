// The customer's session keys, kept in this browser's localStorage: a lease names one at open (or
// a reservation at its start), and the browser signs the lease's receipts (every receipt interval
// while My leases is open, receipts.ts) and its access requests with it, so the wallet signs once.
// A key stays usable only in the browser that made it; the wallet's own signature always counts
// for its leases.
import { type Address, type Hex, isAddressEqual } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

const STORE = "gpufog.sessionKeys";

function stored(): Record<string, Hex> {
  try {
    return JSON.parse(localStorage.getItem(STORE) ?? "{}") as Record<string, Hex>;
  } catch {
    return {};
  }
}

/** A new session key, kept before it is named on chain so a lease never names a key the browser lost. */
export function newSessionKey(): Address {
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  localStorage.setItem(STORE, JSON.stringify({ ...stored(), [account.address]: key }));
  return account.address;
}

/** The signing account of a session key kept here, or `undefined`. */
export function sessionAccount(address: Address) {
  const entry = Object.entries(stored()).find(([a]) => isAddressEqual(a as Address, address));
  return entry ? privateKeyToAccount(entry[1]) : undefined;
}
