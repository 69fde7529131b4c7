/**
 * Launchers of the batch norm kernels (no autodiff here; see mod.ts). Every launcher records
 * dispatches only: no flush, no readback.
 * @module
 */
import { type Defines, engine, Params } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";

const FWD = new URL("./batchnorm_fwd.wgsl", import.meta.url);
const BWD = new URL("./batchnorm_bwd.wgsl", import.meta.url);

/**
 * Tuning knobs. `chunk`: scalars per workgroup before a channel is split. At or below it a
 * channel is one workgroup that reduces and then normalises its still-cached data in one
 * dispatch; above it a two-stage reduction spreads the channel over ceil(M/chunk) workgroups
 * (16384 keeps a GPU busy at C = 64; on lavapipe the split and fused paths time within noise). `wg`: workgroup
 * size, 0 = by work (64 invocations for short chunks, where a 256-wide tree's barriers
 * dominate on lavapipe, up to 256). Tests change both to exercise every path.
 */
export const bnTuning = { chunk: 16384, wg: 0 };

/** Iteration geometry of one batch norm call (see batchnorm_fwd.wgsl). */
export interface BnGeom {
  N: number;
  C: number;
  /** H·W (1 for [N, C]). */
  HW: number;
  /** Values per channel, N·H·W. */
  M: number;
  /** Vector width of the kernels: 4 when H·W % 4 == 0, else 1. */
  vec: 1 | 4;
  /** Chunks (workgroups) per channel. */
  S: number;
  /** Chunk length in vec units. */
  chunkV: number;
  /** Workgroup size. */
  wg: number;
}

/** Geometry of x ([N, C] or [N, C, ...spatial]) for the current tuning. */
export function bnGeom(shape: readonly number[]): BnGeom {
  if (shape.length < 2) {
    throw new Error(`batchNorm: input must be [N, C] or [N, C, H, W], got [${shape}]`);
  }
  const [N, C] = shape;
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * HW;
  const vec: 1 | 4 = HW % 4 === 0 ? 4 : 1;
  const Mv = M / vec;
  const S = Math.max(1, Math.ceil(M / bnTuning.chunk));
  const chunkV = Math.ceil(Mv / S);
  const wg = bnTuning.wg || (chunkV >= 4096 ? 256 : chunkV >= 1024 ? 128 : 64);
  const max = engine().device.limits.maxComputeWorkgroupsPerDimension;
  if (C > max) throw new Error(`batchNorm: ${C} channels exceed ${max} workgroups per dim`);
  return { N, C, HW, M, vec, S: Math.ceil(Mv / chunkV), chunkV, wg };
}

function params(g: BnGeom, momentum = 0, eps = 0): Params {
  const HWv = g.HW / g.vec;
  return new Params()
    .u32(g.C, HWv, g.M / g.vec, g.chunkV, g.S, Math.floor(g.wg / HWv), g.wg % HWv, g.C * HWv)
    .f32(g.M, momentum, eps, g.M > 1 ? g.M / (g.M - 1) : 0);
}

function run(file: URL, defines: Defines, g: BnGeom, p: Params, bufs: GPUBuffer[], s = g.S) {
  const e = engine();
  e.dispatch(e.kernel(file, { VEC4: g.vec === 4, WG: g.wg, ...defines }, "main"), p, bufs, [
    s,
    g.C,
  ]);
}

/** Running statistics and affine parameters a forward reads (and, training, updates). */
export interface BnState {
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  momentum: number;
  eps: number;
}

/**
 * Forward: y = BN(x) (then max(·, 0) when `relu`). Training normalises with the batch
 * statistics and updates the running statistics in place; eval uses the running ones.
 * Returns y and stats = [mean (C), invstd (C)] for the backward.
 */
