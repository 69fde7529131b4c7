/**
 * conv2d family: 2-D convolution (NCHW, weights [O, C, KH, KW], no bias, any stride and
 * padding, dilation 1) with an optional 0/1 weight mask (SDCLR's pruned branch uses w ⊙ m;
 * the mask is multiplied in as each weight is loaded, never materialised). Three implicit-GEMM
 * kernels with register tiling: forward, input gradient, weight gradient (split reduction
 * plus a small sum kernel when the output has few tiles). Strided passes first relayout
 * their operand (prepass.ts, inside the op): 1×1 strided forwards subsample x, input
 * gradients of strided multi-tap kernels read the weights transposed (and pre-masked).
 * On software adapters the forward reads x and w from textures (texture.ts), and a 1×1
 * stride-2 forward there reads the subsample from x in place instead of gathering it.
 * Launchers, the differentiable op and its backward rule side by side; the WGSL variants are
 * generated per shape class by codegen_direct.ts / codegen_wgrad.ts with tiles from plan.ts.
 * @module
 */
import { engine, Params } from "../../core/engine.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { directDefines } from "./codegen_direct.ts";
import { wgradDefines } from "./codegen_wgrad.ts";
import {
  backwardInputPlans,
  backwardWeightPlan,
  convGeom,
  type DirectLaunch,
  forwardPlan,
  stridedPointwise,
  transposedDgrad,
} from "./plan.ts";
import { gatherStrided, transposeWeights } from "./prepass.ts";
import { runDirectTextures, stridedRead, useTextures } from "./texture.ts";
import { gridFor } from "../elementwise/mod.ts";

const DIRECT = new URL("./conv2d_direct.wgsl", import.meta.url);
const WGRAD = new URL("./conv2d_wgrad.wgsl", import.meta.url);
const REDUCE = new URL("./conv2d_reduce.wgsl", import.meta.url);

/** Options of a convolution. */
export interface Conv2dOptions {
  /** Stride (both directions), default 1. */
  stride?: number;
  /** Zero padding (both directions), default 0. */
  padding?: number;
  /** 0/1 mask with w's shape: the convolution uses w ⊙ mask. */
  mask?: Tensor | null;
}

declare module "../../core/tape.ts" {
  interface SavedMap {
    conv2d: { stride: number; padding: number; mask: Tensor | null };
  }
}

function checkMask(w: Tensor, mask: Tensor | null | undefined): Tensor | null {
  if (!mask) return null;
  if (mask.size !== w.size) {
    throw new Error(`conv2d: mask has shape [${mask.shape}] but the weights [${w.shape}]`);
  }
  return mask;
}

function runDirect(l: DirectLaunch, x: Tensor, w: Tensor, y: Tensor, mask: Tensor | null): void {
  // Forwards on software adapters read textures (texture.ts: buffer loads cost ~3× there).
  if (useTextures(l, x, w)) return runDirectTextures(DIRECT, l, x, w, y, mask);
  const e = engine();
  const k = e.generatedKernel(DIRECT, JSON.stringify(l.cfg), () => directDefines(l.cfg));
  const bufs = [x.buffer, w.buffer, y.buffer];
  if (mask) bufs.push(mask.buffer);
  e.dispatch(k, l.params, bufs, l.groups);
}

/** Launcher: y = conv2d(x, w ⊙ mask), y of shape [N, O, Ho, Wo]. */
export function conv2dForward(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const g = convGeom(x.shape, w.shape, opts.stride ?? 1, opts.padding ?? 0);
  const mask = checkMask(w, opts.mask);
  const y = Tensor.empty([g.N, g.O, g.Ho, g.Wo]);
  const pw = stridedPointwise(g);
  if (pw) {
    // 1×1 stride S: a stride-1 pass over the subsampled x. Reading textures at stride 2, the
    // kernel takes it from x in place; otherwise x is gathered into contiguous rows first.
    const l = forwardPlan(pw, mask !== null), sr = stridedRead(g);
    if (sr && useTextures(l, x, w)) {
      runDirectTextures(DIRECT, l, x, w, y, mask, sr);
      return y;
    }
    const xs = gatherStrided(x, g.stride, g.Ho, g.Wo);
    runDirect(l, xs, w, y, mask);
    xs.dispose();
  } else {
    runDirect(forwardPlan(g, mask !== null), x, w, y, mask);
  }
  return y;
}

