// The escrow's helpers for an ethers dApp, the tasks and the agents: thin wrappers that check a
// call before sending it (a refusal is the escrow's own decoded error, or one line naming the
// input), send one transaction and read its events. The arithmetic, the quote and receipt files
// and the calldata are the browser-safe src/market/* modules, which a viem dApp uses directly.
import { Contract, type ContractRunner, type ContractTransactionResponse, type Signer, ZeroAddress } from "ethers";

import { contractAddress } from "./connect.js";
import { balanceOf, preparePayment, tokenLabel } from "./erc20.js";
import { InputError } from "./errors.js";
import { formatToken } from "./format.js";
import { collectableAt, LEASE_STATUS, RESERVATION_STATUS, runsOutAt } from "./market/lease-math.js";
import {
  buildQuote,
  checkDomain,
  isReservationQuote,
  type QuoteTerms,
  type SignedQuote,
  type SignedReceipt,
} from "./market/quote.js";
import {
  encodeOpenLease,
  encodeRenewLease,
  encodeReserve,
  encodeSelfPermit,
  type PermitSignature,
} from "./market/calldata.js";
import { type EscrowDomain, escrowDomain, signQuote, signReceipt } from "./market/typed-data.js";
import type { Source } from "./parse.js";
import { signPermit, type PermitToken } from "./permit.js";
import { mined, receiptEvent, receiptEvents } from "./receipts.js";
import { listNodes, statusName, type NodeStatus } from "./registry.js";
import { dryRun } from "./revert.js";
import { inRanges } from "./rpc/ranges.js";
import { LeaseEscrow__factory } from "../types/factories/LeaseEscrow__factory.js";
import { ProviderRegistry__factory } from "../types/factories/ProviderRegistry__factory.js";
import type { LeaseEscrow } from "../types/LeaseEscrow.js";
import type { ProviderRegistry } from "../types/ProviderRegistry.js";

export {
  BPS,
  collectableAt,
  feeOf,
  LEASE_STATUS,
  owedAt,
  RATE_DIVISOR,
  rateOf,
  reservationFeeAt,
  reservationFeeSplit,
  RESERVATION_STATUS,
  runsOutAt,
  windowFeeEarned,
} from "./market/lease-math.js";

/** The escrow and the registry it leases from, connected to one runner. */
export interface EscrowHandle {
  escrow: LeaseEscrow;
  registry: ProviderRegistry;
}

/** Connects to an escrow, after checking that a contract lives there, and to its registry (read from the escrow). */
export async function connectEscrow(
  address: string,
  runner: ContractRunner,
  source: Source = "escrow",
): Promise<EscrowHandle> {
  const escrow = LeaseEscrow__factory.connect(await contractAddress(address, runner, source, "escrow"), runner);
  const registry = ProviderRegistry__factory.connect(await escrow.registry(), runner);
  return { escrow, registry };
}

/** The EIP-712 domain of the escrow's quotes and receipts on its chain. */
export async function escrowDomainOf({ escrow }: EscrowHandle): Promise<EscrowDomain> {
  const { chainId } = await escrow.runner!.provider!.getNetwork();
  return escrowDomain(chainId, await escrow.getAddress());
}

async function chainNow(runner: ContractRunner): Promise<bigint> {
  const block = await runner.provider!.getBlock("latest");
  if (block === null) throw new Error("the node returned no latest block");
  return BigInt(block.timestamp);
}

/** Everything a customer or provider wants to know about a lease, as of the latest block. */
export interface LeaseReport {
  leaseId: bigint;
  nodeId: bigint;
  status: (typeof LEASE_STATUS)[number];
  nodeStatus: NodeStatus;
  customer: string;
  provider: string;
  token: string;
  rate: bigint;
  start: bigint;
  /** When the lease was closed; zero while open. */
  closedAt: bigint;
  deposit: bigint;
  /** What the lease has paid the provider so far (collected receipts). */
  paid: bigint;
  /** What a receipt up to now would add to `paid`: the time served but not yet collected. */
  collectable: bigint;
  /** The deposit not yet paid. */
  remaining: bigint;
  /** The protocol fee on what was paid, booked to the provider at each collect. */
  fee: bigint;
  feeBps: bigint;
  sessionKey: string;
  /** For a lease the customer closed: the end of the provider's collect window; zero otherwise. */
  collectDeadline: bigint;
  /** The reservation the lease started from, or zero. */
  reservationId: bigint;
  /** When the deposit runs out at the lease's rate, while it is open. */
  runsOutAt: bigint | undefined;
}

