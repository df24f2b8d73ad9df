// The provider agent's HTTP API, the provider's side of the lease session: quotes on request
// (signed by the operator key), the nodes' signed presence, receipts in (checked against the
// chain's lease and stored durably before they are acknowledged; the agent's schedule collects
// them) and a lease's best receipt out (for the provider's page, or anyone, to collect), and the
// lease's access (the start hook's output, to a request signed by the lease's session key). Plain
// HTTP on a loopback address by default: TLS is a reverse proxy's job (docs/operators.md, "The
// agent's API"). Every request is bounded: body size, a per-address rate, header and request
// timeouts. Every refusal is an HTTP status and one line (`gpufog-api-error-v1`), and changes
// nothing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { parseUnits, verifyMessage, verifyTypedData, ZeroAddress } from "ethers";

import { InputError } from "../errors.js";
import { toJson } from "../io.js";
import { buildQuote, checkDomain, quoteToJson, receiptToJson } from "../market/quote.js";
import { RECEIPT_TYPES, signQuote, type EscrowDomain } from "../market/typed-data.js";
import { statusName } from "../registry.js";
import {
  ACCESS_REQUEST_MAX_SKEW,
  accessAnswerToJson,
  accessMessage,
  apiErrorToJson,
  parseAccessRequest,
  parseQuoteRequest,
  parseReceiptPath,
  parseReceiptSubmission,
  presenceMessage,
  presenceToJson,
  receiptAckToJson,
  type PresenceStatus,
  type QuoteRequest,
} from "../session/messages.js";
import type { ApiConfig, ProviderConfig } from "./config.js";
import { writeDurably, type SessionBook } from "./hooks.js";
import { reasonOf } from "./log.js";
import { decimalsOf, type Runtime } from "./runtime.js";
import { CLOSING, OPEN } from "./worklist.js";

/** `sessionKeyUntil` of a lease's current session key. */
const CURRENT_KEY = (1n << 40n) - 1n;
const IDLE = 1n;
/** Token decimals, read once per token. */
const DECIMALS = new Map<string, number>();

/** What the API needs of the running agent. */
export interface SessionHost {
  rt: Runtime;
  config: ProviderConfig;
  /** The provider whose nodes the agent runs. */
  readonly provider: string;
  /** The agent's nodes, once its first round has read them (undefined before). */
  nodes(): Set<bigint> | undefined;
  domain(): Promise<EscrowDomain>;
  sessions: SessionBook | undefined;
}

