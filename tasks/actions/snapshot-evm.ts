import { existsSync } from "node:fs";

import cliProgress from "cli-progress";
import { Interface, isAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ERC20_ABI, type TokenInfo } from "../../src/erc20.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { Eip1193Transport } from "../../src/rpc/eip1193.js";
import { HttpTransport } from "../../src/rpc/http.js";
import { RetryingTransport } from "../../src/rpc/retry.js";
import type { RpcTransport } from "../../src/rpc/transport.js";
import { parseCheckpoint } from "../../src/airdrop/snapshot/checkpoint.js";
import { SnapshotError } from "../../src/airdrop/snapshot/errors.js";
import { snapshotEvm, type SnapshotProgress } from "../../src/airdrop/snapshot/evm.js";
import { parseExclusions } from "../../src/airdrop/snapshot/exclude.js";
import { cli } from "../cli.js";

interface SnapshotEvmArgs {
  token: string | undefined;
  fromBlock: string | undefined;
  block: string | undefined;
  confirmations: number;
  rpc: string | undefined;
  out: string | undefined;
  checkpoint: string | undefined;
  exclude: string | undefined;
  sample: number;
  maxRange: number;
  attempts: number;
}

const TASK = "snapshot:evm";

export default async function snapshotEvmAction(args: SnapshotEvmArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(() => run(args, hre));
}

async function run(args: SnapshotEvmArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  const bad = (field: string, problem: string) => new InputError(TASK, undefined, field, problem);
  if (args.token === undefined) throw bad("--token", "required: the ERC-20 contract address");
  if (!isAddress(args.token)) throw bad("--token", `"${args.token}" is not an address (or has a bad checksum)`);
  if (args.fromBlock === undefined) throw bad("--from-block", "required: the token's deployment block or earlier");
  const fromBlock = blockNumber(args.fromBlock, "--from-block");
  if (args.out === undefined) throw bad("--out", "required: the CSV file to write");
  if (!Number.isSafeInteger(args.maxRange) || args.maxRange < 1) throw bad("--max-range", "must be at least 1");
  if (args.attempts < 1) throw bad("--attempts", "must be at least 1");
  if (args.sample < 0) throw bad("--sample", "must not be negative");
  if (args.confirmations < 0) throw bad("--confirmations", "must not be negative");
  const checkpoint = args.checkpoint ?? `${args.out}.checkpoint.json`;
  const exclude = parseExclusions(args.exclude ?? "");

  const { transport, close } = await openTransport(args.rpc, hre);
  const abort = new AbortController();
  const onSigint = () =>
    abort.abort(new SnapshotError(`interrupted; progress is saved in ${checkpoint}, run the same command to resume`));
  process.once("SIGINT", onSigint);
  let bar: cliProgress.SingleBar | undefined;
  try {
    const retry = { attempts: args.attempts };
    const head = BigInt((await new RetryingTransport(transport, retry).request("eth_blockNumber", [])) as string);
    const block = chooseBlock(args, fromBlock, head, checkpoint);
    if (block > head) throw bad("--block", `${block} is beyond the chain head ${head} of ${transport.endpoint}`);
    if (fromBlock > block) throw bad("--from-block", `${fromBlock} is after the snapshot block ${block}`);
    console.log(`reading ${transport.endpoint}, blocks ${fromBlock}..${block}`);

    const onProgress = (p: SnapshotProgress) => {
      const done = Number(p.nextBlock - p.fromBlock);
      if (bar !== undefined) return bar.update(done, p);
      bar = new cliProgress.SingleBar(
        { format: " {bar} {percentage}% | block {value}/{total} | {logs} logs | {holders} holders | range {range}" },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Number(p.block - p.fromBlock + 1n), done, p);
    };
    const snapshot = await snapshotEvm({
      transport,
      token: args.token,
      fromBlock,
      block,
      checkpoint,
      exclude,
      sample: args.sample,
      maxRange: args.maxRange,
      retry,
      signal: abort.signal,
      onProgress,
      out: args.out,
    });
    bar?.stop();
    bar = undefined;

    if (snapshot.resumedFrom !== undefined) console.log(`resumed from the checkpoint at block ${snapshot.resumedFrom}`);
    console.log(`token         ${snapshot.token} on chain ${snapshot.chainId}`);
    console.log(`block         ${snapshot.block} (${snapshot.blockHash})`);
    console.log(
      `logs          ${snapshot.logs} in ${snapshot.requests} requests (${snapshot.refusals} refused as too large)`,
    );
    const info = await tokenUnits(new RetryingTransport(transport, retry), args.token, block);
    const amount = (x: bigint) => (info === undefined ? `${x} base units` : formatToken(x, info.symbol, info.decimals));
    console.log(`totalSupply() ${amount(snapshot.totalSupply)} = the sum of ${snapshot.holders} balances`);
    console.log(`balanceOf()   matches for ${snapshot.sampled.length} sampled holders`);
    for (const { address, amount: x } of snapshot.excluded) console.log(`excluded      ${address} ${amount(x)}`);
    console.log(
      `wrote ${args.out}: ${snapshot.rows.length} holders, ${amount(snapshot.total)} in all (base units in the CSV)`,
    );
  } finally {
    bar?.stop();
    process.off("SIGINT", onSigint);
    await close();
  }
}

