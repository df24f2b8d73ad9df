import { existsSync, readFileSync, rmSync } from "node:fs";

import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io.js";

const KIND = "gpufog-evm-snapshot-checkpoint";
const VERSION = 1;

/** What a checkpoint belongs to: a run may only resume a checkpoint with the same key. */
export interface CheckpointKey {
  /** Lowercase. */
  token: string;
  chainId: bigint;
  fromBlock: bigint;
  block: bigint;
  /** The snapshot block's hash: tells a restarted dev chain or a reorg from the chain scanned. */
  blockHash: string;
}

/** The progress of a snapshot: every log below `nextBlock` is in `balances`. */
export interface Checkpoint extends CheckpointKey {
  nextBlock: bigint;
  /** The block range the next request starts with. */
  range: number;
  logs: number;
  /** Keyed by lowercase address; no zero entries. */
  balances: Map<string, bigint>;
}

/**
 * Writes a checkpoint atomically. Built by hand rather than through `JSON.stringify` of an
 * object, so that tens of thousands of holders cost one string join.
 */
export function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  const head = JSON.stringify({
    kind: KIND,
    version: VERSION,
    token: checkpoint.token,
    chainId: checkpoint.chainId.toString(),
    fromBlock: checkpoint.fromBlock.toString(),
    block: checkpoint.block.toString(),
    blockHash: checkpoint.blockHash,
    nextBlock: checkpoint.nextBlock.toString(),
    range: checkpoint.range,
    logs: checkpoint.logs,
  });
  const entries: string[] = [];
  for (const [address, amount] of checkpoint.balances) entries.push(`"${address}":"${amount}"`);
  writeFileAtomic(file, `${head.slice(0, -1)},"balances":{${entries.join(",")}}}\n`);
}

/**
 * Reads the checkpoint at `file` if there is one and it belongs to `key`. A checkpoint for
 * other parameters is refused with an {@link InputError}: mixing two runs would give a wrong
 * snapshot.
 */
export function readCheckpoint(file: string, key: CheckpointKey): Checkpoint | undefined {
  if (!existsSync(file)) return undefined;
  const checkpoint = parseCheckpoint(file);
  const mismatch = (field: string, found: unknown, wanted: unknown) =>
    new InputError(
      file,
      undefined,
      field,
      `this checkpoint is for ${field} ${found}, not ${wanted}; resume with the same parameters, or delete it (or pass another checkpoint path) to start over`,
    );
  if (checkpoint.token !== key.token) throw mismatch("token", checkpoint.token, key.token);
  if (checkpoint.chainId !== key.chainId) throw mismatch("chainId", checkpoint.chainId, key.chainId);
  if (checkpoint.fromBlock !== key.fromBlock) throw mismatch("fromBlock", checkpoint.fromBlock, key.fromBlock);
  if (checkpoint.block !== key.block) throw mismatch("block", checkpoint.block, key.block);
  if (checkpoint.blockHash !== key.blockHash) {
    throw new InputError(
      file,
      undefined,
      "blockHash",
      `block ${key.block} now has hash ${key.blockHash}, not ${checkpoint.blockHash} as when this checkpoint was written (a reorg or a restarted chain); delete the checkpoint to start over`,
    );
  }
  return checkpoint;
}

/**
 * Reads a checkpoint whatever its key, e.g. to learn which block an interrupted run was taking.
 * A file that is not a well-formed checkpoint is an {@link InputError}.
 */
export function parseCheckpoint(file: string): Checkpoint {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(file, undefined, undefined, `not a readable checkpoint: ${(error as Error).message}`);
  }
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  if (raw?.kind !== KIND) throw bad("kind", `not a snapshot checkpoint (expected kind "${KIND}")`);
  if (raw.version !== VERSION) throw bad("version", `unsupported checkpoint version ${String(raw.version)}`);
  const integer = (field: string): bigint => {
    const value = raw[field];
    if (typeof value !== "string" || !/^\d+$/.test(value)) throw bad(field, "not a non-negative integer");
    return BigInt(value);
  };
  const token = raw.token;
  if (typeof token !== "string" || !/^0x[0-9a-f]{40}$/.test(token)) throw bad("token", "not a lowercase address");
  const blockHash = raw.blockHash;
  if (typeof blockHash !== "string" || !/^0x[0-9a-f]{64}$/.test(blockHash)) throw bad("blockHash", "not a block hash");
  const range = raw.range;
  if (typeof range !== "number" || !Number.isSafeInteger(range) || range < 1) throw bad("range", "not a block count");
  const logs = raw.logs;
  if (typeof logs !== "number" || !Number.isSafeInteger(logs) || logs < 0) throw bad("logs", "not a count");
  const chainId = integer("chainId");
  const fromBlock = integer("fromBlock");
  const block = integer("block");
  const nextBlock = integer("nextBlock");
  if (nextBlock < fromBlock || nextBlock > block + 1n) throw bad("nextBlock", `outside ${fromBlock}..${block + 1n}`);
  const entries = raw.balances;
  if (typeof entries !== "object" || entries === null) throw bad("balances", "missing");
  const balances = new Map<string, bigint>();
  for (const [address, amount] of Object.entries(entries)) {
    if (!/^0x[0-9a-f]{40}$/.test(address)) throw bad("balances", `"${address}" is not a lowercase address`);
    if (typeof amount !== "string" || !/^[1-9]\d*$/.test(amount)) {
      throw bad("balances", `the balance of ${address} is not a positive integer`);
    }
    balances.set(address, BigInt(amount));
  }
  return { token, chainId, fromBlock, block, blockHash, nextBlock, range, logs, balances };
}

/** Removes a checkpoint once its snapshot is written. */
export function removeCheckpoint(file: string): void {
  rmSync(file, { force: true });
}
