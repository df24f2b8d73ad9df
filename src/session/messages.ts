// The lease session's messages: what a customer's client (the web app, `gpufog customer run`, or
// anyone's) and a provider's agent (ours, or anyone's) send each other over the agent's HTTP API.
// Each request and answer is a JSON object with a `format`; each parser checks it field by field
// and refuses bad input with one line naming the field (`POST /quote, field "customer": …`).
// Quotes and receipts travel in their file formats (`gpufog-quote-v1`, `gpufog-receipt-v1`);
// presence and access requests are EIP-191 personal messages whose text is built here, so any
// client signs and checks them with its own `signMessage` / `verifyMessage`.
// Browser-safe: no Node built-in and no client library is imported here.
import { InputError } from "../errors.js";
import { parseSignedQuote, parseSignedReceipt, type SignedQuote, type SignedReceipt } from "../market/quote.js";

export const QUOTE_REQUEST_FORMAT = "gpufog-quote-request-v1";
export const RECEIPT_ACK_FORMAT = "gpufog-receipt-ack-v1";
export const PRESENCE_FORMAT = "gpufog-presence-v1";
export const ACCESS_REQUEST_FORMAT = "gpufog-access-request-v1";
export const ACCESS_FORMAT = "gpufog-access-v1";
export const API_ERROR_FORMAT = "gpufog-api-error-v1";

/**
 * The agent's routes, relative to the node's endpoint (the registry's URI). A lease's best stored
 * receipt is at `GET /receipts/<leaseId>` (`receiptPath`).
 */
export const SESSION_ROUTES = {
  quote: "/quote",
  receipts: "/receipts",
  presence: "/presence",
  access: "/access",
} as const;

/** The largest request body the agent reads by default; a receipt or a request is under 1 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
/** How far an access request's `at` may be from the agent's clock, in seconds. */
export const ACCESS_REQUEST_MAX_SKEW = 300;
/** The node statuses a presence may report (the registry's, by name). */
export const PRESENCE_STATUSES = ["Idle", "Sharing", "Reserved", "Disconnect"] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

/** A customer's request for a quote: a lease quote, or a reservation's with a window. */
export interface QuoteRequest {
  nodeId: bigint;
  customer: string;
  /** The payment token; the node's listed token if left out. */
  token?: string;
  /** For a reservation: when the window starts (unix seconds). */
  windowStart?: bigint;
  /** For a reservation: the window's length in seconds. */
  windowDuration?: bigint;
}

/** The agent's answer to a stored receipt: the lease is paid through `paidThrough` by its best receipt. */
export interface ReceiptAck {
  leaseId: bigint;
  /** The best receipt's `paidThrough` the agent now holds for the lease. */
  paidThrough: bigint;
  stored: true;
}

/** A node's presence, signed by the provider's operator key (EIP-191, `presenceMessage`). */
export interface Presence {
  chainId: bigint;
  /** The registry the node is registered in. */
  registry: string;
  nodeId: bigint;
  /** When the agent signed it (unix seconds, the agent's clock). */
  at: bigint;
  status: PresenceStatus;
}

export interface SignedPresence {
  presence: Presence;
  /** The address that signed (the operator, or the provider itself). */
  signer: string;
  signature: string;
}

/** A request for a lease's access, signed by the lease's session key (EIP-191, `accessMessage`). */
export interface AccessRequest {
  chainId: bigint;
  escrow: string;
  leaseId: bigint;
  /** When the client signed it (unix seconds); the agent refuses one further than 5 minutes off. */
  at: bigint;
}

export interface SignedAccessRequest {
  request: AccessRequest;
  signature: string;
}

/** What the provider's start hook returned for a lease, handed to its session key. */
export interface AccessAnswer {
  leaseId: bigint;
  /** The start hook's JSON object, as it wrote it (a host, a port, a token, …). */
  access: Record<string, unknown>;
}

/** The agent's refusal: its HTTP status and one line. */
export interface ApiError {
  status: number;
  error: string;
}

