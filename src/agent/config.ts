// The agents' configuration files: JSON, checked field by field so that a mistake is one line
// naming the file and the field (`provider.json, field "rpc[1]": …`), never a stack trace.
import path from "node:path";

import { getAddress, isAddress, parseUnits } from "ethers";

import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import { KEEPER_DEFAULTS } from "./keeper.js";

/** What both agents share: where the chain is, who signs, how transactions are sent, where state lives. */
export interface CommonConfig {
  file: string;
  rpc: string[];
  addressBook: string;
  keystore: string;
  passwordFile: string;
  stateFile: string;
  /** The highest `maxFeePerGas` the agent ever signs, in wei. */
  maxFeePerGas: bigint;
  /** The tip the agent offers, in wei (capped by `maxFeePerGas`). */
  priorityFee: bigint;
  /** A transaction not mined after this long is re-signed with bumped fees. */
  stuckAfterMs: number;
  /** How much each replacement raises both fees, in percent (nodes require at least 10). */
  feeBumpPercent: number;
  pollMs: number;
  rpcTimeoutMs: number;
  /** Blocks per `eth_getLogs` call; halved on a "range too wide" refusal. */
  logRange: number;
  metricsHost: string;
  /** 0 turns the metrics server off. */
  metricsPort: number;
  /** Native coin (wei) per whole token, by token address: what a job's value is measured in. */
  nativePrice: Map<string, bigint>;
  /** The longest the logs stay quiet: an "alive" line with a summary at least this often. */
  aliveMs: number;
}

export interface ProviderConfig extends CommonConfig {
  kind: "provider";
  /** The provider (cold key) whose nodes the agent runs; the key's own address if omitted. */
  provider: string | undefined;
  /**
   * The provider's own (cold) keystore and its password file, for `gpufog operator set` and
   * `gpufog fund` only: the agent never opens them. Undefined when not named.
   */
  providerKeystore: string | undefined;
  providerPasswordFile: string | undefined;
  /** The node ids to run; every node of the provider if omitted. */
  nodes: bigint[] | undefined;
  /** Check in when a node is within this many seconds of going stale (default: half of `checkInPeriod`). */
  checkInMarginSeconds: bigint | undefined;
  /** Nodes per `checkIn` transaction. */
  batchSize: number;
  /** Check in Disconnect nodes the escrow does not hold, which brings them back to Idle. */
  reconnect: boolean;
  /** The folder where receipts arrive as JSON files (`receipt:sign`'s output). */
  inbox: string;
  /** The folder where `gpufog provider close` leaves requests to close a lease. */
  closeRequests: string;
  /** Collect a lease's best receipt at most this often while it is open. */
  collectEverySeconds: number;
  /** Collect (or close) a closing lease at the latest this long before its collect window ends. */
  collectMarginSeconds: number;
  /** Withdraw a token's earnings once they reach this many whole tokens, by token address. */
  withdrawThreshold: Map<string, string>;
  /** Claim mining rewards (only when the key is the provider's own: claims pay the caller). */
  claimRewards: boolean;
  /** The lease session's HTTP API (docs/operators.md, "The agent's API"); undefined when off. */
  api: ApiConfig | undefined;
  /** The start and end hooks that give a lease its access (none: leases get `{}`). */
  hooks: HooksConfig;
  /** How often customers send receipts: the agent stops serving after two intervals unpaid. */
  receiptIntervalSeconds: number;
  /** Where the agent keeps each lease's session (hook runs and the access): beside the state file. */
  sessionsFile: string;
}

/** The agent's HTTP API. */
export interface ApiConfig {
  host: string;
  port: number;
  /** Origins a browser may call the API from ("*" for any); none by default. */
  corsOrigins: string[];
  /** The largest request body read, in bytes. */
  maxBodyBytes: number;
  /** Requests a minute from one client address, beyond which it gets 429. */
  requestsPerMinute: number;
  /** Take the client's address from the last X-Forwarded-For entry (set when behind a reverse proxy). */
  trustProxy: boolean;
  /** The quoted price per TU-hour in whole tokens, by token; the node's listed price if absent. */
  quotePrice: Map<string, string>;
  /** How long a quote is valid for (capped by the escrow's maxQuoteAge). */
  quoteTtlSeconds: number;
}

/** A hook command: an argv list run without a shell, JSON on stdin and JSON on stdout. */
export interface HooksConfig {
  start: string[] | undefined;
  end: string[] | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Where hooks run: the config file's directory. */
  cwd: string;
}