/** Reads a lease and what it could collect as of the latest block. */
export async function leaseReport({ escrow, registry }: EscrowHandle, leaseId: bigint): Promise<LeaseReport> {
  const l = await escrow.lease(leaseId);
  if (l.status === 0n) throw new Error(`lease ${leaseId} does not exist`);
  const [now, terms] = await Promise.all([chainNow(escrow.runner!), registry.leaseTerms(l.nodeId)]);
  const { paid: upToNow, remaining } = collectableAt(l, now, now);
  return {
    leaseId,
    nodeId: l.nodeId,
    status: LEASE_STATUS[Number(l.status)]!,
    nodeStatus: statusName(terms.status),
    customer: l.customer,
    provider: l.provider,
    token: l.token,
    rate: l.rate,
    start: l.start,
    closedAt: l.closedAt,
    deposit: l.deposit,
    paid: l.paid,
    collectable: l.status === 3n ? 0n : upToNow - l.paid,
    remaining: l.status === 3n ? 0n : remaining,
    fee: (l.paid * l.feeBps) / 10_000n,
    feeBps: l.feeBps,
    sessionKey: l.sessionKey,
    collectDeadline: l.collectDeadline,
    reservationId: l.reservationId,
    runsOutAt: l.status === 1n ? runsOutAt(l.rate, l.start, l.deposit) : undefined,
  };
}

/** What the registry lists of a node before anyone quotes it: the market's view, binding nothing. */
export interface NodeListing {
  provider: string;
  operator: string;
  status: NodeStatus;
  paymentToken: string;
  /** The listed price per TU-hour; the lease runs at the quote's price. */
  pricePerTuHour: bigint;
  milliTu: bigint;
}

/** A node's provider, listed token and price, and rating. */
export async function nodeListing({ registry }: EscrowHandle, nodeId: bigint): Promise<NodeListing> {
  const n = await registry.node(nodeId);
  if (n.provider === ZeroAddress) throw new Error(`node ${nodeId} does not exist`);
  return {
    provider: n.provider,
    operator: await registry.operatorOf(n.provider),
    status: statusName(n.status),
    paymentToken: n.paymentToken,
    pricePerTuHour: n.pricePerTuHour,
    milliTu: n.milliTu,
  };
}

/** The payment token a node lists, for parsing amounts before a quote is asked for. */
export async function nodeToken(h: EscrowHandle, nodeId: bigint): Promise<string> {
  return (await nodeListing(h, nodeId)).paymentToken;
}

/**
 * Signs a quote as the node's provider or its operator (`signer`), at the node's listed token and
 * price unless `terms` names others, valid from the chain's time for `ttl` seconds (default and at most the escrow's `maxQuoteAge`), with a fresh random nonce.
 * Refuses, before signing, a signer who is neither, a node that does not exist, and a quote's
 * token the escrow does not take.
 */
