import assert from "node:assert/strict";
import {
  aggregateMetrics,
  assignGroups,
  meanStd,
  rankByCount,
  type RunMetrics,
  runMetrics,
} from "../../src/eval/metrics.ts";

const close = (got: number, want: number, tol = 1e-9, what = "") =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);

Deno.test("runMetrics: hand-computed CIFAR thirds on 6 classes", () => {
  // counts rank ascending: c0(10) c2(20) | c4(30) c3(40) | c1(50) c5(60)
  //   → Minor {0,2}, Moderate {4,3}, Major {1,5} (6//3 = 2 per third).
  const counts = [10, 50, 20, 40, 30, 60];
  const acc = [40, 90, 50, 70, 60, 80];
  assert.deepEqual(assignGroups(counts, "cifar-thirds"), [2, 0, 2, 1, 1, 0]);
  const m = runMetrics(acc, counts, "cifar-thirds");
  // acc = (40+90+50+70+60+80)/6 = 390/6 = 65
  close(m.acc, 65, 1e-12, "acc");
  // Major (90+80)/2 = 85, Moderate (60+70)/2 = 65, Minor (40+50)/2 = 45
  close(m.many, 85, 1e-12, "many");
  close(m.medium, 65, 1e-12, "medium");
  close(m.few, 45, 1e-12, "few");
  // std: (.85,.65,.45), mean .65, squares .04+0+.04 = .08, /3 → sqrt(.0266667) = .1632993162
  close(m.std, 0.16329931618554522, 1e-12, "std");
  // variance: a/100 = .4,.9,.5,.7,.6,.8, mean .65; squares .0625 .0625 .0225 .0025 .0025 .0225
  //   sum .175, /6 = .0291667 → sqrt = .1707825128
  close(m.variance, 0.17078251276599332, 1e-12, "variance");
});

Deno.test("aggregateMetrics: mean ± population std over runs", () => {
  const base: RunMetrics = { acc: 0, many: 0, medium: 0, few: 0, std: 0, variance: 0 };
  const runs = [60, 65, 70].map((a, i) => ({ ...base, acc: a, std: 0.01 * (i + 1) }));
  const agg = aggregateMetrics(runs);
  assert.equal(agg.runs, 3);
  // (60+65+70)/3 = 65; squares 25+0+25 = 50, /3 (population) → sqrt(16.667) = 4.0824829
  close(agg.acc.mean, 65, 1e-12, "acc mean");
  close(agg.acc.std, 4.08248290463863, 1e-12, "acc std");
  // .01,.02,.03: mean .02, squares 1e-4+0+1e-4, /3 → sqrt(6.667e-5) = .0081649658
  close(agg.std.mean, 0.02, 1e-15, "std mean");
  close(agg.std.std, 0.008164965809277261, 1e-12, "std std");
  assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  assert.throws(() => aggregateMetrics([]), /at least one run/);
});

Deno.test("thirds: CIFAR-10 3/3/4, CIFAR-100 33/33/34, ties broken by class index", () => {
  const c10 = [45, 4500, 75, 2697, 125, 1617, 208, 969, 348, 581];
  const g10 = assignGroups(c10, "cifar-thirds");
  assert.deepEqual([0, 1, 2].map((g) => g10.filter((x) => x === g).length), [4, 3, 3]);
  // Minor = the three smallest (45, 75, 125), Major = the four largest.
  assert.deepEqual(g10, [2, 0, 2, 0, 2, 0, 1, 0, 1, 1]);
  const c100 = Array.from({ length: 100 }, (_, i) => Math.floor(450 * 100 ** (-i / 99)));
  const g100 = assignGroups(c100, "cifar-thirds");
  assert.deepEqual([0, 1, 2].map((g) => g100.filter((x) => x === g).length), [34, 33, 33]);
  // All equal: the lower class index ranks lower, so it lands in the tail first.
  assert.deepEqual(assignGroups([5, 5, 5, 5, 5, 5], "cifar-thirds"), [2, 2, 1, 1, 0, 0]);
  assert.deepEqual(rankByCount([3, 1, 3, 1, 2]), [1, 3, 4, 0, 2]);
  // Ties that straddle a third boundary: counts 7 at classes 1,2,3; thirds of 6 = 2.
  assert.deepEqual(assignGroups([1, 7, 7, 7, 9, 9], "cifar-thirds"), [2, 2, 1, 1, 0, 0]);
});

