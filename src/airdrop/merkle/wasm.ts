/**
 * Just enough of the WebAssembly binary format (https://webassembly.github.io/spec/core/binary/)
 * to emit the keccak module in `keccak.ts`: i32, i64 and v128 locals, integer and bitwise
 * arithmetic, loads and stores, blocks, loops and calls, one imported shared memory. Emitting the module from TypeScript keeps
 * its source readable in the repository, with no binary blob and no build step.
 */

export const PAGE = 65536;
/** 4 GiB, the most a 32-bit memory addresses. */
const MAX_PAGES = 65536;

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
type ValueType = typeof I32 | typeof I64 | typeof V128;

/** The opcodes the emitter uses, by their names in the text format. */
export const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i64Load8U: 0x31,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i64Ne: 0x52,
  i64LtU: 0x54,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64Rotl: 0x89,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD opcodes, each after the 0xfd prefix. */
export const simd = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  i64x2Shl: 0xcb,
  i64x2ShrU: 0xcd,
} as const;

/** The block type of a block or loop that takes and leaves nothing on the stack. */
const EMPTY = 0x40;

function unsigned(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function signed(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, "utf8")];
  return [...unsigned(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

/** A function body under construction: each method appends one instruction. */
export class Code {
  readonly bytes: number[] = [];

  emit(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  get(local: number): this {
    return this.emit(op.localGet, ...unsigned(local));
  }

  set(local: number): this {
    return this.emit(op.localSet, ...unsigned(local));
  }

  tee(local: number): this {
    return this.emit(op.localTee, ...unsigned(local));
  }

  i32(value: number): this {
    return this.emit(op.i32Const, ...signed(BigInt(value)));
  }

  /** An i64 constant; `value` is taken modulo 2^64, as the bits of the lane. */
  i64(value: bigint): this {
    return this.emit(op.i64Const, ...signed(BigInt.asIntN(64, value)));
  }

  /** i64.load of the 8 bytes at (address on the stack) + `offset`. */
  load(offset: number): this {
    return this.emit(op.i64Load, 3, ...unsigned(offset));
  }

  /** i64.store to (address below the value on the stack) + `offset`. */
  store(offset: number): this {
    return this.emit(op.i64Store, 3, ...unsigned(offset));
  }

  load8(offset: number): this {
    return this.emit(op.i64Load8U, 0, ...unsigned(offset));
  }

  /** A SIMD instruction, with its immediate bytes if any. */
  simd(opcode: number, ...immediates: number[]): this {
    return this.emit(0xfd, ...unsigned(opcode), ...immediates);
  }

  /** v128.load of the 16 bytes at (address on the stack) + `offset`. */
  load128(offset: number): this {
    return this.simd(simd.v128Load, 4, ...unsigned(offset));
  }

  store128(offset: number): this {
    return this.simd(simd.v128Store, 4, ...unsigned(offset));
  }

  /** A v128 constant with `value` in both 64-bit halves. */
  v128(value: bigint): this {
    const half = Buffer.alloc(8);
    half.writeBigUInt64LE(BigInt.asUintN(64, value));
    return this.simd(simd.v128Const, ...half, ...half);
  }

  call(index: number): this {
    return this.emit(op.call, ...unsigned(index));
  }

  br(depth: number): this {
    return this.emit(op.br, ...unsigned(depth));
  }

  brIf(depth: number): this {
    return this.emit(op.brIf, ...unsigned(depth));
  }

  /** `block … end` around what `body` emits. */
  block(body: (code: this) => void): this {
    this.emit(op.block, EMPTY);
    body(this);
    return this.emit(op.end);
  }

  /** `loop … end` around what `body` emits; `br` to depth 0 inside it starts the next pass. */
  loop(body: (code: this) => void): this {
    this.emit(op.loop, EMPTY);
    body(this);
    return this.emit(op.end);
  }
}

/** One function of a module: its parameters and results, extra locals after the parameters, body. */
export interface FunctionSpec {
  /** Exported under this name; internal if absent. */
  export?: string;
  params: ValueType[];
  results: ValueType[];
  locals: ValueType[];
  body: Code;
}

/**
 * A module with functions `functions` (indexed in that order for `call`) and one memory imported
 * as `env.memory`: any shared memory (`WebAssembly.Memory` with `shared: true`) up to 4 GiB.
 */
export function emitModule(functions: FunctionSpec[]): Uint8Array {
  const section = (id: number, items: number[][]) => {
    const body = vector(items);
    return [id, ...unsigned(body.length), ...body];
  };
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const sharedLimits = [0x03, ...unsigned(0), ...unsigned(MAX_PAGES)];
  const bodies = functions.map((f) => {
    const groups: number[][] = [];
    for (const type of f.locals) {
      const last = groups.at(-1);
      if (last !== undefined && last[1] === type) last[0]!++;
      else groups.push([1, type]);
    }
    const body = [...vector(groups.map(([count, type]) => [...unsigned(count!), type!])), ...f.body.bytes, op.end];
    return [...unsigned(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, types),
    ...section(2, [[...name("env"), ...name("memory"), 0x02, ...sharedLimits]]),
    ...section(
      3,
      functions.map((_, i) => unsigned(i)),
    ),
    ...section(
      7,
      functions.flatMap((f, i) => (f.export === undefined ? [] : [[...name(f.export), 0x00, ...unsigned(i)]])),
    ),
    ...section(10, bodies),
  ]);
}

// The WebAssembly global, typed for what this project uses (its lib settings have no DOM).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer };
};

/** A compiled module, which can be posted to worker threads. */
export type WasmModule = object;

/** A shared WebAssembly memory: its buffer is a SharedArrayBuffer that worker threads see too. */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}

export function compile(bytes: Uint8Array): WasmModule {
  return new WebAssembly.Module(bytes);
}

/** A shared memory of at least `bytes` bytes (whole pages, fixed size). */
export function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

export function instantiate<T>(module: WasmModule, memory: WasmMemory): T {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as T;
}
