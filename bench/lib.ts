import path from "node:path";

import { toBeHex, type ContractTransactionResponse } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { writeJsonAtomic } from "../src/io.js";

/** The options a suite is run with (`npm run bench -- <suite> --<option> <value>`), as typed. */
export type BenchOptions = Record<string, string>;

/** A benchmark suite: `bench/<name>.ts` default-exports one. */
export type BenchSuite = (hre: HardhatRuntimeEnvironment, options: BenchOptions) => Promise<void>;

/** Writes `bench/results/<name>.json` atomically, so a killed run never leaves half a file. */
export function writeResult(root: string, name: string, data: unknown): string {
  const file = path.join(root, "bench", "results", `${name}.json`);
  writeJsonAtomic(file, data);
  return file;
}

/** Where a bench runs: the in-process L1, or the in-process OP Stack simulation (`opSimulated`). */
export type BenchChain = "l1" | "op";

/**
 * What the OP Stack charges a transaction for its L1 data, besides L2 execution gas (Fjord):
 * `estimatedSize × (16 × baseFeeScalar × l1BaseFee + blobBaseFeeScalar × blobBaseFee) / 10¹²`,
 * with the scalars and fees read from the `L1Block` predeploy. The simulation starts with both
 * scalars at 0 (no L1 fee), so the bench writes these into `L1Block`'s storage first.
 */
export interface OpFeeParameters {
  /** wei; the L1 base fee the sequencer last saw. */
  l1BaseFee: bigint;
  /** wei; the L1 blob base fee. */
  blobBaseFee: bigint;
  /** OP Mainnet's system configuration (Ecotone): 5,227 and 1,014,213. */
  baseFeeScalar: number;
  blobBaseFeeScalar: number;
}

export const OP_MAINNET_SCALARS = { baseFeeScalar: 5_227, blobBaseFeeScalar: 1_014_213 } as const;

const GWEI = 10n ** 9n;

/** The defaults of the gas bench's OP columns (the overhead bench takes them as options). */
export const DEFAULT_OP_FEES: OpFeeParameters = { l1BaseFee: 2n * GWEI, blobBaseFee: GWEI, ...OP_MAINNET_SCALARS };

/** The `L1Block` predeploy: its slots 1 (base fee), 3 (the scalars, packed) and 7 (blob base fee). */
export const L1_BLOCK = "0x4200000000000000000000000000000000000015";
/** The `GasPriceOracle` predeploy, whose `getL1Fee(bytes)` prices a transaction's L1 data. */
export const GAS_PRICE_ORACLE = "0x420000000000000000000000000000000000000F";

type Connection = Awaited<ReturnType<HardhatRuntimeEnvironment["network"]["create"]>>;

/**
 * A fresh in-process connection on `chain`. On the OP simulation the L1 fee parameters are set in
 * `L1Block` (packed slot 3: `baseFeeScalar` in bytes 16..20, `blobBaseFeeScalar` in 20..24 of the
 * big-endian word, the sequence number below), so receipts carry a real `l1Fee`.
 */
export async function connect(
  hre: HardhatRuntimeEnvironment,
  chain: BenchChain,
  fees: OpFeeParameters = DEFAULT_OP_FEES,
): Promise<Connection> {
  if (chain === "l1") return hre.network.create();
  const connection = await hre.network.create({ network: "opSimulated" });
  const { provider } = connection.ethers;
  const slot3 = await provider.getStorage(L1_BLOCK, 3);
  const packed =
    "0x" +
    "00".repeat(16) +
    toBeHex(fees.baseFeeScalar, 4).slice(2) +
    toBeHex(fees.blobBaseFeeScalar, 4).slice(2) +
    slot3.slice(2 + 48);
  const set = (slot: number, value: string) =>
    provider.send("hardhat_setStorageAt", [L1_BLOCK, toBeHex(slot, 32), value]);
  await set(1, toBeHex(fees.l1BaseFee, 32));
  await set(3, packed);
  await set(7, toBeHex(fees.blobBaseFee, 32));
  return connection;
}

/** A transaction's cost: its execution gas and, on an OP Stack chain, its L1 data fee and gas. */
export interface TxCost {
  gas: bigint;
  /** wei, from the receipt (0 on L1). */
  l1Fee: bigint;
  /** The receipt's `l1GasUsed`: the compressed size estimate × 16 (0 on L1). */
  l1DataGas: bigint;
}

/** The cost of a mined transaction (the OP fields from the raw receipt, which ethers drops). */
export async function costOf(tx: Promise<ContractTransactionResponse>): Promise<TxCost> {
  const sent = await tx;
  const receipt = await sent.wait();
  if (receipt === null) throw new Error("the transaction was not mined");
  const rpc = sent.provider as unknown as { send(method: string, params: unknown[]): Promise<unknown> };
  const raw = (await rpc.send("eth_getTransactionReceipt", [sent.hash])) as {
    l1Fee?: string;
    l1GasUsed?: string;
  };
  const cost = {
    gas: receipt.gasUsed,
    l1Fee: BigInt(raw.l1Fee ?? 0),
    l1DataGas: BigInt(raw.l1GasUsed ?? 0),
  };
  recorder?.(cost);
  return cost;
}

let recorder: ((cost: TxCost) => void) | undefined;

/** Calls `record` with the cost of every transaction `gasOf` measures until it is unset. */
export function recordCosts(record: ((cost: TxCost) => void) | undefined): void {
  recorder = record;
}

/** The gas a mined transaction used. */
export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  return (await costOf(tx)).gas;
}

/** Prints rows as an aligned text table with a header. */
export function printTable(header: string[], rows: (string | number | bigint)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of cells.slice(1)) console.log(line(r));
}
