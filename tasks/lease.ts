import { task } from "hardhat/config";

import { accountOption, UNSET } from "./options.js";

/** The options every lease task shares: which escrow, and which of the network's accounts signs. */
function common<T extends ReturnType<typeof task>>(builder: T) {
  return builder
    .addOption({ name: "escrow", description: "The LeaseEscrow address (default: the address book's)", ...UNSET })
    .addOption(accountOption);
}

export const leaseOpenTask = common(
  task("lease:open", "Opens a lease on an Idle node (or starts your reservation of it)"),
)
  .addOption({ name: "node", description: "The node id (required)", ...UNSET })
  .addOption({ name: "deposit", description: "The deposit, in token units, e.g. 25.5 (required)", ...UNSET })
  .addOption({
    name: "maxPrice",
    description:
      "The highest price per TU-hour you accept, in token units (default: the node's price when the task reads it)",
    ...UNSET,
  })
  .setAction(() => import("./actions/lease-open.js"))
  .build();

export const leaseTopupTask = common(task("lease:topup", "Adds to a lease's deposit (anyone may)"))
  .addOption({ name: "lease", description: "The lease id (required)", ...UNSET })
  .addOption({ name: "amount", description: "The amount, in token units (required)", ...UNSET })
  .setAction(() => import("./actions/lease-topup.js"))
  .build();

export const leaseCloseTask = common(task("lease:close", "Closes a lease: settles, refunds the rest, frees the node"))
  .addOption({ name: "lease", description: "The lease id (required)", ...UNSET })
  .setAction(() => import("./actions/lease-close.js"))
  .build();

export const leaseStatusTask = common(task("lease:status", "Shows a lease: accrued, remaining, run-out time"))
  .addOption({ name: "lease", description: "The lease id (required)", ...UNSET })
  .setAction(() => import("./actions/lease-status.js"))
  .build();

export const leaseWithdrawTask = common(task("lease:withdraw", "Withdraws the earnings of all the account's leases"))
  .setAction(() => import("./actions/lease-withdraw.js"))
  .build();

export const reserveTask = common(task("reserve", "Reserves an Idle node for a future window"))
  .addOption({ name: "node", description: "The node id (required)", ...UNSET })
  .addOption({
    name: "start",
    description: "When the window starts: unix seconds, an ISO date, or +delay like +15m, +2h (required)",
    ...UNSET,
  })
  .addOption({
    name: "duration",
    description: "How long the window lasts: seconds, or 15m, 2h, 1d (required)",
    ...UNSET,
  })
  .addOption({ name: "deposit", description: "The deposit, in token units (required)", ...UNSET })
  .addOption({
    name: "maxPrice",
    description:
      "The highest price per TU-hour you accept, in token units (default: the node's price when the task reads it)",
    ...UNSET,
  })
  .setAction(() => import("./actions/reserve.js"))
  .build();

export const reservationStartTask = common(task("reservation:start", "Starts your reservation's lease in its window"))
  .addOption({ name: "reservation", description: "The reservation id (required)", ...UNSET })
  .setAction(() => import("./actions/reservation-start.js"))
  .build();

export const reservationCancelTask = common(task("reservation:cancel", "Cancels a pending reservation"))
  .addOption({ name: "reservation", description: "The reservation id (required)", ...UNSET })
  .setAction(() => import("./actions/reservation-cancel.js"))
  .build();

export const keeperSweepTask = common(
  task(
    "keeper:sweep",
    "Marks stale nodes Disconnect, closes drained leases, expires reservations, forwards fees, buys back ended buckets",
  ),
)
  .addOption({
    name: "emission",
    description: "The BuybackEmission whose ended buckets to buy back (default: the address book's; none: skip)",
    ...UNSET,
  })
  .setAction(() => import("./actions/keeper-sweep.js"))
  .build();

export const leaseTasks = [
  leaseOpenTask,
  leaseTopupTask,
  leaseCloseTask,
  leaseStatusTask,
  leaseWithdrawTask,
  reserveTask,
  reservationStartTask,
  reservationCancelTask,
  keeperSweepTask,
];
