import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { keccakModuleBytes } from "./keccak.js";

/**
 * Hashing jobs over shared memory. `leaves`: for each entry `i` in `[from, to)`, read its packed
 * record (64 bytes: amount big-endian at 0, holder at 32, kind at 52) and write
 * `keccak256(keccak256(abi.encode(i, kind, holder, amount)))` to `out[i]`. `nodes`: for each
 * internal node `i` in `[from, to)` of a StandardMerkleTree array, write the sorted-pair hash of
 * its children `2i + 1` and `2i + 2`. `subtree`: every internal node under and including `root`
 * (internal nodes are those below `internal`), level by level from the bottom, with no round
 * trip between levels.
 */
export type HashJob =
  | { op: "leaves"; packed: SharedArrayBuffer; out: SharedArrayBuffer; from: number; to: number }
  | { op: "nodes"; nodes: SharedArrayBuffer; from: number; to: number }
  | { op: "subtree"; nodes: SharedArrayBuffer; root: number; internal: number };

// Plain JavaScript evaluated in each worker, so it runs the same under tsx, Hardhat or compiled
// output, with no TypeScript loader in the worker.
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");

// Copies go through 32-bit views in plain loops: for 32 to 128 bytes that beats a native
// Buffer.copy call, whose fixed cost is larger than the copy itself.
async function engine() {
  if (workerData.module) {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(workerData.module), {});
    const offset = exports.Hash_GetBuffer();
    const input = Buffer.from(exports.memory.buffer, offset, 16384);
    const words = new Int32Array(exports.memory.buffer, offset, 4096);
    return { input, words, hash: (length) => exports.Hash_Calculate(length, 256, 1) };
  }
  const hasher = await require(workerData.hashWasm).createKeccak(256);
  const input = Buffer.alloc(16384);
  const words = new Int32Array(input.buffer, input.byteOffset, 4096);
  return { input, words, hash: (length) => input.set(hasher.init().update(input.subarray(0, length)).digest("binary"), 0) };
}

function leaves({ input, words, hash }, packedBuffer, outBuffer, from, to) {
  const packed = new Int32Array(packedBuffer);
  const bytes = new Uint8Array(packedBuffer);
  const out = new Int32Array(outBuffer);
  for (let i = from; i < to; i++) {
    const record = i * 16;
    for (let k = 0; k < 32; k++) words[k] = 0;
    input.writeUInt32BE(i, 28);
    input[63] = bytes[record * 4 + 52];
    for (let k = 0; k < 5; k++) words[19 + k] = packed[record + 8 + k];
    for (let k = 0; k < 8; k++) words[24 + k] = packed[record + k];
    hash(128);
    hash(32);
    const at = i * 8;
    for (let k = 0; k < 8; k++) out[at + k] = words[k];
  }
}

function nodes({ input, words, hash }, nodesBuffer, from, to) {
  const tree = Buffer.from(nodesBuffer);
  const tw = new Int32Array(nodesBuffer);
  for (let i = to - 1; i >= from; i--) {
    const a = (2 * i + 1) * 32;
    const b = a + 32;
    const x = tree.readUInt32BE(a);
    const y = tree.readUInt32BE(b);
    const wa = a >> 2;
    const wb = b >> 2;
    if (x !== y ? x < y : tree.compare(tree, b, b + 32, a, b) <= 0) {
      for (let k = 0; k < 8; k++) words[k] = tw[wa + k];
      for (let k = 0; k < 8; k++) words[8 + k] = tw[wb + k];
    } else {
      for (let k = 0; k < 8; k++) words[k] = tw[wb + k];
      for (let k = 0; k < 8; k++) words[8 + k] = tw[wa + k];
    }
    hash(64);
    const at = i * 8;
    for (let k = 0; k < 8; k++) tw[at + k] = words[k];
  }
}

// The subtree under node r holds, at each depth d below it, the nodes
// [(r + 1) * 2^d - 1, (r + 2) * 2^d - 1) of the array.
function subtree(e, nodesBuffer, root, internal) {
  let levels = 0;
  while ((root + 1) * 2 ** (levels + 1) - 1 < internal) levels++;
  let count = 0;
  for (let d = levels; d >= 0; d--) {
    const from = (root + 1) * 2 ** d - 1;
    const to = Math.min((root + 2) * 2 ** d - 1, internal);
    if (from >= to) continue;
    nodes(e, nodesBuffer, from, to);
    count += to - from;
  }
  return count;
}

engine().then((e) => {
  parentPort.on("message", (job) => {
    let count;
    if (job.op === "leaves") leaves(e, job.packed, job.out, job.from, job.to);
    else if (job.op === "nodes") nodes(e, job.nodes, job.from, job.to);
    else count = subtree(e, job.nodes, job.root, job.internal);
    parentPort.postMessage(count ?? job.to - job.from);
  });
  parentPort.postMessage(0);
});
`;

let shared: Promise<HashPool> | undefined;

interface Queued {
  job: HashJob;
  resolve: (items: number) => void;
  reject: (error: unknown) => void;
}

/** A few worker threads that run hash jobs, handing the next job to whichever is free. */
export class HashPool {
  private readonly idle: Worker[];
  private readonly queue: Queued[] = [];

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) w.unref();
    this.idle = [...workers];
  }

  /**
   * The process-wide pool, one worker per core, started on first use and kept: starting workers
   * costs more than hashing a small tree. Idle workers do not keep the process alive.
   */
  static shared(): Promise<HashPool> {
    shared ??= HashPool.start().catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
    return shared;
  }

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
    try {
      await Promise.all(workers.map((w) => once(w)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new HashPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Queues a job; resolves with the number of items it covered once a worker has done it. */
  submit(job: HashJob): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Runs every job; `onDone` hears how many items each finished job covered. */
  async run(jobs: readonly HashJob[], onDone?: (items: number) => void): Promise<void> {
    await Promise.all(jobs.map((job) => this.submit(job).then((items) => onDone?.(items))));
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { job, resolve, reject } = this.queue.shift()!;
      // A worker with a job keeps the process alive until the job is back.
      worker.ref();
      once(worker).then(
        (items) => {
          worker.unref();
          this.idle.push(worker);
          resolve(items);
          this.pump();
        },
        (error: unknown) => reject(error),
      );
      worker.postMessage(job);
    }
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
