import { ErrorDescription, ErrorFragment, id, Interface, type InterfaceAbi, isHexString, ZeroHash } from "ethers";

import type { TokenInfo } from "./erc20.js";
import { wrappedErrors } from "./errors.js";
import { formatToken } from "./format.js";
import { LEASE_STATUS, RESERVATION_STATUS } from "./market/lease-math.js";

/**
 * A contract revert, decoded with the project's ABIs: the error's name, its arguments by name,
 * and one line in words for a person.
 */
export interface DecodedRevert {
  name: string;
  args: Record<string, unknown>;
  /** `NodeNotAvailable: node 4 is Disconnect` — the error's name, its arguments in words, and a hint where one helps. */
  message: string;
}

/** What the words of a revert may use beyond the error itself. */
export interface RevertContext {
  /** The chain's time (the latest block's timestamp): hints then name the moment to retry at. */
  now?: bigint;
  /**
   * The token the call moves (a lease's payment token, a node's stake, an airdrop's payout): the
   * arguments that are amounts of it print in its units, `3.6 GUT`. Which arguments those are is
   * listed per error in this module; an amount that may be of another token stays an integer.
   * With its `address`, the amounts of errors that name their token print in it when it is this one.
   */
  token?: TokenInfo & { address?: string };
  /**
   * The caller's own hints, by error name, added after the library's with a colon. The library's
   * hints speak of contract actions only ("the quote has expired: ask the provider for a new one");
   * a command line names its own commands here (the project's tasks: `tasks/cli.ts`).
   */
  hints?: Readonly<Record<string, RevertHint>>;
}

/** A hint for one error, from its arguments by name; undefined when it has nothing to add. */
export type RevertHint = (args: Record<string, unknown>) => string | undefined;

/** The statuses of `IProviderRegistry.Status`, by value, for messages. */
const NODE_STATUS = ["None", "Idle", "Sharing", "Reserved", "Disconnect"];

/** The standard `Error(string)` and `Panic(uint256)` reverts, which every contract may raise. */
const BUILTIN = new Interface(["error Error(string message)", "error Panic(uint256 code)"]);

/**
 * Finds revert data in whatever an ethers provider, Hardhat's EDR or anvil threw, and decodes it
 * with `abis` (every contract the call may have reached, since a revert can bubble up from a
 * callee). Returns undefined when the error carries no revert data any ABI knows.
 *
 * Clients put the data in different places: ethers' `CALL_EXCEPTION` has `data`; a JSON-RPC
 * error keeps it under `error.data` or `info.error.data`; anvil also writes it into the message
 * as `custom error 0x…`; EDR names the error in its message already (`reverted with custom error
 * 'Name(args)'`), which is used as a last resort.
 *
 * Two contracts may declare errors of one selector with different fields (the escrow's and the
 * distributor's `InvalidWindow`): the ABIs that have the called function (the error's
 * `transaction.data`) are tried first, so a revert is worded with the called contract's fields.
 */
export function decodeRevert(
  error: unknown,
  abis: readonly (Interface | InterfaceAbi)[],
  context: RevertContext = {},
): DecodedRevert | undefined {
  const interfaces = [
    ...calledFirst(
      abis.map((abi) => (abi instanceof Interface ? abi : new Interface(abi))),
      error,
    ),
    BUILTIN,
  ];
  for (const data of revertData(error)) {
    for (const iface of interfaces) {
      let parsed: ErrorDescription | null = null;
      try {
        parsed = iface.parseError(data);
      } catch {
        parsed = null;
      }
      if (parsed) return describe(parsed, context);
    }
  }
  // A payload cut to its selector (anvil prints the arguments as raw bytes in its message) still
  // names the error.
  for (const data of revertData(error)) {
    for (const iface of interfaces) {
      const fragment = iface.fragments.find(
        (f): f is ErrorFragment => ErrorFragment.isFragment(f) && f.selector === data.slice(0, 10),
      );
      if (fragment) {
        const name = fragment.name;
        return { name, args: {}, message: `${name} (its arguments were not returned by the node)` };
      }
    }
  }
  const named = messages(error)
    .map((m) => /reverted with custom error '([A-Za-z_][A-Za-z0-9_]*)\((.*)\)'/.exec(m))
    .find((m) => m !== null);
  if (named) return { name: named[1]!, args: {}, message: `${named[1]}(${named[2]})` };
  return undefined;
}