/** Launcher: dL/dx of shape xShape from dL/dy (through w ⊙ mask, as the forward). */
export function conv2dBackwardInput(
  gy: Tensor,
  w: Tensor,
  xShape: readonly number[],
  opts: Conv2dOptions = {},
): Tensor {
  const g = convGeom(xShape, w.shape, opts.stride ?? 1, opts.padding ?? 0);
  const mask = checkMask(w, opts.mask);
  const gx = Tensor.empty(xShape);
  // Strided multi-tap kernels read the weights transposed to [KK, O, C], mask folded in.
  const wt = transposedDgrad(g) ? transposeWeights(w, mask) : null;
  for (const l of backwardInputPlans(g, mask !== null)) {
    runDirect(l, gy, wt ?? w, gx, l.cfg.masked ? mask : null);
  }
  wt?.dispose();
  return gx;
}

/**
 * Launcher: dL/dw of shape wShape from dL/dy and x; with a mask, mask ⊙ dL/d(w ⊙ mask).
 * `split` forces the number of reduction splits (tests); by default it is planned.
 */
export function conv2dBackwardWeight(
  gy: Tensor,
  x: Tensor,
  wShape: readonly number[],
  opts: Conv2dOptions & { split?: number } = {},
): Tensor {
  const g = convGeom(x.shape, wShape, opts.stride ?? 1, opts.padding ?? 0);
  const mask = opts.mask ?? null;
  if (mask && mask.size !== g.O * g.C * g.KH * g.KW) {
    throw new Error(`conv2d: mask has shape [${mask.shape}] but the weights [${wShape}]`);
  }
  const e = engine();
  const l = backwardWeightPlan(g, mask !== null, opts.split);
  const gw = Tensor.empty(wShape);
  const k = e.generatedKernel(WGRAD, JSON.stringify(l.cfg), () => wgradDefines(l.cfg));
  if (l.cfg.direct) {
    const bufs = [x.buffer, gy.buffer, gw.buffer];
    if (mask) bufs.push(mask.buffer);
    e.dispatch(k, l.params, bufs, l.groups);
    return gw;
  }
  const part = Tensor.empty([l.scratch]);
  e.dispatch(k, l.params, [x.buffer, gy.buffer, part.buffer], l.groups);
  const r = e.kernel(REDUCE, { MASKED: mask !== null }, "main");
  const bufs = [part.buffer, gw.buffer];
  if (mask) bufs.push(mask.buffer);
  e.dispatch(
    r,
    new Params().u32(gw.size, l.split, g.C, g.KH * g.KW, l.opad, l.cpad),
    bufs,
    gridFor(gw.size),
  );
  part.dispose();
  return gw;
}

/**
 * y = conv2d(x, w ⊙ mask) (differentiable in x and w; the mask gets no gradient, and the
 * weight gradient is mask ⊙ dL/d(w ⊙ mask)).
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const stride = opts.stride ?? 1, padding = opts.padding ?? 0;
  const mask = opts.mask ?? null;
  const y = conv2dForward(x, w, { stride, padding, mask });
  return record("conv2d", [x, w], y, { stride, padding, mask });
}

/** Backward rules of this family. */
export const convRules: RuleTable<"conv2d"> = {
  conv2d: (c, gy) => {
    const [x, w] = c.inputs;
    const opts = c.saved;
    return [
      c.needsGrad[0] ? conv2dBackwardInput(gy, w, x.shape, opts) : null,
      c.needsGrad[1] ? conv2dBackwardWeight(gy, x, w.shape, opts) : null,
    ];
  },
};
