import { task } from "hardhat/config";

import { accountOption, UNSET } from "./options.js";

/** The options every lease task shares: which escrow, and which of the network's accounts signs. */
function common<T extends ReturnType<typeof task>>(builder: T) {
  return builder
    .addOption({ name: "escrow", description: "The LeaseEscrow address (default: the address book's)", ...UNSET })
    .addOption(accountOption);
}

const leaseOption = { name: "lease", description: "The lease id (required)", ...UNSET } as const;
const reservationOption = { name: "reservation", description: "The reservation id (required)", ...UNSET } as const;
const sessionKeyOption = {
  name: "sessionKey",
  description: "The address whose receipts count for the lease besides yours, e.g. your client's key (default: none)",
  ...UNSET,
} as const;
const quoteOption = {
  name: "quote",
  description:
    "The provider's signed quote, a JSON file as quote:sign writes it (required; asking the node's endpoint for one comes with a later release)",
  ...UNSET,
} as const;

export const quoteSignTask = common(
  task("quote:sign", "Signs a quote for one customer as the node's provider or operator, and writes it to a file"),
)
  .addOption({ name: "node", description: "The node id (required)", ...UNSET })
  .addOption({ name: "customer", description: "The only address that may use the quote (required)", ...UNSET })
  .addOption({
    name: "price",
    description:
      "The price per TU-hour in token units, e.g. 0.25: the lease's price (default: the node's listed price)",
    ...UNSET,
  })
  .addOption({ name: "token", description: "The payment token (default: the node's listed token)", ...UNSET })
  .addOption({
    name: "start",
    description:
      "For a reservation: when the window starts, unix seconds, an ISO date or +delay like +2h (default: none, a lease quote)",
    ...UNSET,
  })
  .addOption({
    name: "duration",
    description: "For a reservation: how long the window lasts, seconds or 15m, 2h, 1d (default: none, a lease quote)",
    ...UNSET,
  })
  .addOption({
    name: "ttl",
    description:
      "How long the quote stays valid: seconds or 5m (default: the escrow's maxQuoteAge, the longest it allows)",
    ...UNSET,
  })
  .addOption({ name: "out", description: "The file to write (required)", ...UNSET })
  .setAction(() => import("./actions/quote-sign.js"))
  .build();

export const leaseOpenTask = common(task("lease:open", "Opens a lease with a provider's signed quote"))
  .addOption(quoteOption)
  .addOption({ name: "deposit", description: "The deposit, in token units, e.g. 25.5 (required)", ...UNSET })
  .addOption(sessionKeyOption)
  .setAction(() => import("./actions/lease-open.js"))
  .build();

export const leaseRenewTask = common(
  task(
    "lease:renew",
    "Renews a lease with the provider's new quote in one transaction: pays it through now, carries the rest into the next lease",
  ),
)
  .addOption(leaseOption)
  .addOption(quoteOption)
  .addOption({
    name: "add",
    description: "An amount to add to the carried deposit, in token units (default: 0)",
    ...UNSET,
  })
  .setAction(() => import("./actions/lease-renew.js"))
  .build();

export const receiptSignTask = common(
  task("receipt:sign", "Signs a receipt for a lease as its customer or session key, and writes it to a file"),
)
  .addOption(leaseOption)
  .addOption({
    name: "paidThrough",
    description:
      "The time the lease is paid up to: unix seconds, an ISO date, +delay ahead of now (prepaid), or now (required)",
    ...UNSET,
  })
  .addOption({ name: "out", description: "The file to write (required)", ...UNSET })
  .setAction(() => import("./actions/receipt-sign.js"))
  .build();

export const leaseCollectTask = common(
  task("lease:collect", "Pays the provider for the time a customer's receipt covers (anyone may send it)"),
)
  .addOption({ name: "receipt", description: "The receipt file, as receipt:sign writes it (required)", ...UNSET })
  .setAction(() => import("./actions/lease-collect.js"))
  .build();

export const leaseTopupTask = common(task("lease:topup", "Adds to a lease's deposit (anyone may)"))
  .addOption(leaseOption)
  .addOption({ name: "amount", description: "The amount, in token units (required)", ...UNSET })
  .setAction(() => import("./actions/lease-topup.js"))
  .build();