export interface KeeperConfig extends CommonConfig {
  kind: "keeper";
  /** Providers per `forwardFees` transaction. */
  forwardBatch: number;
  /**
   * Seconds a lease's deposit must have been spent before the keeper closes it: its provider's
   * agent closes it with its last receipt first, and the two must not race to the same close.
   */
  spentCloseGraceSeconds: number;
  /** Fee tokens to observe and buy back; those with fees recorded if omitted. */
  tokens: string[] | undefined;
  /** A buyback slice moves the first pool's price by at most this many basis points. */
  maxImpactBps: bigint;
  /** Kept between the keeper's `minTftOut` and the contract's limit (see prepareBuyback). */
  buybackMarginBps: bigint;
}

type Raw = Record<string, unknown>;

class Fields {
  constructor(
    readonly file: string,
    readonly raw: Raw,
  ) {}

  fail(field: string, problem: string): never {
    throw new InputError(this.file, undefined, field, problem);
  }

  has(field: string): boolean {
    return this.raw[field] !== undefined;
  }

  string(field: string, fallback?: string): string {
    const v = this.raw[field] ?? fallback;
    if (v === undefined) this.fail(field, "is required");
    if (typeof v !== "string" || v.trim() === "")
      this.fail(field, `must be a non-empty string, not ${JSON.stringify(v)}`);
    return v.trim();
  }

  /** A path, relative to the config file's directory. */
  path(field: string, fallback?: string): string {
    return path.resolve(path.dirname(this.file), this.string(field, fallback));
  }

  number(field: string, fallback: number, min: number, max: number): number {
    const v = this.raw[field] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(field, `must be a number, not ${JSON.stringify(v)}`);
    if (v < min || v > max) this.fail(field, `must be between ${min} and ${max}, not ${v}`);
    return v;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.raw[field] ?? fallback;
    if (typeof v !== "boolean") this.fail(field, `must be true or false, not ${JSON.stringify(v)}`);
    return v;
  }

  address(field: string, value: unknown = this.raw[field]): string {
    if (typeof value !== "string" || !isAddress(value)) this.fail(field, `${JSON.stringify(value)} is not an address`);
    return getAddress(value);
  }

  /** A decimal amount in `decimals` units ("1.5" with 9 → 1.5 gwei in wei). */
  units(field: string, fallback: string, decimals: number, value: unknown = this.raw[field] ?? fallback): bigint {
    if (typeof value !== "string" && typeof value !== "number") this.fail(field, `must be a decimal string`);
    const text = String(value).trim();
    if (!/^\d+(\.\d+)?$/.test(text)) this.fail(field, `"${text}" is not a non-negative decimal number`);
    try {
      return parseUnits(text, decimals);
    } catch {
      this.fail(field, `"${text}" has more than ${decimals} decimals`);
    }
  }

  /** An object keyed by token address. */
  byToken(field: string): Map<string, unknown> {
    const v = this.raw[field] ?? {};
    if (typeof v !== "object" || v === null || Array.isArray(v))
      this.fail(field, "must be an object keyed by token address");
    const out = new Map<string, unknown>();
    for (const [key, value] of Object.entries(v as Raw)) out.set(this.address(`${field}.${key}`, key), value);
    return out;
  }
}

