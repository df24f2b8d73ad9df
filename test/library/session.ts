import { expect } from "chai";
import { verifyMessage, Wallet } from "ethers";

import {
  accessMessage,
  accessRequestToJson,
  parseAccessAnswer,
  parseAccessRequest,
  parseApiError,
  parsePresence,
  parseQuoteAnswer,
  parseQuoteRequest,
  parseReceiptAck,
  parseReceiptAnswer,
  parseReceiptPath,
  parseReceiptSubmission,
  presenceMessage,
  presenceToJson,
  quoteRequestToJson,
  receiptAckToJson,
  receiptPath,
} from "../../src/session/index.js";

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bB";
const SIG = "0x" + "11".repeat(65);

/** The one line `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    const message = (error as Error).message;
    expect(message.split("\n")).to.have.length(1);
    return message;
  }
  throw new Error("accepted");
}

describe("session messages", function () {
  describe("QuoteRequest", function () {
    it("round-trips a lease request and a reservation request", function () {
      expect(parseQuoteRequest(quoteRequestToJson({ nodeId: 7n, customer: A }))).to.deep.equal({
        nodeId: 7n,
        customer: A,
      });
      const r = { nodeId: 1n, customer: A, token: B, windowStart: 1_800_000_000n, windowDuration: 600n };
      expect(parseQuoteRequest(JSON.stringify(quoteRequestToJson(r)))).to.deep.equal(r);
    });

    it("names the field of each bad input in one line", function () {
      const ok = { nodeId: "1", customer: A };
      const cases: [unknown, string][] = [
        ["{", "POST /quote: is not JSON: "],
        [[], "POST /quote: is not a JSON object"],
        [{ customer: A }, 'POST /quote, field "nodeId": is missing'],
        [{ ...ok, nodeId: "0" }, 'POST /quote, field "nodeId": must be a node id (1 or more)'],
        [{ ...ok, nodeId: "-1" }, 'POST /quote, field "nodeId": "-1" is not a whole number'],
        [
          { ...ok, nodeId: (1n << 64n).toString() },
          'POST /quote, field "nodeId": 18446744073709551616 does not fit a uint64',
        ],
        [{ ...ok, customer: "0x12" }, 'POST /quote, field "customer": "0x12" is not an address'],
        [{ ...ok, customer: 5 }, 'POST /quote, field "customer": is 5, not a string'],
        [{ ...ok, token: "GUT" }, 'POST /quote, field "token": "GUT" is not an address'],
        [
          { ...ok, windowStart: "5" },
          'POST /quote, field "windowDuration": is missing: a window needs its start and length',
        ],
        [
          { ...ok, windowStart: "5", windowDuration: "0" },
          'POST /quote, field "windowDuration": must be at least 1 second',
        ],
        [
          { ...ok, windowStart: "x", windowDuration: "1" },
          'POST /quote, field "windowStart": "x" is not a whole number',
        ],
        [{ ...ok, price: "1" }, 'POST /quote, field "price": is not a field of this message'],
        [{ ...ok, format: "v0" }, 'POST /quote, field "format": is "v0", expected "gpufog-quote-request-v1"'],
      ];
      for (const [input, line] of cases)
        expect(refusal(() => parseQuoteRequest(input, "POST /quote"))).to.include(line);
    });

    it("parses the quote answer in the quote file format", function () {
      const file = {
        format: "gpufog-quote-v1",
        chainId: "31337",
        escrow: A,
        quote: {
          nodeId: "1",
          customer: A,
          token: B,
          pricePerTuHour: "5",
          windowStart: "0",
          windowDuration: "0",
          expiry: "9",
          nonce: "3",
        },
        signature: SIG,
      };
      expect(parseQuoteAnswer(file).quote.pricePerTuHour).to.equal(5n);
      expect(refusal(() => parseQuoteAnswer({ ...file, quote: { ...file.quote, expiry: "soon" } }))).to.equal(
        'quote answer, field "quote.expiry": "soon" is not a whole number (write it as a decimal string)',
      );
    });
  });

  describe("ReceiptSubmission", function () {
    const receipt = {
      format: "gpufog-receipt-v1",
      chainId: "31337",
      escrow: A,
      receipt: { leaseId: "4", paidThrough: "1800000000" },
      signature: SIG,
    };
    it("parses the receipt file format and its acknowledgement", function () {
      expect(parseReceiptSubmission(receipt).receipt).to.deep.equal({ leaseId: 4n, paidThrough: 1_800_000_000n });
      expect(parseReceiptAck(receiptAckToJson({ leaseId: 4n, paidThrough: 9n, stored: true }))).to.deep.equal({
        leaseId: 4n,
        paidThrough: 9n,
        stored: true,
      });
    });

    it("names the field of each bad input in one line", function () {
      const cases: [unknown, string][] = [
        [
          { ...receipt, format: "gpufog-quote-v1" },
          'POST /receipts, field "format": is "gpufog-quote-v1", expected "gpufog-receipt-v1"',
        ],
        [{ ...receipt, receipt: { leaseId: "4" } }, 'POST /receipts, field "receipt.paidThrough": is missing'],
        [
          { ...receipt, receipt: { ...receipt.receipt, leaseId: "0" } },
          'POST /receipts, field "receipt.leaseId": must be a lease id',
        ],
        [
          { ...receipt, receipt: { ...receipt.receipt, paidThrough: String(1n << 41n) } },
          'POST /receipts, field "receipt.paidThrough": does not fit a uint40 timestamp',
        ],
        [
          { ...receipt, signature: "0xz" },
          'POST /receipts, field "signature": "0xz" is not a 0x-prefixed hex signature',
        ],
        [{ ...receipt, escrow: "me" }, 'POST /receipts, field "escrow": "me" is not an address'],
        [{ ...receipt, chainId: 1.5 }, 'POST /receipts, field "chainId": 1.5 is not a whole number'],
      ];
      for (const [input, line] of cases) {
        expect(refusal(() => parseReceiptSubmission(input, "POST /receipts"))).to.include(line);
      }
      expect(
        refusal(() => parseReceiptAck({ format: "gpufog-receipt-ack-v1", leaseId: "1", paidThrough: "2" })),
      ).to.equal('receipt answer, field "stored": is missing');
    });
  });

  describe("receipt of a lease (GET /receipts/<leaseId>)", function () {
    it("round-trips the path and refuses what is not a lease id", function () {
      expect(parseReceiptPath(receiptPath(42n))).to.equal(42n);
      expect(parseReceiptPath("/quote")).to.equal(undefined);
      for (const bad of ["0", "abc", "1/2", "-1", "18446744073709551616"]) {
        expect(refusal(() => parseReceiptPath(`${receiptPath(1n).replace(/1$/, "")}${bad}`))).to.match(
          /^GET \/receipts, field "leaseId": .* is not a lease id$/,
        );
      }
    });

    it("takes the agent's answer only for the lease asked", function () {
      const answer = {
        format: "gpufog-receipt-v1",
        chainId: "31337",
        escrow: A,
        receipt: { leaseId: "7", paidThrough: "1800000000" },
        signature: SIG,
      };
      expect(parseReceiptAnswer(answer, 7n).receipt.paidThrough).to.equal(1_800_000_000n);
      expect(refusal(() => parseReceiptAnswer(answer, 8n))).to.equal(
        'receipt answer, field "receipt.leaseId": is 7, not lease 8',
      );
    });
  });

  describe("Presence", function () {
    it("is signed by the operator over a text any client rebuilds, and parsed back", async function () {
      const operator = Wallet.createRandom();
      const presence = { chainId: 31337n, registry: A, nodeId: 3n, at: 1_800_000_000n, status: "Idle" as const };
      const signature = await operator.signMessage(presenceMessage(presence));
      const parsed = parsePresence(
        JSON.parse(JSON.stringify(presenceToJson({ presence, signer: operator.address, signature }))),
      );
      expect(parsed.presence).to.deep.equal(presence);
      expect(verifyMessage(presenceMessage(parsed.presence), parsed.signature)).to.equal(operator.address);
      expect(presenceMessage(presence)).to.equal(
        `gpufog presence\nchain: 31337\nregistry: ${A}\nnode: 3\nat: 1800000000\nstatus: Idle`,
      );
    });

    it("names the field of each bad input in one line", function () {
      const good = presenceToJson({
        presence: { chainId: 1n, registry: A, nodeId: 3n, at: 5n, status: "Sharing" },
        signer: B,
        signature: SIG,
      });
      expect(refusal(() => parsePresence({ ...good, status: "Up" }))).to.equal(
        'presence, field "status": is "Up", not one of Idle, Sharing, Reserved, Disconnect',
      );
      expect(refusal(() => parsePresence({ ...good, at: undefined }))).to.equal('presence, field "at": is missing');
      expect(refusal(() => parsePresence({ ...good, signer: "0x" }))).to.equal(
        'presence, field "signer": "0x" is not an address',
      );
    });
  });

  describe("AccessRequest", function () {
    const request = { chainId: 31337n, escrow: A, leaseId: 2n, at: 1_800_000_000n };
    it("is signed by the session key over a text naming the chain, escrow, lease and time", async function () {
      const key = Wallet.createRandom();
      const signature = await key.signMessage(accessMessage(request));
      const parsed = parseAccessRequest(JSON.stringify(accessRequestToJson({ request, signature })));
      expect(parsed.request).to.deep.equal(request);
      expect(verifyMessage(accessMessage(parsed.request), parsed.signature)).to.equal(key.address);
      expect(accessMessage(request)).to.equal(`gpufog access\nchain: 31337\nescrow: ${A}\nlease: 2\nat: 1800000000`);
    });

    it("names the field of each bad input in one line", function () {
      const good = accessRequestToJson({ request, signature: SIG });
      const cases: [unknown, string][] = [
        [{ ...good, leaseId: "0" }, 'POST /access, field "leaseId": must be a lease id'],
        [{ ...good, at: "soon" }, 'POST /access, field "at": "soon" is not a whole number'],
        [{ ...good, signature: undefined }, 'POST /access, field "signature": is missing'],
        [{ ...good, escrow: 1 }, 'POST /access, field "escrow": is 1, not a string'],
        [{ ...good, key: "x" }, 'POST /access, field "key": is not a field of this message'],
        [{ ...good, format: undefined }, 'POST /access, field "format": is missing'],
      ];
      for (const [input, line] of cases)
        expect(refusal(() => parseAccessRequest(input, "POST /access"))).to.include(line);
      expect(refusal(() => parseAccessAnswer({ format: "gpufog-access-v1", leaseId: "2", access: [] }))).to.equal(
        'access answer, field "access": is not a JSON object',
      );
      expect(parseApiError({ format: "gpufog-api-error-v1", status: 429, error: "slow down" })).to.deep.equal({
        status: 429,
        error: "slow down",
      });
    });
  });
});