export async function makeQuote(
  h: EscrowHandle,
  signer: Signer,
  terms: Omit<QuoteTerms, "token" | "pricePerTuHour"> & { token?: string; pricePerTuHour?: bigint },
  opts: { ttl?: bigint; source?: Source } = {},
): Promise<SignedQuote> {
  const source = opts.source ?? "quote";
  const listing = await nodeListing(h, terms.nodeId).catch(() => {
    throw new InputError(source, undefined, "node", `node ${terms.nodeId} does not exist`);
  });
  const who = await signer.getAddress();
  if (who !== listing.provider && who !== listing.operator) {
    throw new InputError(
      source,
      undefined,
      "account",
      `${who} is neither node ${terms.nodeId}'s provider ${listing.provider} nor its operator${listing.operator === ZeroAddress ? " (none named)" : ` ${listing.operator}`}`,
    );
  }
  const token = terms.token ?? listing.paymentToken;
  if (!(await h.escrow.paymentToken(token)).allowed) {
    throw new InputError(source, undefined, "token", `the escrow does not take ${token}`);
  }
  const maxAge = await h.escrow.maxQuoteAge();
  const ttl = opts.ttl ?? maxAge;
  if (ttl <= 0n || ttl > maxAge) {
    throw new InputError(
      source,
      undefined,
      "ttl",
      `${ttl} s is outside 1 s to the escrow's maxQuoteAge of ${maxAge} s`,
    );
  }
  const pricePerTuHour = terms.pricePerTuHour ?? listing.pricePerTuHour;
  const quote = buildQuote({ ...terms, token, pricePerTuHour }, await chainNow(h.escrow.runner!), ttl);
  const domain = await escrowDomainOf(h);
  const signature = await signQuote(signer, domain, quote);
  return { chainId: domain.chainId, escrow: domain.verifyingContract, quote, signature };
}

/** Signs a receipt for `leaseId` up to `paidThrough` with the customer's key or the lease's session key. */
export async function makeReceipt(
  h: EscrowHandle,
  signer: Signer,
  leaseId: bigint,
  paidThrough: bigint,
): Promise<SignedReceipt> {
  const domain = await escrowDomainOf(h);
  const receipt = { leaseId, paidThrough };
  const signature = await signReceipt(signer, domain, receipt);
  return { chainId: domain.chainId, escrow: domain.verifyingContract, receipt, signature };
}

/**
 * Until when `key`'s receipts count for a lease: `undefined` for a key whose receipts never count
 * (neither the customer nor a session key of the lease), a time for a replaced session key, and
 * `type(uint40).max` for the customer and the current key.
 */
export async function receiptKeyUntil(h: EscrowHandle, leaseId: bigint, key: string): Promise<bigint | undefined> {
  const l = await h.escrow.lease(leaseId);
  if (key.toLowerCase() === l.customer.toLowerCase()) return (1n << 40n) - 1n;
  const until = await h.escrow.sessionKeyUntil(leaseId, key);
  return until === 0n ? undefined : until;
}

/**
 * Throws the escrow's own revert (`QuoteExpired`, `QuoteNonceUsed`, `InvalidQuoteSigner`,
 * `NodeNotAvailable`, `TokenNotAllowed`, …) if it would refuse `signer` this quote now, or an
 * `InputError` for a quote of another chain or escrow; sends nothing.
 */
export async function checkQuote(h: EscrowHandle, signer: Signer, signed: SignedQuote, file: Source): Promise<void> {
  checkDomain(signed, await escrowDomainOf(h), file);
  const escrow = h.escrow.connect(signer);
  const { quote, signature } = signed;
  // With no deposit the dry run passes every check the escrow makes before it takes the deposit.
  if (quote.windowDuration === 0n && quote.windowStart === 0n) {
    await dryRun([h.escrow.interface], "ZeroAmount", () =>
      escrow.openLease.staticCall(quote, signature, 0n, ZeroAddress),
    );
  } else {
    await dryRun([h.escrow.interface], "DepositBelowFee", () => escrow.reserve.staticCall(quote, signature, 0n));
  }
}

const PERMIT_ABI = [
  "function nonces(address owner) view returns (uint256)",
  "function eip712Domain() view returns (bytes1, string, string, uint256, address, bytes32, uint256[])",
] as const;

/**
 * A permit for `amount` of `token` to the escrow signed by `signer` when the token supports
 * ERC-2612 with ERC-5267 domain discovery and the allowance is short; `undefined` otherwise (no
 * permit needed, or the token has none: then an approval is sent).
 */
async function permitIfShort(
  token: string,
  signer: Signer,
  spender: string,
  amount: bigint,
  deadline: bigint,
): Promise<PermitSignature | undefined> {
  const owner = await signer.getAddress();
  const erc20 = new Contract(token, ["function allowance(address, address) view returns (uint256)"], signer);
  if (((await erc20.getFunction("allowance")(owner, spender)) as bigint) >= amount) return undefined;
  const permitToken = new Contract(token, PERMIT_ABI, signer);
  const asPermit: PermitToken = {
    getAddress: async () => token,
    nonces: async (o) => (await permitToken.getFunction("nonces")(o)) as bigint,
    eip712Domain: async () =>
      (await permitToken.getFunction("eip712Domain")()) as [string, string, string, bigint, string, string, bigint[]],
  };
  try {
    await asPermit.eip712Domain();
    await asPermit.nonces(owner);
  } catch {
    return undefined;
  }
  return signPermit(asPermit, signer, spender, amount, deadline);
}

