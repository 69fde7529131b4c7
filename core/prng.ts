/**
 * The suite's one pseudo-random generator: xoshiro128** (Blackman & Vigna; 32-bit words,
 * period 2^128 − 1), with two seedings and named key domains.
 *
 * - Keyed (`Prng.keyed(domain, ...words)`): the 128-bit state is four murmur3-fmix32 hash
 *   chains over a key domain and key words. Nothing in training consumes a running stream:
 *   each view's augmentation is keyed by (seed, epoch, image, view), the batch order by
 *   (seed, epoch), weight initialisation by (seed, stream name); so a run resumes exactly from
 *   a checkpoint, and a view does not depend on the batch size or order.
 * - Split (`Prng.split(seed, stream)`): splitmix64 from seed + stream·0xD1342543DE82EF95, the
 *   seeding of the long-tail split generator (its files are defined by it).
 *
 * Uniform doubles take 53 bits from two outputs; integers below n use rejection (no modulo
 * bias); shuffles are Fisher–Yates from the last element down.
 * @module
 */

/**
 * Key domains of keyed streams, so that two uses never draw the same numbers: `augment` (a
 * view's parameters), `shuffle` (an epoch's batch order), `test` (fixtures), `train`
 * (named training-side streams: weight init, probe init).
 */
export const KEY_DOMAINS = { augment: 1, shuffle: 2, test: 3, train: 16 } as const;

/** Name of a key domain. */
export type KeyDomain = keyof typeof KEY_DOMAINS;

const MASK64 = (1n << 64n) - 1n;

/** One splitmix64 step: returns [output, next state]. */
export function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [z ^ (z >> 31n), next];
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The two u32 words of a non-negative integer seed (up to 2^53). */
export function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  }
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** FNV-1a hash of a stream name into 32 bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A seeded xoshiro128** generator (see the module doc for the two seedings). */
export class Prng {
  #s = new Uint32Array(4);

  private constructor(state: ArrayLike<number>) {
    this.#s.set(state);
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** A keyed stream: domain plus any number of u32 key words. */
  static keyed(domain: KeyDomain | number, ...words: number[]): Prng {
    const key = [typeof domain === "number" ? domain : KEY_DOMAINS[domain], ...words];
    const s: number[] = [];
    for (let k = 0; k < 4; k++) {
      let h = fmix32(0x9e3779b9 * (k + 1));
      for (const w of key) h = fmix32((h ^ (w >>> 0)) + 0x6a09e667);
      s.push(h);
    }
    return new Prng(s);
  }

  /**
   * The split generator's stream: `seed` a non-negative integer (≤ 2^53), `stream` which
   * independent sequence (0 for train/val, k for split k). The splitmix64 state starts at
   * seed + stream·0xD1342543DE82EF95 (mod 2^64); its first two outputs fill the state.
   */
  static split(seed: number, stream = 0): Prng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Prng.split: bad seed ${seed}`);
    let st = (BigInt(seed) + BigInt(stream) * 0xd1342543de82ef95n) & MASK64;
    let a: bigint, b: bigint;
    [a, st] = splitmix64(st);
    [b, st] = splitmix64(st);
    return new Prng([
      Number(a & 0xffffffffn),
      Number(a >> 32n),
      Number(b & 0xffffffffn),
      Number(b >> 32n),
    ]);
  }

  /** A named stream of a seed (training side: "init", "linear-probe-init", …). */
  static named(seed: number, stream = ""): Prng {
    return Prng.keyed("train", ...seedWords(seed), hashString(stream));
  }

  /** Next raw 32-bit output. */
  nextU32(): number {
    const s = this.#s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in [lo, hi) (torch's `uniform_(lo, hi)`); [0, 1) by default. */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.random();
  }

  /** Integer uniform in [lo, hi) (torch's `randint(lo, hi)`); unbiased. */
  int(lo: number, hi: number): number {
    const n = hi - lo;
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new Error(`Prng.int: empty or huge range [${lo}, ${hi})`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x;
    do x = this.nextU32(); while (x >= limit);
    return lo + (x % n);
  }

  /** Integer uniform in [0, n). */
  below(n: number): number {
    return this.int(0, n);
  }

  /** Standard normal (Box–Muller, one value per two uniforms). */
  normal(): number {
    const u1 = 1 - this.random(); // (0, 1]: the log stays finite
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.random());
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

  /** A uniform random permutation of 0..n-1 (torch's `randperm(n)`). */
  perm(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

/** What identifies one augmented view, and so its generator. */
export interface ViewKey {
  /** The run's seed. */
  seed: number;
  /** The epoch, as the loader numbers it. */
  epoch: number;
  /** The image's index in its dataset (not its position in a batch). */
  index: number;
  /** Which view of the image (0 or 1 in pretraining). */
  view: number;
}

/** The generator of one augmented view: keyed by (seed, epoch, dataset index, view). */
export function viewRng(key: ViewKey): Prng {
  return Prng.keyed("augment", ...seedWords(key.seed), key.epoch, key.index, key.view);
}

/** The seeded per-epoch permutation of 0..n-1 used to shuffle a dataset. */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  return Prng.keyed("shuffle", ...seedWords(seed), epoch).perm(n);
}
