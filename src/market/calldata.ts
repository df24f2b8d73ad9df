// The calldata of the escrow's writes that a wallet sends as one transaction, in particular
// `multicall([selfPermit, openLease])`: with an ERC-2612 token (GUT) a lease then needs no separate
// approval. `ESCROW_CALLS_ABI` is the part of LeaseEscrow's ABI these calls use, `as const`, so a
// viem dApp passes it to `encodeFunctionData`/`writeContract` and gets the same bytes; the encoder
// here needs no client library. Browser-safe.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";

import { type Quote, QUOTE_TYPES } from "./typed-data.js";

// The quote's fields are its EIP-712 type's, in the struct's order: one list for both.
const QUOTE_COMPONENTS = QUOTE_TYPES.Quote;

/** The escrow functions a customer's wallet calls to open a lease or reserve, as in LeaseEscrow's ABI. */
export const ESCROW_CALLS_ABI = [
  {
    type: "function",
    name: "openLease",
    stateMutability: "nonpayable",
    inputs: [
      { name: "quote", type: "tuple", internalType: "struct ILeaseEscrow.Quote", components: QUOTE_COMPONENTS },
      { name: "signature", type: "bytes", internalType: "bytes" },
      { name: "deposit", type: "uint256", internalType: "uint256" },
      { name: "sessionKey", type: "address", internalType: "address" },
    ],
    outputs: [{ name: "leaseId", type: "uint256", internalType: "uint256" }],
  },
  {
    type: "function",
    name: "renewLease",
    stateMutability: "nonpayable",
    inputs: [
      { name: "leaseId", type: "uint256", internalType: "uint256" },
      { name: "pricePerTuHour", type: "uint256", internalType: "uint256" },
      { name: "expiry", type: "uint256", internalType: "uint256" },
      { name: "nonce", type: "uint256", internalType: "uint256" },
      { name: "signature", type: "bytes", internalType: "bytes" },
      { name: "added", type: "uint256", internalType: "uint256" },
    ],
    outputs: [{ name: "newLeaseId", type: "uint256", internalType: "uint256" }],
  },
  {
    type: "function",
    name: "reserve",
    stateMutability: "nonpayable",
    inputs: [
      { name: "quote", type: "tuple", internalType: "struct ILeaseEscrow.Quote", components: QUOTE_COMPONENTS },
      { name: "signature", type: "bytes", internalType: "bytes" },
      { name: "deposit", type: "uint256", internalType: "uint256" },
    ],
    outputs: [{ name: "reservationId", type: "uint256", internalType: "uint256" }],
  },
  {
    type: "function",
    name: "selfPermit",
    stateMutability: "nonpayable",
    inputs: [
      { name: "token", type: "address", internalType: "address" },
      { name: "value", type: "uint256", internalType: "uint256" },
      { name: "deadline", type: "uint256", internalType: "uint256" },
      { name: "v", type: "uint8", internalType: "uint8" },
      { name: "r", type: "bytes32", internalType: "bytes32" },
      { name: "s", type: "bytes32", internalType: "bytes32" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "multicall",
    stateMutability: "nonpayable",
    inputs: [{ name: "data", type: "bytes[]", internalType: "bytes[]" }],
    outputs: [{ name: "results", type: "bytes[]", internalType: "bytes[]" }],
  },
] as const;

const QUOTE_TUPLE = `(${QUOTE_COMPONENTS.map((c) => c.type).join(",")})`;
const selector = (signature: string) => keccak_256(utf8ToBytes(signature)).slice(0, 4);
const SELECTORS = {
  openLease: selector(`openLease(${QUOTE_TUPLE},bytes,uint256,address)`),
  renewLease: selector("renewLease(uint256,uint256,uint256,uint256,bytes,uint256)"),
  reserve: selector(`reserve(${QUOTE_TUPLE},bytes,uint256)`),
  selfPermit: selector("selfPermit(address,uint256,uint256,uint8,bytes32,bytes32)"),
  multicall: selector("multicall(bytes[])"),
};

/** A `0x` hex string of bytes. */
export type Hex = `0x${string}`;

const MAX_UINT256 = (1n << 256n) - 1n;

function word(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_UINT256) throw new RangeError(`${value} is not a uint256`);
  return hexToBytes(value.toString(16).padStart(64, "0"));
}

function addressWord(address: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new RangeError(`"${address}" is not an address`);
  return word(BigInt(address));
}

function bytesOf(hex: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) throw new RangeError(`"${hex}" is not 0x-prefixed hex bytes`);
  return hexToBytes(hex.slice(2));
}