/** Options of {@link openLease} and {@link reserve}. */
export interface PayOptions {
  /** Where the quote came from (a file name), for messages. */
  source?: Source;
  /**
   * `"auto"` (the default): a token with ERC-2612 permit is permitted in the same transaction
   * (`multicall([selfPermit, …])`), so no approval is sent; `"approve"`: approve first.
   */
  permit?: "auto" | "approve";
}

/**
 * Sends the escrow call `call` that pulls `amount` of `token` from `signer`: alone after an
 * approval, or behind a `selfPermit` in one `multicall` when the token permits.
 */
async function sendPaying(
  h: EscrowHandle,
  signer: Signer,
  token: string,
  amount: bigint,
  deadline: bigint,
  call: string,
  source: Source,
  permit: "auto" | "approve",
): Promise<ContractTransactionResponse> {
  const escrow = h.escrow.connect(signer);
  const spender = await escrow.getAddress();
  const owner = await signer.getAddress();
  const held = await balanceOf(token, owner, signer);
  if (held < amount) {
    const { symbol, decimals } = await tokenLabel(token, signer);
    throw new InputError(
      source,
      undefined,
      "deposit",
      `${formatToken(amount, symbol, decimals)} needed; ${owner} holds ${formatToken(held, symbol, decimals)}`,
    );
  }
  const signed = permit === "auto" ? await permitIfShort(token, signer, spender, amount, deadline) : undefined;
  if (signed !== undefined) return escrow.multicall([encodeSelfPermit(token, signed), call]);
  await preparePayment(token, signer, spender, amount, source, "deposit");
  return signer.sendTransaction({ to: spender, data: call }) as Promise<ContractTransactionResponse>;
}

/**
 * Opens a lease with a provider's signed quote: checks the quote against the escrow first (its
 * own error if it would refuse), then sends one transaction (with a permit for the deposit when
 * the token has one and the allowance is short). `sessionKey` is the key whose receipts count
 * besides the customer's own (zero address for none).
 */
export async function openLease(
  h: EscrowHandle,
  signer: Signer,
  signed: SignedQuote,
  deposit: bigint,
  sessionKey: string = ZeroAddress,
  opts: PayOptions = {},
): Promise<bigint> {
  const source = opts.source ?? "openLease";
  if (deposit === 0n) throw new InputError(source, undefined, "deposit", "the deposit must be positive");
  await checkQuote(h, signer, signed, source);
  const { quote, signature } = signed;
  const tx = await sendPaying(
    h,
    signer,
    quote.token,
    deposit,
    quote.expiry,
    encodeOpenLease(quote, signature, deposit, sessionKey),
    source,
    opts.permit ?? "auto",
  );
  return receiptEvent(h.escrow, await mined(tx), "LeaseOpened").args.leaseId as bigint;
}

/**
 * Renews an open lease with the provider's new quote in one transaction: the old lease is paid
 * through now and closed, and what is left of its deposit, with `added`, opens the next lease on
 * the same node with the same session key. Checked against the escrow first (its own error if it
 * would refuse); `added` is permitted in the same transaction when the token allows it. Returns
 * the new lease's id.
 */
