import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { keccakModuleBytes } from "./keccak.js";

/**
 * Hashing jobs over shared memory. `leaves`: for each entry `i` in `[from, to)`, read its packed
 * record (64 bytes: amount big-endian at 0, holder at 32, kind at 52) and write
 * `keccak256(keccak256(abi.encode(i, kind, holder, amount)))` to `out[i]`. `nodes`: for each
 * internal node `i` in `[from, to)` of a StandardMerkleTree array, write the sorted-pair hash of
 * its children `2i + 1` and `2i + 2`.
 */
export type HashJob =
  | { op: "leaves"; packed: SharedArrayBuffer; out: SharedArrayBuffer; from: number; to: number }
  | { op: "nodes"; nodes: SharedArrayBuffer; from: number; to: number };

// Plain JavaScript evaluated in each worker, so it runs the same under tsx, Hardhat or compiled
// output, with no TypeScript loader in the worker.
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");

async function engine() {
  if (workerData.module) {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(workerData.module), {});
    const input = Buffer.from(exports.memory.buffer, exports.Hash_GetBuffer(), 16384);
    return { input, hash: (length) => exports.Hash_Calculate(length, 256, 1) };
  }
  const hasher = await require(workerData.hashWasm).createKeccak(256);
  const input = Buffer.alloc(16384);
  return { input, hash: (length) => input.set(hasher.init().update(input.subarray(0, length)).digest("binary"), 0) };
}

function leaves({ input, hash }, packedBuffer, outBuffer, from, to) {
  const packed = Buffer.from(packedBuffer);
  const out = Buffer.from(outBuffer);
  for (let i = from; i < to; i++) {
    const record = i * 64;
    input.fill(0, 0, 128);
    input.writeUInt32BE(i, 28);
    input[63] = packed[record + 52];
    packed.copy(input, 76, record + 32, record + 52);
    packed.copy(input, 96, record, record + 32);
    hash(128);
    hash(32);
    input.copy(out, i * 32, 0, 32);
  }
}

function nodes({ input, hash }, nodesBuffer, from, to) {
  const tree = Buffer.from(nodesBuffer);
  for (let i = to - 1; i >= from; i--) {
    const a = (2 * i + 1) * 32;
    const b = a + 32;
    const x = tree.readUInt32BE(a);
    const y = tree.readUInt32BE(b);
    if (x !== y ? x < y : tree.compare(tree, b, b + 32, a, b) <= 0) {
      tree.copy(input, 0, a, b + 32);
    } else {
      tree.copy(input, 0, b, b + 32);
      tree.copy(input, 32, a, b);
    }
    hash(64);
    input.copy(tree, i * 32, 0, 32);
  }
}

engine().then((e) => {
  parentPort.on("message", (job) => {
    if (job.op === "leaves") leaves(e, job.packed, job.out, job.from, job.to);
    else nodes(e, job.nodes, job.from, job.to);
    parentPort.postMessage(job.to - job.from);
  });
  parentPort.postMessage(0);
});
`;

/** A few worker threads that run hash jobs, handing the next job to whichever is free. */
export class HashPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `threads` workers (default: one per available core) and waits until they are ready. */
  static async start(threads = availableParallelism()): Promise<HashPool> {
    const workerData = {
      module: keccakModuleBytes(),
      hashWasm: createRequire(import.meta.url).resolve("hash-wasm"),
    };
    const workers = Array.from(
      { length: Math.max(1, threads) },
      () => new Worker(WORKER_SOURCE, { eval: true, workerData }),
    );
    const pool = new HashPool(workers);
    try {
      await Promise.all(workers.map((w) => once(w)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs every job; `onDone` hears how many items each finished job covered. */
  async run(jobs: readonly HashJob[], onDone?: (items: number) => void): Promise<void> {
    let next = 0;
    const drain = async (worker: Worker): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const done = once(worker);
        worker.postMessage(job);
        onDone?.(await done);
      }
    };
    await Promise.all(this.workers.map(drain));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function once(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (items: number) => {
      worker.off("error", onError);
      resolve(items);
    };
    const onError = (error: Error) => {
      worker.off("message", onMessage);
      reject(error);
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
  });
}