async function readRaw(file: string): Promise<Fields> {
  const text = await readInputFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, undefined, undefined, `is not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError(file, undefined, undefined, "must hold a JSON object");
  }
  return new Fields(path.resolve(file), raw as Raw);
}

const COMMON = [
  "kind",
  "rpc",
  "addressBook",
  "keystore",
  "passwordFile",
  "stateFile",
  "maxFeePerGasGwei",
  "priorityFeeGwei",
  "stuckAfterSeconds",
  "feeBumpPercent",
  "pollSeconds",
  "rpcTimeoutSeconds",
  "logRange",
  "metricsHost",
  "metricsPort",
  "nativePrice",
  "aliveMinutes",
];
const PROVIDER = [
  "provider",
  "providerKeystore",
  "providerPasswordFile",
  "nodes",
  "checkInMarginSeconds",
  "batchSize",
  "reconnect",
  "inbox",
  "collectEverySeconds",
  "collectMarginSeconds",
  "withdrawThreshold",
  "claimRewards",
  "apiHost",
  "apiPort",
  "apiCorsOrigins",
  "apiMaxBodyBytes",
  "apiRequestsPerMinute",
  "apiTrustProxy",
  "quotePrice",
  "quoteTtlSeconds",
  "startHook",
  "endHook",
  "hookTimeoutSeconds",
  "hookMaxOutputBytes",
  "receiptIntervalSeconds",
];
const KEEPER = ["forwardBatch", "spentCloseGraceSeconds", "tokens", "maxImpactBps", "buybackMarginBps"];

function common(f: Fields, kind: "provider" | "keeper", defaults = { logRange: 2000 }): CommonConfig {
  const known = new Set([...COMMON, ...(kind === "provider" ? PROVIDER : KEEPER)]);
  for (const key of Object.keys(f.raw)) {
    if (!known.has(key)) f.fail(key, `is not a ${kind} setting (see docs/operators.md)`);
  }
  if (f.has("kind") && f.raw.kind !== kind)
    f.fail("kind", `is ${JSON.stringify(f.raw.kind)}; this command reads a ${kind} config`);
  const rpc = f.raw.rpc;
  if (!Array.isArray(rpc) || rpc.length === 0) f.fail("rpc", "must be a non-empty list of JSON-RPC URLs");
  const urls = rpc.map((u, i) => {
    if (typeof u !== "string" || !/^https?:\/\/\S+$/.test(u))
      f.fail(`rpc[${i}]`, `${JSON.stringify(u)} is not an http(s) URL`);
    return u;
  });
  const nativePrice = new Map<string, bigint>();
  for (const [token, value] of f.byToken("nativePrice")) {
    nativePrice.set(token, f.units(`nativePrice.${token}`, "0", 18, value));
  }
  return {
    file: f.file,
    rpc: urls,
    addressBook: f.path("addressBook"),
    keystore: f.path("keystore"),
    passwordFile: f.path("passwordFile"),
    stateFile: f.path("stateFile", `${kind}-state.json`),
    maxFeePerGas: f.units("maxFeePerGasGwei", "100", 9),
    priorityFee: f.units("priorityFeeGwei", "1", 9),
    stuckAfterMs: f.number("stuckAfterSeconds", 120, 1, 86_400) * 1000,
    feeBumpPercent: f.number("feeBumpPercent", 20, 10, 200),
    pollMs: f.number("pollSeconds", 15, 0.1, 3600) * 1000,
    rpcTimeoutMs: f.number("rpcTimeoutSeconds", 10, 0.1, 600) * 1000,
    logRange: f.number("logRange", defaults.logRange, 1, 1_000_000),
    metricsHost: f.string("metricsHost", "127.0.0.1"),
    metricsPort: f.number("metricsPort", kind === "provider" ? 9464 : 9465, 0, 65_535),
    nativePrice,
    aliveMs: f.number("aliveMinutes", 15, 0.01, 1440) * 60_000,
  };
}

/** Reads and checks a provider agent's config. */
export async function readProviderConfig(file: string): Promise<ProviderConfig> {
  const f: Fields = await readRaw(file);
  const base = common(f, "provider");
  let nodes: bigint[] | undefined;
  if (f.has("nodes")) {
    const list = f.raw.nodes;
    if (!Array.isArray(list) || list.length === 0) f.fail("nodes", "must be a non-empty list of node ids");
    nodes = list.map((n, i) => {
      if (!Number.isSafeInteger(n) || (n as number) < 1) f.fail(`nodes[${i}]`, `${JSON.stringify(n)} is not a node id`);
      return BigInt(n as number);
    });
  }
  const withdrawThreshold = new Map<string, string>();
  for (const [token, value] of f.byToken("withdrawThreshold")) {
    f.units(`withdrawThreshold.${token}`, "0", 36, value);
    withdrawThreshold.set(token, String(value));
  }
  return {
    ...base,
    kind: "provider",
    provider: f.has("provider") ? f.address("provider") : undefined,
    providerKeystore: f.has("providerKeystore") ? f.path("providerKeystore") : undefined,
    providerPasswordFile: f.has("providerPasswordFile") ? f.path("providerPasswordFile") : undefined,
    nodes,
    checkInMarginSeconds: f.has("checkInMarginSeconds")
      ? BigInt(f.number("checkInMarginSeconds", 0, 1, 7 * 86_400))
      : undefined,
    batchSize: f.number("batchSize", 64, 1, 500),
    reconnect: f.boolean("reconnect", true),
    inbox: f.path("inbox", path.join(path.dirname(base.stateFile), "receipts")),
    closeRequests: path.join(path.dirname(base.stateFile), "close"),
    collectEverySeconds: f.number("collectEverySeconds", 6 * 3600, 60, 7 * 86_400),
    collectMarginSeconds: f.number("collectMarginSeconds", 600, 30, 86_400),
    withdrawThreshold,
    claimRewards: f.boolean("claimRewards", true),
    api: apiConfig(f),
    hooks: {
      start: command(f, "startHook"),
      end: command(f, "endHook"),
      timeoutMs: f.number("hookTimeoutSeconds", 60, 1, 3600) * 1000,
      maxOutputBytes: f.number("hookMaxOutputBytes", 64 * 1024, 256, 1024 * 1024),
      cwd: path.dirname(f.file),
    },
    receiptIntervalSeconds: f.number("receiptIntervalSeconds", 60, 1, 86_400),
    sessionsFile: path.join(path.dirname(base.stateFile), "sessions.json"),
  };
}

/** The API's settings: off unless `apiPort` is set. */
function apiConfig(f: Fields): ApiConfig | undefined {
  const api = [
    "apiHost",
    "apiCorsOrigins",
    "apiMaxBodyBytes",
    "apiRequestsPerMinute",
    "apiTrustProxy",
    "quotePrice",
    "quoteTtlSeconds",
  ];
  if (!f.has("apiPort")) {
    const stray = api.find((k) => f.has(k));
    if (stray !== undefined) f.fail(stray, 'needs "apiPort": the API is off without it');
    return undefined;
  }
  const origins = f.raw.apiCorsOrigins ?? [];
  if (!Array.isArray(origins)) f.fail("apiCorsOrigins", 'must be a list of origins such as "https://app.example"');
  const corsOrigins = origins.map((o, i) => {
    if (typeof o !== "string" || !(o === "*" || /^https?:\/\/[^/\s]+$/.test(o)))
      f.fail(`apiCorsOrigins[${i}]`, `${JSON.stringify(o)} is not an origin (scheme://host[:port], no path) or "*"`);
    return o;
  });
  const quotePrice = new Map<string, string>();
  for (const [token, value] of f.byToken("quotePrice")) {
    f.units(`quotePrice.${token}`, "0", 36, value);
    quotePrice.set(token, String(value));
  }
  return {
    host: f.string("apiHost", "127.0.0.1"),
    port: f.number("apiPort", 0, 0, 65_535),
    corsOrigins,
    maxBodyBytes: f.number("apiMaxBodyBytes", 16 * 1024, 1024, 1024 * 1024),
    requestsPerMinute: f.number("apiRequestsPerMinute", 120, 1, 1_000_000),
    trustProxy: f.boolean("apiTrustProxy", false),
    quotePrice,
    quoteTtlSeconds: f.number("quoteTtlSeconds", 300, 10, 86_400),
  };
}