export async function renewLease(
  h: EscrowHandle,
  signer: Signer,
  leaseId: bigint,
  signed: SignedQuote,
  added = 0n,
  opts: PayOptions = {},
): Promise<bigint> {
  const source = opts.source ?? "renewLease";
  checkDomain(signed, await escrowDomainOf(h), source);
  const escrow = h.escrow.connect(signer);
  const { quote, signature } = signed;
  const l = await escrow.lease(leaseId);
  const same = (x: string, y: string) => x.toLowerCase() === y.toLowerCase();
  if (
    quote.nodeId !== l.nodeId ||
    !same(quote.token, l.token) ||
    !same(quote.customer, l.customer) ||
    isReservationQuote(quote)
  ) {
    throw new InputError(
      source,
      undefined,
      "quote",
      `is not a lease quote for lease ${leaseId}'s node ${l.nodeId}, customer ${l.customer} and token ${l.token}`,
    );
  }
  // The dry run adds nothing (it needs no allowance); with something to add, a lease with
  // nothing left may still renew, so only then is `ZeroAmount` no refusal.
  const dry = () =>
    escrow.renewLease.staticCall(leaseId, quote.pricePerTuHour, quote.expiry, quote.nonce, signature, 0n);
  if (added === 0n) await dry();
  else await dryRun([h.escrow.interface], "ZeroAmount", dry);
  const call = encodeRenewLease(leaseId, quote, signature, added);
  const tx =
    added === 0n
      ? ((await signer.sendTransaction({ to: await escrow.getAddress(), data: call })) as ContractTransactionResponse)
      : await sendPaying(h, signer, quote.token, added, quote.expiry, call, source, opts.permit ?? "auto");
  return receiptEvent(h.escrow, await mined(tx), "LeaseRenewed").args.newLeaseId as bigint;
}

/**
 * Reserves a node for the quote's window with a provider's signed reservation quote. The deposit
 * must be more than the reservation fee (`reservationFee` of the escrow), which pays for the
 * whole hold; refused before anything is sent otherwise.
 */
export async function reserve(
  h: EscrowHandle,
  signer: Signer,
  signed: SignedQuote,
  deposit: bigint,
  opts: PayOptions = {},
): Promise<bigint> {
  const source = opts.source ?? "reserve";
  await checkQuote(h, signer, signed, source);
  const { quote, signature } = signed;
  const [fee] = await h.escrow.reservationFee(
    quote.nodeId,
    quote.pricePerTuHour,
    quote.windowStart,
    quote.windowDuration,
  );
  if (deposit <= fee) {
    const { symbol, decimals } = await tokenLabel(quote.token, signer);
    throw new InputError(
      source,
      undefined,
      "deposit",
      `${formatToken(deposit, symbol, decimals)} does not cover the reservation fee of ${formatToken(fee, symbol, decimals)} and some lease time`,
    );
  }
  const tx = await sendPaying(
    h,
    signer,
    quote.token,
    deposit,
    quote.expiry,
    encodeReserve(quote, signature, deposit),
    source,
    opts.permit ?? "auto",
  );
  return receiptEvent(h.escrow, await mined(tx), "Reserved").args.reservationId as bigint;
}

/** Adds `amount` to a lease's deposit, approving it first; a closed lease or missing funds fail before anything is sent. */
export async function topUp(
  h: EscrowHandle,
  signer: Signer,
  leaseId: bigint,
  amount: bigint,
  source: Source = "topUp",
): Promise<void> {
  const escrow = h.escrow.connect(signer);
  await dryRun([h.escrow.interface], "ZeroAmount", () => escrow.topUp.staticCall(leaseId, 0n));
  const l = await escrow.lease(leaseId);
  await preparePayment(l.token, signer, await escrow.getAddress(), amount, source, "amount");
  await mined(escrow.topUp(leaseId, amount));
}

/** Names a new session key of an open lease (the customer only); the old key's receipts count up to now. */
export async function setSessionKey(h: EscrowHandle, signer: Signer, leaseId: bigint, key: string): Promise<void> {
  const escrow = h.escrow.connect(signer);
  await escrow.setSessionKey.staticCall(leaseId, key);
  await mined(escrow.setSessionKey(leaseId, key));
}

/** What a collect did: the lease's cumulative pay after it, what it added and the fee on that. */
export interface CollectResult {
  paid: bigint;
  collected: bigint;
  fee: bigint;
  /** The time the receipt paid up to, as the escrow capped it (now, the close, the key's end). */
  paidThrough: bigint;
}

/**
 * Collects a receipt for the lease's provider (anyone may send it). A receipt that covers no more
 * than was already paid is refused before sending, as it would change nothing.
 */
