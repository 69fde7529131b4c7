/**
 * `deno task kernels check` entries of the conv2d family: every numbered version of every pass
 * (versions.ts), plain and masked, against the CPU f64 reference at the shapes it applies to:
 * 3×3 s1 p1, 3×3 s2 p1 on an odd size, 1×1 s2, the 7×7 s2 p3 stem on 15×15 with C = 3 and
 * O = 5, a 3×3 p0 on a non-square 5×7 input, a 4×4 image with 16 channels, and stride 3 (1×1
 * through the scalar gather; 3×3 with one tap per input-gradient class), and a 5×5 stride 2
 * (up to 9 taps per input-gradient class). Then the relayout passes (check_prepass.ts).
 * @module
 */
import { engine } from "../../core/engine.ts";
import type { CheckOptions, CheckRow, KernelInfo } from "../../core/kernel.ts";
import type { KernelSpec } from "../../core/kernel_spec.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn, seededRandom } from "../../core/testing.ts";
import type { Defines } from "../../core/wgsl.ts";
import { directDefines } from "./codegen_direct.ts";
import { wgradDefines } from "./codegen_wgrad.ts";
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from "./mod.ts";
import { prepassKernels } from "./check_prepass.ts";
import {
  backwardInputPlans,
  backwardWeightPlan,
  type ConvGeom,
  convGeom,
  forwardPlan,
  stridedPointwise,
} from "./plan.ts";
import {
  conv2dBackwardInputRef,
  conv2dBackwardWeightRef,
  conv2dRef,
  type ConvShape,
  outSize,
} from "./reference.ts";
import { DIRECT, NAIVE, WGRAD } from "./specs.ts";
import { textureDefines } from "./texture.ts";
import {
  type ConvVersion,
  FORWARD_VERSIONS,
  INPUT_GRAD_VERSIONS,
  WEIGHT_GRAD_VERSIONS,
} from "./versions.ts";

const TOL = 1e-4;
/** The smallest step budget whose forward tiles have vec4 weight blocks (the texture path). */
export const TEXTURE_BUDGET = 1152;

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

const VERSIONS: Record<Pass, ConvVersion<never>[]> = {
  fwd: FORWARD_VERSIONS,
  dgrad: INPUT_GRAD_VERSIONS,
  wgrad: WEIGHT_GRAD_VERSIONS,
};

/** Splits the weight gradient's version 3 is checked with (rows need not divide evenly). */
const CHECK_SPLIT = 3;

/** One version's rows: every check shape it applies to, without and with a mask. */
async function rows(pass: Pass, version: number, o: CheckOptions): Promise<CheckRow[]> {
  const v = VERSIONS[pass][version - 1];
  const out: CheckRow[] = [];
  for (const [i, row] of CHECK_SHAPES.entries()) {
    // Forced budgets are about compiling big tiles: skipped in quick mode and by version 1.
    if (row[8] && (o.quick || version === 1)) continue;
    const budget = row[8] || (pass !== "wgrad" && version === 4 ? TEXTURE_BUDGET : undefined);
    const s = shapeOf(row);
    const { Ho, Wo } = outSize(s);
    const d = caseData(s, 100 + i);
    for (const masked of [false, true]) {
      const g = convGeom([s.N, s.C, s.H, s.W], [s.O, s.C, s.KH, s.KW], s);
      const plan = { profile: engine().profile, masked, budget };
      if (v.unsupported({ g, plan })) continue;
      const m = masked ? d.mask : null;
      const x = Tensor.from(d.x, [s.N, s.C, s.H, s.W]);
      const w = Tensor.from(d.w, [s.O, s.C, s.KH, s.KW]);
      const gy = Tensor.from(d.gy, [s.N, s.O, Ho, Wo]);
      const mask = m ? Tensor.from(m, w.shape) : null;
      const opts = { stride: s.stride, padding: s.padding, mask, version, budget };
      // Version 4 follows the plan unmasked (often direct) and is split when masked.
      const split = pass === "wgrad" && (version === 3 || (version === 4 && masked))
        ? CHECK_SPLIT
        : undefined;
      const [got, ref] = pass === "fwd"
        ? [conv2dForward(x, w, opts), conv2dRef(s, d.x, d.w, { mask: m })]
        : pass === "dgrad"
        ? [
          conv2dBackwardInput(gy, w, x.shape, opts),
          conv2dBackwardInputRef(s, d.gy, d.w, { mask: m }),
        ]
        : [
          conv2dBackwardWeight(gy, x, w.shape, { ...opts, split }),
          conv2dBackwardWeightRef(s, d.gy, d.x, { mask: m }),
        ];
      const label = `x[${s.N},${s.C},${s.H},${s.W}] w[${s.O},${s.C},${s.KH},${s.KW}] ` +
        `s${s.stride} p${s.padding}${masked ? " masked" : ""}` +
        (budget ? ` budget ${budget}` : "") + (split ? ` split ${split}` : "");
      out.push({ shape: label, ...errors(await got.read(), ref), tol: TOL });
      for (const t of [x, w, gy, got, mask]) t?.dispose();
    }
  }
  return out;
}