/** Reads the fields of one JSON object, each refusal one line naming `where` and the field's path. */
class Fields {
  private constructor(
    private readonly where: string,
    private readonly value: Record<string, unknown>,
    private readonly prefix: string,
  ) {}

  static of(where: string, value: unknown, path = ""): Fields {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InputError(where, undefined, path || undefined, "is not a JSON object");
    }
    return new Fields(where, value as Record<string, unknown>, path);
  }

  private name(key: string): string {
    return this.prefix === "" ? key : `${this.prefix}.${key}`;
  }

  fail(key: string, problem: string): never {
    throw new InputError(this.where, undefined, this.name(key), problem);
  }

  /** Refuses a field not in `known`: a typo would otherwise be ignored silently. */
  only(known: readonly string[]): void {
    for (const key of Object.keys(this.value)) {
      if (!known.includes(key)) this.fail(key, "is not a field of this message");
    }
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  raw(key: string): unknown {
    if (!(key in this.value) || this.value[key] === undefined) this.fail(key, "is missing");
    return this.value[key];
  }

  string(key: string, max = 256): string {
    const v = this.raw(key);
    if (typeof v !== "string") this.fail(key, `is ${short(v)}, not a string`);
    if (v.length > max) this.fail(key, `is longer than ${max} characters`);
    return v;
  }

  uint(key: string, bits = 256): bigint {
    const v = this.raw(key);
    const s = typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
    if (typeof s !== "string" || !/^[0-9]{1,78}$/.test(s)) {
      this.fail(key, `${short(v)} is not a whole number (write it as a decimal string)`);
    }
    const n = BigInt(s);
    if (n >= 1n << BigInt(bits)) this.fail(key, `${s} does not fit a uint${bits}`);
    return n;
  }

  address(key: string): string {
    const v = this.string(key, 42);
    if (!/^0x[0-9a-fA-F]{40}$/.test(v)) this.fail(key, `${short(v)} is not an address`);
    return v;
  }

  signature(key: string): string {
    const v = this.string(key, 2 + 2 * 1024);
    if (!/^0x([0-9a-fA-F]{2})+$/.test(v)) this.fail(key, `${short(v)} is not a 0x-prefixed hex signature`);
    return v;
  }

  format(expected: string): void {
    const v = this.raw("format");
    if (v !== expected) this.fail("format", `is ${short(v)}, expected "${expected}"`);
  }

  object(key: string): Fields {
    return Fields.of(this.where, this.raw(key), this.name(key));
  }

  record(key: string): Record<string, unknown> {
    const v = this.raw(key);
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(key, "is not a JSON object");
    return v as Record<string, unknown>;
  }
}

/** A value for a one-line message: JSON, cut short. */
function short(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The JSON text of a body, or one line saying where the syntax breaks. */
export function parseJsonBody(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(where, undefined, undefined, `is not JSON: ${(error as Error).message.split("\n")[0]}`);
  }
}

const body = (json: unknown, where: string) => (typeof json === "string" ? parseJsonBody(json, where) : json);
const text = (n: bigint) => n.toString();

// ---------------------------------------------------------------- quotes

/** A quote request as JSON (numbers as decimal strings). */
export function quoteRequestToJson(r: QuoteRequest): Record<string, unknown> {
  return {
    format: QUOTE_REQUEST_FORMAT,
    nodeId: text(r.nodeId),
    customer: r.customer,
    ...(r.token === undefined ? {} : { token: r.token }),
    ...(r.windowStart === undefined ? {} : { windowStart: text(r.windowStart) }),
    ...(r.windowDuration === undefined ? {} : { windowDuration: text(r.windowDuration) }),
  };
}

/**
 * A quote request (its JSON text or object), checked field by field. A window needs both its
 * start and its length; the `format` field may be left out.
 */