export async function collect(
  h: EscrowHandle,
  signer: Signer,
  signed: Pick<SignedReceipt, "receipt" | "signature"> & Partial<SignedReceipt>,
  source: Source = "collect",
): Promise<CollectResult> {
  if (signed.chainId !== undefined && signed.escrow !== undefined) {
    checkDomain({ chainId: signed.chainId, escrow: signed.escrow }, await escrowDomainOf(h), source);
  }
  const { leaseId, paidThrough } = signed.receipt;
  const escrow = h.escrow.connect(signer);
  const before = (await escrow.lease(leaseId)).paid;
  const after = await escrow.collect.staticCall(leaseId, paidThrough, signed.signature);
  if (after <= before) {
    throw new InputError(
      source,
      undefined,
      "paidThrough",
      `lease ${leaseId} is already paid for as far as this receipt reaches`,
    );
  }
  const receipt = await mined(escrow.collect(leaseId, paidThrough, signed.signature));
  const event = receiptEvent(h.escrow, receipt, "Collected");
  return {
    paid: event.args.paid as bigint,
    collected: (event.args.paid as bigint) - before,
    fee: event.args.fee as bigint,
    paidThrough: event.args.paidThrough as bigint,
  };
}

/** A lease's money once it is final. */
export interface FinalResult {
  paid: bigint;
  refund: bigint;
  /** For a lease from a reservation: the window's part of the fee the provider earned. */
  windowFee: bigint;
}

/** What closing a lease did: final at once (the provider's close, a spent deposit) or a collect window. */
export interface CloseResult {
  /** The end of the provider's collect window when the customer closed; zero when final. */
  collectDeadline: bigint;
  /** Set when the close settled the lease for good. */
  final: FinalResult | undefined;
}

function finalOf(h: EscrowHandle, receipt: Parameters<typeof receiptEvents>[1]): FinalResult | undefined {
  const [event] = receiptEvents(h.escrow, receipt, "LeaseFinalized");
  if (event === undefined) return undefined;
  return { paid: event.args.paid, refund: event.args.refund, windowFee: event.args.windowFee };
}

/**
 * Closes a lease. The provider or its operator closes with its last receipt (optional) and the
 * lease is final at once; the customer's close frees the node and opens the provider's collect
 * window; anyone may close a lease whose deposit is spent. Dry-run first: a close the escrow
 * refuses fails with its own error.
 */
export async function closeLease(
  h: EscrowHandle,
  signer: Signer,
  leaseId: bigint,
  receipt?: Pick<SignedReceipt, "receipt" | "signature">,
): Promise<CloseResult> {
  const escrow = h.escrow.connect(signer);
  if (receipt !== undefined && receipt.receipt.leaseId !== leaseId) {
    throw new Error(`the receipt is for lease ${receipt.receipt.leaseId}, not ${leaseId}`);
  }
  const paidThrough = receipt?.receipt.paidThrough ?? 0n;
  const signature = receipt?.signature ?? "0x";
  await escrow.closeLease.staticCall(leaseId, paidThrough, signature);
  const mined_ = await mined(escrow.closeLease(leaseId, paidThrough, signature));
  const [closed] = receiptEvents(h.escrow, mined_, "LeaseClosed");
  return { collectDeadline: (closed?.args.collectDeadline as bigint | undefined) ?? 0n, final: finalOf(h, mined_) };
}

/** Refunds the rest of a lease the customer closed once its collect window has ended (anyone). */
export async function finalize(h: EscrowHandle, signer: Signer, leaseId: bigint): Promise<FinalResult> {
  const escrow = h.escrow.connect(signer);
  await escrow.finalize.staticCall(leaseId);
  return finalOf(h, await mined(escrow.finalize(leaseId)))!;
}

/**
 * Starts a reservation in its window (the customer), adding `added` to the deposit (approved
 * first) and naming the lease's session key; returns the moment the provider must accept by.
 */