/**
 * Calls `call` (an `eth_call` of a write, e.g. `contract.fn.staticCall(…)`) and returns normally
 * when it succeeds or reverts with `expected`, with that revert decoded (for its arguments); any
 * other revert is thrown as is. A write dry-runs itself this way with nothing to pay, or before
 * its approval: that passes every check the contract makes before it takes the payment, so a call
 * it would refuse fails before an approval is mined.
 */
export async function dryRun(
  abis: readonly (Interface | InterfaceAbi)[],
  expected: string,
  call: () => Promise<unknown>,
): Promise<DecodedRevert | undefined> {
  try {
    await call();
    return undefined;
  } catch (error) {
    const decoded = decodeRevert(error, abis);
    if (decoded?.name !== expected) throw error;
    return decoded;
  }
}

/** The one line a command line prints for a failed call: the decoded revert, or the error's first line. */
export function revertLine(
  error: unknown,
  abis: readonly (Interface | InterfaceAbi)[],
  context: RevertContext = {},
): string {
  const decoded = decodeRevert(error, abis, context);
  if (decoded) return `the contract refused: ${decoded.message}`;
  const first = messages(error)[0] ?? String(error);
  return first.split("\n")[0]!.replace(/\0+/g, "").trim();
}

function describe(parsed: ErrorDescription, context: RevertContext): DecodedRevert {
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name || `arg${i}`] = parsed.args[i];
  });
  const named = OWN_TOKEN[parsed.name];
  const ownToken =
    named !== undefined &&
    context.token?.address !== undefined &&
    String(args[named.token]).toLowerCase() === context.token.address.toLowerCase();
  const words = parsed.fragment.inputs.map((input, i) => {
    const inToken = AMOUNTS[parsed.name]?.includes(input.name) || (ownToken && named.amounts.includes(input.name));
    const token = inToken ? context.token : undefined;
    return `${input.name || `arg${i}`} ${show(input.name, parsed.args[i], STATUSES[parsed.name], token)}`;
  });
  const hint =
    [HINTS[parsed.name]?.(args, context), context.hints?.[parsed.name]?.(args)]
      .filter((h) => h !== undefined && h !== "")
      .join(": ") || undefined;
  const message = `${parsed.name}${words.length ? `: ${words.join(", ")}` : ""}${hint ? ` (${hint})` : ""}`;
  return { name: parsed.name, args, message };
}

/** The errors with a status among their arguments: which argument, and of which enum. */
const STATUSES: Record<string, { arg: string; names: readonly string[] }> = {
  InvalidStatus: { arg: "current", names: NODE_STATUS },
  NodeNotAvailable: { arg: "status", names: NODE_STATUS },
  InvalidLeaseStatus: { arg: "status", names: LEASE_STATUS },
  InvalidReservationStatus: { arg: "status", names: RESERVATION_STATUS },
};

/**
 * The arguments that are amounts of the token the call moves, by error and argument name, from
 * every error of contracts/interfaces and OpenZeppelin's ERC20: printed in that token when the
 * context names it. Printed raw, because their token need not be the call's:
 * - the emission's TFT (`BelowTwapQuote`, `AboveTwapQuote`; TFT's `BurnBelowFloor` and
 *   `InvalidAllocation`) and GUT's `CapExceeded`, raised by a mint, which no payment makes;
 * - errors that name their own token (`ExceedsBucket`, `FeeNotReceived`, `TransferMismatch`);
 * - the registry's `PriceOutOfRange`: a price is in the node's payment token, while registering
 *   moves the stake; `ParameterOutOfRange`, whose value is an amount for one parameter only;
 * - the registry's `StakeBelowRequired`, in GUT, which an escrow call (paid in the quote's token)
 *   raises as well as a registry call.
 */
