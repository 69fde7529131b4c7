/**
 * `deno task kernels check` entries of the conv2d family: forward, input gradient and weight
 * gradient (plain, masked, and the split reduction) against the CPU f64 reference at several
 * shapes: 3×3 s1 p1, 3×3 s2 p1 on an odd size, 1×1 s2, the 7×7 s2 p3 stem on 15×15 with
 * C = 3 and O = 5, a 3×3 p0 on a non-square 5×7 input, a 4×4 image with 16 channels, and
 * stride 3 (1×1 through the scalar gather; 3×3 with one tap per input-gradient class), and
 * a 5×5 stride 2 (up to 9 taps per input-gradient class).
 * @module
 */
import type { CheckOptions, CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn, seededRandom } from "../../core/testing.ts";
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from "./mod.ts";
import {
  conv2dBackwardInputRef,
  conv2dBackwardWeightRef,
  conv2dRef,
  type ConvShape,
  outSize,
} from "./reference.ts";
import { directDefines } from "./codegen_direct.ts";
import { prepassKernels } from "./check_prepass.ts";
import { wgradDefines } from "./codegen_wgrad.ts";
import {
  backwardInputPlans,
  backwardWeightPlan,
  convGeom,
  forwardPlan,
  planOptions,
} from "./plan.ts";

const DIRECT = new URL("./conv2d_direct.wgsl", import.meta.url);
const WGRAD = new URL("./conv2d_wgrad.wgsl", import.meta.url);
const TOL = 1e-4;

/**
 * Shapes checked: [N, C, H, W, O, K, stride, padding, step budget (0 = auto)]. Small shapes
 * get small tiles; the forced budgets run the production tiles on small inputs (4-channel
 * weight blocks; 16 output channels × 4×16 positions for 3×3, 32 × 4×8 for 1×1).
 */
export const CHECK_SHAPES: number[][] = [
  [2, 8, 8, 8, 8, 3, 1, 1, 0],
  [2, 4, 9, 9, 12, 3, 2, 1, 0],
  [2, 16, 8, 8, 8, 1, 2, 0, 0],
  [2, 3, 15, 15, 5, 7, 2, 3, 0],
  [1, 3, 5, 7, 5, 3, 1, 0, 0],
  [2, 16, 4, 4, 16, 3, 1, 1, 0],
  [1, 16, 16, 16, 16, 3, 1, 1, 4608],
  [1, 64, 8, 8, 16, 3, 2, 1, 4608],
  [2, 32, 8, 8, 32, 1, 2, 0, 4608],
  [2, 6, 9, 9, 5, 1, 3, 0, 0],
  [1, 8, 10, 10, 8, 3, 3, 1, 0],
  [1, 4, 9, 9, 4, 5, 2, 2, 0],
];

/** The ConvShape of a CHECK_SHAPES row. */
export function shapeOf(r: number[]): ConvShape {
  const [N, C, H, W, O, K, stride, padding] = r;
  return { N, C, H, W, O, KH: K, KW: K, stride, padding };
}

/** Seeded inputs of a shape: x, w, dy and a random 0/1 mask (about half kept). */
export function caseData(s: ConvShape, seed: number) {
  const { Ho, Wo } = outSize(s);
  const r = seededRandom(seed + 7);
  const nw = s.O * s.C * s.KH * s.KW;
  return {
    x: randn(s.N * s.C * s.H * s.W, seed),
    w: randn(nw, seed + 1, 0.5),
    gy: randn(s.N * s.O * Ho * Wo, seed + 2),
    mask: Float32Array.from({ length: nw }, () => (r.uniform() < 0.5 ? 0 : 1)),
  };
}

type Pass = "fwd" | "dgrad" | "wgrad";

async function rows(
  pass: Pass,
  masked: boolean,
  split: number | undefined,
  o: CheckOptions,
): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [i, row] of CHECK_SHAPES.entries()) {
    if (o.quick && row[8]) continue;
    const s = shapeOf(row);
    const { Ho, Wo } = outSize(s);
    const d = caseData(s, 100 + i);
    const m = masked ? d.mask : null;
    const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]);
    const w = Tensor.from(d.w, [s.O, s.C, s.KH, s.KW]);
    const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
    const mask = m ? Tensor.from(m, w.shape) : null;
    const opts = { stride: s.stride, padding: s.padding, mask };
    let got: Tensor, ref: Float64Array;
    planOptions.budget = row[8] || null;
    try {
      if (pass === "fwd") {
        got = conv2dForward(x, w, opts);
        ref = conv2dRef(s, d.x, d.w, m);
      } else if (pass === "dgrad") {
        got = conv2dBackwardInput(gy, w, x.shape, opts);
        ref = conv2dBackwardInputRef(s, d.gy, d.w, m);
      } else {
        got = conv2dBackwardWeight(gy, x, w.shape, { ...opts, split });
        ref = conv2dBackwardWeightRef(s, d.gy, d.x, m);
      }
    } finally {
      planOptions.budget = null;
    }
    const label = `x[${s.N},${s.C},${s.H},${s.W}] w[${s.O},${s.C},${s.KH},${s.KW}] ` +
      `s${s.stride} p${s.padding}${row[8] ? " big tiles" : ""}`;
    out.push({ shape: label, ...errors(await got.read(), ref), tol: TOL });
    for (const t of [x, w, gy, got, mask]) t?.dispose();
  }
  return out;
}

/** Plans of the first check shape, for `kernels dump` (the default variant's defines). */
const G0 = convGeom([2, 8, 8, 8], [8, 8, 3, 3], 1, 1);

function entry(
  name: string,
  description: string,
  pass: Pass,
  masked: boolean,
  split?: number,
): KernelInfo {
  const direct = pass === "fwd"
    ? forwardPlan(G0, masked)
    : pass === "dgrad"
    ? backwardInputPlans(G0, masked)[0]
    : null;
  return {
    name,
    family: "conv2d",
    description,
    wgsl: direct ? DIRECT : WGRAD,
    entry: "main",
    get defines() {
      return direct
        ? directDefines(direct.cfg)
        : wgradDefines(backwardWeightPlan(G0, masked, split).cfg);
    },
    check: (o = {}) => rows(pass, masked, split, o),
  };
}

/** Conv2d kernels (the relayout passes of prepass.ts last). */
export const conv2dKernels: KernelInfo[] = [
  entry("conv2d_fwd", "y = conv2d(x, w): implicit GEMM, register tile TM×BH×BW", "fwd", false),
  entry("conv2d_fwd_masked", "y = conv2d(x, w ⊙ mask), mask applied as w loads", "fwd", true),
  entry("conv2d_dgrad", "dx from dy: flipped taps, per stride parity class", "dgrad", false),
  entry("conv2d_dgrad_masked", "dx from dy through w ⊙ mask", "dgrad", true),
  entry("conv2d_wgrad", "dw = Σ dy·x: GEMM with K = N·Ho·Wo, unsplit", "wgrad", false, 1),
  entry("conv2d_wgrad_masked", "dw = mask ⊙ Σ dy·x, mask in the store", "wgrad", true, 1),
  entry(
    "conv2d_wgrad_split",
    "dw with the reduction split over 3 workgroups + sum kernel (mask in the sum)",
    "wgrad",
    true,
    3,
  ),
  ...prepassKernels,
];
