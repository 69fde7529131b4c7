/**
 * `deno task kernels check` entries of the conv2d relayout passes (prepass.ts): the weight
 * transpose [O, C, KK] → [KK, O, C] and swap [O, C, KK] → [C, O, KK] (plain and masked; 3×3,
 * 7×7 and 1×1; the swap also with C = 3 and C = 1, one channel per invocation) and the
 * stride-S gather
 * (vec4 pairs at S = 2, vec4 stores at S = 3, scalar rows for an odd Wo), against CPU copies.
 * They only move floats, so they must match exactly.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn, seededRandom } from "../../core/testing.ts";
import {
  gatherDefines,
  gatherStrided,
  swapDefines,
  swapWeights,
  transposeDefines,
  transposeWeights,
} from "./prepass.ts";
import { GATHER, SWAP, TRANSPOSE } from "./specs.ts";

/** [O, C, K] of the transpose and swap checks. */
const TRANSPOSE_SHAPES = [[8, 4, 3], [4, 8, 7], [12, 16, 1]];
/** The swap also moves one channel's run at a time where C % 4 != 0 (an RGB stem). */
const SWAP_SHAPES = [...TRANSPOSE_SHAPES, [8, 3, 3], [4, 1, 7]];
/** [N, C, H (= W), S] of the gather checks. */
const GATHER_SHAPES = [[2, 8, 8, 2], [1, 4, 12, 3], [2, 3, 9, 2]];

/**
 * Rows of a weight relayout: `source(j)` is the flat [O, C, KK] index that output element j
 * copies (times the mask when masked).
 */
async function relayoutRows(
  shapes: number[][],
  masked: boolean,
  run: (w: Tensor, mask: Tensor | null) => Tensor,
  source: (j: number, O: number, C: number, KK: number) => number,
): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [i, [O, C, K]] of shapes.entries()) {
    const KK = K * K, n = O * C * KK;
    const wv = randn(n, 200 + i);
    const r = seededRandom(300 + i);
    const mv = Float32Array.from({ length: n }, () => (r.uniform() < 0.5 ? 0 : 1));
    const w = Tensor.from(wv, [O, C, K, K]);
    const mask = masked ? Tensor.from(mv, w.shape) : null;
    const want = new Float64Array(n).map((_, j) => {
      const k = source(j, O, C, KK);
      return wv[k] * (masked ? mv[k] : 1);
    });
    const got = run(w, mask);
    out.push({ shape: `w[${O},${C},${K},${K}]`, ...errors(await got.read(), want), tol: 0 });
    for (const t of [w, mask, got]) t?.dispose();
  }
  return out;
}

/** wT[t, o, c] = w[o, c, t]. */
function transposeRows(masked: boolean): Promise<CheckRow[]> {
  return relayoutRows(TRANSPOSE_SHAPES, masked, transposeWeights, (j, O, C, KK) => {
    const c = j % C, o = Math.floor(j / C) % O, t = Math.floor(j / (C * O));
    return (o * C + c) * KK + t;
  });
}

/** wS[c, o, t] = w[o, c, t]. */
function swapRows(masked: boolean): Promise<CheckRow[]> {
  return relayoutRows(SWAP_SHAPES, masked, swapWeights, (j, O, C, KK) => {
    const t = j % KK, o = Math.floor(j / KK) % O, c = Math.floor(j / (KK * O));
    return (o * C + c) * KK + t;
  });
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
    name: "conv2d_prepass_swap",
    family: "conv2d",
    description: "wS[c, o, t] = w[o, c, t] for the swapped forward (fwd versions 5 and 6)",
    spec: SWAP,
    entry: "swap",
    defines: swapDefines(9, false),
    check: () => swapRows(false),
  },
  {
    name: "conv2d_prepass_swap_masked",
    family: "conv2d",
    description: "wS[c, o, t] = w[o, c, t] · mask[o, c, t]",
    spec: SWAP,
    entry: "swap",
    defines: swapDefines(9, true),
    check: () => swapRows(true),
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
