import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import { expect } from "chai";
import { dataSlice, getAddress, id, ZeroAddress } from "ethers";
import hre, { network } from "hardhat";

import { Eip1193Transport } from "../../src/rpc/eip1193.js";
import { snapshotEvm } from "../../src/airdrop/snapshot/evm.js";
import { expectRejection, FAST_RETRY, serve, serveProvider, type TestServer } from "../helpers/rpc.js";

const { ethers, networkHelpers, provider } = await network.create();
const { loadFixture } = networkHelpers;

/**
 * Mines blocks one by one. `hardhat_mine` (networkHelpers.mine) reserves the blocks between its
 * first and last, and EDR 0.20 answers state queries at a reserved block as if nothing were
 * deployed (empty code, zero balances), so a snapshot at one would fail its checks.
 */
async function mine(blocks: number): Promise<void> {
  for (let i = 0; i < blocks; i++) await provider.request({ method: "evm_mine", params: [] });
}

async function tokenWithHolders() {
  const token = await ethers.deployContract("MockTransferLog");
  const holders = Array.from({ length: 40 }, (_, i) => getAddress(dataSlice(id(`task holder ${i}`), 12)));
  await token.batch(
    holders.map(() => ZeroAddress),
    holders,
    holders.map((_, i) => BigInt(i + 1) * 10n ** 18n),
  );
  await mine(30);
  // Empties the first two holders: one by a transfer, one by a burn.
  await token.batch([holders[0]!, holders[1]!], [holders[2]!, ZeroAddress], [10n ** 18n, 2n * 10n ** 18n]);
  await mine(20);
  return { token, tokenAddress: await token.getAddress(), holders };
}

/** Runs the task and returns what it printed. */
async function runTask(args: Record<string, unknown>): Promise<string> {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => printed.push(parts.join(" "));
  try {
    await hre.tasks.getTask("snapshot:evm").run(args);
  } finally {
    console.log = log;
  }
  return printed.join("\n");
}

describe("snapshot:evm task", function () {
  let server: TestServer;
  let out: string;

  before(async function () {
    server = await serveProvider(provider);
  });
  after(async function () {
    await server.close();
  });
  beforeEach(function () {
    out = path.join(mkdtempSync(path.join(tmpdir(), "gpufog-task-")), "snapshot.csv");
  });

  it("snapshots at the head minus the confirmations and prints the block it chose", async function () {
    const { tokenAddress } = await loadFixture(tokenWithHolders);
    const head = BigInt(await ethers.provider.getBlockNumber());
    const printed = await runTask({ token: tokenAddress, fromBlock: "0", rpc: server.url, out, confirmations: 5 });
    expect(printed).to.include(`snapshot block ${head - 5n} (head ${head} minus 5 confirmations)`);
    // 1 to 40 tokens of 18 decimals, less the 2 burned, in the token's own symbol.
    expect(printed).to.include(`wrote ${out}: 38 holders, 818.0 MTL in all (base units in the CSV)`);
    const expected = await snapshotEvm({
      transport: new Eip1193Transport(provider),
      token: tokenAddress,
      fromBlock: 0n,
      block: head - 5n,
      retry: FAST_RETRY,
    });
    expect(readFileSync(out, "utf8")).to.equal(expected.csv);
    expect(existsSync(`${out}.checkpoint.json`)).to.equal(false);
  });

  it("leaves out excluded addresses and lists them", async function () {
    const { tokenAddress, holders } = await loadFixture(tokenWithHolders);
    const printed = await runTask({
      token: tokenAddress,
      fromBlock: "0",
      rpc: server.url,
      out,
      exclude: `${holders[39]},${holders[38]}`,
      maxRange: 8,
    });
    expect(printed).to.include(`excluded      ${holders[39]} 40.0 MTL`);
    expect(printed).to.include(`wrote ${out}: 36 holders`);
    expect(readFileSync(out, "utf8")).to.not.include(holders[39]!);
  });

  it("resumes a checkpoint's block when --block is not given", async function () {
    const { tokenAddress } = await loadFixture(tokenWithHolders);
    const block = BigInt(await ethers.provider.getBlockNumber()) - 10n;
    const abort = new AbortController();
    const options = {
      transport: new Eip1193Transport(provider),
      token: tokenAddress,
      fromBlock: 0n,
      block,
      maxRange: 4,
      checkpointEveryMs: 0,
      retry: FAST_RETRY,
    };
    await expectRejection(
      snapshotEvm({
        ...options,
        checkpoint: `${out}.checkpoint.json`,
        signal: abort.signal,
        onProgress: (p) => p.nextBlock > 10n && abort.abort(new Error("stop")),
      }),
      Error,
      "stop",
    );
    await mine(5);
    const printed = await runTask({ token: tokenAddress, fromBlock: "0", rpc: server.url, out, maxRange: 4 });
    expect(printed).to.include(`snapshot block ${block}, from the checkpoint`);
    expect(printed).to.match(/resumed from the checkpoint at block \d+/);
    expect(readFileSync(out, "utf8")).to.equal((await snapshotEvm(options)).csv);
  });

  describe("bad options", function () {
    const cases: [string, Record<string, unknown>, string][] = [
      ["a missing token", { token: undefined }, 'field "--token": required'],
      ["a bad token address", { token: "0x1234" }, 'field "--token": "0x1234" is not an address'],
      ["a bad checksum", { token: "0x5FbDB2315678afecb367f032d93F642f64180aa4" }, "bad checksum"],
      ["a missing start block", { fromBlock: undefined }, 'field "--from-block": required'],
      ["a start block that is not a number", { fromBlock: "latest" }, '"latest" is not a block number'],
      ["a missing output", { out: undefined }, 'field "--out": required'],
      ["a start after the snapshot block", { fromBlock: "50", block: "40" }, "50 is after the snapshot block 40"],
      ["a block beyond the head", { block: "100000" }, "100000 is beyond the chain head"],
      ["a bad exclusion", { exclude: "0xdead" }, '"0xdead" is neither an address nor an existing file'],
      ["a URL that is not one", { rpc: "localhost:8545" }, 'field "--rpc": only http: and https: URLs'],
      ["a zero range", { maxRange: 0 }, 'field "--max-range": must be at least 1'],
    ];
    for (const [name, args, message] of cases) {
      it(`reports ${name} in one line`, async function () {
        const { tokenAddress } = await loadFixture(tokenWithHolders);
        const full = { token: tokenAddress, fromBlock: "0", block: "10", rpc: server.url, out, ...args };
        await expectRejection(runTask(full), HardhatPluginError, message);
        expect(existsSync(out)).to.equal(false);
      });
    }

    it("reports a snapshot that does not add up in one line and writes nothing", async function () {
      const { token, tokenAddress, holders } = await loadFixture(tokenWithHolders);
      await token.drift(holders[0]!, 1n, 1n);
      await expectRejection(
        runTask({ token: tokenAddress, fromBlock: "0", rpc: server.url, out, confirmations: 0 }),
        HardhatPluginError,
        /add up to \d+, but totalSupply\(\) at block \d+ is \d+/,
      );
      expect(existsSync(out)).to.equal(false);
    });

    it("reports an endpoint that does not answer in one line", async function () {
      const unused = await serve(() => {});
      const closed = unused.url;
      await unused.close();
      await expectRejection(
        runTask({ token: ZeroAddress, fromBlock: "0", rpc: `${closed}/secret`, out, attempts: 2 }),
        HardhatPluginError,
        `${closed}/… did not answer after 2 attempts: eth_blockNumber: fetch failed (ECONNREFUSED)`,
      );
    });
  });
});
