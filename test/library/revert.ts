import { expect } from "chai";
import { network } from "hardhat";

import { id } from "ethers";

import { decodeRevert, revertLine } from "../../src/revert.js";
import { BuybackEmission__factory } from "../../types/index.js";
import { ANY_PRICE, deployEscrowSystem, NodeStatus, UNIT } from "../contracts/LeaseEscrowFixture.js";

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
    const { escrow, registry, customer } = await loadFixture(system);
    const error = await thrown(escrow.connect(customer).openLease(9n, UNIT, ANY_PRICE));
    const decoded = decodeRevert(error, [escrow.interface, registry.interface]);
    expect(decoded?.name).to.equal("NodeNotAvailable");
    expect(decoded?.args).to.deep.equal({ nodeId: 9n, status: BigInt(NodeStatus.None) });
    expect(decoded?.message).to.equal(
      "NodeNotAvailable: nodeId 9, status None (no such node: nodes:list shows the nodes)",
    );
  });

  it("decodes a revert that bubbled up from a callee with the callee's ABI", async function () {
    const { escrow, registry, gut, other } = await loadFixture(system);
    await gut.connect(other).approve(await escrow.getAddress(), 0n);
    const error = await thrown(escrow.connect(other).openLease(1n, UNIT, ANY_PRICE));
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
    const data = escrow.interface.encodeErrorResult("PriceAboveBound", [1n, 5n, 4n]);
    const fromRpc = {
      message: "execution reverted",
      info: { error: { code: 3, message: "execution reverted: custom error", data } },
    };
    expect(decodeRevert(fromRpc, [escrow.interface])?.message).to.match(
      /^PriceAboveBound: nodeId 1, pricePerTuHour 5, maxPricePerTuHour 4 \(the node's price rose/,
    );
    const selectorOnly = { message: `execution reverted: custom error ${data.slice(0, 10)}:\0\0\0\0` };
    expect(decodeRevert(selectorOnly, [escrow.interface])?.name).to.equal("PriceAboveBound");
    expect(revertLine(selectorOnly, [escrow.interface])).to.equal(
      "the contract refused: PriceAboveBound (its arguments were not returned by the node)",
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
      `ObservationStale: pair ${pair}, age 4000, maxAge 3600 (observation 4,000 s old, at most 3,600 s: run emission:observe, then retry after 12:30 UTC (one TWAP window))`,
    );
    expect(decodeRevert(revert("BucketNotEnded", [3n, 3n]), [emission])?.message).to.equal(
      "BucketNotEnded: epoch 3, current 3 (the bucket of epoch 3 sells once its epoch has ended (now epoch 3))",
    );
    const keeper = "0x" + "22".repeat(20);
    const missing = revert("AccessControlUnauthorizedAccount", [keeper, id("KEEPER_ROLE")]);
    expect(decodeRevert(missing, [emission])?.message).to.match(/\(0x2{40} does not hold KEEPER_ROLE\)$/);
  });

  it("leaves an error that is no revert to its first line, without NUL bytes", function () {
    expect(decodeRevert(new Error("connect ECONNREFUSED"), [])).to.equal(undefined);
    expect(revertLine(new Error("socket hang up\n    at stack"), [])).to.equal("socket hang up");
  });
});
