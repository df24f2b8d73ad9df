// Reads and writes through wagmi's config: reads go to the configured RPC endpoint (no wallet
// needed), writes through the connected EIP-1193 wallet. A write is simulated first, so a revert
// is caught before the wallet asks for a signature, and decoded with gpufog's `decodeRevert`
// against every contract's ABI (a revert can bubble up from a callee), never shown as hex.
import { decodeRevert, inRanges, type TokenInfo } from "gpufog";
import { BuybackEmission, GUT, LeaseEscrow, ProviderRegistry, TFT, TokenSwapDistributor } from "gpufog/abi";
import { type Abi, type Address, BaseError, ContractFunctionRevertedError, erc20Abi, type Hash } from "viem";
import type { Config } from "wagmi";
import { getPublicClient, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";

const ABIS = [TokenSwapDistributor, LeaseEscrow, ProviderRegistry, GUT, TFT, BuybackEmission] as const;

export type TxState =
  | { phase: "idle" }
  | { phase: "signing"; label: string }
  | { phase: "pending"; label: string; hash: Hash }
  | { phase: "mined"; label: string; hash: Hash; block: bigint }
  | { phase: "failed"; label: string; reason: string };

export interface Call {
  label: string;
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  /** The token the call moves, for the amounts a revert names. */
  token?: TokenInfo;
}

/**
 * The words for a failed call: the decoded revert when there is one (its amounts of `token` in
 * its units), else the error's short message.
 */
export function explain(error: unknown, token?: TokenInfo): string {
  // viem keeps the raw revert bytes on ContractFunctionRevertedError.raw, where decodeRevert
  // (written for ethers and node errors) does not look; hand them over under `data`.
  let subject: unknown = error;
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw) subject = { data: reverted.raw };
  }
  const decoded = decodeRevert(subject, ABIS as never, { token });
  if (decoded) return `the contract refused: ${decoded.message}`;
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends the calls in order (an approval, then the call that spends it), reporting each one's
 * signing, pending, mined or failed state; stops at the first failure. Returns whether all mined.
 */
export async function send(
  config: Config,
  account: Address,
  calls: readonly Call[],
  report: (state: TxState) => void,
): Promise<boolean> {
  for (const call of calls) {
    try {
      report({ phase: "signing", label: call.label });
      const { label: _, token: __, ...contractCall } = call;
      const { request } = await simulateContract(config, { ...contractCall, account } as never);
      const hash = await writeContract(config, request as never);
      report({ phase: "pending", label: call.label, hash });
      const receipt = await waitForTransactionReceipt(config, { hash });
      if (receipt.status !== "success") {
        report({ phase: "failed", label: call.label, reason: `reverted in block ${receipt.blockNumber}` });
        return false;
      }
      report({ phase: "mined", label: call.label, hash, block: receipt.blockNumber });
    } catch (error) {
      report({ phase: "failed", label: call.label, reason: explain(error, call.token) });
      return false;
    }
  }
  return true;
}

export function client(config: Config) {
  const c = getPublicClient(config);
  if (!c) throw new Error("no client for the configured chain");
  return c;
}

/**
 * A log query from `fromBlock` (a contract's creation block, from the address book) to the latest
 * block, asked again over halved ranges while the endpoint refuses the range as too wide, as
 * public endpoints do for `eth_getLogs`.
 */
export async function logsSince<T>(
  config: Config,
  fromBlock: number,
  query: (range: { fromBlock: bigint; toBlock: bigint }) => Promise<T[]>,
): Promise<T[]> {
  // Not viem's cached block number: a read right after a transaction must reach its block.
  const latest = Number(await client(config).getBlockNumber({ cacheTime: 0 }));
  return inRanges((from, to) => query({ fromBlock: BigInt(from), toBlock: BigInt(to) }), fromBlock, latest);
}

/** The chain's time (the latest block's timestamp): claim windows and heartbeats are judged by it, not the browser's clock. */
export async function chainNow(config: Config): Promise<bigint> {
  return (await client(config).getBlock()).timestamp;
}

/**
 * `call`, preceded by an approval of `amount` of `token` to the escrow when the owner's allowance
 * is short: a payment into the escrow is always these one or two transactions.
 */
export async function withEscrowApproval(
  config: Config,
  owner: Address,
  escrow: Address,
  token: Address,
  amount: bigint,
  money: (amount: bigint) => string,
  call: Call,
): Promise<Call[]> {
  const allowance = await client(config).readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [owner, escrow],
  });
  if (allowance >= amount) return [call];
  const approve: Call = {
    label: `Approve ${money(amount)} for the escrow`,
    address: token,
    abi: erc20Abi,
    functionName: "approve",
    args: [escrow, amount],
    token: call.token,
  };
  return [approve, call];
}

/** A chain timestamp as a date and time in the browser's time zone, which it names. */
export function formatTime(seconds: bigint): string {
  // dateStyle and timeStyle refuse timeZoneName beside them, hence the fields one by one.
  return new Date(Number(seconds) * 1000).toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
}