export const leaseCloseTask = common(
  task(
    "lease:close",
    "Closes a lease: the provider's close (with its last receipt) is final; the customer's opens the provider's collect window",
  ),
)
  .addOption(leaseOption)
  .addOption({
    name: "receipt",
    description: "The provider's last receipt file, collected in the same transaction (default: none)",
    ...UNSET,
  })
  .setAction(() => import("./actions/lease-close.js"))
  .build();

export const leaseFinalizeTask = common(
  task("lease:finalize", "Refunds the rest of a lease the customer closed once its collect window ended (anyone may)"),
)
  .addOption(leaseOption)
  .setAction(() => import("./actions/lease-finalize.js"))
  .build();

export const leaseStatusTask = common(
  task("lease:status", "Shows a lease: paid, collectable, remaining, collect window, run-out time"),
)
  .addOption(leaseOption)
  .setAction(() => import("./actions/lease-status.js"))
  .build();

export const providerWithdrawTask = common(
  task(
    "provider:withdraw",
    "Withdraws a provider's earnings, per token, to any address (an operator: to the provider)",
  ),
)
  .addOption({
    name: "token",
    description: "The token to withdraw (default: every token the provider's leases and reservations used)",
    ...UNSET,
  })
  .addOption({ name: "to", description: "The receiver (default: the provider)", ...UNSET })
  .addOption({
    name: "provider",
    description: "The provider, when --account is its operator (default: the account)",
    ...UNSET,
  })
  .setAction(() => import("./actions/provider-withdraw.js"))
  .build();

export const reserveTask = common(task("reserve", "Reserves an Idle node for a window with a provider's signed quote"))
  .addOption(quoteOption)
  .addOption({
    name: "deposit",
    description: "The deposit, in token units: more than the reservation fee (required)",
    ...UNSET,
  })
  .setAction(() => import("./actions/reserve.js"))
  .build();

export const reservationStartTask = common(
  task("reservation:start", "Starts your reservation in its window; the provider then has its accept window"),
)
  .addOption(reservationOption)
  .addOption({ name: "added", description: "What to add to the deposit now, in token units (default: 0)", ...UNSET })
  .addOption(sessionKeyOption)
  .setAction(() => import("./actions/reservation-start.js"))
  .build();

export const reservationAcceptTask = common(
  task("reservation:accept", "Accepts a started reservation as its provider or operator: its lease opens now"),
)
  .addOption(reservationOption)
  .setAction(() => import("./actions/reservation-accept.js"))
  .build();

export const reservationFailTask = common(
  task(
    "reservation:fail",
    "Fails a reservation not accepted in time or whose node went down: all back to the customer, penalty to the treasury",
  ),
)
  .addOption(reservationOption)
  .setAction(() => import("./actions/reservation-fail.js"))
  .build();

export const reservationCancelTask = common(
  task("reservation:cancel", "Cancels a reservation before its lease starts (the provider's cancel fails it)"),
)
  .addOption(reservationOption)
  .setAction(() => import("./actions/reservation-cancel.js"))
  .build();

export const keeperSweepTask = common(
  task(
    "keeper:sweep",
    "Runs one round of the keeper agent (gpufog keeper run --once) with this account: marks stale nodes Disconnect, finalizes leases past their collect window, closes spent ones, fails or expires reservations, forwards fees, observes and buys back a slice of each ended bucket",
  ),
)
  .addOption({
    name: "emission",
    description: "The BuybackEmission to observe and buy back through (default: the escrow's fee collector)",
    ...UNSET,
  })
  .addOption({
    name: "fromBlock",
    description: "The block whose events the round reads from (default: the address book's deployment block, else 0)",
    ...UNSET,
  })
  .addOption({
    name: "forwardBatch",
    description: "Providers per forwardFees transaction, which bounds its gas (default: the agent's, 50)",
    ...UNSET,
  })
  .addFlag({ name: "dryRun", description: "Plan and check each job (revert, gas) without sending anything" })
  .setAction(() => import("./actions/keeper-sweep.js"))
  .build();

export const leaseTasks = [
  quoteSignTask,
  leaseOpenTask,
  leaseRenewTask,
  receiptSignTask,
  leaseCollectTask,
  leaseTopupTask,
  leaseCloseTask,
  leaseFinalizeTask,
  leaseStatusTask,
  providerWithdrawTask,
  reserveTask,
  reservationStartTask,
  reservationAcceptTask,
  reservationFailTask,
  reservationCancelTask,
  keeperSweepTask,
];
