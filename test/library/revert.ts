import { expect } from "chai";
import { network } from "hardhat";

import { id, type Interface } from "ethers";

import type { TokenInfo } from "../../src/erc20.js";
import { decodeRevert, revertLine } from "../../src/revert.js";
import { TASK_HINTS } from "../../tasks/cli.js";
import {
  BuybackEmission__factory,
  GUT__factory,
  LeaseEscrow__factory,
  ProviderRegistry__factory,
  TFT__factory,
  TokenSwapDistributor__factory,
} from "../../types/index.js";
import {
  deployEscrowSystem,
  NodeStatus,
  openWithQuote,
  PRICE,
  quoteFor,
  UNIT,
} from "../contracts/LeaseEscrowFixture.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture } = networkHelpers;

async function system() {
  return deployEscrowSystem(ethers);
}

/** What the call threw, or a failure if it did not. */
async function thrown(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("the call did not revert");
}

describe("decodeRevert", function () {
  it("names a custom error and its arguments from the in-process network's error", async function () {
    const s = await loadFixture(system);
    await openWithQuote(s, ethers, UNIT);
    const { quote, signature } = await quoteFor(s, ethers);
    const error = await thrown(s.escrow.connect(s.customer).openLease(quote, signature, UNIT, ethers.ZeroAddress));
    const decoded = decodeRevert(error, [s.escrow.interface, s.registry.interface]);
    expect(decoded?.name).to.equal("NodeNotAvailable");
    expect(decoded?.args).to.deep.equal({ nodeId: 1n, status: BigInt(NodeStatus.Sharing) });
    expect(decoded?.message).to.equal("NodeNotAvailable: nodeId 1, status Sharing (another customer is leasing it)");
  });

  it("decodes a revert that bubbled up from a callee with the callee's ABI", async function () {
    const s = await loadFixture(system);
    const { escrow, gut, other } = s;
    await gut.connect(other).approve(await escrow.getAddress(), 0n);
    const { quote, signature } = await quoteFor(s, ethers, { customer: other.address });
    const error = await thrown(escrow.connect(other).openLease(quote, signature, UNIT, ethers.ZeroAddress));
    // Without the token's ABI only the in-process network's own message names it, without arguments.
    expect(decodeRevert(error, [escrow.interface])?.args).to.deep.equal({});
    const decoded = decodeRevert(error, [escrow.interface, gut.interface]);
    expect(decoded?.name).to.equal("ERC20InsufficientAllowance");
    expect(decoded?.message).to.match(
      /^ERC20InsufficientAllowance: spender 0x[0-9a-fA-F]{40}, allowance 0, needed 1000000000000000000 \(approve the contract first\)$/,
    );
  });

  it("reads anvil's shape: the data under the JSON-RPC error, and the selector in the message", async function () {
    const { escrow } = await loadFixture(system);
    const provider = "0x" + "44".repeat(20);
    const data = escrow.interface.encodeErrorResult("QuoteNonceUsed", [provider, 5n]);
    const fromRpc = {
      message: "execution reverted",
      info: { error: { code: 3, message: "execution reverted: custom error", data } },
    };
    expect(decodeRevert(fromRpc, [escrow.interface])?.message).to.equal(
      `QuoteNonceUsed: provider ${provider}, nonce 5 (this quote was used already: each quote opens one lease or reservation; ask for a new one)`,
    );
    const selectorOnly = { message: `execution reverted: custom error ${data.slice(0, 10)}:\0\0\0\0` };
    expect(decodeRevert(selectorOnly, [escrow.interface])?.name).to.equal("QuoteNonceUsed");
    expect(revertLine(selectorOnly, [escrow.interface])).to.equal(
      "the contract refused: QuoteNonceUsed (its arguments were not returned by the node)",
    );
  });

  it("hints name the moment to retry at, the missing role, and the epoch as a number", function () {
    const emission = BuybackEmission__factory.createInterface();
    const pair = "0x" + "11".repeat(20);
    const now = BigInt(Date.UTC(2026, 11, 3, 12, 0, 0) / 1000);
    const revert = (name: string, args: unknown[]) => ({ data: emission.encodeErrorResult(name, args) });
    expect(decodeRevert(revert("ObservationTooYoung", [pair, 600n, 1_800n]), [emission], { now })?.message).to.equal(
      `ObservationTooYoung: pair ${pair}, oldestAge 600, window 1800 (observation 600 s old, needs 1,800 s: retry after 12:20 UTC)`,
    );
    expect(decodeRevert(revert("ObservationStale", [pair, 4_000n, 3_600n]), [emission], { now })?.message).to.equal(
      `ObservationStale: pair ${pair}, age 4000, maxAge 3600 (observation 4,000 s old, at most 3,600 s: record a new one (observe), then retry after 12:30 UTC (one TWAP window))`,
    );
    expect(decodeRevert(revert("BucketNotEnded", [3n, 3n]), [emission])?.message).to.equal(
      "BucketNotEnded: epoch 3, current 3 (the bucket of epoch 3 sells once its epoch has ended (now epoch 3))",
    );
    const keeper = "0x" + "22".repeat(20);
    const missing = revert("AccessControlUnauthorizedAccount", [keeper, id("KEEPER_ROLE")]);
    expect(decodeRevert(missing, [emission])?.message).to.match(/\(0x2{40} does not hold KEEPER_ROLE\)$/);
  });

  it("words a selector two contracts share with the fields of the contract that was called", function () {
    const escrow = LeaseEscrow__factory.createInterface();
    const distributor = TokenSwapDistributor__factory.createInterface();
    const data = escrow.encodeErrorResult("InvalidWindow", [1_800_000_000n, 3_600n]);
    const called = (iface: Interface, fn: string, args: unknown[]) => ({
      data,
      transaction: { to: "0x" + "55".repeat(20), data: iface.encodeFunctionData(fn, args) },
    });
    const reserve = called(escrow, "cancelReservation", [1n]);
    // The distributor's ABI comes first, but the escrow's has the called function.
    expect(decodeRevert(reserve, [distributor, escrow])?.message).to.equal(
      "InvalidWindow: start 2027-01-15T08:00:00Z, duration 3600",
    );
    expect(decodeRevert({ data }, [distributor, escrow])?.message).to.match(/^InvalidWindow: start .*, deadline 3600$/);
    // A start in the past by the chain's clock is said so (a local chain runs ahead of the wall clock).
    expect(decodeRevert(reserve, [escrow], { now: 1_800_000_600n })?.message).to.equal(
      "InvalidWindow: start 2027-01-15T08:00:00Z, duration 3600 (the start is in the past by the chain's clock)",
    );
  });

  it("hints by the contract's meaning where two contracts use one name", function () {
    const escrow = LeaseEscrow__factory.createInterface();
    const emission = BuybackEmission__factory.createInterface();
    const registry = ProviderRegistry__factory.createInterface();
    const a = "0x" + "66".repeat(20);
    const line = (iface: Interface, name: string, args: unknown[]) =>
      decodeRevert({ data: iface.encodeErrorResult(name, args) }, [iface])?.message;
    expect(line(escrow, "NothingToClaim", [a, a])).to.match(/\(no refund is owed to this account in this token\)$/);
    expect(line(emission, "NothingToClaim", [a])).to.match(/\(nothing is claimable: a bucket's rewards/);
    expect(line(escrow, "NothingToWithdraw", [a, a])).to.match(/\(the provider has no earnings in this token\)$/);
    expect(line(registry, "NothingToWithdraw", [3n])).to.match(/\(the stake was already withdrawn\)$/);
    expect(line(registry, "NotNodeOperator", [3n, a])).to.equal(
      `NotNodeOperator: nodeId 3, caller ${a} (only the node's provider or its operator may do this)`,
    );
    expect(line(escrow, "NotLeaseProvider", [3n, a])).to.equal(
      `NotLeaseProvider: leaseId 3, caller ${a} (only the lease's provider or its operator may do this)`,
    );
  });

  it("speaks of contract actions, never of the project's tasks; a command line adds its own", function () {
    const ifaces = [
      ProviderRegistry__factory.createInterface(),
      LeaseEscrow__factory.createInterface(),
      BuybackEmission__factory.createInterface(),
      TokenSwapDistributor__factory.createInterface(),
      GUT__factory.createInterface(),
      TFT__factory.createInterface(),
    ];
    const now = BigInt(Date.UTC(2026, 11, 3, 12, 0, 0) / 1000);
    // Every error of every contract, with each small value in its integers (every status), and
    // with an address argument left out or set (the two-meaning hints).
    const value = (type: string, n: bigint, set: boolean): unknown => {
      if (type.startsWith("uint") || type.startsWith("int")) return n;
      if (type === "address") return set ? "0x" + "44".repeat(20) : "0x" + "00".repeat(20);
      if (type === "bool") return false;
      if (type === "string") return "field";
      if (type === "bytes") return "0x";
      const fixed = /^bytes(\d+)$/.exec(type);
      if (fixed) return "0x" + "00".repeat(Number(fixed[1]));
      throw new Error(`no sample value for ${type}`);
    };
    let worded = 0;
    for (const iface of ifaces) {
      iface.forEachError((fragment) => {
        for (const n of [0n, 1n, 2n, 3n, 4n]) {
          for (const set of [false, true]) {
            const data = iface.encodeErrorResult(
              fragment,
              fragment.inputs.map((input) => value(input.type, n, set)),
            );
            for (const context of [{}, { now }]) {
              const message = decodeRevert({ data }, [iface], context)?.message ?? "";
              expect(message, message).not.to.match(/\b[a-z]+:[a-z][a-z-]*\b/);
              worded++;
            }
          }
        }
      });
    }
    expect(worded).to.be.above(500);
    const escrow = LeaseEscrow__factory.createInterface();
    const data = escrow.encodeErrorResult("NodeNotAvailable", [1n, BigInt(NodeStatus.Sharing)]);
    expect(revertLine({ data }, [escrow], { hints: TASK_HINTS })).to.equal(
      "the contract refused: NodeNotAvailable: nodeId 1, status Sharing (another customer is leasing it: nodes:list --status idle shows the free nodes)",
    );
    const reserved = escrow.encodeErrorResult("NodeNotAvailable", [1n, BigInt(NodeStatus.Reserved)]);
    expect(revertLine({ data: reserved }, [escrow], { hints: TASK_HINTS })).to.equal(
      "the contract refused: NodeNotAvailable: nodeId 1, status Reserved (another customer has reserved it)",
    );
  });

  it("leaves an error that is no revert to its first line, without NUL bytes", function () {
    expect(decodeRevert(new Error("connect ECONNREFUSED"), [])).to.equal(undefined);
    expect(revertLine(new Error("socket hang up\n    at stack"), [])).to.equal("socket hang up");
  });

  describe("with the call's token in the context", function () {
    const GUT: TokenInfo = { symbol: "GUT", decimals: 18 };
    const escrow = LeaseEscrow__factory.createInterface();
    const registry = ProviderRegistry__factory.createInterface();
    const distributor = TokenSwapDistributor__factory.createInterface();
    const emission = BuybackEmission__factory.createInterface();
    const tft = TFT__factory.createInterface();
    const gutToken = GUT__factory.createInterface();
    const someone = "0x" + "33".repeat(20);
    const message = (iface: Interface, name: string, args: unknown[], token?: TokenInfo) =>
      decodeRevert({ data: iface.encodeErrorResult(name, args) }, [iface], { token })?.message;

    it("prints the amounts of that token in its units and keeps the arguments raw", async function () {
      const sys = await loadFixture(system);
      const { escrow: deployed, gut, other } = sys;
      await gut.connect(other).approve(await deployed.getAddress(), 0n);
      const { quote, signature } = await quoteFor(sys, ethers, { customer: other.address });
      const error = await thrown(deployed.connect(other).openLease(quote, signature, UNIT, ethers.ZeroAddress));
      const decoded = decodeRevert(error, [deployed.interface, gut.interface], { token: GUT });
      expect(decoded?.message).to.match(
        /^ERC20InsufficientAllowance: spender 0x[0-9a-fA-F]{40}, allowance 0\.0 GUT, needed 1\.0 GUT \(approve the contract first\)$/,
      );
      expect(decoded?.args.needed).to.equal(UNIT);
      const rate = { data: escrow.encodeErrorResult("RateOutOfRange", [1n, PRICE, 1_000n]) };
      expect(revertLine(rate, [escrow], { token: GUT })).to.equal(
        "the contract refused: RateOutOfRange: nodeId 1, pricePerTuHour 3.6 GUT, milliTu 1000",
      );
      expect(decodeRevert(rate, [escrow], { token: GUT })?.args).to.deep.equal({
        nodeId: 1n,
        pricePerTuHour: PRICE,
        milliTu: 1_000n,
      });
      expect(message(escrow, "DepositBelowFee", [0n, 1_500_000n], { symbol: "USDC", decimals: 6 })).to.equal(
        "DepositBelowFee: deposit 0.0 USDC, fee 1.5 USDC (the deposit must be above the reservation fee, which prices the whole hold)",
      );
      const token = "0x" + "77".repeat(20);
      const mismatch = { data: escrow.encodeErrorResult("TransferMismatch", [token, UNIT, UNIT - 1n]) };
      expect(decodeRevert(mismatch, [escrow], { token: { ...GUT, address: token } })?.message).to.match(
        /^TransferMismatch: token 0x7{40}, expected 1\.0 GUT, received 0\.999999999999999999 GUT \(/,
      );
    });

    it("names every amount of the call's token by the contracts' own argument names", function () {
      const cases: [Interface, string, unknown[], string][] = [
        [escrow, "AmountTooLarge", [2n * UNIT, UNIT], "AmountTooLarge: amount 2.0 GUT, max 1.0 GUT"],
        [
          escrow,
          "RateOutOfRange",
          [1n, UNIT, 1_000n],
          "RateOutOfRange: nodeId 1, pricePerTuHour 1.0 GUT, milliTu 1000",
        ],
        [
          distributor,
          "InvalidProof",
          [7n, someone, 5n * UNIT],
          `InvalidProof: index 7, holder ${someone}, amount 5.0 GUT`,
        ],
        [distributor, "Underfunded", [0n, 1_234_500n * UNIT], "Underfunded: balance 0.0 GUT, total 1,234,500.0 GUT"],
        [
          gutToken,
          "ERC20InsufficientBalance",
          [someone, UNIT, 2n * UNIT],
          `ERC20InsufficientBalance: sender ${someone}, balance 1.0 GUT, needed 2.0 GUT (the sender's balance is too small)`,
        ],
      ];
      for (const [iface, name, args, expected] of cases) expect(message(iface, name, args, GUT)).to.equal(expected);
    });

    it("prints them as integers without a token", function () {
      expect(message(escrow, "DepositBelowFee", [PRICE, UNIT])).to.match(
        /^DepositBelowFee: deposit 3600000000000000000, fee 1000000000000000000 \(/,
      );
    });

    it("leaves raw an amount that may be of another token: the emission's TFT, a token the error names, a node's price", function () {
      const pair = "0x" + "11".repeat(20);
      const cases: [Interface, string, unknown[], string][] = [
        [
          emission,
          "BelowTwapQuote",
          [UNIT, 2n * UNIT],
          "BelowTwapQuote: minTftOut 1000000000000000000, minAllowed 2000000000000000000 (the pool moved against the average price: retry, and the quote is read again)",
        ],
        [
          emission,
          "AboveTwapQuote",
          [2n * UNIT, UNIT],
          "AboveTwapQuote: tftOut 2000000000000000000, maxAllowed 1000000000000000000",
        ],
        [
          tft,
          "BurnBelowFloor",
          [2n * UNIT, UNIT],
          "BurnBelowFloor: amount 2000000000000000000, burnable 1000000000000000000",
        ],
        [
          emission,
          "ExceedsBucket",
          [3n, pair, 2n * UNIT, UNIT],
          `ExceedsBucket: epoch 3, token ${pair}, amount 2000000000000000000, unsold 1000000000000000000 (only 1000000000000000000 of the bucket is unsold)`,
        ],
        [
          emission,
          "FeeNotReceived",
          [pair, UNIT, 0n],
          `FeeNotReceived: token ${pair}, fee 1000000000000000000, unaccounted 0`,
        ],
        [
          escrow,
          "TransferMismatch",
          [pair, UNIT, UNIT - 1n],
          `TransferMismatch: token ${pair}, expected 1000000000000000000, received 999999999999999999 (the token moved a different amount than asked: fee-on-transfer tokens are not supported)`,
        ],
        [registry, "PriceOutOfRange", [0n], "PriceOutOfRange: pricePerTuHour 0"],
        [
          registry,
          "StakeBelowRequired",
          [1n, UNIT, 2n * UNIT],
          "StakeBelowRequired: nodeId 1, stake 1000000000000000000, requiredStake 2000000000000000000 (node 1 holds less stake than it needs to take a lease until its provider adds the rest (addStake))",
        ],
        [
          gutToken,
          "CapExceeded",
          [2n * UNIT, UNIT],
          "CapExceeded: requested 2000000000000000000, mintable 1000000000000000000",
        ],
      ];
      for (const [iface, name, args, expected] of cases) expect(message(iface, name, args, GUT)).to.equal(expected);
    });
  });
});
