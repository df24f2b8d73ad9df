// The headless customer's configuration file (`gpufog customer run --config customer.json`): JSON,
// checked field by field so that a mistake is one line naming the file and the field, never a
// stack trace. Paths are relative to the config file's directory.
import path from "node:path";

import { getAddress, isAddress } from "ethers";

import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import { parseJsonText } from "../market/quote.js";

export interface CustomerConfig {
  file: string;
  rpc: string[];
  addressBook: string;
  /** The customer's own keystore: opens, closes and finalizes. Undefined when only following a lease with its session key. */
  keystore: string | undefined;
  passwordFile: string | undefined;
  /** The session key (hex, mode 600) that signs receipts and access requests; created at the first open when missing. */
  sessionKeyFile: string | undefined;
  stateFile: string;
  /** Where the lease's access is written (atomically, mode 600). */
  accessFile: string;
  /** A lease to follow; or `nodeId` and `deposit` to open one. */
  leaseId: bigint | undefined;
  nodeId: bigint | undefined;
  /** The deposit to open with, in whole tokens ("25.5"). */
  deposit: string | undefined;
  /**
   * Reserve the node for this window (chain time, unix seconds) instead of opening a lease now:
   * the lease starts in the window once the provider accepts.
   */
  window: { start: bigint; duration: bigint } | undefined;
  /** The payment token; the node's listed token if absent. */
  token: string | undefined;
  /** The provider agent's URL; the node's registry URI if absent. */
  endpoint: string | undefined;
  /** A receipt is signed and sent this often. */
  receiptIntervalSeconds: number;
  /** How far ahead of now each receipt pays: what a node that stops now costs at most. */
  horizonSeconds: number;
  /** Close the lease on SIGTERM or SIGINT (a restart then opens a new one); leave it open otherwise. */
  closeOnSignal: boolean;
  /** Close the lease when `--until` or `--duration` is reached; leave it open otherwise. */
  closeAtEnd: boolean;
  /** How long one request to the agent may take. */
  agentTimeoutMs: number;
  rpcTimeoutMs: number;
  metricsHost: string;
  /** 0: no metrics server. */
  metricsPort: number;
  /** One "alive" log line at most this often. */
  aliveMs: number;
}

const FIELDS = [
  "kind",
  "rpc",
  "addressBook",
  "keystore",
  "passwordFile",
  "sessionKeyFile",
  "stateFile",
  "accessFile",
  "lease",
  "node",
  "deposit",
  "windowStart",
  "windowDuration",
  "token",
  "endpoint",
  "receiptIntervalSeconds",
  "horizonSeconds",
  "closeOnSignal",
  "closeAtEnd",
  "agentTimeoutSeconds",
  "rpcTimeoutSeconds",
  "metricsHost",
  "metricsPort",
  "aliveMinutes",
];

/** Reads and checks a customer config. */
export async function readCustomerConfig(file: string): Promise<CustomerConfig> {
  const raw = parseJsonText(await readInputFile(file), file);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError(file, undefined, undefined, "must hold a JSON object");
  }
  return parseCustomerConfig(path.resolve(file), raw as Record<string, unknown>);
}