export function parseQuoteRequest(json: unknown, where = "quote request"): QuoteRequest {
  const f = Fields.of(where, body(json, where));
  f.only(["format", "nodeId", "customer", "token", "windowStart", "windowDuration"]);
  if (f.has("format")) f.format(QUOTE_REQUEST_FORMAT);
  const nodeId = f.uint("nodeId", 64);
  if (nodeId === 0n) f.fail("nodeId", "must be a node id (1 or more)");
  const request: QuoteRequest = { nodeId, customer: f.address("customer") };
  if (f.has("token")) request.token = f.address("token");
  if (f.has("windowStart") !== f.has("windowDuration")) {
    f.fail(f.has("windowStart") ? "windowDuration" : "windowStart", "is missing: a window needs its start and length");
  }
  if (f.has("windowStart")) {
    request.windowStart = f.uint("windowStart", 40);
    request.windowDuration = f.uint("windowDuration", 40);
    if (request.windowDuration === 0n) f.fail("windowDuration", "must be at least 1 second");
  }
  return request;
}

/** The agent's quote (the quote file format), checked field by field. */
export function parseQuoteAnswer(json: unknown, where = "quote answer"): SignedQuote {
  return parseSignedQuote(body(json, where), where);
}

// ---------------------------------------------------------------- receipts

/** A receipt sent to the agent (the receipt file format), checked field by field. */
export function parseReceiptSubmission(json: unknown, where = "receipt"): SignedReceipt {
  const signed = parseSignedReceipt(body(json, where), where);
  if (signed.receipt.leaseId === 0n) throw new InputError(where, undefined, "receipt.leaseId", "must be a lease id");
  if (signed.receipt.paidThrough >= 1n << 40n) {
    throw new InputError(where, undefined, "receipt.paidThrough", "does not fit a uint40 timestamp");
  }
  return signed;
}

export function receiptAckToJson(ack: ReceiptAck): Record<string, unknown> {
  return { format: RECEIPT_ACK_FORMAT, leaseId: text(ack.leaseId), paidThrough: text(ack.paidThrough), stored: true };
}

export function parseReceiptAck(json: unknown, where = "receipt answer"): ReceiptAck {
  const f = Fields.of(where, body(json, where));
  f.format(RECEIPT_ACK_FORMAT);
  if (f.raw("stored") !== true) f.fail("stored", "is not true");
  return { leaseId: f.uint("leaseId"), paidThrough: f.uint("paidThrough"), stored: true };
}

/**
 * The path of a lease's best stored receipt, `GET /receipts/<leaseId>`: the agent answers it in
 * the receipt file format (`gpufog-receipt-v1`), or 404 while it holds none. Receipts are not
 * secret: anyone may fetch one and send `collect`, which always pays the provider.
 */
export function receiptPath(leaseId: bigint): string {
  return `${SESSION_ROUTES.receipts}/${leaseId}`;
}

/**
 * The lease id of a `receiptPath`, `undefined` for a path that is not one, or a refusal naming
 * `where` when the id is not a lease id.
 */
export function parseReceiptPath(pathname: string, where = "GET /receipts"): bigint | undefined {
  const prefix = `${SESSION_ROUTES.receipts}/`;
  if (!pathname.startsWith(prefix)) return undefined;
  const id = pathname.slice(prefix.length);
  if (!/^[1-9][0-9]{0,18}$/.test(id) || BigInt(id) >= 1n << 64n) {
    throw new InputError(where, undefined, "leaseId", `${short(id)} is not a lease id`);
  }
  return BigInt(id);
}

/**
 * The agent's answer to `GET /receipts/<leaseId>` (the receipt file format), checked field by
 * field and refused unless it is a receipt of `leaseId` (not its signature: the escrow checks that
 * at `collect`, and `collectable` says what it would pay).
 */
export function parseReceiptAnswer(json: unknown, leaseId: bigint, where = "receipt answer"): SignedReceipt {
  const signed = parseReceiptSubmission(json, where);
  if (signed.receipt.leaseId !== leaseId) {
    throw new InputError(where, undefined, "receipt.leaseId", `is ${signed.receipt.leaseId}, not lease ${leaseId}`);
  }
  return signed;
}

// ---------------------------------------------------------------- presence

