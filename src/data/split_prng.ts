/**
 * The seeded random numbers behind the split generator: xoshiro128** (Blackman & Vigna,
 * 32-bit words, period 2^128 − 1) seeded through splitmix64, so that a 53-bit integer seed
 * plus a stream number gives independent, reproducible sequences on every platform (only
 * 32-bit integer arithmetic after seeding). Integers below n are drawn by rejection, without
 * modulo bias, and shuffles are Fisher–Yates from the last element down.
 * @module
 */

const MASK64 = (1n << 64n) - 1n;

/** One splitmix64 step: returns [output, next state]. */
export function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [z ^ (z >> 31n), next];
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A xoshiro128** generator. Same (seed, stream) → same sequence. */
export class SplitRng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * `seed`: a non-negative integer (≤ 2^53); `stream`: which independent sequence (the split
   * generator uses 0 for train/val and k for split k). The splitmix64 state starts at
   * seed + stream·0xD1342543DE82EF95 (mod 2^64); its first two outputs fill the 128-bit state.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`SplitRng: bad seed ${seed}`);
    let st = (BigInt(seed) + BigInt(stream) * 0xd1342543de82ef95n) & MASK64;
    let a: bigint, b: bigint;
    [a, st] = splitmix64(st);
    [b, st] = splitmix64(st);
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform integer in [0, n), 1 ≤ n ≤ 2^32, by rejection (no modulo bias). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new Error(`SplitRng.below: bad n ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Shuffles `a` in place (Fisher–Yates, i from the end down) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
