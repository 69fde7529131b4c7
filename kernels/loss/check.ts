/**
 * `deno task kernels check` entries of the loss family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn, seededRandom } from "../../core/testing.ts";
import {
  AccuracyCounter,
  argmaxRows,
  crossEntropy,
  crossEntropyBackward,
  ntXentForward,
  ntXentViewGrad,
  sumScaled,
} from "./mod.ts";
import { ARGMAX_ROWS, CE_DEFINES, COUNT_CORRECT, CROSS_ENTROPY } from "./cross_entropy.ts";
import { NTXENT_BACKWARD, NTXENT_NORMALIZE, NTXENT_SOFTMAX, SUM_SCALED } from "./ntxent.ts";
import { accuracyRef, argmaxRowsRef, crossEntropyRef, ntXentRef } from "./reference.ts";

/** [B, d, t] */
const NTX: [number, number, number][] = [[3, 5, 0.5], [16, 128, 0.2], [64, 128, 0.2]];
/** [N, C] */
const CE: [number, number][] = [[7, 10], [128, 100], [300, 3]];

async function ntxRows(what: "loss" | "u" | "grad" | "samples"): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [b, d, t] of NTX) {
    const a = randn(b * d, b + d, 2), c = randn(b * d, 7 * b + d, 2);
    const z1 = Tensor.from(a, [b, d]), z2 = Tensor.from(c, [b, d]);
    const f = ntXentForward(z1, z2, {
      temperature: t,
      grad: what === "grad",
      perSample: what === "samples",
    });
    const ref = ntXentRef(a, c, { b, d, t });
    const shape = `B${b} d${d} t${t}`;
    if (what === "loss") {
      out.push({ shape, ...errors(await f.loss.read(), [ref.loss]), tol: 1e-5 });
    } else if (what === "samples") {
      out.push({
        shape: `${shape} ℓ_i`,
        ...errors(await f.samples!.read(), ref.samples),
        tol: 1e-5,
      });
    } else if (what === "u") {
      const u = new Float64Array(2 * b * d);
      const row = (z: Float32Array, i: number) => {
        const n = Math.hypot(...z.subarray(i * d, (i + 1) * d));
        return Array.from(z.subarray(i * d, (i + 1) * d), (v) => v / Math.max(n, 1e-12));
      };
      for (let i = 0; i < b; i++) {
        u.set(row(a, i), i * d);
        u.set(row(c, i), (b + i) * d);
      }
      out.push({ shape, ...errors(await f.u.read(), u), tol: 1e-6 });
    } else {
      const gy = Tensor.fill([1], 1);
      const saved = { b, d, u: f.u, norms: f.norms, g: f.g! };
      const g1 = ntXentViewGrad(gy, saved, 0), g2 = ntXentViewGrad(gy, saved, 1);
      out.push({ shape: `${shape} ∂z1`, ...errors(await g1.read(), ref.g1), tol: 1e-4 });
      out.push({ shape: `${shape} ∂z2`, ...errors(await g2.read(), ref.g2), tol: 1e-4 });
      for (const x of [gy, g1, g2]) x.dispose();
    }
    for (const x of [z1, z2, f.loss, f.u, f.norms, f.s, f.g, f.rows, f.samples]) x?.dispose();
  }
  return out;
}

function ceData(n: number, c: number) {
  const logits = randn(n * c, n * c, 3);
  const r = seededRandom(n + c);
  const labels = Uint32Array.from({ length: n }, () => Math.floor(r.uniform() * c));
  return { logits, labels };
}

async function ceRows(what: "loss" | "grad" | "count"): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [n, c] of CE) {
    const { logits, labels } = ceData(n, c);
    const tl = Tensor.from(logits, [n, c]), ty = Tensor.from(labels, [n]);
    const ref = crossEntropyRef(logits, labels, { n, c });
    const shape = `N${n} C${c}`;
    if (what === "loss") {
      const loss = crossEntropy(tl, ty);
      out.push({ shape, ...errors(await loss.read(), [ref.loss]), tol: 1e-5 });
      loss.dispose();
    } else if (what === "grad") {
      const gy = Tensor.fill([1], 1);
      const g = crossEntropyBackward(gy, tl, ty);
      out.push({ shape, ...errors(await g.read(), ref.grad), tol: 1e-5 });
      gy.dispose();
      g.dispose();
    } else {
      const acc = new AccuracyCounter(c);
      acc.add(tl, ty);
      acc.add(tl, ty);
      const got = await acc.read();
      const want = accuracyRef(logits, labels, { n, c });
      const twice = (v: number[]) => v.map((x) => 2 * x);
      out.push({
        shape: `${shape} ×2 batches`,
        ...errors(
          [...got.perClassCorrect, ...got.perClassTotal],
          [...twice(want.perClassCorrect), ...twice(want.perClassTotal)],
        ),
        tol: 0,
      });
      acc.dispose();
    }
    tl.dispose();
    ty.dispose();
  }
  return out;
}