export async function startReservation(
  h: EscrowHandle,
  signer: Signer,
  reservationId: bigint,
  opts: { added?: bigint; sessionKey?: string; source?: Source } = {},
): Promise<bigint> {
  const escrow = h.escrow.connect(signer);
  const added = opts.added ?? 0n;
  const sessionKey = opts.sessionKey ?? ZeroAddress;
  await escrow.startReserved.staticCall(reservationId, 0n, sessionKey);
  if (added > 0n) {
    const r = await escrow.reservation(reservationId);
    await preparePayment(r.token, signer, await escrow.getAddress(), added, opts.source ?? "startReserved", "added");
  }
  const receipt = await mined(escrow.startReserved(reservationId, added, sessionKey));
  return receiptEvent(h.escrow, receipt, "StartRequested").args.acceptBy as bigint;
}

/** Accepts a started reservation (the provider or its operator): its lease opens now; returns the lease id. */
export async function acceptStart(h: EscrowHandle, signer: Signer, reservationId: bigint): Promise<bigint> {
  const escrow = h.escrow.connect(signer);
  await escrow.acceptStart.staticCall(reservationId);
  const receipt = await mined(escrow.acceptStart(reservationId));
  return receiptEvent(h.escrow, receipt, "LeaseOpened").args.leaseId as bigint;
}

/** How a reservation ended. */
export interface ReservationEnd {
  status: (typeof RESERVATION_STATUS)[number];
  feeEarned: bigint;
  refund: bigint;
  /** The provider's stake taken to the treasury, for a failed reservation. */
  penalty: bigint;
}

async function endReservation(
  h: EscrowHandle,
  send: () => Promise<ContractTransactionResponse>,
  check: () => Promise<unknown>,
): Promise<ReservationEnd> {
  await check();
  const event = receiptEvent(h.escrow, await mined(send()), "ReservationEnded");
  return {
    status: RESERVATION_STATUS[Number(event.args.status)]!,
    feeEarned: event.args.feeEarned,
    refund: event.args.refund,
    penalty: event.args.penalty,
  };
}

/** Fails a reservation whose start was not accepted in time or whose node went down (anyone). */
export function failReservation(h: EscrowHandle, signer: Signer, reservationId: bigint): Promise<ReservationEnd> {
  const escrow = h.escrow.connect(signer);
  return endReservation(
    h,
    () => escrow.failReservation(reservationId),
    () => escrow.failReservation.staticCall(reservationId),
  );
}

/** Cancels a reservation: the customer's cancel leaves the fee to the provider; the provider's fails it. */
export function cancelReservation(h: EscrowHandle, signer: Signer, reservationId: bigint): Promise<ReservationEnd> {
  const escrow = h.escrow.connect(signer);
  return endReservation(
    h,
    () => escrow.cancelReservation(reservationId),
    () => escrow.cancelReservation.staticCall(reservationId),
  );
}

/** Ends a reservation nobody started after its deadline (anyone). */
export function expireReservation(h: EscrowHandle, signer: Signer, reservationId: bigint): Promise<ReservationEnd> {
  const escrow = h.escrow.connect(signer);
  return endReservation(
    h,
    () => escrow.expireReservation(reservationId),
    () => escrow.expireReservation.staticCall(reservationId),
  );
}

/** How many ids one log filter ORs together: endpoints cap the topics of a filter. */
const IDS_PER_FILTER = 100;

/**
 * A topic that matches any of `ids`: ethers ORs the values of an array in a topic, which
 * typechain's filter types (one value per indexed argument) do not spell.
 */
const anyOf = (ids: bigint[]) => ids as unknown as bigint;

/** `ids` in slices an endpoint takes as one topic list. */
function slices<T>(ids: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_FILTER) out.push(ids.slice(i, i + IDS_PER_FILTER));
  return out;
}

/** A provider's leases and reservations, read from its own nodes' events. */
export interface ProviderHistory {
  /** Every lease on the provider's nodes, ascending (those started from reservations included). */
  leases: bigint[];
  /** Every reservation of the provider's nodes, ascending. */
  reservations: bigint[];
  /** The tokens those leases and reservations were paid in. */
  tokens: string[];
}

const ascending = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A provider's leases, reservations and payment tokens: `LeaseOpened` and `Reserved` index the
 * node, and a node never changes provider. Reads only this provider's events from `fromBlock` (the
 * escrow's deployment block, from the address book), so the cost grows with its own leases, not
 * with the escrow's; an endpoint that caps a log query's range is asked again over smaller ranges.
 * A reservation's token is read from the reservation (its event does not carry it).
 */