const AMOUNTS: Record<string, readonly string[]> = {
  // The escrow's deposits, fees and prices are in the lease's token: the quote's token.
  AmountTooLarge: ["amount", "max"],
  DepositBelowFee: ["deposit", "fee"],
  RateOutOfRange: ["pricePerTuHour"],
  // The distributor's payout.
  InvalidProof: ["amount"],
  Underfunded: ["balance", "total"],
  // Raised by the token being moved.
  ERC20InsufficientBalance: ["balance", "needed"],
  ERC20InsufficientAllowance: ["allowance", "needed"],
};

/**
 * Errors that name the token of their amounts: printed in the context's token when it is that
 * token (the context names its address), raw otherwise.
 */
const OWN_TOKEN: Record<string, { token: string; amounts: readonly string[] }> = {
  TransferMismatch: { token: "token", amounts: ["expected", "received"] },
};

/**
 * An argument in words: an amount of `token` in its units, statuses by name, timestamps as UTC
 * dates, everything else plainly.
 */
function show(
  name: string,
  value: unknown,
  status?: { arg: string; names: readonly string[] },
  token?: TokenInfo,
): string {
  if (typeof value === "bigint") {
    if (token) return formatToken(value, token.symbol, token.decimals);
    const n = Number(value);
    if (status?.arg === name && n < status.names.length) return status.names[n]!;
    if (
      /(deadline|Ends|staleAfter|start|timestamp)$/i.test(name) &&
      value > 1_000_000_000n &&
      value < 10_000_000_000n
    ) {
      return `${new Date(n * 1000).toISOString().replace(".000Z", "Z")}`;
    }
    return value.toString();
  }
  if (typeof value === "string") return value.length > 0 ? value : '""';
  return String(value);
}

/** A count of seconds with thousands separators: `1,800`. */
function seconds(value: unknown): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `now + delay` as the moment to retry at (`12:30 UTC`, with the date when it is another day), or `in N s`. */
function retryAt(delay: bigint, now: bigint | undefined): string {
  if (now === undefined) return `in ${seconds(delay)} s`;
  const at = new Date(Number(now + delay) * 1000).toISOString();
  const today = new Date(Number(now) * 1000).toISOString().slice(0, 10);
  return `after ${at.slice(0, 10) === today ? "" : `${at.slice(0, 10)} `}${at.slice(11, 16)} UTC`;
}

/** The roles of the project's contracts by their hash, so a missing role is named. */
const ROLES = new Map(
  [
    "KEEPER_ROLE",
    "ESCROW_ROLE",
    "CATALOG_ROLE",
    "AUDITOR_ROLE",
    "MINTER_ROLE",
    "PAUSER_ROLE",
    "PROPOSER_ROLE",
    "EXECUTOR_ROLE",
    "CANCELLER_ROLE",
  ].map((name) => [id(name), name]),
).set(ZeroHash, "DEFAULT_ADMIN_ROLE");

const NODE_NOT_AVAILABLE: Record<string, string> = {
  None: "no such node",
  Sharing: "another customer is leasing it",
  Reserved: "another customer has reserved it",
  Disconnect: "the node is offline until its provider checks in",
};

/**
 * What to do next, for the reverts users meet in the normal course of things. In the words of the
 * contracts' actions (observe, checkIn, addStake, finalize), never of a client's commands: a web
 * page shows these to its users, and a command line adds its own (`RevertContext.hints`).
 */
