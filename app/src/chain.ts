// Reads and writes through wagmi's config: reads go to the configured RPC endpoint (no wallet
// needed), writes through the connected EIP-1193 wallet. A write is simulated first, so a revert
// is caught before the wallet asks for a signature, and decoded with gpufog's `decodeRevert`
// against every contract's ABI (a revert can bubble up from a callee), never shown as hex.
import { decodeRevert, inRanges, type TokenInfo } from "gpufog";
import { BuybackEmission, GUT, LeaseEscrow, ProviderRegistry, TFT, TokenSwapDistributor } from "gpufog/abi";
import {
  type Abi,
  type Address,
  BaseError,
  type ContractFunctionParameters,
  ContractFunctionRevertedError,
  encodeFunctionData,
  erc20Abi,
  type Hash,
  type Hex,
  type MulticallReturnType,
  parseSignature,
} from "viem";
import type { Config } from "wagmi";
import {
  getConnection,
  getPublicClient,
  signTypedData,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "wagmi/actions";

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
 * When this page last sent a transaction (mined, reverted or refused): a list read soon after waits
 * for the indexer to reach the chain's head (app/src/indexer.tsx), so the page shows its own write.
 */
export let lastWriteAt = 0;

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
  const wrong = wrongChain(config);
  if (wrong && calls[0]) {
    report({ phase: "failed", label: calls[0].label, reason: wrong });
    return false;
  }
  try {
    return await sendAll(config, account, calls, report);
  } finally {
    lastWriteAt = Date.now();
  }
}

async function sendAll(
  config: Config,
  account: Address,
  calls: readonly Call[],
  report: (state: TxState) => void,
): Promise<boolean> {
  for (const call of calls) {
    try {
      report({ phase: "signing", label: call.label });
      const { label: _, token: __, ...contractCall } = call;
      const chainId = config.chains[0].id;
      const { request } = await simulateContract(config, { ...contractCall, account, chainId } as never);
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

/**
 * Why nothing may be sent now, when the wallet is on another chain than the app's: the words for
 * the banner and for a refused send. `undefined` when the chains agree (or no wallet is connected).
 */
export function wrongChain(config: Config): string | undefined {
  const { chainId, status } = getConnection(config);
  const chain = config.chains[0];
  if (status !== "connected" || chainId === undefined || chainId === chain.id) return undefined;
  return `the wallet is on chain ${chainId}, not on ${chain.name} (chain ${chain.id}): switch the wallet's network first`;
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

/** An account's balance of a token. */
export function balanceOf(config: Config, token: Address, owner: Address): Promise<bigint> {
  return client(config).readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [owner] });
}

const PERMIT_ABI = [
  {
    type: "function",
    name: "nonces",
    stateMutability: "view",
    inputs: [{ name: "owner", type: "address" }],
    outputs: [{ type: "uint256" }],
  },
  {
    type: "function",
    name: "eip712Domain",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { name: "fields", type: "bytes1" },
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "chainId", type: "uint256" },
      { name: "verifyingContract", type: "address" },
      { name: "salt", type: "bytes32" },
      { name: "extensions", type: "uint256[]" },
    ],
  },
] as const;

/** How long a permit signed for a payment stays usable: the transaction follows at once. */
const PERMIT_TTL = 1_800n;

/**
 * The escrow calls `inner` as one transaction that pays `amount` of `token` without a separate
 * approval: when the token has ERC-2612 permit (GUT has), the wallet signs a permit (no
 * transaction) and the escrow's `multicall([selfPermit, ...inner])` spends it; a token without
 * permit, or an allowance that already covers the amount, takes the approval path of
 * `withEscrowApproval`. `label` names the one transaction.
 */
export async function withPermit(
  config: Config,
  owner: Address,
  escrow: Address,
  token: Address,
  amount: bigint,
  money: (amount: bigint) => string,
  label: string,
  inner: { functionName: string; args: readonly unknown[] }[],
  info?: TokenInfo,
): Promise<Call[]> {
  const c = client(config);
  const data = inner.map((call) => encodeFunctionData({ abi: LeaseEscrow, ...call } as never) as Hex);
  const multicall = (calls: Hex[]): Call => ({
    label,
    address: escrow,
    abi: LeaseEscrow,
    functionName: "multicall",
    args: [calls],
    token: info,
  });
  const allowance = await c.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [owner, escrow],
  });
  let permit: { domain: readonly unknown[]; nonce: bigint } | undefined;
  if (allowance < amount) {
    try {
      const [domain, nonce] = await Promise.all([
        c.readContract({ address: token, abi: PERMIT_ABI, functionName: "eip712Domain" }),
        c.readContract({ address: token, abi: PERMIT_ABI, functionName: "nonces", args: [owner] }),
      ]);
      permit = { domain, nonce };
    } catch {
      // No ERC-2612 with ERC-5267 here: the approval path below.
    }
  }
  if (allowance >= amount || !permit) {
    return withEscrowApproval(config, owner, escrow, token, amount, money, multicall(data));
  }
  const [, name, version, chainId, verifyingContract] = permit.domain as [Hex, string, string, bigint, Address];
  const deadline = (await chainNow(config)) + PERMIT_TTL;
  const signature = await signTypedData(config, {
    account: owner,
    domain: { name, version, chainId, verifyingContract },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner, spender: escrow, value: amount, nonce: permit.nonce, deadline },
  });
  const { v, r, s } = parseSignature(signature);
  const selfPermit = encodeFunctionData({
    abi: LeaseEscrow,
    functionName: "selfPermit",
    args: [token, amount, deadline, Number(v ?? 27n), r, s],
  });
  return [multicall([selfPermit, ...data])];
}

/**
 * Many views in one `eth_call`: Multicall3 where the chain names it, else viem's deployless
 * multicall (no contract needed, as on a local chain). Not split into chunks: a page's views are
 * few and bounded, and each chunk would be another request. A failing view fails the whole read.
 */
export async function readMany<const contracts extends readonly ContractFunctionParameters[]>(
  config: Config,
  contracts: contracts,
): Promise<MulticallReturnType<contracts, false>> {
  const c = client(config);
  if (contracts.length === 0) return [] as unknown as MulticallReturnType<contracts, false>;
  return (await c.multicall({
    contracts: contracts as never,
    allowFailure: false,
    batchSize: 0,
    deployless: c.chain.contracts?.multicall3 === undefined,
  })) as MulticallReturnType<contracts, false>;
}
