/**
 * conv2d family: 2-D convolution (NCHW, weights [O, C, KH, KW], no bias, any stride and
 * padding, dilation 1) with an optional 0/1 weight mask (SDCLR's pruned branch uses w ⊙ m;
 * the mask is multiplied in as each weight is loaded, never materialised): the forward pass,
 * the input gradient and the weight gradient, each in numbered versions (versions.ts: version 1
 * the simplest correct kernel, later ones register-tiled implicit GEMMs with relayout passes,
 * texture loads and split reductions), chosen per call from the device profile unless a call
 * names one. Launchers, the differentiable op and its backward rule side by side.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { accumulate } from "../elementwise/mod.ts";
import { type ConvGeom, convGeom, type WgradTile } from "./plan.ts";
import {
  chooseForward,
  chooseInputGrad,
  chooseWeightGrad,
  type ConvQuery,
  FORWARD_VERSIONS,
  INPUT_GRAD_VERSIONS,
  versionFor,
  WEIGHT_GRAD_VERSIONS,
} from "./versions.ts";
import { type ConvPass, tunedChoice } from "./tune.ts";

/** Options of a convolution. */
export interface Conv2dOptions {
  /** Stride (both directions), default 1. */
  stride?: number;
  /** Zero padding (both directions), default 0. */
  padding?: number;
  /** 0/1 mask with w's shape: the convolution uses w ⊙ mask. */
  mask?: Tensor | null;
}

/** How one launcher call runs (checks, tests, benchmarks); by default chosen per device. */
export interface Conv2dRunOptions {
  /** The version of the pass (versions.ts); one that does not apply to the shape throws. */
  version?: number;
  /**
   * Tiled versions: unrolled FMA statements per reduction step (plan.ts stepBudget; default
   * from the flops). Forcing it runs the production tiles on small shapes.
   */
  budget?: number;
  /** Forward tile knobs (plan.ts PlanOptions.variant; the autotuner's candidates). */
  variant?: { vecW?: boolean; wide?: boolean };
  /** Weight-gradient tile (plan.ts PlanOptions.wgradTile; the autotuner's candidates). */
  wgradTile?: WgradTile;
}

declare module "../../core/tape.ts" {
  interface SavedMap {
    conv2d: { stride: number; padding: number; mask: Tensor | null };
  }
}

function checkMask(wShape: readonly number[], mask: Tensor | null | undefined): Tensor | null {
  if (!mask) return null;
  if (mask.size !== wShape.reduce((a, b) => a * b, 1)) {
    throw new Error(`conv2d: mask has shape [${mask.shape}] but the weights [${wShape}]`);
  }
  return mask;
}

function planOf(mask: Tensor | null, o: Conv2dRunOptions) {
  return {
    profile: engine().profile,
    masked: mask !== null,
    budget: o.budget,
    variant: o.variant,
    wgradTile: o.wgradTile,
  };
}

/** The autotuner's choice, unless the call names a version, a budget or a tile (checks, tests). */
function tuned(pass: ConvPass, q: ConvQuery, o: Conv2dRunOptions) {
  const forced = o.version !== undefined || o.budget !== undefined || o.wgradTile !== undefined;
  return forced ? null : tunedChoice(pass, q);
}

/** The profile's op scope of a pass: the shape in words and its flops (dense, mask or not). */
function opInfo(pass: string, g: ConvGeom) {
  return () => ({
    name: `conv2d.${pass}`,
    shape: `x[${g.N},${g.C},${g.H},${g.W}] w[${g.O},${g.C},${g.KH},${g.KW}] s${g.stride} ` +
      `p${g.padding}`,
    flops: 2 * g.N * g.O * g.Ho * g.Wo * g.C * g.KH * g.KW,
  });
}