/** A hook's argv; a first element starting with ./ or ../ is relative to the config's directory. */
function command(f: Fields, field: string): string[] | undefined {
  const v = f.raw[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.some((a) => typeof a !== "string" || a === ""))
    f.fail(field, 'must be a command as a list of strings, such as ["./hooks/start.sh"] (run without a shell)');
  const argv = [...(v as string[])];
  if (/^\.\.?\//.test(argv[0]!)) argv[0] = path.resolve(path.dirname(f.file), argv[0]!);
  return argv;
}

/** Reads and checks a keeper's config. */
export async function readKeeperConfig(file: string): Promise<KeeperConfig> {
  const f: Fields = await readRaw(file);
  // The defaults a keeper round without a config file runs with too (keeper:sweep).
  const base = common(f, "keeper", KEEPER_DEFAULTS);
  let tokens: string[] | undefined;
  if (f.has("tokens")) {
    const list = f.raw.tokens;
    if (!Array.isArray(list)) f.fail("tokens", "must be a list of token addresses");
    tokens = list.map((t, i) => f.address(`tokens[${i}]`, t));
  }
  return {
    ...base,
    kind: "keeper",
    forwardBatch: f.number("forwardBatch", KEEPER_DEFAULTS.forwardBatch, 1, 500),
    spentCloseGraceSeconds: f.number("spentCloseGraceSeconds", KEEPER_DEFAULTS.spentCloseGraceSeconds, 0, 7 * 86_400),
    tokens,
    maxImpactBps: BigInt(f.number("maxImpactBps", Number(KEEPER_DEFAULTS.maxImpactBps), 1, 2000)),
    buybackMarginBps: BigInt(f.number("buybackMarginBps", Number(KEEPER_DEFAULTS.buybackMarginBps), 0, 1999)),
  };
}

/** Reads a config of either kind, by its `kind` field (for `gpufog status`). */
export async function readAnyConfig(file: string): Promise<ProviderConfig | KeeperConfig> {
  const f: Fields = await readRaw(file);
  if (f.raw.kind === "provider") return readProviderConfig(file);
  if (f.raw.kind === "keeper") return readKeeperConfig(file);
  return f.fail("kind", `must be "provider" or "keeper", not ${JSON.stringify(f.raw.kind)}`);
}