const HINTS: Record<string, (a: Record<string, unknown>, c: RevertContext) => string | undefined> = {
  ObservationTooYoung: (a, c) => {
    const window = a.window as bigint;
    const age = a.oldestAge as bigint;
    // An age of zero also stands for no observation at all: then one must be recorded first.
    const none = age === 0n ? ", once one is recorded (observe) if none was" : "";
    return `observation ${seconds(age)} s old, needs ${seconds(window)} s: retry ${retryAt(window - age, c.now)}${none}`;
  },
  ObservationStale: (a, c) =>
    `observation ${seconds(a.age)} s old, at most ${seconds(a.maxAge)} s: record a new one (observe), then retry ${retryAt(
      (a.maxAge as bigint) / 2n,
      c.now,
    )} (one TWAP window)`,
  BucketNotEnded: (a) =>
    `the bucket of epoch ${String(a.epoch)} sells once its epoch has ended (now epoch ${String(a.current)})`,
  ExceedsBucket: (a) => `only ${String(a.unsold)} of the bucket is unsold`,
  NothingToClaim: (a) =>
    a.token === undefined
      ? "nothing is claimable: a bucket's rewards pay once it has been bought back after its epoch"
      : "no refund is owed to this account in this token",
  BelowTwapQuote: () => "the pool moved against the average price: retry, and the quote is read again",
  DeadlineExpired: () => "the transaction was mined after its deadline: retry",
  InvalidStatus: (a) => `node ${String(a.nodeId)} is ${NODE_STATUS[Number(a.current)] ?? String(a.current)}`,
  NodeNotAvailable: (a) => NODE_NOT_AVAILABLE[NODE_STATUS[Number(a.status)] ?? ""],
  NodeEngaged: () => "the escrow still holds the node: close its lease or end its reservation first",
  StillUnbonding: () => "the stake can be withdrawn once unbonding ends",
  NotNodeProvider: () => "only the node's provider may do this",
  NotNodeOperator: () => "only the node's provider or its operator may do this",
  NotLeaseCustomer: () => "only the lease's customer may do this",
  NotLeaseProvider: () => "only the lease's provider or its operator may do this",
  NotReservationCustomer: () => "only the reservation's customer may do this",
  NotReservationProvider: () => "only the reservation's provider or its operator may do this",
  NotOperator: () => "only the operator the provider named in the registry may withdraw for it",
  CloseNotAllowed: () => "only the customer or the provider may close a lease before its deposit is spent",
  NotReservationParty: () => "only the reservation's customer or provider may do this",
  OutsideWindow: (a, c) => {
    const start = a.start as bigint;
    if (c.now !== undefined && c.now < start)
      return `its window has not opened: retry ${retryAt(start - c.now, c.now)}`;
    return "a reservation starts between its start and its deadline";
  },
  // The escrow's InvalidWindow(start, duration); the distributor's (start, deadline) has no hint.
  InvalidWindow: (a, c) => {
    if (a.duration === undefined) return undefined;
    const start = a.start as bigint;
    const duration = a.duration as bigint;
    if (duration === 0n || duration > 30n * 86_400n) return "a window lasts from 1 s to 30 days";
    if (c.now === undefined) return undefined;
    return start < c.now ? "the start is in the past by the chain's clock" : "a window starts at most 7 days ahead";
  },
  DepositBelowFee: () => "the deposit must be above the reservation fee, which prices the whole hold",
  TokenNotAllowed: () => "the escrow does not take this token",
  ZeroAmount: () => "the amount must be above zero",
  ZeroAddress: (a) => `${String(a.field)} must not be the zero address`,
  InvalidLeaseStatus: (a) => `lease ${String(a.leaseId)} is ${LEASE_STATUS[Number(a.status)] ?? String(a.status)}`,
  InvalidReservationStatus: (a) =>
    `reservation ${String(a.reservationId)} is ${RESERVATION_STATUS[Number(a.status)] ?? String(a.status)}`,
  QuoteExpired: () => "the quote has expired: ask the provider for a new one",
  QuoteExpiryTooFar: () =>
    "the quote is valid for longer than the escrow's maxQuoteAge allows: the provider signs one that expires sooner",
  QuoteNonceUsed: () => "this quote was used already: each quote opens one lease or reservation; ask for a new one",
  QuoteNotForCaller: () => "the quote names another customer: send it from the account it was signed for",
  InvalidQuoteSigner: () =>
    "the quote is not signed by the node's provider or its operator, or was signed for another escrow or chain",
  QuoteKindMismatch: (a) =>
    (a.windowDuration as bigint) === 0n && (a.windowStart as bigint) === 0n
      ? "a lease quote cannot reserve: ask for a quote with a window"
      : "a reservation quote cannot open a lease: reserve with it",
  InvalidReceiptSigner: () =>
    "the receipt is not signed by the lease's customer or one of its session keys, or was signed for another lease, escrow or chain",
  CollectWindowOpen: (a, c) => {
    const deadline = a.deadline as bigint;
    const wait = c.now !== undefined && c.now <= deadline ? deadline - c.now + 1n : undefined;
    return `the provider may still collect until the deadline: finalize ${wait === undefined ? "after it" : retryAt(wait, c.now)}`;
  },
  CollectWindowClosed: () => "the provider's collect window has ended: finalizing refunds the rest",
  AcceptWindowClosed: () =>
    "the provider did not accept in time: failing the reservation returns the customer's deposit",
  ReservationNotFailed: (a, c) => {
    const acceptBy = a.acceptBy as bigint;
    if (acceptBy === 0n) return "the reservation was not started and its node is up";
    const wait = c.now !== undefined && c.now <= acceptBy ? acceptBy - c.now + 1n : undefined;
    return `the provider may still accept: retry ${wait === undefined ? "after the accept window" : retryAt(wait, c.now)} if it has not`;
  },
  ReservationNotExpired: (a, c) => {
    const deadline = a.deadline as bigint;
    const wait = c.now !== undefined && c.now <= deadline ? deadline - c.now + 1n : undefined;
    return `the customer may still start it: retry ${wait === undefined ? "after the deadline" : retryAt(wait, c.now)}`;
  },
  NothingToWithdraw: (a) =>
    a.token === undefined ? "the stake was already withdrawn" : "the provider has no earnings in this token",
  StakeBelowRequired: (a) =>
    `node ${String(a.nodeId)} holds less stake than it needs to take a lease until its provider adds the rest (addStake)`,
  TransferMismatch: () => "the token moved a different amount than asked: fee-on-transfer tokens are not supported",
  CheckInNotStale: () => "the node checked in within its check-in period",
  EnforcedPause: () => "the contract is paused by governance",
  AccessControlUnauthorizedAccount: (a) =>
    `${String(a.account)} does not hold ${ROLES.get(String(a.neededRole)) ?? String(a.neededRole)}`,
  ERC20InsufficientBalance: () => "the sender's balance is too small",
  ERC20InsufficientAllowance: () => "approve the contract first",
  NotStarted: () => "claims have not opened yet",
  DeadlinePassed: () => "the claim window has closed",
  AlreadyClaimed: () => "this allocation was claimed already",
};

