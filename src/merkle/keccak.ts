import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { createKeccak } from "hash-wasm";

/**
 * A keccak-256 engine that hashes in place: write up to `input.length` bytes into `input`, call
 * `hash(length)`, and the digest is in `input[0..32]`. Hashing a digest again is `hash(32)`,
 * with no copy. No allocation per hash, which matters at millions of hashes.
 */
export interface KeccakEngine {
  readonly input: Buffer;
  hash(length: number): void;
}

const INPUT_SIZE = 16 * 1024;

/**
 * hash-wasm's WebAssembly keccak, instantiated directly so a hash is one call into WebAssembly
 * with the data already in its memory: about 1.5 M hashes/s of 64 bytes here, against 1.27 M/s
 * through hash-wasm's hasher object and 0.15 M/s for @noble/hashes (TOOLCHAIN.md). hash-wasm
 * does not export its module, so this reads it from the package (pinned at 4.13.0) and falls
 * back to the public hasher if the package ever changes shape.
 */
export async function createKeccakEngine(): Promise<KeccakEngine> {
  try {
    return await instantiateRaw();
  } catch {
    return await viaHasher();
  }
}

// The WebAssembly global, typed for what this file uses (the project's lib settings have no DOM).
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
};

interface Sha3Exports {
  memory: { buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Calculate(length: number, bits: number, padding: number): void;
}

let moduleBytes: Uint8Array | null | undefined;

/**
 * The bytes of hash-wasm's keccak/SHA-3 WebAssembly module, or null if the installed package does
 * not embed it the way 4.13 does. Worker threads instantiate their own copy from these bytes.
 */
export function keccakModuleBytes(): Uint8Array | null {
  if (moduleBytes === undefined) {
    const file = createRequire(import.meta.url).resolve("hash-wasm");
    const match = /var name\$(\w*) = "sha3";\s*var data\$\1 = "([A-Za-z0-9+/=]+)"/.exec(readFileSync(file, "utf8"));
    moduleBytes = match === null ? null : new Uint8Array(Buffer.from(match[2]!, "base64"));
  }
  return moduleBytes;
}

async function instantiateRaw(): Promise<KeccakEngine> {
  const bytes = keccakModuleBytes();
  if (bytes === null) throw new Error("hash-wasm's sha3 module was not found");
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const exports = instance.exports as unknown as Sha3Exports;
  const input = Buffer.from(exports.memory.buffer, exports.Hash_GetBuffer(), INPUT_SIZE);
  // Keccak (not SHA-3) padding is 0x01; the module's default is SHA-3's 0x06.
  const engine: KeccakEngine = { input, hash: (length) => exports.Hash_Calculate(length, 256, 0x01) };
  engine.input.fill(0, 0, 3);
  engine.hash(3);
  if (engine.input.toString("hex", 0, 32) !== KECCAK_000) throw new Error("hash-wasm's sha3 module is not keccak-256");
  return engine;
}

async function viaHasher(): Promise<KeccakEngine> {
  const hasher = await createKeccak(256);
  const input = Buffer.alloc(INPUT_SIZE);
  return {
    input,
    hash(length) {
      input.set(hasher.init().update(input.subarray(0, length)).digest("binary"), 0);
    },
  };
}

/** keccak256(0x000000), to check the engine at start-up. */
const KECCAK_000 = "99ff0d9125e1fc9531a11262e15aeb2c60509a078c4cc4c64cefdfb06ff68647";

let shared: Promise<KeccakEngine> | undefined;

/** keccak-256 of `data` (at most 16 KiB) as a new 32-byte buffer, on a shared engine. */
export async function keccak256(data: Uint8Array): Promise<Buffer> {
  shared ??= createKeccakEngine();
  const engine = await shared;
  if (data.length > INPUT_SIZE) throw new RangeError(`keccak256 takes at most ${INPUT_SIZE} bytes`);
  engine.input.set(data, 0);
  engine.hash(data.length);
  return Buffer.from(engine.input.subarray(0, 32));
}