Deno.test("ImageNet thresholds: Many > 100, Medium 20..100 inclusive, Few < 20", () => {
  const counts = [150, 101, 100, 50, 20, 19, 5];
  assert.deepEqual(assignGroups(counts, "imagenet-thresholds"), [0, 0, 1, 1, 1, 2, 2]);
  const acc = [90, 80, 70, 60, 50, 30, 20];
  const m = runMetrics(acc, counts, "imagenet-thresholds");
  // Many (90+80)/2 = 85; Medium (70+60+50)/3 = 60; Few (30+20)/2 = 25; acc 400/7
  close(m.many, 85, 1e-12, "many");
  close(m.medium, 60, 1e-12, "medium");
  close(m.few, 25, 1e-12, "few");
  close(m.acc, 400 / 7, 1e-12, "acc");
  // (.85,.60,.25): mean .5666667; squares .0802778 + .0011111 + .1002778 = .1816667 /3
  close(m.std, Math.sqrt(0.18166666666666667 / 3), 1e-12, "std");
  assert.throws(() => runMetrics([1, 2, 3], [50, 60, 70], "imagenet-thresholds"), /Many/);
  // Asked to, an empty group is NaN (shown as n/a), and so is the std over the three groups.
  const e = runMetrics([10, 20, 60], [50, 60, 5], "imagenet-thresholds", { emptyGroups: "nan" });
  assert.ok(Number.isNaN(e.many) && Number.isNaN(e.std));
  close(e.medium, 15, 1e-12, "medium");
  close(e.few, 60, 1e-12, "few");
  close(e.acc, 30, 1e-12, "acc");
  assert.throws(() => runMetrics([1, 2], [50, 60, 70], "cifar-thirds"), /differ/);
});

/** The spec's formula written the plain way, sharing no code with src/eval/metrics.ts. */
function referenceMetrics(acc: number[], counts: number[]) {
  const c = acc.length;
  const third = Math.floor(c / 3);
  // Selection order: repeatedly take the smallest count, lowest index first.
  const taken = new Array(c).fill(false);
  const order: number[] = [];
  for (let k = 0; k < c; k++) {
    let best = -1;
    for (let i = 0; i < c; i++) {
      if (!taken[i] && (best < 0 || counts[i] < counts[best])) best = i;
    }
    taken[best] = true;
    order.push(best);
  }
  const avg = (idx: number[]) => idx.reduce((s, i) => s + acc[i], 0) / idx.length;
  const minor = avg(order.slice(0, third));
  const moderate = avg(order.slice(third, 2 * third));
  const major = avg(order.slice(2 * third));
  // E[x²] − E[x]² instead of the two-pass form used by the implementation.
  const pstd = (xs: number[]) => {
    const m1 = xs.reduce((s, x) => s + x, 0) / xs.length;
    const m2 = xs.reduce((s, x) => s + x * x, 0) / xs.length;
    return Math.sqrt(Math.max(0, m2 - m1 * m1));
  };
  return {
    acc: acc.reduce((s, x) => s + x, 0) / c,
    many: major,
    medium: moderate,
    few: minor,
    std: pstd([major / 100, moderate / 100, minor / 100]),
    variance: pstd(acc.map((a) => a / 100)),
  };
}

Deno.test("runMetrics matches a straightforward implementation of docs/method.md §8", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const c of [10, 100, 11, 3]) {
    for (let trial = 0; trial < 20; trial++) {
      // Few distinct counts so that ties are common.
      const counts = Array.from({ length: c }, () => 1 + Math.floor(rand() * 8) * 50);
      const acc = Array.from({ length: c }, () => Math.round(rand() * 10000) / 100);
      const got = runMetrics(acc, counts, "cifar-thirds");
      const want = referenceMetrics(acc, counts);
      for (const k of Object.keys(want) as (keyof typeof want)[]) {
        close(got[k], want[k], 1e-9, `C=${c} trial ${trial} ${k}`);
      }
    }
  }
});
