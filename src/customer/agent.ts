// The customer's side of the provider agent's HTTP API: each request built and each answer checked
// with the package's session validators (src/session/), so a malformed or foreign answer is one
// line, never a silent acceptance.
import type { SignedQuote, SignedReceipt } from "../market/quote.js";
import { receiptToJson } from "../market/quote.js";
import {
  accessRequestToJson,
  parseAccessAnswer,
  parseApiError,
  parseQuoteAnswer,
  parseReceiptAck,
  quoteRequestToJson,
  SESSION_ROUTES,
  type AccessAnswer,
  type QuoteRequest,
  type ReceiptAck,
  type SignedAccessRequest,
} from "../session/messages.js";

/** The agent did not answer as asked: its HTTP status (0: no answer at all) and one line. */
export class AgentError extends Error {
  override readonly name = "AgentError";
  constructor(
    readonly status: number,
    message: string,
    /** The seconds the agent asked to wait (Retry-After), if it said. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** Worth trying again later: no answer, a rate limit, or the agent not ready or failing. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export class AgentClient {
  constructor(
    /** The node's endpoint, the registry's URI. */
    readonly endpoint: string,
    private readonly timeoutMs: number,
  ) {}

  private async call(method: "GET" | "POST", route: string, body?: unknown): Promise<unknown> {
    const url = this.endpoint.replace(/\/+$/, "") + route;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (error) {
      const e = error as Error;
      const cause = (e.cause as Error | undefined)?.message;
      throw new AgentError(
        0,
        `${method} ${url}: ${e.name === "TimeoutError" ? `no answer in ${this.timeoutMs} ms` : (cause ?? e.message)}`,
      );
    }
    if (!res.ok) {
      let line: string;
      try {
        line = parseApiError(text, `${method} ${route}`).error;
      } catch {
        line = text.slice(0, 200);
      }
      const retry = Number(res.headers.get("retry-after"));
      throw new AgentError(
        res.status,
        `${method} ${url}: HTTP ${res.status}: ${line}`,
        Number.isFinite(retry) && retry > 0 ? retry : undefined,
      );
    }
    return text;
  }

  /** A quote for `request`, checked field by field (its signer and terms are the caller's to check). */
  async quote(request: QuoteRequest): Promise<SignedQuote> {
    return parseQuoteAnswer(
      await this.call("POST", SESSION_ROUTES.quote, quoteRequestToJson(request)),
      "the agent's quote",
    );
  }

  /** Sends a receipt; resolves once the agent says it stored it. */
  async receipt(signed: SignedReceipt): Promise<ReceiptAck> {
    const ack = parseReceiptAck(
      await this.call("POST", SESSION_ROUTES.receipts, receiptToJson(signed)),
      "the agent's receipt answer",
    );
    if (ack.leaseId !== signed.receipt.leaseId) {
      throw new AgentError(200, `the agent acknowledged lease ${ack.leaseId}, not ${signed.receipt.leaseId}`);
    }
    return ack;
  }

  /** The lease's access, for a request signed by its session key. */
  async access(signed: SignedAccessRequest): Promise<AccessAnswer> {
    const answer = parseAccessAnswer(
      await this.call("POST", SESSION_ROUTES.access, accessRequestToJson(signed)),
      "the agent's access answer",
    );
    if (answer.leaseId !== signed.request.leaseId) {
      throw new AgentError(200, `the agent answered for lease ${answer.leaseId}, not ${signed.request.leaseId}`);
    }
    return answer;
  }

  /** The agent's self-description (`GET /`): its receipt interval among others. */
  async info(): Promise<{ receiptIntervalSeconds?: number }> {
    const json = JSON.parse(String(await this.call("GET", "/"))) as { receiptIntervalSeconds?: unknown };
    const interval = json.receiptIntervalSeconds;
    return typeof interval === "number" && Number.isFinite(interval) && interval > 0
      ? { receiptIntervalSeconds: interval }
      : {};
  }
}