/** Checks a customer config's fields (`file` names it in errors and anchors its relative paths). */
export function parseCustomerConfig(file: string, raw: Record<string, unknown>): CustomerConfig {
  const fail = (field: string, problem: string): never => {
    throw new InputError(file, undefined, field, problem);
  };
  const has = (field: string) => raw[field] !== undefined;
  for (const key of Object.keys(raw)) {
    if (!FIELDS.includes(key)) fail(key, "is not a customer setting (see docs/customers.md)");
  }
  if (has("kind") && raw.kind !== "customer") {
    fail("kind", `is ${JSON.stringify(raw.kind)}; this command reads a customer config`);
  }
  const string = (field: string, fallback?: string): string => {
    const v = raw[field] ?? fallback;
    if (v === undefined) fail(field, "is required");
    if (typeof v !== "string" || v.trim() === "") fail(field, `must be a non-empty string, not ${JSON.stringify(v)}`);
    return (v as string).trim();
  };
  const filePath = (field: string, fallback?: string) => path.resolve(path.dirname(file), string(field, fallback));
  const optionalPath = (field: string) => (has(field) ? filePath(field) : undefined);
  const number = (field: string, fallback: number, min: number, max: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(field, `must be a number, not ${JSON.stringify(v)}`);
    if ((v as number) < min || (v as number) > max) fail(field, `must be between ${min} and ${max}, not ${String(v)}`);
    return v as number;
  };
  const boolean = (field: string, fallback: boolean): boolean => {
    const v = raw[field] ?? fallback;
    if (typeof v !== "boolean") fail(field, `must be true or false, not ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const id = (field: string): bigint | undefined => {
    if (!has(field)) return undefined;
    const v = raw[field];
    const text = typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof text !== "string" || !/^[1-9]\d{0,18}$/.test(text)) fail(field, `${JSON.stringify(v)} is not an id`);
    return BigInt(text as string);
  };

  const rpc = raw.rpc;
  if (!Array.isArray(rpc) || rpc.length === 0) fail("rpc", "must be a non-empty list of JSON-RPC URLs");
  const urls = (rpc as unknown[]).map((u, i) => {
    if (typeof u !== "string" || !/^https?:\/\/\S+$/.test(u))
      fail(`rpc[${i}]`, `${JSON.stringify(u)} is not an http(s) URL`);
    return u as string;
  });
  const leaseId = id("lease");
  const nodeId = id("node");
  if ((leaseId === undefined) === (nodeId === undefined)) {
    fail(
      leaseId === undefined ? "lease" : "node",
      'name either "lease" (a lease to follow) or "node" with "deposit" (a lease to open)',
    );
  }
  if (nodeId !== undefined && !has("deposit"))
    fail("deposit", 'is required with "node": the deposit to open the lease with');
  if (leaseId !== undefined) {
    for (const field of ["deposit", "token"])
      if (has(field)) fail(field, 'is for opening a lease; "lease" follows one');
  }
  let deposit: string | undefined;
  if (has("deposit")) {
    const v = raw.deposit;
    if (
      (typeof v !== "string" && typeof v !== "number") ||
      !/^\d+(\.\d+)?$/.test(String(v)) ||
      /^0+(\.0+)?$/.test(String(v))
    ) {
      fail("deposit", `${JSON.stringify(v)} is not a positive decimal amount such as "25.5"`);
    }
    deposit = String(v);
  }
  let window: CustomerConfig["window"];
  if (has("windowStart") || has("windowDuration")) {
    if (nodeId === undefined)
      fail(has("windowStart") ? "windowStart" : "windowDuration", 'reserves a node: it goes with "node"');
    if (!has("windowStart")) fail("windowStart", 'is required with "windowDuration": when the reserved window opens');
    if (!has("windowDuration"))
      fail("windowDuration", 'is required with "windowStart": how long the window lasts, in seconds');
    const v = raw.windowStart;
    let start: number;
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) start = v;
    else if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))) {
      start = Math.floor(Date.parse(v) / 1000);
    } else {
      return fail(
        "windowStart",
        `${JSON.stringify(v)} is neither unix seconds nor an ISO date with a time ("2026-12-24T18:00:00Z")`,
      );
    }
    const duration = number("windowDuration", 0, 1, 30 * 86_400);
    if (!Number.isInteger(duration)) fail("windowDuration", `must be whole seconds, not ${duration}`);
    window = { start: BigInt(start), duration: BigInt(duration) };
  }
  let token: string | undefined;
  if (has("token")) {
    if (typeof raw.token !== "string" || !isAddress(raw.token))
      fail("token", `${JSON.stringify(raw.token)} is not an address`);
    token = getAddress(raw.token as string);
  }
  let endpoint: string | undefined;
  if (has("endpoint")) {
    endpoint = string("endpoint");
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(endpoint)) fail("endpoint", `"${endpoint}" is not an http(s) URL`);
  }
  if (has("keystore") !== has("passwordFile")) {
    fail(has("keystore") ? "passwordFile" : "keystore", 'goes with "keystore" and "passwordFile" both');
  }
  if (!has("keystore")) {
    if (nodeId !== undefined) fail("keystore", "is required to open a lease: the customer's key pays the deposit");
    if (!has("sessionKeyFile"))
      fail("sessionKeyFile", 'is required without "keystore": some key must sign the receipts');
  }
  const stateFile = filePath("stateFile", "customer-state.json");
  const interval = number("receiptIntervalSeconds", 60, 1, 86_400);
  return {
    file,
    rpc: urls,
    addressBook: filePath("addressBook"),
    keystore: optionalPath("keystore"),
    passwordFile: optionalPath("passwordFile"),
    sessionKeyFile: has("sessionKeyFile")
      ? filePath("sessionKeyFile")
      : nodeId !== undefined
        ? path.join(path.dirname(stateFile), "session.key")
        : undefined,
    stateFile,
    accessFile: filePath("accessFile", path.join(path.dirname(stateFile), "access.json")),
    leaseId,
    nodeId,
    deposit,
    window,
    token,
    endpoint,
    receiptIntervalSeconds: interval,
    horizonSeconds: number("horizonSeconds", 300, 0, 30 * 86_400),
    closeOnSignal: boolean("closeOnSignal", false),
    closeAtEnd: boolean("closeAtEnd", true),
    agentTimeoutMs: number("agentTimeoutSeconds", 10, 0.1, 600) * 1000,
    rpcTimeoutMs: number("rpcTimeoutSeconds", 10, 0.1, 600) * 1000,
    metricsHost: string("metricsHost", "127.0.0.1"),
    metricsPort: number("metricsPort", 9466, 0, 65_535),
    aliveMs: number("aliveMinutes", 15, 0.01, 1440) * 60_000,
  };
}
