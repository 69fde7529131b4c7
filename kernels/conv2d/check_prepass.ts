/**
 * `deno task kernels check` entries of the conv2d relayout passes (prepass.ts): the weight
 * transpose [O, C, KK] → [KK, O, C] (plain and masked; 3×3 and 7×7) and the stride-S gather
 * (vec4 pairs at S = 2, vec4 stores at S = 3, scalar rows for an odd Wo), against CPU copies.
 * Both only move floats, so they must match exactly.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn, seededRandom } from "../../core/testing.ts";
import { gatherDefines, gatherStrided, transposeDefines, transposeWeights } from "./prepass.ts";
import { GATHER, TRANSPOSE } from "./specs.ts";

/** [O, C, K] of the transpose checks. */
const TRANSPOSE_SHAPES = [[8, 4, 3], [4, 8, 7], [12, 16, 1]];
/** [N, C, H (= W), S] of the gather checks. */
const GATHER_SHAPES = [[2, 8, 8, 2], [1, 4, 12, 3], [2, 3, 9, 2]];

async function transposeRows(masked: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [i, [O, C, K]] of TRANSPOSE_SHAPES.entries()) {
    const KK = K * K, n = O * C * KK;
    const wv = randn(n, 200 + i);
    const r = seededRandom(300 + i);
    const mv = Float32Array.from({ length: n }, () => (r.uniform() < 0.5 ? 0 : 1));
    const w = Tensor.from(wv, [O, C, K, K]);
    const mask = masked ? Tensor.from(mv, w.shape) : null;
    const want = new Float64Array(n).map((_, j) => {
      const c = j % C, o = Math.floor(j / C) % O, t = Math.floor(j / (C * O));
      const k = (o * C + c) * KK + t;
      return wv[k] * (masked ? mv[k] : 1);
    });
    const wt = transposeWeights(w, mask);
    out.push({ shape: `w[${O},${C},${K},${K}]`, ...errors(await wt.read(), want), tol: 0 });
    for (const t of [w, mask, wt]) t?.dispose();
  }
  return out;
}

async function gatherRows(): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [i, [N, C, H, S]] of GATHER_SHAPES.entries()) {
    const Ho = Math.floor((H - 1) / S) + 1;
    const xv = randn(N * C * H * H, 400 + i);
    const want = new Float64Array(N * C * Ho * Ho).map((_, j) => {
      const b = j % Ho, a = Math.floor(j / Ho) % Ho, p = Math.floor(j / (Ho * Ho));
      return xv[(p * H + S * a) * H + S * b];
    });
    const x = Tensor.from(xv, [N, C, H, H]);
    const xs = gatherStrided(x, S);
    out.push({ shape: `x[${N},${C},${H},${H}] s${S}`, ...errors(await xs.read(), want), tol: 0 });
    for (const t of [x, xs]) t.dispose();
  }
  return out;
}

/** The relayout passes as kernel entries. */
export const prepassKernels: KernelInfo[] = [
  {
    name: "conv2d_prepass_transpose",
    family: "conv2d",
    description: "wT[t, o, c] = w[o, c, t] for the transposed input gradient (dgrad version 3)",
    spec: TRANSPOSE,
    entry: "transpose",
    defines: transposeDefines(9, false),
    check: () => transposeRows(false),
  },
  {
    name: "conv2d_prepass_transpose_masked",
    family: "conv2d",
    description: "wT[t, o, c] = w[o, c, t] · mask[o, c, t]",
    spec: TRANSPOSE,
    entry: "transpose",
    defines: transposeDefines(9, true),
    check: () => transposeRows(true),
  },
  {
    name: "conv2d_prepass_gather",
    family: "conv2d",
    description: "xs = x[:, :, ::S, ::S] for the gathered 1×1 strided forward (fwd version 3)",
    spec: GATHER,
    entry: "gather",
    defines: gatherDefines(2, 32, 16),
    check: gatherRows,
  },
];
