/**
 * The paper's long-tail metrics (docs/method.md §8), as pure f64 functions: Many/Medium/Few groups from
 * the per-class D_i counts, per-run accuracy / group means / balancedness, and mean ±
 * population std over runs. CIFAR's Major/Moderate/Minor are the same three groups as
 * ImageNet's Many/Medium/Few, so one set of names serves both.
 * @module
 */
import type { Grouping } from "./results.ts";

/** ImageNet thresholds (docs/method.md §1): Many has more than this many D_i images. */
export const IMAGENET_MANY_ABOVE = 100;
/** ImageNet thresholds (docs/method.md §1): Few has fewer than this many D_i images. */
export const IMAGENET_FEW_BELOW = 20;

/** Group of a class: 0 = Many/Major (head), 1 = Medium/Moderate, 2 = Few/Minor (tail). */
export type Group = 0 | 1 | 2;

/** Display names of the three groups, head first, for each grouping. */
export const GROUP_NAMES: Record<Grouping, readonly [string, string, string]> = {
  "cifar-thirds": ["Major", "Moderate", "Minor"],
  "imagenet-thresholds": ["Many", "Medium", "Few"],
};

/**
 * Class indices sorted by ascending D_i count. Ties are broken by ascending class index
 * (a stable sort), so among equal counts the lower class index ranks lower, i.e. falls into
 * the tail group first. This matches numpy's `argsort` on the small arrays the authors used
 * and makes the grouping independent of sort implementation.
 */
export function rankByCount(counts: readonly number[]): number[] {
  return counts.map((_, i) => i).sort((a, b) => counts[a] - counts[b] || a - b);
}

/**
 * Group of every class (docs/method.md §8). `cifar-thirds`: the C//3 lowest-ranked classes are
 * Minor, the next C//3 Moderate, the rest Major (CIFAR-10: 3/3/4; CIFAR-100: 33/33/34).
 * `imagenet-thresholds`: Many > 100 images, Medium 20..100 inclusive, Few < 20.
 */
export function assignGroups(counts: readonly number[], grouping: Grouping): Group[] {
  const groups = new Array<Group>(counts.length);
  if (grouping === "imagenet-thresholds") {
    counts.forEach((n, c) => {
      groups[c] = n > IMAGENET_MANY_ABOVE ? 0 : n >= IMAGENET_FEW_BELOW ? 1 : 2;
    });
    return groups;
  }
  const third = Math.floor(counts.length / 3);
  rankByCount(counts).forEach((c, r) => {
    groups[c] = r < third ? 2 : r < 2 * third ? 1 : 0;
  });
  return groups;
}

/** Arithmetic mean (NaN for an empty list). */
export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Population standard deviation (divides by n), two-pass for accuracy. */
export function populationStd(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / xs.length);
}

/** The paper's numbers for one run (one split); accuracies in percent. */
export interface RunMetrics {
  /** mean_c a_c. */
  acc: number;
  /** Mean a_c over Many/Major classes. */
  many: number;
  /** Mean a_c over Medium/Moderate classes. */
  medium: number;
  /** Mean a_c over Few/Minor classes. */
  few: number;
  /** Balancedness: population std of (many, medium, few) / 100; lower is better. */
  std: number;
  /** Population std of all a_c / 100. */
  variance: number;
}

/** The metric names of RunMetrics, in report order. */
export const METRIC_KEYS: readonly (keyof RunMetrics)[] = [
  "acc",
  "many",
  "medium",
  "few",
  "std",
  "variance",
];

/**
 * Computes RunMetrics from per-class test accuracies `acc` (percent) and D_i counts.
 * Throws when lengths differ. An empty group (e.g. no ImageNet class above 100 images in a
 * small list) has no mean: it throws, or with `emptyGroups: "nan"` that group's mean and the
 * balancedness `std` are NaN (reported as n/a).
 */
export function runMetrics(
  acc: readonly number[],
  counts: readonly number[],
  grouping: Grouping,
  opts: { emptyGroups?: "throw" | "nan" } = {},
): RunMetrics {
  if (acc.length !== counts.length) {
    throw new Error(`per-class accuracies (${acc.length}) and counts (${counts.length}) differ`);
  }
  const groups = assignGroups(counts, grouping);
  const members: number[][] = [[], [], []];
  groups.forEach((g, c) => members[g].push(acc[c]));
  members.forEach((m, g) => {
    if (m.length === 0 && opts.emptyGroups !== "nan") {
      throw new Error(
        `group ${GROUP_NAMES[grouping][g]} (${grouping}) has no class; counts: ${counts.join(",")}`,
      );
    }
  });
  const [many, medium, few] = members.map(mean);
  return {
    acc: mean(acc),
    many,
    medium,
    few,
    std: populationStd([many / 100, medium / 100, few / 100]),
    variance: populationStd(acc.map((a) => a / 100)),
  };
}

/** A value reported as mean ± population std over runs. */
export interface MeanStd {
  mean: number;
  std: number;
}

/** Mean ± population std of a list. */
export function meanStd(xs: readonly number[]): MeanStd {
  return { mean: mean(xs), std: populationStd(xs) };
}

/** Every RunMetrics field as mean ± population std over runs, plus the number of runs. */
export type AggregateMetrics = { [K in keyof RunMetrics]: MeanStd } & { runs: number };

/** Aggregates per-run metrics (docs/method.md §8: "mean ± population std of each"). */
export function aggregateMetrics(runs: readonly RunMetrics[]): AggregateMetrics {
  if (runs.length === 0) throw new Error("aggregateMetrics needs at least one run");
  const out = { runs: runs.length } as AggregateMetrics;
  for (const k of METRIC_KEYS) out[k] = meanStd(runs.map((r) => r[k]));
  return out;
}