export function batchNormForward(
  x: Tensor,
  bn: BnState,
  training: boolean,
  relu: boolean,
): { y: Tensor; stats: Tensor; geom: BnGeom } {
  const g = bnGeom(x.shape);
  const y = Tensor.empty(x.shape);
  const stats = Tensor.empty([2 * g.C]);
  const p = params(g, bn.momentum, bn.eps);
  const main = [x, y, bn.weight, bn.bias, stats, bn.runningMean, bn.runningVar].map((t) =>
    t.buffer
  );
  const base = { PARTIAL: false, RELU: relu, TRAIN: training };
  if (!training) {
    run(FWD, { ...base, FUSED: false, SPLIT_TRAIN: false }, g, p, main);
  } else if (g.S === 1) {
    run(FWD, { ...base, FUSED: true, SPLIT_TRAIN: false }, g, p, main);
  } else {
    const part = Tensor.empty([g.C * g.S * 2]);
    const flags = { PARTIAL: true, RELU: false, TRAIN: true, FUSED: false, SPLIT_TRAIN: false };
    run(FWD, flags, g, p, [x.buffer, part.buffer]);
    run(FWD, { ...base, FUSED: false, SPLIT_TRAIN: true }, g, p, [...main, part.buffer]);
    part.dispose();
  }
  return { y, stats, geom: g };
}

/** Which gradients the backward must produce. */
export interface BnNeeds {
  x: boolean;
  weight: boolean;
  bias: boolean;
}

/**
 * Backward of batchNormForward: gradients for x, weight (γ) and bias (β); null where not
 * needed. `y` is the forward output (read only when the forward fused a ReLU).
 */
export function batchNormBackward(
  gy: Tensor,
  x: Tensor,
  weight: Tensor,
  stats: Tensor,
  y: Tensor,
  geom: BnGeom,
  training: boolean,
  relu: boolean,
  needs: BnNeeds,
): [Tensor | null, Tensor | null, Tensor | null] {
  const g = geom;
  const p = params(g);
  const wantAffine = needs.weight || needs.bias;
  const reduce = wantAffine || (needs.x && training);
  const flags = {
    VEC4: g.vec === 4,
    RELU: relu,
    TRAIN: training,
    PARTIAL: false,
    FINALIZE: false,
    FUSED: false,
    SUMS: false,
    NEEDS_X: false,
    GRAD: true,
    REDUCE: false,
    Y_BINDING: 5,
  };
  const yb = relu ? [y.buffer] : [];
  const dgamma = reduce ? Tensor.empty([g.C]) : null;
  const dbeta = reduce ? Tensor.empty([g.C]) : null;
  let gx: Tensor | null = null;
  const fused = reduce && needs.x && g.S === 1;
  if (reduce && !fused) {
    const part = Tensor.empty([g.C * g.S * 2]);
    const pf = { ...flags, PARTIAL: true, REDUCE: true };
    run(BWD, pf, g, p, [gy.buffer, x.buffer, stats.buffer, part.buffer, ...yb]);
    const e = engine();
    const fin = e.kernel(
      BWD,
      { ...flags, WG: 64, FINALIZE: true, GRAD: false, RELU: false },
      "main",
    );
    const bufs = [part.buffer, stats.buffer, dgamma!.buffer, dbeta!.buffer];
    e.dispatch(fin, p, bufs, [Math.ceil(g.C / 64)]);
    part.dispose();
  }
  if (needs.x) {
    gx = Tensor.empty(x.shape);
    const head = [gy.buffer, weight.buffer, stats.buffer, gx.buffer];
    if (fused || training) {
      const f = { ...flags, FUSED: fused, SUMS: !fused, NEEDS_X: true, REDUCE: fused };
      const tail = [x.buffer, dgamma!.buffer, dbeta!.buffer];
      run(BWD, { ...f, Y_BINDING: 8 }, g, p, [...head, ...tail, ...yb]);
    } else {
      run(BWD, flags, g, p, [...head, ...yb]);
    }
  }
  const gw = needs.weight ? dgamma : (dgamma?.dispose(), null);
  const gb = needs.bias ? dbeta : (dbeta?.dispose(), null);
  return [gx, gw, gb];
}