/** Geometries whose variants `kernels dump` prints: 3×3 s1, 3×3 s2, 1×1 s2. */
const DUMP = {
  s1: () => convGeom([2, 8, 8, 8], [8, 8, 3, 3], { padding: 1 }),
  s2: () => convGeom([2, 4, 9, 9], [12, 4, 3, 3], { stride: 2, padding: 1 }),
  pw: () => stridedPointwise(convGeom([2, 16, 8, 8], [8, 16, 1, 1], { stride: 2 }))!,
};

/** The spec, entry point and default-variant defines a version's main kernel dumps with. */
function variant(
  pass: Pass,
  version: number,
): { spec: KernelSpec; entry: string; defines(): Defines } {
  const plan = (budget?: number) => ({ profile: engine().profile, budget });
  const direct = (f: () => Defines) => ({ spec: DIRECT, entry: "main", defines: f });
  if (version === 1) {
    const entry = { fwd: "forward", dgrad: "backward_input", wgrad: "backward_weight" }[pass];
    return { spec: NAIVE, entry, defines: () => ({ MASKED: false }) };
  }
  if (pass === "fwd") {
    const g: ConvGeom = version === 3 ? DUMP.pw() : DUMP.s1();
    if (version === 4) {
      return direct(() => textureDefines(forwardPlan(g, plan(TEXTURE_BUDGET)).cfg));
    }
    if (version >= 5) {
      const cfg = () => forwardPlan(g, { ...plan(), swapped: true }).cfg;
      return direct(() => version === 6 ? textureDefines(cfg()) : directDefines(cfg()));
    }
    return direct(() => directDefines(forwardPlan(g, plan()).cfg));
  }
  if (pass === "dgrad") {
    const g = version === 3 ? DUMP.s2() : DUMP.s1();
    if (version === 4) {
      const l = () => backwardInputPlans(g, { ...plan(TEXTURE_BUDGET), transposed: false })[0];
      return direct(() => textureDefines(l().cfg));
    }
    const l = () => backwardInputPlans(g, { ...plan(), transposed: version === 3 })[0];
    return direct(() => directDefines(l().cfg));
  }
  const split = version === 3 ? CHECK_SPLIT : 1;
  const cfg = () => backwardWeightPlan(DUMP.s1(), { ...plan(), split }).cfg;
  return {
    spec: WGRAD,
    entry: "main",
    defines: () => wgradDefines(version === 4 ? { ...cfg(), tex: true } : cfg()),
  };
}

function entry(pass: Pass, v: ConvVersion<never>): KernelInfo {
  const va = variant(pass, v.version);
  return {
    name: `conv2d_${pass}_v${v.version}`,
    family: "conv2d",
    description: `version ${v.version} (${v.name}): ${v.summary}`,
    spec: va.spec,
    entry: va.entry,
    get defines() {
      return va.defines();
    },
    check: (o = {}) => rows(pass, v.version, o),
  };
}

/** Conv2d kernels: each pass's versions in order, then the relayout passes of prepass.ts. */
export const conv2dKernels: KernelInfo[] = [
  ...(["fwd", "dgrad", "wgrad"] as Pass[]).flatMap((p) => VERSIONS[p].map((v) => entry(p, v))),
  ...prepassKernels,
];