/** A refusal: the HTTP status and one line. */
export class ApiRefusal extends Error {
  override readonly name = "ApiRefusal";
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Requests per minute per client address, as a token bucket refilled continuously. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Whether `client` may make one more request now; the seconds to wait when not. */
  take(client: string, now = Date.now()): number {
    let b = this.buckets.get(client);
    if (b === undefined) {
      // A flood of addresses cannot grow the table without bound: drop the idle ones first.
      if (this.buckets.size >= 10_000) this.prune(now);
      if (this.buckets.size >= 10_000) this.buckets.clear();
      b = { tokens: this.perMinute, at: now };
      this.buckets.set(client, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) * 60) / this.perMinute);
    b.tokens -= 1;
    return 0;
  }

  private prune(now: number): void {
    for (const [client, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(client);
  }
}

/** The API server; `close` stops it. */
export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the API on the config's host and port. */
export async function startApi(host: SessionHost, api: ApiConfig): Promise<ApiServer> {
  const limiter = new RateLimiter(api.requestsPerMinute);
  const presences = new Map<string, { at: number; body: Record<string, unknown> }>();
  const server: Server = createServer((req, res) => {
    handle(host, api, limiter, presences, req, res).catch((error: unknown) => {
      host.rt.log("error", "api_failed", { path: req.url, reason: reasonOf(error) });
      if (!res.headersSent) send(res, 500, apiErrorToJson({ status: 500, error: "the agent failed to answer" }));
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;
  server.maxConnections = 512;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: Error) =>
      reject(
        new InputError(
          host.config.file,
          undefined,
          "apiPort",
          `cannot listen on ${api.host}:${api.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(api.port, api.host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  host.rt.log("info", "api_listening", { url: `http://${api.host}:${port}` });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = toJson(body, 0);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}

/**
 * The rate limit's key for a client: the socket's address, or behind a trusted proxy the last
 * X-Forwarded-For entry. An IPv6 client counts by its /64, which one subscriber usually holds
 * whole (so it cannot take a fresh address per request).
 */
export function clientKey(req: Pick<IncomingMessage, "headers" | "socket">, trustProxy: boolean): string {
  let address = req.socket.remoteAddress ?? "unknown";
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const last = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? "")).split(",").at(-1)?.trim();
    if (last) address = last;
  }
  address = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("%")[0]!.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/** The body as text, or a 413 once it passes the limit (the rest is drained, up to a bound). */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    const tooLarge = () => new ApiRefusal(413, `the body is larger than ${max} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = () => {
      if (refused) return;
      refused = true;
      reject(tooLarge());
    };
    if (Number.isFinite(declared) && declared > max) refuse();
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > max) {
        refuse();
        // Drain a bounded amount so that the client reads the 413; then cut the connection.
        if (size > 64 * max) req.socket.destroy();
        return;
      }
      if (!refused) chunks.push(d);
    });
    req.on("end", () => {
      if (!refused) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (error) => {
      if (!refused) reject(error);
    });
  });
}

async function handle(
  host: SessionHost,
  api: ApiConfig,
  limiter: RateLimiter,
  presences: Map<string, { at: number; body: Record<string, unknown> }>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const origin = req.headers.origin;
  const cors: Record<string, string> = {};
  if (origin !== undefined && (api.corsOrigins.includes("*") || api.corsOrigins.includes(origin))) {
    cors["access-control-allow-origin"] = api.corsOrigins.includes("*") ? "*" : origin;
    cors.vary = "Origin";
  }
  const url = new URL(req.url ?? "/", "http://agent");
  const route = `${req.method} ${url.pathname}`;
  const started = Date.now();
  // A bounded label: the known routes by name (a lease's receipt as one), anything else as "other".
  const receiptOfLease = url.pathname.startsWith("/receipts/");
  const path = receiptOfLease ? "/receipts/:leaseId" : url.pathname;
  const known = receiptOfLease || ["/", "/presence", "/quote", "/receipts", "/access"].includes(url.pathname);
  res.once("finish", () =>
    host.rt.metrics.inc("gpufog_api_requests_total", {
      route: known
        ? `${req.method === "OPTIONS" || req.method === "GET" || req.method === "POST" ? req.method : "OTHER"} ${path}`
        : "other",
      status: String(res.statusCode),
    }),
  );
  try {
    const wait = limiter.take(clientKey(req, api.trustProxy));
    if (wait > 0) throw new ApiRefusal(429, `too many requests from this address; try again in ${wait} s`, wait);
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        ...cors,
        ...(cors["access-control-allow-origin"] === undefined
          ? {}
          : {
              "access-control-allow-methods": "GET, POST, OPTIONS",
              "access-control-allow-headers": "content-type",
              "access-control-max-age": "600",
            }),
      });
      res.end();
      return;
    }
    let answer: { status: number; body: unknown };
    if (receiptOfLease) {
      if (req.method !== "GET") throw new ApiRefusal(405, `${req.method} is not allowed on ${url.pathname}`);
      const leaseId = parseReceiptPath(url.pathname, "GET /receipts")!;
      send(res, 200, await bestReceipt(host, leaseId), cors);
      return;
    }
    switch (route) {
      case "GET /":
        answer = { status: 200, body: await info(host) };
        break;
      case "GET /presence":
        answer = { status: 200, body: await presence(host, presences, url.searchParams.get("nodeId")) };
        break;
      case "POST /quote":
        answer = { status: 200, body: await quote(host, api, await readBody(req, api.maxBodyBytes)) };
        break;
      case "POST /receipts":
        answer = { status: 200, body: await receipt(host, await readBody(req, api.maxBodyBytes)) };
        break;
      case "POST /access":
        answer = { status: 200, body: await access(host, await readBody(req, api.maxBodyBytes)) };
        break;
      default:
        if (["/", "/presence", "/quote", "/receipts", "/access"].includes(url.pathname)) {
          throw new ApiRefusal(405, `${req.method} is not allowed on ${url.pathname}`);
        }
        throw new ApiRefusal(404, `no such route: ${url.pathname}`);
    }
    send(res, answer.status, answer.body, cors);
  } catch (error) {
    const refusal =
      error instanceof ApiRefusal
        ? error
        : error instanceof InputError
          ? new ApiRefusal(400, error.message)
          : new ApiRefusal(503, `the chain cannot be read now (${reasonOf(error)}); try again`, 5);
    const headers: Record<string, string> = { ...cors };
    if (refusal.retryAfter !== undefined) headers["retry-after"] = String(refusal.retryAfter);
    if (refusal.status === 413) headers.connection = "close";
    if (refusal.status !== 429) {
      host.rt.log(refusal.status >= 500 ? "warn" : "info", "api_refused", {
        route,
        status: refusal.status,
        reason: refusal.message,
        ms: Date.now() - started,
      });
    }
    send(res, refusal.status, apiErrorToJson({ status: refusal.status, error: refusal.message }), headers);
  }
}

/** The agent's nodes, or a 503 while its first round has not read them. */
function nodesOf(host: SessionHost): Set<bigint> {
  const nodes = host.nodes();
  if (nodes === undefined) throw new ApiRefusal(503, "the agent is starting; try again", 5);
  return nodes;
}

async function info(host: SessionHost): Promise<Record<string, unknown>> {
  const domain = await host.domain();
  return {
    format: "gpufog-agent-v1",
    chainId: domain.chainId.toString(),
    escrow: domain.verifyingContract,
    provider: host.provider,
    signer: host.rt.wallet.address,
    nodes: [...nodesOf(host)].map(String),
    receiptIntervalSeconds: host.config.receiptIntervalSeconds,
  };
}

async function presence(
  host: SessionHost,
  cache: Map<string, { at: number; body: Record<string, unknown> }>,
  nodeParam: string | null,
): Promise<unknown> {
  const nodes = nodesOf(host);
  let ids = [...nodes];
  if (nodeParam !== null) {
    if (!/^[1-9]\d{0,18}$/.test(nodeParam)) {
      throw new ApiRefusal(400, `GET /presence, field "nodeId": ${JSON.stringify(nodeParam)} is not a node id`);
    }
    const id = BigInt(nodeParam);
    if (!nodes.has(id)) throw new ApiRefusal(404, `node ${id} is not served by this agent`);
    ids = [id];
  }
  const { registry } = host.rt.contracts;
  const registryAddress = await registry.getAddress();
  const chainId = BigInt(host.rt.book.chainId);
  const out = [];
  for (const id of ids) {
    const cached = cache.get(String(id));
    // Minute-level presence: a signed answer is reused for 15 s, so a flood costs no reads.
    if (cached !== undefined && Date.now() - cached.at < 15_000) {
      out.push(cached.body);
      continue;
    }
    const status = statusName((await registry.node(id)).status) as PresenceStatus;
    const p = { chainId, registry: registryAddress, nodeId: id, at: BigInt(Math.floor(Date.now() / 1000)), status };
    const signature = await host.rt.wallet.signMessage(presenceMessage(p));
    const body = presenceToJson({ presence: p, signer: host.rt.wallet.address, signature });
    cache.set(String(id), { at: Date.now(), body });
    out.push(body);
  }
  return nodeParam === null ? { format: "gpufog-presence-list-v1", presences: out } : out[0];
}

/**
 * Whether a lease quote is asked by the customer of the open lease on its node: the quote it
 * renews that lease with (`renewLease`), at the provider's current price.
 */
function renewing(host: SessionHost, request: QuoteRequest): boolean {
  if (request.windowStart !== undefined || request.windowDuration !== undefined) return false;
  return Object.values(host.rt.state.leases).some(
    (l) =>
      l.nodeId === String(request.nodeId) &&
      l.collectDeadline === 0 &&
      l.customer.toLowerCase() === request.customer.toLowerCase(),
  );
}

async function quote(host: SessionHost, api: ApiConfig, text: string): Promise<Record<string, unknown>> {
  const where = "POST /quote";
  const request = parseQuoteRequest(text, where);
  if (!nodesOf(host).has(request.nodeId))
    throw new ApiRefusal(404, `node ${request.nodeId} is not served by this agent`);
  const { registry, escrow } = host.rt.contracts;
  const node = await registry.node(request.nodeId);
  if (node.status !== IDLE && !renewing(host, request)) {
    throw new ApiRefusal(
      409,
      `node ${request.nodeId} is ${statusName(node.status)}: it takes no new lease or reservation now`,
    );
  }
  const token = request.token ?? node.paymentToken;
  const configured = [...api.quotePrice].find(([t]) => t.toLowerCase() === token.toLowerCase())?.[1];
  let price: bigint;
  if (configured !== undefined) {
    price = parseUnits(configured, await decimalsOf(DECIMALS, token, host.rt.provider));
  } else if (token.toLowerCase() === node.paymentToken.toLowerCase()) {
    price = node.pricePerTuHour;
  } else {
    throw new ApiRefusal(400, `${where}, field "token": ${token} is not a token this provider quotes in`);
  }
  if (!(await escrow.paymentToken(token)).allowed) {
    throw new ApiRefusal(400, `${where}, field "token": ${token} is not allowed by the escrow`);
  }
  const [latest, maxAge] = await Promise.all([host.rt.provider.getBlock("latest"), escrow.maxQuoteAge()]);
  const now = BigInt(latest!.timestamp);
  if (request.windowStart !== undefined && request.windowStart <= now) {
    throw new ApiRefusal(
      400,
      `${where}, field "windowStart": ${request.windowStart} is not in the future (now ${now})`,
    );
  }
  const ttl = BigInt(api.quoteTtlSeconds) < maxAge ? BigInt(api.quoteTtlSeconds) : maxAge;
  const q = buildQuote({ ...request, token, pricePerTuHour: price }, now, ttl);
  const domain = await host.domain();
  const signature = await signQuote(host.rt.wallet, domain, q);
  host.rt.log("info", "quote_signed", {
    node: q.nodeId,
    customer: q.customer,
    token,
    price,
    window: q.windowDuration === 0n ? null : `${q.windowStart}+${q.windowDuration}`,
    expiry: q.expiry,
  });
  return quoteToJson({ chainId: domain.chainId, escrow: domain.verifyingContract, quote: q, signature });
}

/** The lease, read from the chain, refused unless it is one of this agent's and in a status the request needs. */
async function ownLease(host: SessionHost, leaseId: bigint, statuses: bigint[]) {
  const lease = await host.rt.contracts.escrow.lease(leaseId);
  if (lease.status === 0n) throw new ApiRefusal(404, `lease ${leaseId} does not exist`);
  if (lease.provider.toLowerCase() !== host.provider.toLowerCase() || !nodesOf(host).has(lease.nodeId)) {
    throw new ApiRefusal(403, `lease ${leaseId} is not a lease of this agent's nodes`);
  }
  if (!statuses.includes(lease.status)) {
    const name = ["None", "Open", "Closing", "Closed"][Number(lease.status)];
    throw new ApiRefusal(409, `lease ${leaseId} is ${name}`);
  }
  return lease;
}

async function receipt(host: SessionHost, text: string): Promise<Record<string, unknown>> {
  const where = "POST /receipts";
  const signed = parseReceiptSubmission(text, where);
  const domain = await host.domain();
  checkDomain(signed, domain, where);
  let signer: string;
  try {
    signer = verifyTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, { ...signed.receipt }, signed.signature);
  } catch (error) {
    throw new ApiRefusal(400, `${where}, field "signature": ${reasonOf(error)}`);
  }
  const { leaseId, paidThrough } = signed.receipt;
  const lease = await ownLease(host, leaseId, [OPEN, CLOSING]);
  const now = (await host.rt.provider.getBlock("latest"))!.timestamp;
  if (lease.status === CLOSING && now > Number(lease.collectDeadline)) {
    throw new ApiRefusal(409, `lease ${leaseId}'s collect window ended at ${lease.collectDeadline}`);
  }
  const keyEnd =
    signer.toLowerCase() === lease.customer.toLowerCase()
      ? CURRENT_KEY
      : await host.rt.contracts.escrow.sessionKeyUntil(leaseId, signer);
  if (keyEnd === 0n) {
    throw new ApiRefusal(
      403,
      `${where}, field "signature": signed by ${signer}, neither the customer nor a session key of lease ${leaseId}`,
    );
  }
  const until = Number(paidThrough < keyEnd ? paidThrough : keyEnd);
  // From here to the write nothing waits: two receipts of one lease cannot interleave.
  const id = leaseId.toString();
  const state = host.rt.state;
  const best = state.receipts[id];
  if (best !== undefined) {
    if (until < best.until || (until === best.until && BigInt(best.paidThrough) > paidThrough)) {
      throw new ApiRefusal(
        409,
        `${where}, field "receipt.paidThrough": ${paidThrough} pays less than the receipt the agent holds for lease ${id} (through ${best.paidThrough})`,
      );
    }
    if (until === best.until) {
      return receiptAckToJson({ leaseId, paidThrough: BigInt(best.paidThrough), stored: true });
    }
  }
  state.receipts[id] = { paidThrough: paidThrough.toString(), signature: signed.signature, until };
  try {
    writeDurably(host.rt.config.stateFile, toJson(state) + "\n");
  } catch (error) {
    // Not stored: not acknowledged, and the agent forgets it too.
    if (best === undefined) delete state.receipts[id];
    else state.receipts[id] = best;
    host.rt.log("error", "receipt_not_stored", { lease: id, reason: reasonOf(error) });
    throw new ApiRefusal(503, "the agent cannot store the receipt now; send it again", 30);
  }
  host.rt.metrics.inc("gpufog_receipts_total", { result: "stored" });
  host.rt.log("info", "receipt_stored", { lease: id, paidThrough, until, signer, via: "api" });
  return receiptAckToJson({ leaseId, paidThrough, stored: true });
}

/**
 * The best receipt the agent holds for one of its leases (not secret: a `collect` with it pays the
 * provider, whoever sends it), as the customer signed it; a 404 while it holds none.
 */
async function bestReceipt(host: SessionHost, leaseId: bigint): Promise<Record<string, unknown>> {
  await ownLease(host, leaseId, [OPEN, CLOSING]);
  const best = host.rt.state.receipts[leaseId.toString()];
  if (best === undefined) throw new ApiRefusal(404, `the agent holds no receipt of lease ${leaseId}`);
  const domain = await host.domain();
  return receiptToJson({
    chainId: domain.chainId,
    escrow: domain.verifyingContract,
    receipt: { leaseId, paidThrough: BigInt(best.paidThrough) },
    signature: best.signature,
  });
}

async function access(host: SessionHost, text: string): Promise<Record<string, unknown>> {
  const where = "POST /access";
  const signed = parseAccessRequest(text, where);
  const domain = await host.domain();
  checkDomain(signed.request, domain, where);
  const skew = Math.floor(Date.now() / 1000) - Number(signed.request.at);
  if (Math.abs(skew) > ACCESS_REQUEST_MAX_SKEW) {
    throw new ApiRefusal(
      400,
      `${where}, field "at": ${signed.request.at} is ${Math.abs(skew)} s ${skew > 0 ? "old" : "ahead"}; sign a fresh request`,
    );
  }
  let signer: string;
  try {
    signer = verifyMessage(accessMessage(signed.request), signed.signature);
  } catch (error) {
    throw new ApiRefusal(400, `${where}, field "signature": ${reasonOf(error)}`);
  }
  const leaseId = signed.request.leaseId;
  const lease = await ownLease(host, leaseId, [OPEN]);
  // The lease's current session key; the customer's own key only on a lease without one.
  const allowed =
    lease.sessionKey !== ZeroAddress
      ? signer.toLowerCase() === lease.sessionKey.toLowerCase() &&
        (await host.rt.contracts.escrow.sessionKeyUntil(leaseId, signer)) === CURRENT_KEY
      : signer.toLowerCase() === lease.customer.toLowerCase();
  if (!allowed) {
    throw new ApiRefusal(
      403,
      `${where}, field "signature": signed by ${signer}, not the session key of lease ${leaseId}`,
    );
  }
  const session = host.sessions?.sessions[leaseId.toString()];
  if (session === undefined || session.phase === "starting") {
    throw new ApiRefusal(503, `lease ${leaseId}'s access is not ready yet; try again`, 5);
  }
  if (session.phase === "ended") throw new ApiRefusal(410, `lease ${leaseId} is no longer served (${session.reason})`);
  host.rt.log("info", "access_given", { lease: leaseId, to: signer });
  return accessAnswerToJson({ leaseId, access: session.access ?? {} });
}
