// Quotes and receipts as a client builds them and as files carry them: a fresh quote with a dense
// single-use nonce and an expiry, and the JSON a provider hands to a customer (`quote:sign`
// writes it, `lease:open --quote` reads it) and a customer hands to a provider (`receipt:sign`,
// `lease:collect --receipt`). Parsing refuses bad input with one line naming the file and the
// field. Browser-safe: no client library is imported here; the signing is typed-data.ts's.
import { InputError } from "../errors.js";
import type { EscrowDomain, Quote, Receipt } from "./typed-data.js";

/** The `format` of a quote file. */
export const QUOTE_FORMAT = "gpufog-quote-v1";
/** The `format` of a receipt file. */
export const RECEIPT_FORMAT = "gpufog-receipt-v1";
/** The escrow's default `maxQuoteAge`: a quote's expiry may be at most this far ahead. */
export const DEFAULT_QUOTE_TTL = 600n;

/** A quote with its signature and the escrow and chain it is for. */
export interface SignedQuote {
  chainId: bigint;
  escrow: string;
  quote: Quote;
  signature: string;
}

/** A receipt with its signature and the escrow and chain it is for. */
export interface SignedReceipt {
  chainId: bigint;
  escrow: string;
  receipt: Receipt;
  signature: string;
}

const COUNTER_BITS = 16n;
let sequence = { base: 0n, next: 1n << COUNTER_BITS };

/**
 * The next quote nonce of this process: `seconds << 32 | random 16 bits << 16 | counter`. The
 * escrow keeps a provider's used nonces as a bitmap of 256-nonce words, and the first nonce of a
 * word costs a fresh storage slot (about 20,000 gas more) where the others cost an update: dense
 * nonces make most quotes' nonce cheap, and 8 bytes of calldata instead of 32 (the larger part of
 * an OP Stack transaction's fee). The seconds keep a restarted process past its old nonces; the
 * random bits keep two processes of one provider apart; a used-up counter takes a new base.
 */
export function nextQuoteNonce(nowSeconds: bigint = BigInt(Math.floor(Date.now() / 1000))): bigint {
  if (sequence.next >= 1n << COUNTER_BITS) {
    const random = new Uint16Array(1);
    globalThis.crypto.getRandomValues(random);
    // A new base must not fall below the last: a clock set back would otherwise reuse nonces.
    const seconds = nowSeconds > sequence.base >> 32n ? nowSeconds : (sequence.base >> 32n) + 1n;
    sequence = { base: (seconds << 32n) | (BigInt(random[0]!) << COUNTER_BITS), next: 0n };
  }
  return sequence.base | sequence.next++;
}

/** What a provider offers: a lease quote when `windowDuration` is 0 or left out. */
export interface QuoteTerms {
  nodeId: bigint;
  customer: string;
  token: string;
  pricePerTuHour: bigint;
  windowStart?: bigint;
  windowDuration?: bigint;
}

/**
 * A quote valid from `now` (the chain's time) for `ttl` seconds (at most the escrow's
 * `maxQuoteAge`), with the next nonce of {@link nextQuoteNonce}.
 */
export function buildQuote(terms: QuoteTerms, now: bigint, ttl: bigint = DEFAULT_QUOTE_TTL): Quote {
  if (ttl <= 0n) throw new RangeError("a quote's time to live must be positive");
  return {
    nodeId: terms.nodeId,
    customer: terms.customer,
    token: terms.token,
    pricePerTuHour: terms.pricePerTuHour,
    windowStart: terms.windowStart ?? 0n,
    windowDuration: terms.windowDuration ?? 0n,
    expiry: now + ttl,
    nonce: nextQuoteNonce(),
  };
}

/** Whether a quote is for a reservation window rather than a lease. */
export function isReservationQuote(quote: Quote): boolean {
  return quote.windowStart !== 0n || quote.windowDuration !== 0n;
}

const text = (n: bigint) => n.toString();

/** A signed quote as the JSON object of a quote file (numbers as decimal strings). */
export function quoteToJson(signed: SignedQuote): Record<string, unknown> {
  const q = signed.quote;
  return {
    format: QUOTE_FORMAT,
    chainId: text(signed.chainId),
    escrow: signed.escrow,
    quote: {
      nodeId: text(q.nodeId),
      customer: q.customer,
      token: q.token,
      pricePerTuHour: text(q.pricePerTuHour),
      windowStart: text(q.windowStart),
      windowDuration: text(q.windowDuration),
      expiry: text(q.expiry),
      nonce: text(q.nonce),
    },
    signature: signed.signature,
  };
}