/** The text an operator signs (EIP-191 `personal_sign`) for a node's presence. */
export function presenceMessage(p: Presence): string {
  return [
    "gpufog presence",
    `chain: ${p.chainId}`,
    `registry: ${p.registry.toLowerCase()}`,
    `node: ${p.nodeId}`,
    `at: ${p.at}`,
    `status: ${p.status}`,
  ].join("\n");
}

export function presenceToJson(s: SignedPresence): Record<string, unknown> {
  const p = s.presence;
  return {
    format: PRESENCE_FORMAT,
    chainId: text(p.chainId),
    registry: p.registry,
    nodeId: text(p.nodeId),
    at: text(p.at),
    status: p.status,
    signer: s.signer,
    signature: s.signature,
  };
}

/**
 * A signed presence, checked field by field (not its signature: check that `verifyMessage(
 * presenceMessage(presence), signature)` is `signer`, and that `signer` is the node's provider or
 * its operator in the registry).
 */
export function parsePresence(json: unknown, where = "presence"): SignedPresence {
  const f = Fields.of(where, body(json, where));
  f.format(PRESENCE_FORMAT);
  const status = f.string("status", 16);
  if (!(PRESENCE_STATUSES as readonly string[]).includes(status)) {
    f.fail("status", `is ${short(status)}, not one of ${PRESENCE_STATUSES.join(", ")}`);
  }
  return {
    presence: {
      chainId: f.uint("chainId"),
      registry: f.address("registry"),
      nodeId: f.uint("nodeId", 64),
      at: f.uint("at", 40),
      status: status as PresenceStatus,
    },
    signer: f.address("signer"),
    signature: f.signature("signature"),
  };
}

// ---------------------------------------------------------------- access

/** The text a lease's session key signs (EIP-191 `personal_sign`) to ask for the lease's access. */
export function accessMessage(r: AccessRequest): string {
  return [
    "gpufog access",
    `chain: ${r.chainId}`,
    `escrow: ${r.escrow.toLowerCase()}`,
    `lease: ${r.leaseId}`,
    `at: ${r.at}`,
  ].join("\n");
}

export function accessRequestToJson(s: SignedAccessRequest): Record<string, unknown> {
  const r = s.request;
  return {
    format: ACCESS_REQUEST_FORMAT,
    chainId: text(r.chainId),
    escrow: r.escrow,
    leaseId: text(r.leaseId),
    at: text(r.at),
    signature: s.signature,
  };
}

/** An access request, checked field by field (the agent checks the signature against the chain). */
export function parseAccessRequest(json: unknown, where = "access request"): SignedAccessRequest {
  const f = Fields.of(where, body(json, where));
  f.only(["format", "chainId", "escrow", "leaseId", "at", "signature"]);
  f.format(ACCESS_REQUEST_FORMAT);
  const leaseId = f.uint("leaseId", 64);
  if (leaseId === 0n) f.fail("leaseId", "must be a lease id");
  return {
    request: { chainId: f.uint("chainId"), escrow: f.address("escrow"), leaseId, at: f.uint("at", 40) },
    signature: f.signature("signature"),
  };
}

export function accessAnswerToJson(a: AccessAnswer): Record<string, unknown> {
  return { format: ACCESS_FORMAT, leaseId: text(a.leaseId), access: a.access };
}

export function parseAccessAnswer(json: unknown, where = "access answer"): AccessAnswer {
  const f = Fields.of(where, body(json, where));
  f.format(ACCESS_FORMAT);
  return { leaseId: f.uint("leaseId", 64), access: f.record("access") };
}

// ---------------------------------------------------------------- errors

export function apiErrorToJson(e: ApiError): Record<string, unknown> {
  return { format: API_ERROR_FORMAT, status: e.status, error: e.error };
}

export function parseApiError(json: unknown, where = "error answer"): ApiError {
  const f = Fields.of(where, body(json, where));
  f.format(API_ERROR_FORMAT);
  return { status: Number(f.uint("status", 16)), error: f.string("error", 4096) };
}
