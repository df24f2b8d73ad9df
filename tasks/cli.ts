import { HardhatError, HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import { Interface, type InterfaceAbi } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ERC20_ABI, type TokenInfo } from "../src/erc20.js";
import { GpufogError } from "../src/errors.js";
import { decodeRevert, type RevertHint, revertLine } from "../src/revert.js";
import {
  BuybackEmission__factory,
  GovernanceTimelock__factory,
  GUT__factory,
  LeaseEscrow__factory,
  ProviderRegistry__factory,
  TFT__factory,
  TokenSwapDistributor__factory,
} from "../types/index.js";

/**
 * Every contract a task can reach, so that a revert from any of them (or from a token it called)
 * decodes by name. Where two contracts declare an error of the same signature, the first wins: the
 * registry's node errors before the escrow's lease errors of the same shape.
 */
const ABIS: readonly InterfaceAbi[] = [
  ProviderRegistry__factory.abi,
  LeaseEscrow__factory.abi,
  BuybackEmission__factory.abi,
  TokenSwapDistributor__factory.abi,
  GUT__factory.abi,
  TFT__factory.abi,
  GovernanceTimelock__factory.abi,
  ERC20_ABI,
] as unknown as InterfaceAbi[];
let interfaces: Interface[] | undefined;

/** The statuses of `IProviderRegistry.Status`, by value. */
const NODE_STATUS = ["None", "Idle", "Sharing", "Reserved", "Disconnect"];

/**
 * The tasks that do what a revert's hint asks, added after the library's hint (which speaks of
 * contract actions only, since a web page shows it too): `(another customer is leasing it: nodes:list
 * --status idle shows the free nodes)`.
 */
export const TASK_HINTS: Readonly<Record<string, RevertHint>> = {
  NodeNotAvailable: (a) =>
    ({
      None: "nodes:list shows the nodes",
      Sharing: "nodes:list --status idle shows the free nodes",
      Disconnect: "node:checkin does it",
    })[NODE_STATUS[Number(a.status)] ?? ""],
  StakeBelowRequired: () => "node:stake does it",
  ObservationTooYoung: (a) => (a.oldestAge === 0n ? "emission:observe records one" : undefined),
  ObservationStale: () => "emission:observe records one",
  NothingToClaim: (a) => (a.token === undefined ? "rewards:pending shows each bucket" : undefined),
};

/** Where a task's failure is reported: its name, and the network whose clock the hints read. */
export interface CliOptions {
  source?: string;
  hre?: HardhatRuntimeEnvironment;
}

/** What a task body tells {@link cli} once it has read it, for the words of a revert. */
export interface RevertScope {
  /** The token the task's call moves: a revert prints its amounts of it in its units. */
  token?: TokenInfo & { address?: string };
}

/**
 * Runs a task body and turns every failure into Hardhat's plugin error, which the CLI prints as
 * one line without a stack trace: the library's expected failures (bad input, an endpoint that is
 * down, a snapshot that does not add up) as they are; a contract's revert decoded with the
 * project's ABIs into the error's name, its arguments in words (amounts in the token the body set
 * on its `revert` scope) and a hint; anything else as its first line (`--show-stack-traces` still
 * shows the cause).
 */
export async function cli<T>(body: (revert: RevertScope) => Promise<T>, options: CliOptions = {}): Promise<T> {
  const revert: RevertScope = {};
  try {
    return await body(revert);
  } catch (error) {
    // Hardhat's own errors (an unknown network, a bad option type) print as one line already.
    if (HardhatError.isHardhatError(error) || HardhatPluginError.isHardhatPluginError(error)) throw error;
    if (error instanceof GpufogError) throw new HardhatPluginError("gpufog", error.message, error);
    interfaces ??= ABIS.map((abi) => new Interface(abi));
    const now = decodeRevert(error, interfaces) === undefined ? undefined : await chainTime(options.hre);
    const line = revertLine(error, interfaces, { now, token: revert.token, hints: TASK_HINTS });
    const cause = error instanceof Error ? error : undefined;
    throw new HardhatPluginError("gpufog", options.source ? `${options.source}: ${line}` : line, cause);
  }
}

/** The latest block's time, for hints that name a moment ("retry after 12:30 UTC"); none if the node is gone. */
async function chainTime(hre: HardhatRuntimeEnvironment | undefined): Promise<bigint | undefined> {
  if (hre === undefined) return undefined;
  try {
    const { ethers } = await hre.network.getOrCreate();
    const block = await ethers.provider.getBlock("latest");
    return block === null ? undefined : BigInt(block.timestamp);
  } catch {
    return undefined;
  }
}

/** A task's arguments as Hardhat passes them: an `UNSET` option left out is undefined. */
export type OptionsAsGiven<A> = { [K in keyof A]: A[K] extends string ? A[K] | undefined : A[K] };

/**
 * A task action that reads every option left out (declared `UNSET`, so that its help shows no
 * empty default) as "", which the actions take for "not given".
 */
export function optionsGiven<A extends object>(
  action: (args: A, hre: HardhatRuntimeEnvironment) => Promise<void>,
): (args: OptionsAsGiven<A>, hre: HardhatRuntimeEnvironment) => Promise<void> {
  return (args, hre) =>
    action(Object.fromEntries(Object.entries(args).map(([name, value]) => [name, value ?? ""])) as A, hre);
}

/** A `--magic` as typed: `\n` on a command line is a newline in the magic (the default ends with one). */
export function magicOption(text: string): string {
  return text.replace(/\\n/g, "\n").replace(/\\r/g, "\r").replace(/\\t/g, "\t");
}