/** A signed receipt as the JSON object of a receipt file. */
export function receiptToJson(signed: SignedReceipt): Record<string, unknown> {
  return {
    format: RECEIPT_FORMAT,
    chainId: text(signed.chainId),
    escrow: signed.escrow,
    receipt: { leaseId: text(signed.receipt.leaseId), paidThrough: text(signed.receipt.paidThrough) },
    signature: signed.signature,
  };
}

/** Reads the fields of one JSON object, each refusal naming `file` and the field's path. */
class Fields {
  constructor(
    private readonly file: string,
    private readonly value: Record<string, unknown>,
    private readonly prefix = "",
  ) {}

  static of(file: string, value: unknown, path: string): Fields {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InputError(file, undefined, path || undefined, "is not a JSON object");
    }
    return new Fields(file, value as Record<string, unknown>, path);
  }

  private name(key: string): string {
    return this.prefix === "" ? key : `${this.prefix}.${key}`;
  }

  private fail(key: string, problem: string): never {
    throw new InputError(this.file, undefined, this.name(key), problem);
  }

  raw(key: string): unknown {
    if (!(key in this.value)) this.fail(key, "is missing");
    return this.value[key];
  }

  string(key: string): string {
    const v = this.raw(key);
    if (typeof v !== "string") this.fail(key, `is ${JSON.stringify(v)}, not a string`);
    return v;
  }

  uint(key: string): bigint {
    const v = this.raw(key);
    const s = typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof s !== "string" || !/^[0-9]+$/.test(s)) {
      this.fail(key, `${JSON.stringify(v)} is not a whole number (write it as a decimal string)`);
    }
    const n = BigInt(s);
    if (n >= 1n << 256n) this.fail(key, `${s} does not fit a uint256`);
    return n;
  }

  address(key: string): string {
    const v = this.string(key);
    if (!/^0x[0-9a-fA-F]{40}$/.test(v)) this.fail(key, `"${v}" is not an address`);
    return v;
  }

  hex(key: string): string {
    const v = this.string(key);
    if (!/^0x([0-9a-fA-F]{2})+$/.test(v)) this.fail(key, `"${v}" is not a 0x-prefixed hex signature`);
    return v;
  }

  format(expected: string): void {
    const v = this.raw("format");
    if (v !== expected) this.fail("format", `is ${JSON.stringify(v)}, expected "${expected}"`);
  }

  object(key: string): Fields {
    return Fields.of(this.file, this.raw(key), this.name(key));
  }
}

/** The JSON text of a file, or an `InputError` naming the file and where the syntax breaks. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not JSON: ${(error as Error).message}`);
  }
}

/** A quote file's content (its JSON text or the parsed object), checked field by field. */
export function parseSignedQuote(json: unknown, file: string): SignedQuote {
  const top = Fields.of(file, typeof json === "string" ? parseJsonText(json, file) : json, "");
  top.format(QUOTE_FORMAT);
  const q = top.object("quote");
  const quote: Quote = {
    nodeId: q.uint("nodeId"),
    customer: q.address("customer"),
    token: q.address("token"),
    pricePerTuHour: q.uint("pricePerTuHour"),
    windowStart: q.uint("windowStart"),
    windowDuration: q.uint("windowDuration"),
    expiry: q.uint("expiry"),
    nonce: q.uint("nonce"),
  };
  return { chainId: top.uint("chainId"), escrow: top.address("escrow"), quote, signature: top.hex("signature") };
}

/** A receipt file's content (its JSON text or the parsed object), checked field by field. */
export function parseSignedReceipt(json: unknown, file: string): SignedReceipt {
  const top = Fields.of(file, typeof json === "string" ? parseJsonText(json, file) : json, "");
  top.format(RECEIPT_FORMAT);
  const r = top.object("receipt");
  const receipt: Receipt = { leaseId: r.uint("leaseId"), paidThrough: r.uint("paidThrough") };
  return { chainId: top.uint("chainId"), escrow: top.address("escrow"), receipt, signature: top.hex("signature") };
}

/**
 * Refuses a signed quote or receipt made for another chain or escrow than `domain`'s, naming the
 * file and the field: the escrow would only answer with an invalid signer.
 */
export function checkDomain(signed: { chainId: bigint; escrow: string }, domain: EscrowDomain, file: string): void {
  if (signed.chainId !== domain.chainId) {
    throw new InputError(
      file,
      undefined,
      "chainId",
      `is ${signed.chainId}, but the network is chain ${domain.chainId}`,
    );
  }
  if (signed.escrow.toLowerCase() !== domain.verifyingContract.toLowerCase()) {
    throw new InputError(
      file,
      undefined,
      "escrow",
      `is ${signed.escrow}, but the escrow is ${domain.verifyingContract}`,
    );
  }
}
