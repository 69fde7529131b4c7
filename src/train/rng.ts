/**
 * Seeded random numbers for the training side (weight initialisation, test data), drawn from
 * the suite's keyed xoshiro128** generator (src/data/augment_params.ts) under their own key
 * domain, so they never coincide with the shuffle or augmentation streams.
 *
 * Nothing in a training step consumes a running random stream: the batch order is keyed by
 * (seed, epoch) and each view's augmentation by (seed, epoch, image, view). A checkpoint's
 * `rng` words are therefore the key (seed low word, seed high word) and the global step,
 * which fix every draw that follows.
 * @module
 */
import { Rng } from "../data/augment_params.ts";

/** Key domain of training-side streams (the data module uses 1–3). */
export const TRAIN_DOMAIN = 16;

/** FNV-1a hash of a stream name into 32 bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The two u32 words of a non-negative integer seed (up to 2^53). */
export function seedWords(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  }
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/** A named stream of a seed: uniform, integer and normal draws. */
export class TrainRng {
  #r: Rng;

  /** Stream `stream` (e.g. "init") of `seed`; same seed and name → same draws. */
  constructor(seed: number, stream = "") {
    this.#r = new Rng(TRAIN_DOMAIN, ...seedWords(seed), hashString(stream));
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.#r.random();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return this.#r.int(0, n);
  }

  /** Standard normal (Box–Muller, one value per two uniforms). */
  normal(): number {
    const u1 = 1 - this.#r.random(); // (0, 1]: the log stays finite
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.#r.random());
  }
}

/** The same class under its earlier name (src/eval/linear_probe.ts imports it so). */
export { TrainRng as Rng };
