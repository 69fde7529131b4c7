/**
 * What the long-tail splits of each dataset look like (docs/method.md §1), read off the authors'
 * released CIFAR files:
 * - CIFAR-10: val list 500 per class; the remaining 4,500 per class are both the pool the
 *   long-tail sets are drawn from and the linear-evaluation train list (45,000).
 * - CIFAR-100: val list 50 per class; pool = the other 450 per class; the linear-evaluation
 *   train list is 400 per class of the pool (40,000). In every released split, the head class
 *   (450 images) has exactly 400 in the train list and the long-tail sets use pool images
 *   outside it, so the pool is not the train list.
 * - Fashion-MNIST (not in the paper): built like CIFAR-10 with the same proportions, i.e.
 *   10% of each class (600 of 6,000) for val and the other 5,400 for pool and train list.
 * Long-tail sizes: n_r = floor(n_max · imbalance^(−r/(C−1))) for rank r = 0..C−1, with
 * n_max = the per-class pool size; the balanced set takes floor(Σ n_r / C) per class and the
 * few-shot set floor(1% · pool) per class.
 * @module
 */
import type { DatasetName } from "./readers/load_dataset.ts";

/** Parameters of one dataset's split construction. */
export interface SplitProfile {
  dataset: DatasetName;
  /** File name prefix of our generated files (distinct from the authors' names). */
  prefix: string;
  classes: number;
  /** Validation images per class (taken out of the pool). */
  valPerClass: number;
  /** Linear-evaluation train list per class, drawn from the pool; undefined = the whole pool. */
  trainListPerClass?: number;
  /** Ratio of the largest to the smallest long-tail class (100 in the paper). */
  imbalance: number;
  /** Few-shot set size as a fraction of the per-class pool (1%). */
  fewShotFraction: number;
  /** Number of long-tail splits (5). */
  splits: number;
}

/** Built-in profiles by dataset. */
export const SPLIT_PROFILES: Record<DatasetName, SplitProfile> = {
  "cifar10": {
    dataset: "cifar10",
    prefix: "cifar10",
    classes: 10,
    valPerClass: 500,
    imbalance: 100,
    fewShotFraction: 0.01,
    splits: 5,
  },
  "cifar100": {
    dataset: "cifar100",
    prefix: "cifar100",
    classes: 100,
    valPerClass: 50,
    trainListPerClass: 400,
    imbalance: 100,
    fewShotFraction: 0.01,
    splits: 5,
  },
  "fashion-mnist": {
    dataset: "fashion-mnist",
    prefix: "fmnist",
    classes: 10,
    valPerClass: 600,
    imbalance: 100,
    fewShotFraction: 0.01,
    splits: 5,
  },
};

/** Long-tail class sizes by rank: floor(nMax · imbalance^(−r/(C−1))), r = 0..C−1. */
export function longTailCounts(nMax: number, classes: number, imbalance: number): number[] {
  if (classes < 2) return [nMax];
  return Array.from(
    { length: classes },
    (_, r) => Math.floor(nMax * Math.pow(imbalance, -r / (classes - 1))),
  );
}

/** Per-class sizes every split of a profile uses, for a per-class pool of `pool` images. */
export interface SplitSizes {
  pool: number;
  /** Long-tail sizes by rank (rank 0 = largest). */
  longTail: number[];
  balanced: number;
  fewShot: number;
  trainList: number;
}

/** Derives the per-class sizes from a profile and the per-class pool size. */
export function splitSizes(p: SplitProfile, pool: number): SplitSizes {
  const longTail = longTailCounts(pool, p.classes, p.imbalance);
  const total = longTail.reduce((a, b) => a + b, 0);
  return {
    pool,
    longTail,
    balanced: Math.floor(total / p.classes),
    // The tiny epsilon keeps e.g. 0.01·4500 = 45 from flooring to 44 through rounding.
    fewShot: Math.floor(p.fewShotFraction * pool + 1e-9),
    trainList: p.trainListPerClass ?? pool,
  };
}

/** Seed of our shipped and auto-generated splits (`deno task splits` default). */
export const DEFAULT_SPLIT_SEED = 1;