/** `bytes` as ABI encodes it in the tail: its length, then its bytes padded to whole words. */
function dynamicBytes(data: Uint8Array): Uint8Array[] {
  const padded = new Uint8Array(Math.ceil(data.length / 32) * 32);
  padded.set(data);
  return [word(BigInt(data.length)), padded];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const hex = (bytes: Uint8Array): Hex => `0x${bytesToHex(bytes)}`;

function quoteWords(q: Quote): Uint8Array[] {
  return [
    word(q.nodeId),
    addressWord(q.customer),
    addressWord(q.token),
    word(q.pricePerTuHour),
    word(q.windowStart),
    word(q.windowDuration),
    word(q.expiry),
    word(q.nonce),
  ];
}

/**
 * The head of `(…leading, bytes signature, …statics)`: the leading words, the signature's offset,
 * the static words; then the signature in the tail.
 */
function signedCall(sel: Uint8Array, leading: Uint8Array[], signature: string, statics: Uint8Array[]): Hex {
  const headWords = leading.length + 1 + statics.length;
  return hex(concat([sel, ...leading, word(BigInt(headWords * 32)), ...statics, ...dynamicBytes(bytesOf(signature))]));
}

/** `(Quote, bytes signature, …statics)`: the quote's eight words inline. */
function quoteCall(sel: Uint8Array, quote: Quote, signature: string, statics: Uint8Array[]): Hex {
  return signedCall(sel, quoteWords(quote), signature, statics);
}

/** `openLease(quote, signature, deposit, sessionKey)`. */
export function encodeOpenLease(quote: Quote, signature: string, deposit: bigint, sessionKey: string): Hex {
  return quoteCall(SELECTORS.openLease, quote, signature, [word(deposit), addressWord(sessionKey)]);
}

/**
 * `renewLease(leaseId, pricePerTuHour, expiry, nonce, signature, added)`: of the provider's quote
 * (for the lease's node, customer and token) only the terms that differ are sent.
 */
export function encodeRenewLease(leaseId: bigint, quote: Quote, signature: string, added: bigint): Hex {
  const terms = [word(leaseId), word(quote.pricePerTuHour), word(quote.expiry), word(quote.nonce)];
  return signedCall(SELECTORS.renewLease, terms, signature, [word(added)]);
}

/** `reserve(quote, signature, deposit)`. */
export function encodeReserve(quote: Quote, signature: string, deposit: bigint): Hex {
  return quoteCall(SELECTORS.reserve, quote, signature, [word(deposit)]);
}

/** An ERC-2612 permit's signed parts, as `selfPermit` takes them. */
export interface PermitSignature {
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

/** `selfPermit(token, value, deadline, v, r, s)`. */
export function encodeSelfPermit(token: string, permit: PermitSignature): Hex {
  const r = bytesOf(permit.r);
  const s = bytesOf(permit.s);
  if (r.length !== 32 || s.length !== 32) throw new RangeError("a permit's r and s are 32 bytes each");
  return hex(
    concat([
      SELECTORS.selfPermit,
      addressWord(token),
      word(permit.value),
      word(permit.deadline),
      word(BigInt(permit.v)),
      r,
      s,
    ]),
  );
}

/** `multicall(calls)`: the calls run in order in one transaction, and all revert if one does. */
export function encodeMulticall(calls: readonly string[]): Hex {
  const encoded = calls.map(bytesOf);
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let offset = BigInt(encoded.length * 32);
  for (const data of encoded) {
    heads.push(word(offset));
    const tail = dynamicBytes(data);
    tails.push(...tail);
    offset += BigInt(tail.reduce((n, p) => n + p.length, 0));
  }
  return hex(concat([SELECTORS.multicall, word(32n), word(BigInt(encoded.length)), ...heads, ...tails]));
}

/**
 * The one transaction that opens a lease with a signed quote: `openLease` alone, or
 * `multicall([selfPermit, openLease])` when a permit is given, so the deposit needs no approval.
 */
export function openLeaseCalldata(args: {
  quote: Quote;
  signature: string;
  deposit: bigint;
  sessionKey: string;
  permit?: PermitSignature;
}): Hex {
  const open = encodeOpenLease(args.quote, args.signature, args.deposit, args.sessionKey);
  if (args.permit === undefined) return open;
  return encodeMulticall([encodeSelfPermit(args.quote.token, args.permit), open]);
}

/**
 * The one transaction that renews a lease with a new quote (the old lease paid through now and
 * closed, the rest carried), with a permit for `added` as {@link openLeaseCalldata}.
 */
export function renewLeaseCalldata(args: {
  leaseId: bigint;
  quote: Quote;
  signature: string;
  added: bigint;
  permit?: PermitSignature;
}): Hex {
  const call = encodeRenewLease(args.leaseId, args.quote, args.signature, args.added);
  if (args.permit === undefined) return call;
  return encodeMulticall([encodeSelfPermit(args.quote.token, args.permit), call]);
}

/** The transaction that reserves with a signed quote, with a permit for the deposit as {@link openLeaseCalldata}. */
export function reserveCalldata(args: {
  quote: Quote;
  signature: string;
  deposit: bigint;
  permit?: PermitSignature;
}): Hex {
  const call = encodeReserve(args.quote, args.signature, args.deposit);
  if (args.permit === undefined) return call;
  return encodeMulticall([encodeSelfPermit(args.quote.token, args.permit), call]);
}