async function openTransport(
  rpc: string | undefined,
  hre: HardhatRuntimeEnvironment,
): Promise<{ transport: RpcTransport; close: () => Promise<void> }> {
  if (rpc !== undefined) {
    let url: URL;
    try {
      url = new URL(rpc);
    } catch {
      throw new InputError(TASK, undefined, "--rpc", "not a URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new InputError(TASK, undefined, "--rpc", `only http: and https: URLs are supported, not ${url.protocol}`);
    }
    return { transport: new HttpTransport(rpc), close: async () => {} };
  }
  const connection = await hre.network.create();
  return {
    transport: new Eip1193Transport(connection.provider, `network "${connection.networkName}"`),
    close: () => connection.close(),
  };
}

/** `--block` when given; otherwise the block of an interrupted run of the same snapshot, or head minus confirmations. */
function chooseBlock(args: SnapshotEvmArgs, fromBlock: bigint, head: bigint, checkpoint: string): bigint {
  if (args.block !== undefined) return blockNumber(args.block, "--block");
  if (existsSync(checkpoint)) {
    const saved = parseCheckpoint(checkpoint);
    if (saved.token === args.token!.toLowerCase() && saved.fromBlock === fromBlock) {
      console.log(`snapshot block ${saved.block}, from the checkpoint ${checkpoint}`);
      return saved.block;
    }
  }
  const block = head - BigInt(args.confirmations);
  if (block < 0n) {
    throw new InputError(
      TASK,
      undefined,
      "--confirmations",
      `${args.confirmations} is more than the chain's ${head} blocks`,
    );
  }
  console.log(`snapshot block ${block} (head ${head} minus ${args.confirmations} confirmations)`);
  return block;
}

function blockNumber(value: string, field: string): bigint {
  if (!/^\d+$/.test(value)) throw new InputError(TASK, undefined, field, `"${value}" is not a block number`);
  return BigInt(value);
}

/** The token's symbol and decimals at the snapshot block, for the summary; none if it has no such metadata. */
async function tokenUnits(transport: RpcTransport, token: string, block: bigint): Promise<TokenInfo | undefined> {
  const erc20 = new Interface(ERC20_ABI);
  const call = async (name: "symbol" | "decimals") =>
    erc20.decodeFunctionResult(
      name,
      (await transport.request("eth_call", [
        { to: token, data: erc20.encodeFunctionData(name) },
        `0x${block.toString(16)}`,
      ])) as string,
    )[0] as unknown;
  try {
    const [symbol, decimals] = await Promise.all([call("symbol"), call("decimals")]);
    return { symbol: String(symbol), decimals: Number(decimals) };
  } catch {
    return undefined;
  }
}