export async function providerHistory(
  h: EscrowHandle,
  provider: string,
  opts: { fromBlock?: number } = {},
): Promise<ProviderHistory> {
  return nodeEvents(h, provider, opts, true);
}

/**
 * Every lease id on a provider's nodes, ascending, from its nodes' `LeaseOpened` events only (see
 * {@link providerHistory}): no lease or reservation is read.
 */
export async function providerLeases(
  h: EscrowHandle,
  provider: string,
  opts: { fromBlock?: number } = {},
): Promise<bigint[]> {
  return (await nodeEvents(h, provider, opts, false)).leases;
}

async function nodeEvents(
  { escrow, registry }: EscrowHandle,
  provider: string,
  opts: { fromBlock?: number },
  withReservations: boolean,
): Promise<ProviderHistory> {
  const fromBlock = opts.fromBlock ?? 0;
  // One end for every query, so both event kinds describe the same chain.
  const toBlock = await escrow.runner!.provider!.getBlockNumber();
  const nodeIds = (await listNodes(registry, { provider })).map((n) => n.id);
  const leases = new Set<bigint>();
  const reservations = new Set<bigint>();
  const tokens = new Set<string>();
  for (const nodes of slices(nodeIds)) {
    const opened = escrow.filters.LeaseOpened(undefined, anyOf(nodes));
    for (const log of await inRanges((from, to) => escrow.queryFilter(opened, from, to), fromBlock, toBlock)) {
      leases.add(log.args.leaseId);
      tokens.add(log.args.token);
    }
    if (!withReservations) continue;
    const reserved = escrow.filters.Reserved(undefined, anyOf(nodes));
    for (const log of await inRanges((from, to) => escrow.queryFilter(reserved, from, to), fromBlock, toBlock)) {
      if (reservations.has(log.args.reservationId)) continue;
      reservations.add(log.args.reservationId);
      tokens.add((await escrow.reservation(log.args.reservationId)).token);
    }
  }
  return { leases: [...leases].sort(ascending), reservations: [...reservations].sort(ascending), tokens: [...tokens] };
}

/** One token's withdrawal. */
export interface Withdrawal {
  token: string;
  amount: bigint;
  to: string;
}

/**
 * Withdraws a provider's earnings, one transaction per token with earnings, to `to`. The signer
 * is the provider (any recipient; default itself) or, with `provider` set to another address, its
 * operator (paid to the provider only, as the escrow allows). Tokens default to those of the
 * provider's leases and reservations since `fromBlock`.
 */
export async function withdrawAll(
  h: EscrowHandle,
  signer: Signer,
  opts: { to?: string; provider?: string; tokens?: string[]; fromBlock?: number; source?: Source } = {},
): Promise<Withdrawal[]> {
  const source = opts.source ?? "withdraw";
  const me = await signer.getAddress();
  const provider = opts.provider ?? me;
  const asOperator = provider.toLowerCase() !== me.toLowerCase();
  const to = opts.to ?? provider;
  if (asOperator) {
    if ((await h.registry.operatorOf(provider)).toLowerCase() !== me.toLowerCase()) {
      throw new InputError(source, undefined, "account", `${me} is not the operator of ${provider}`);
    }
    if (to.toLowerCase() !== provider.toLowerCase()) {
      throw new InputError(source, undefined, "to", `an operator withdraws only to the provider ${provider}`);
    }
  }
  if (to === ZeroAddress) throw new InputError(source, undefined, "to", "the zero address cannot receive");
  const tokens = opts.tokens ?? (await providerHistory(h, provider, opts)).tokens;
  const escrow = h.escrow.connect(signer);
  const out: Withdrawal[] = [];
  for (const token of tokens) {
    const amount = await escrow.earnings(provider, token);
    if (amount === 0n) continue;
    await mined(asOperator ? escrow.withdrawFor(provider, token) : escrow.withdraw(token, to));
    out.push({ token, amount, to });
  }
  return out;
}
