import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { connectEmission } from "../src/emission/client.js";
import { InputError } from "../src/errors.js";
import { tokenInfo, type TokenInfo } from "../src/erc20.js";
import { connectEscrow, type EscrowHandle } from "../src/escrow.js";
import { formatToken } from "../src/format.js";
import { readInputFile } from "../src/io.js";
import { parseSignedQuote, parseSignedReceipt, type SignedQuote, type SignedReceipt } from "../src/market/quote.js";
import { parseAddress, parseId, parseInteger } from "../src/parse.js";
import { connectRegistry, toNodeView, type NodeStatus, type NodeView } from "../src/registry.js";
import type { ContractName } from "../src/deployments.js";
import type { BuybackEmission, ProviderRegistry } from "../types/index.js";
import { addressOption } from "./address-book.js";
import { cli, optionsGiven, type OptionsAsGiven, type RevertScope } from "./cli.js";

/**
 * What every task that talks to the market works with: the signer named by `--account` (the
 * network's first account by default), the contracts named by their options or by the network's
 * address book, and the chain's clock. Each contract is checked to have code before it is used,
 * so a typo fails as one line naming the option, before anything is sent.
 */
export interface TaskContext {
  source: string;
  signer: HardhatEthersSigner;
  /** The signer's address. */
  account: string;
  /** The latest block's timestamp. */
  now(): Promise<bigint>;
  /** Names the token the task's call moves, once read: a revert from then on prints its amounts in it. */
  amountsIn(token: TokenInfo & { address?: string }): void;
  /** The address given as `--<option>` (default `--<name>`), or the book's entry for `name`. */
  address(given: string, name: ContractName, option?: string): Promise<string>;
  registry(given: string): Promise<ProviderRegistry>;
  escrow(given: string): Promise<EscrowHandle>;
  emission(given: string): Promise<BuybackEmission>;
}

/** Connects to the task's network and picks the `--account` signer. */
async function taskContext(
  hre: HardhatRuntimeEnvironment,
  source: string,
  account: string,
  revert: RevertScope,
): Promise<TaskContext> {
  const connection = await hre.network.getOrCreate();
  const { ethers } = connection;
  const signer = await accountOption(await ethers.getSigners(), account, source);
  const address = (given: string, name: ContractName, option: string = name) =>
    addressOption(given, name, connection, source, option);
  return {
    source,
    signer,
    account: signer.address,
    now: async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp),
    amountsIn: (token) => {
      revert.token = token;
    },
    address,
    registry: async (given) => connectRegistry(await address(given, "registry"), signer, source),
    escrow: async (given) => connectEscrow(await address(given, "escrow"), signer, source),
    emission: async (given) => connectEmission(await address(given, "emission"), signer, source),
  };
}

/**
 * A task's action over its context: `body` runs inside {@link cli}, so every failure is one line
 * prefixed with `source`, with the signer of `args.account` (the first account when the task has
 * no such option), and every option left out read as "".
 */
export function contextAction<A extends object>(
  source: string,
  body: (args: A, ctx: TaskContext) => Promise<void>,
): (args: OptionsAsGiven<A>, hre: HardhatRuntimeEnvironment) => Promise<void> {
  return optionsGiven((args: A, hre) =>
    cli(
      async (revert) => {
        const account = "account" in args && typeof args.account === "string" ? args.account : "";
        await body(args, await taskContext(hre, source, account, revert));
      },
      { source, hre },
    ),
  );
}

/** The network account named by an `--account` option, or the first one when it is empty. */
async function accountOption<S extends { address: string }>(
  signers: readonly S[],
  given: string,
  source: string,
): Promise<S> {
  const option = "account";
  if (given.trim() === "") {
    const [first] = signers;
    if (first === undefined) throw new InputError(source, undefined, option, "the network has no accounts");
    return first;
  }
  const wanted = parseAddress(source, option, given);
  const signer = signers.find((s) => s.address === wanted);
  if (signer === undefined)
    throw new InputError(source, undefined, option, `${wanted} is not one of the network's accounts`);
  return signer;
}

/** Requires a non-empty option. */
export function required(source: string, field: string, value: string): string {
  if (value.trim() === "") throw new InputError(source, undefined, field, `--${field} is required`);
  return value;
}

/** The node named by `--node`, which must exist (or have existed: `None` with a stake to withdraw). */
export async function readNode(registry: ProviderRegistry, text: string, source: string): Promise<NodeView> {
  const id = parseInteger(source, "node", required(source, "node", text), 1n);
  const node = toNodeView(await registry.node(id));
  if (node.provider === "0x0000000000000000000000000000000000000000") {
    throw new InputError(source, undefined, "node", `node ${id} does not exist (${await registry.nodeCount()} nodes)`);
  }
  return node;
}

/**
 * The registry and the node of `--node`, refused before anything is sent unless the signer is
 * its provider and its status is one of `allowed` (`what` names the call in the message).
 */
export async function providerNode(
  ctx: TaskContext,
  args: { registry: string; node: string },
  what: string,
  allowed: NodeStatus[],
): Promise<{ registry: ProviderRegistry; node: NodeView }> {
  const registry = await ctx.registry(args.registry);
  const node = await readNode(registry, args.node, ctx.source);
  expectNode(node, ctx.source, what, allowed, ctx.account);
  return { registry, node };
}

/** Refuses, before sending anything, a call the registry would revert. */
function expectNode(node: NodeView, source: string, what: string, allowed: NodeStatus[], provider?: string): void {
  if (!allowed.includes(node.status)) {
    throw new InputError(
      source,
      undefined,
      "node",
      `node ${node.id} is ${node.status}; ${what} needs ${allowed.join(" or ")}`,
    );
  }
  if (provider !== undefined && node.provider !== provider) {
    throw new InputError(source, undefined, "account", `node ${node.id} belongs to ${node.provider}, not ${provider}`);
  }
}

/**
 * The escrow of `--escrow` and its lease or reservation named by `--lease` or `--reservation`,
 * which must exist, with the token it is paid in (a revert's amounts then print in it) and a
 * formatter for its amounts.
 */
export async function escrowRecord(
  ctx: TaskContext,
  escrow: string,
  kind: "lease" | "reservation",
  text: string,
): Promise<{ h: EscrowHandle; id: bigint; token: TokenInfo; fmt: (amount: bigint) => string }> {
  const id = parseId(ctx.source, kind, required(ctx.source, kind, text));
  const h = await ctx.escrow(escrow);
  const record = kind === "lease" ? await h.escrow.lease(id) : await h.escrow.reservation(id);
  if (record.status === 0n) throw new InputError(ctx.source, undefined, kind, `${kind} ${id} does not exist`);
  const token = await tokenInfo(record.token, ctx.signer);
  ctx.amountsIn({ ...token, address: record.token });
  return { h, id, token, fmt: (amount) => formatToken(amount, token.symbol, token.decimals) };
}

/** The signed quote in the file named by `--quote`, checked field by field. */
export async function readQuoteFile(source: string, file: string): Promise<SignedQuote> {
  const path = required(source, "quote", file);
  return parseSignedQuote(await readInputFile(path), path);
}

/** The signed receipt in the file named by `--receipt`, checked field by field. */
export async function readReceiptFile(source: string, file: string): Promise<SignedReceipt> {
  const path = required(source, "receipt", file);
  return parseSignedReceipt(await readInputFile(path), path);
}