async function sumRows(): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const n of [1, 1024, 5000]) {
    const x = randn(n, n, 1);
    const t = Tensor.from(x, [n]);
    const s = sumScaled(t, 1 / n);
    out.push({
      shape: `[${n}]`,
      ...errors(await s.read(), [x.reduce((a, v) => a + v, 0) / n]),
      tol: 1e-5,
    });
    t.dispose();
    s.dispose();
  }
  return out;
}

/** [N, C] of the argmax rows: single column, odd sizes, more columns than a workgroup. */
const ARGMAX: [number, number][] = [[1, 1], [7, 10], [129, 3], [1000, 1001]];

/**
 * Argmax of logits rounded to quarters (so rows have tied maxima, first one wins) with a NaN in
 * every 17th row (never the winner).
 */
async function argmaxCheckRows(): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [n, c] of ARGMAX) {
    const x = randn(n * c, n + 5 * c).map((v) => Math.round(4 * v) / 4);
    for (let i = 0; i < n; i += 17) x[i * c + ((7 * i) % c)] = NaN;
    const t = Tensor.from(x, [n, c]);
    const pred = argmaxRows(t);
    out.push({
      shape: `N${n} C${c}`,
      ...errors(await pred.readU32(), argmaxRowsRef(x, n, c)),
      tol: 0,
    });
    t.dispose();
    pred.dispose();
  }
  return out;
}

/** Loss-family kernels. */
export const lossKernels: KernelInfo[] = [
  {
    name: "ntxent_normalize",
    family: "loss",
    description: "U = [z1; z2] / max(‖z‖, 1e-12) per row (NT-Xent step 1)",
    spec: NTXENT_NORMALIZE,
    entry: "normalize_rows",
    defines: { VEC: true },
    check: () => ntxRows("u"),
  },
  {
    name: "ntxent_softmax",
    family: "loss",
    description: "per-row stable lse over the 2B−1 others of S = U·Uᵀ·(1/t), loss and ∂/∂(U·Uᵀ)",
    spec: NTXENT_SOFTMAX,
    entry: "softmax_rows",
    defines: { VEC: true, GRAD: true },
    check: () => ntxRows("loss"),
  },
  {
    name: "ntxent_backward",
    family: "loss",
    description: "∂L/∂z through u = z/‖z‖ of du = (G + Gᵀ)·U (two GEMMs, no transpose copy)",
    spec: NTXENT_BACKWARD,
    entry: "normalize_backward",
    defines: { VEC: true },
    check: () => ntxRows("grad"),
  },
  {
    name: "sum_scaled",
    family: "loss",
    description: "out = scale · Σ x (mean of per-row losses, Kahan)",
    spec: SUM_SCALED,
    entry: "sum_scaled",
    check: sumRows,
  },
  {
    name: "sum_scaled_pairs",
    family: "loss",
    description: "the loss mean plus NT-Xent's per-sample losses ℓ_i = (row i + row i+B)/2",
    spec: SUM_SCALED,
    entry: "sum_scaled",
    defines: { PAIRS: true },
    check: () => ntxRows("samples"),
  },
  {
    name: "ce_rows",
    family: "loss",
    description: "softmax cross-entropy per row (mean via sum_scaled)",
    spec: CROSS_ENTROPY,
    entry: "ce_rows",
    defines: CE_DEFINES,
    check: () => ceRows("loss"),
  },
  {
    name: "ce_backward",
    family: "loss",
    description: "gx = gy/N · (softmax − onehot)",
    spec: CROSS_ENTROPY,
    entry: "ce_backward",
    defines: CE_DEFINES,
    check: () => ceRows("grad"),
  },
  {
    name: "count_correct",
    family: "loss",
    description: "per-class argmax-correct and total counts, accumulated on the GPU",
    spec: COUNT_CORRECT,
    entry: "count_correct",
    check: () => ceRows("count"),
  },
  {
    name: "argmax_rows",
    family: "loss",
    description: "class predictions: first maximum per row of logits (NaN never wins)",
    spec: ARGMAX_ROWS,
    entry: "argmax_rows",
    check: argmaxCheckRows,
  },
];