/** Runs `fn` (one profiled op) and returns `out`, disposing `out` if `fn` throws. */
function filling(out: Tensor, op: { pass: string; g: ConvGeom }, fn: () => void): Tensor {
  try {
    engine().op(opInfo(op.pass, op.g), fn);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** Launcher: y = conv2d(x, w ⊙ mask), y of shape [N, O, Ho, Wo]. */
export function conv2dForward(
  x: Tensor,
  w: Tensor,
  opts: Conv2dOptions & Conv2dRunOptions = {},
): Tensor {
  const g = convGeom(x.shape, w.shape, opts);
  const mask = checkMask(w.shape, opts.mask);
  const y = Tensor.empty([g.N, g.O, g.Ho, g.Wo]);
  const c = { g, x, w, y, mask, plan: planOf(mask, opts) };
  const t = tuned("forward", c, opts);
  if (t?.variant) c.plan.variant = t.variant;
  const version = opts.version ?? t?.version ?? chooseForward(c);
  return filling(
    y,
    { pass: "forward", g },
    () => versionFor(FORWARD_VERSIONS, c, { pass: "forward", version }).run(c),
  );
}

/**
 * Launcher: dL/dx of shape xShape from dL/dy (through w ⊙ mask, as the forward). With `into`
 * (a gradient x already has, e.g. a residual block's skip path) the result is added into it
 * and `into` is returned, bit-identical to a new tensor and a separate add. Stride 1 and 1×1
 * kernels add in their stores (one pass over dx fewer; a 1×1 stride-2 kernel also skips
 * clearing the classes no tap reaches); strided multi-tap kernels, whose parity classes
 * store scalars with a stride, add in a separate pass. On lavapipe, against the separate
 * add: [128,8,32,32] 3×3 s1 −17%, 1×1 s2 −38%, [64,64,32,32] 1×1 s2 −31%; 3×3 s2 −2% to +3%.
 */
export function conv2dBackwardInput(
  gy: Tensor,
  w: Tensor,
  xShape: readonly number[],
  opts: Conv2dOptions & Conv2dRunOptions & { into?: Tensor | null } = {},
): Tensor {
  const g = convGeom(xShape, w.shape, opts);
  const mask = checkMask(w.shape, opts.mask);
  const into = opts.into ?? null;
  if (into && into.shape.join() !== xShape.join()) {
    throw new Error(`conv2d input gradient: into has shape [${into.shape}], x [${xShape}]`);
  }
  const inStores = into !== null && (g.stride === 1 || g.KH * g.KW === 1);
  const gx = inStores ? into : Tensor.empty(xShape);
  const c = { g, gy, w, gx, mask, accum: inStores, plan: planOf(mask, opts) };
  const version = opts.version ?? tuned("input_grad", c, opts)?.version ?? chooseInputGrad(c);
  const run = () => versionFor(INPUT_GRAD_VERSIONS, c, { pass: "input gradient", version }).run(c);
  if (inStores) {
    engine().op(opInfo("input_grad", g), run);
    return gx;
  }
  filling(gx, { pass: "input_grad", g }, run);
  if (!into) return gx;
  accumulate(into, gx);
  gx.dispose();
  return into;
}

/**
 * Launcher: dL/dw of shape wShape from dL/dy and x; with a mask, mask ⊙ dL/d(w ⊙ mask).
 * `split` (version 3, split-K, which it implies) sets the number of reduction splits.
 */
export function conv2dBackwardWeight(
  gy: Tensor,
  x: Tensor,
  wShape: readonly number[],
  opts: Conv2dOptions & Conv2dRunOptions & { split?: number } = {},
): Tensor {
  const g = convGeom(x.shape, wShape, opts);
  const mask = checkMask(wShape, opts.mask);
  const split = opts.split;
  if (split !== undefined && ![3, 4].includes(opts.version ?? 3)) {
    throw new Error(
      `conv2d weight gradient: split is an option of versions 3 and 4, not ${opts.version}`,
    );
  }
  const gw = Tensor.empty(wShape);
  const c = { g, gy, x, gw, mask, split, plan: planOf(mask, opts) };
  const t = split === undefined ? tuned("weight_grad", c, opts) : null;
  if (t?.split) c.split = t.split;
  if (t?.tile) c.plan.wgradTile = t.tile;
  const version = opts.version ?? t?.version ?? (split !== undefined ? 3 : chooseWeightGrad(c));
  return filling(gw, { pass: "weight_grad", g }, () => {
    versionFor(WEIGHT_GRAD_VERSIONS, c, { pass: "weight gradient", version }).run(c);
  });
}

/**
 * y = conv2d(x, w ⊙ mask) (differentiable in x and w; the mask gets no gradient, and the
 * weight gradient is mask ⊙ dL/d(w ⊙ mask)).
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const stride = opts.stride ?? 1, padding = opts.padding ?? 0;
  const mask = opts.mask ?? null;
  const y = conv2dForward(x, w, { stride, padding, mask });
  return record("conv2d", { inputs: [x, w], output: y, saved: { stride, padding, mask } });
}

/** Backward rules of this family. */
export const convRules: RuleTable<"conv2d"> = {
  conv2d: (c, gy) => {
    const [x, w] = c.inputs;
    const opts = c.saved;
    return [
      c.needsGrad[0] ? conv2dBackwardInput(gy, w, x.shape, { ...opts, into: c.into[0] }) : null,
      c.needsGrad[1] ? conv2dBackwardWeight(gy, x, w.shape, opts) : null,
    ];
  },
};
