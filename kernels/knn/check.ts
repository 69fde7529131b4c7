/**
 * `deno task kernels check` entries of the k-NN family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, seededRandom } from "../../core/testing.ts";
import { KNN_VOTE, knnVote } from "./mod.ts";
import { knnVoteRef } from "./reference.ts";

/** One check shape: query rows, bank rows, k, classes, temperature, similarity step. */
export interface KnnCase {
  rows: number;
  n: number;
  k: number;
  classes: number;
  t: number;
  /** Similarities rounded to multiples of this (many exact ties), or 0 for none. */
  step: number;
}

const CASES: KnnCase[] = [
  { rows: 3, n: 7, k: 1, classes: 2, t: 0.1, step: 0 },
  { rows: 37, n: 1000, k: 200, classes: 10, t: 0.1, step: 0 },
  { rows: 9, n: 4099, k: 1024, classes: 100, t: 0.07, step: 1 / 16 },
  { rows: 21, n: 301, k: 301, classes: 5, t: 0.5, step: 1 / 8 },
  { rows: 5, n: 257, k: 33, classes: 3, t: 0.1, step: 1 / 4 },
];

/**
 * Runs knnVote on seeded cosine-like similarities in [−1, 1] and compares the classes with the
 * reference on the rows whose two best vote totals differ by more than f32 noise (relative
 * margin > 1e-4; elsewhere rounding may legitimately pick the other class).
 */
export async function knnCaseRow(c: KnnCase, seed = 1): Promise<CheckRow & { clear: number }> {
  const r = seededRandom(seed + c.rows * 7 + c.n);
  const sim = Float32Array.from({ length: c.rows * c.n }, () => {
    const v = 2 * r.uniform() - 1;
    return c.step ? Math.round(v / c.step) * c.step : v;
  });
  const labels = Uint32Array.from({ length: c.n }, () => Math.floor(r.uniform() * c.classes));
  const ts = Tensor.from(sim, [c.rows, c.n]), tl = Tensor.from(labels, [c.n]);
  const pred = knnVote(ts, tl, { k: c.k, classes: c.classes, temperature: c.t });
  const got = await pred.readU32();
  for (const x of [ts, tl, pred]) x.dispose();
  const ref = knnVoteRef(sim, labels, c);
  const ours: number[] = [], want: number[] = [];
  ref.forEach((w, i) => {
    if (w.margin <= 1e-4) return;
    ours.push(got[i]);
    want.push(w.pred);
  });
  const shape = `rows${c.rows} n${c.n} k${c.k} C${c.classes}${c.step ? " ties" : ""}` +
    ` (${want.length}/${c.rows} clear)`;
  return { shape, ...errors(ours, want), tol: 0, clear: want.length };
}

/** k-NN kernels. */
export const knnKernels: KernelInfo[] = [
  {
    name: "knn_vote",
    family: "knn",
    description: "per query row: exact top-k of sim (radix select), votes exp(sim/T) per class",
    spec: KNN_VOTE,
    entry: "main",
    defines: { KMAX: 256, CLASSES: 10 },
    check: async () => {
      const out: CheckRow[] = [];
      for (const c of CASES) {
        const { clear: _, ...row } = await knnCaseRow(c);
        out.push(row);
      }
      return out;
    },
  },
];
