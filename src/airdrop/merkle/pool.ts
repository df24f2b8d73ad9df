import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { keccakModuleBytes, STATE_BYTES } from "./keccak.js";
import type { WasmMemory } from "./wasm.js";

/**
 * Hashing jobs on one shared WebAssembly memory, run by the keccak module (`KeccakExports`):
 * `leaves` hashes the leaf records `[from, to)` at `packed` into `out`; `nodes` hashes the
 * internal nodes `[from, to)` of the tree array at `tree`; `subtree` hashes every internal node
 * under and including `root` (internal nodes are those below `internal`), level by level from the
 * bottom, with no round trip between levels. `scratch` is where the pool's threads keep their
 * keccak state: `STATE_BYTES` each, `size` of them.
 */
export type HashJob = { memory: WasmMemory; scratch: number } & (
  | { op: "leaves"; packed: number; out: number; from: number; to: number }
  | { op: "nodes"; tree: number; from: number; to: number }
  | { op: "subtree"; tree: number; root: number; internal: number }
);

// Plain JavaScript evaluated in each worker, so it runs the same under tsx, Hardhat or compiled
// output, with no TypeScript loader in the worker. All the hashing happens in WebAssembly; a job
// only instantiates the module on the job's memory (the compiled code is shared) and calls it.
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const module = new WebAssembly.Module(workerData.module);

// The subtree under node r holds, at each depth d below it, the nodes
// [(r + 1) * 2^d - 1, (r + 2) * 2^d - 1) of the array.
function subtree(nodes, job) {
  const { tree, root, internal, scratch } = job;
  let levels = 0;
  while ((root + 1) * 2 ** (levels + 1) - 1 < internal) levels++;
  let count = 0;
  for (let d = levels; d >= 0; d--) {
    const from = (root + 1) * 2 ** d - 1;
    const to = Math.min((root + 2) * 2 ** d - 1, internal);
    if (from >= to) continue;
    nodes(tree, from, to, scratch);
    count += to - from;
  }
  return count;
}

parentPort.on("message", (job) => {
  const hash = new WebAssembly.Instance(module, { env: { memory: job.memory } }).exports;
  let count = job.to - job.from;
  if (job.op === "leaves") hash.leaves(job.packed, job.out, job.from, job.to, job.scratch);
  else if (job.op === "nodes") hash.nodes(job.tree, job.from, job.to, job.scratch);
  else count = subtree(hash.nodes, job);
  parentPort.postMessage(count);
});
parentPort.postMessage(0);
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

  /** How many workers `start(threads)` starts: at least one, by default one per available core. */
  static sizeFor(threads?: number): number {
    return Math.max(1, threads ?? availableParallelism());
  }

  /** Starts `threads` workers (default: one per available core) and waits until they are ready. */
  static async start(threads?: number): Promise<HashPool> {
    const workerData = { module: keccakModuleBytes() };
    const workers = Array.from(
      { length: HashPool.sizeFor(threads) },
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
      const slot = this.workers.indexOf(worker);
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
      worker.postMessage({ ...job, scratch: job.scratch + slot * STATE_BYTES });
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
