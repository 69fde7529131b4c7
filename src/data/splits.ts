/**
 * The seeded long-tail split generator (docs/method.md §1). From the labels of a training set it builds
 * one train/val partition and `splits` long-tail splits, each with three nested index sets
 * into the original training set:
 * - train/val: per class, one shuffle of the class's indices (stream 0); the first
 *   `valPerClass` are val, the rest the pool; the train list is the first `trainList` of the
 *   pool (the whole pool for CIFAR-10 / Fashion-MNIST). Both lists are written sorted.
 * - split k (stream k): a random class→rank assignment (a shuffle of the classes), then per
 *   class ONE shuffle of its pool; D_i takes the first n_rank, D_b the first `balanced`,
 *   S_b the first `fewShot`. Hence S_b ⊂ D_i ∩ D_b. Files list class 0's block, then class
 *   1's, …, each block in shuffle order, as the authors' released files do.
 * Streams depend on (seed, k) only, so two datasets with the same class count and seed get the
 * same class→rank assignment in split k (their index sets still differ).
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { Prng } from "../../core/prng.ts";
import { type SplitProfile, type SplitSizes, splitSizes } from "./split_profiles.ts";

/** Bumped whenever the same seed would give different files. */
export const SPLIT_GENERATOR_VERSION = 1;

/** One long-tail split. Index arrays point into the original training set. */
export interface LongTailSplit {
  /** 1-based split number. */
  k: number;
  /** rankOfClass[c] = rank of class c (0 = largest D_i class). */
  rankOfClass: number[];
  D_i: Int32Array;
  D_b: Int32Array;
  S_b: Int32Array;
}

/** Everything the generator produces for one dataset and seed. */
export interface GeneratedSplits {
  profile: SplitProfile;
  seed: number;
  version: number;
  sizes: SplitSizes;
  /** Linear-evaluation train list, ascending. */
  trainIdx: Int32Array;
  /** Validation list, ascending. */
  valIdx: Int32Array;
  splits: LongTailSplit[];
}

/** Indices of each class, ascending. Labels must be in [0, classes). */
export function indicesByClass(labels: ArrayLike<number>, classes: number): Int32Array[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < classes)) {
      throw new UserError(`label ${l} of training image ${i} is outside [0, ${classes})`);
    }
    counts[l]++;
  }
  const out = counts.map((n) => new Int32Array(n));
  const fill = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) out[labels[i]][fill[labels[i]]++] = i;
  return out;
}

function concat(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Builds the train/val lists and the long-tail splits of `profile` from `labels`, with the
 * given seed. Every class must have at least `valPerClass` + 1 images; the pool size used
 * for n_max is the smallest class's pool (all equal for the built-in datasets).
 */
export function generateSplits(
  labels: ArrayLike<number>,
  profile: SplitProfile,
  seed: number,
): GeneratedSplits {
  const C = profile.classes;
  const byClass = indicesByClass(labels, C);
  const minCount = Math.min(...byClass.map((a) => a.length));
  const pool = minCount - profile.valPerClass;
  if (pool < 1) {
    throw new UserError(
      `${profile.dataset}: a class has only ${minCount} training images, fewer than the ` +
        `${profile.valPerClass} per class the validation list needs; is this the full training set?`,
    );
  }
  const sizes = splitSizes(profile, pool);
  if (sizes.fewShot > sizes.longTail[C - 1] || sizes.balanced > pool || sizes.trainList > pool) {
    throw new UserError(
      `${profile.dataset}: pool of ${pool} per class is too small for the split profile`,
    );
  }
  const tv = Prng.split(seed, 0);
  const pools: Int32Array[] = [];
  const trainParts: Int32Array[] = [];
  const valParts: Int32Array[] = [];
  for (let c = 0; c < C; c++) {
    const perm = tv.shuffle(byClass[c].slice());
    valParts.push(perm.slice(0, profile.valPerClass));
    // Unequal classes: only the first `pool` non-val images are eligible, so that every class
    // offers the same pool and n_max means the same thing for each rank.
    const p = perm.slice(profile.valPerClass, profile.valPerClass + pool);
    trainParts.push(p.slice(0, sizes.trainList));
    pools.push(p.sort());
  }
  const splits: LongTailSplit[] = [];
  for (let k = 1; k <= profile.splits; k++) {
    const rng = Prng.split(seed, k);
    const classOfRank = rng.shuffle(Array.from({ length: C }, (_, c) => c));
    const rankOfClass = new Array<number>(C);
    classOfRank.forEach((c, r) => (rankOfClass[c] = r));
    const di: Int32Array[] = [], db: Int32Array[] = [], sb: Int32Array[] = [];
    for (let c = 0; c < C; c++) {
      const perm = rng.shuffle(pools[c].slice());
      di.push(perm.subarray(0, sizes.longTail[rankOfClass[c]]));
      db.push(perm.subarray(0, sizes.balanced));
      sb.push(perm.subarray(0, sizes.fewShot));
    }
    splits.push({ k, rankOfClass, D_i: concat(di), D_b: concat(db), S_b: concat(sb) });
  }
  return {
    profile,
    seed,
    version: SPLIT_GENERATOR_VERSION,
    sizes,
    trainIdx: concat(trainParts).sort(),
    valIdx: concat(valParts).sort(),
    splits,
  };
}