/** `interfaces` with those that declare the function the failed call called first, in their order. */
function calledFirst(interfaces: Interface[], error: unknown): Interface[] {
  const selector = calledSelector(error);
  if (selector === undefined) return interfaces;
  const has = (iface: Interface) => iface.getFunction(selector) !== null;
  return [...interfaces.filter(has), ...interfaces.filter((iface) => !has(iface))];
}

/** The selector of the function a failed call called, where the client kept the transaction. */
function calledSelector(error: unknown): string | undefined {
  for (const record of wrappedErrors(error, ["error", "info", "cause", "payload"])) {
    const tx = record.transaction;
    if (tx && typeof tx === "object") {
      const data = (tx as { data?: unknown }).data;
      if (typeof data === "string" && isHexString(data) && data.length >= 10) return data.slice(0, 10);
    }
  }
  return undefined;
}

/** Candidate revert payloads, nearest first. */
function revertData(error: unknown): string[] {
  const found: string[] = [];
  for (const record of wrappedErrors(error, ["error", "info", "cause", "payload"])) {
    for (const key of ["data", "revert", "returnData"]) {
      const v = record[key];
      if (typeof v === "string" && isHexString(v) && v.length >= 10) found.push(v);
      if (v && typeof v === "object" && typeof (v as { data?: unknown }).data === "string") {
        const inner = (v as { data: string }).data;
        if (isHexString(inner) && inner.length >= 10) found.push(inner);
      }
    }
  }
  for (const m of messages(error)) {
    const match = /custom error (0x[0-9a-fA-F]{8})(?::\s*)?((?:0x)?[0-9a-fA-F]*)/.exec(m);
    if (match) found.push(match[1]! + (match[2] ?? "").replace(/^0x/, ""));
  }
  return found;
}

function messages(error: unknown): string[] {
  return wrappedErrors(error).flatMap((record) =>
    ["shortMessage", "message", "reason"].flatMap((key) => (typeof record[key] === "string" ? [record[key]] : [])),
  );
}
