/**
 * A small seeded generator (SplitMix64) for benchmarks and tests that must be reproducible:
 * the same seed gives the same holders, amounts and samples on every machine.
 */
export class Random {
  private state: bigint;

  constructor(seed: number | bigint) {
    this.state = BigInt(seed) & 0xffffffffffffffffn;
  }

  /** The next 64 random bits. */
  next64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 8) {
      let word = this.next64();
      for (let k = i; k < Math.min(length, i + 8); k++, word >>= 8n) out[k] = Number(word & 0xffn);
    }
    return out;
  }

  /** A uniform integer in `[0, bound)` (bound ≤ 2^128; the tiny modulo bias does not matter here). */
  below(bound: bigint): bigint {
    return ((this.next64() << 64n) | this.next64()) % bound;
  }

  /** `k` distinct integers from `[0, n)`, in random order. */
  sample(n: number, k: number): number[] {
    const picked = new Set<number>();
    while (picked.size < k) picked.add(Number(this.below(BigInt(n))));
    return [...picked];
  }
}
