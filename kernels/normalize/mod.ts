/**
 * Normalisation family: per-channel input normalisation (x − mean_c)/std_c (the network's
 * first op, with the ImageNet constants for every dataset) and row-wise L2 normalisation
 * u = z / max(‖z‖, eps) (PyTorch's F.normalize), with launchers, differentiable ops and
 * backward rules.
 * @module
 */
import { engine, Params } from "../../core/engine.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";

const CHAN = new URL("./normalize_channels.wgsl", import.meta.url);
const L2 = new URL("./l2_normalize.wgsl", import.meta.url);

/** ImageNet channel means (RGB), used for every dataset (spec §2). */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (RGB). */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
/** F.normalize's default eps. */
export const L2_EPS = 1e-12;

declare module "../../core/tape.ts" {
  interface SavedMap {
    normalize_channels: { consts: Tensor };
    l2_normalize: { norm: Tensor; eps: number };
  }
}

// [mean, std] buffers by value: uploaded once (a write flushes), then reused every step.
const constCache = new Map<string, Tensor>();

function channelConsts(mean: readonly number[], std: readonly number[]): Tensor {
  if (mean.length !== std.length || mean.length === 0) {
    throw new Error(`normalizeChannels: ${mean.length} means for ${std.length} stds`);
  }
  if (std.some((s) => !(s > 0))) throw new Error(`normalizeChannels: std must be > 0`);
  const key = [...mean, ...std].join(",");
  let t = constCache.get(key);
  if (!t || t.disposed) {
    t = Tensor.from(new Float32Array([...mean, ...std]), [2 * mean.length]).keep();
    constCache.set(key, t);
  }
  return t;
}

function channelLaunch(bwd: boolean, shape: readonly number[], src: Tensor, consts: Tensor) {
  const [N, C] = shape;
  const HW = shape.slice(2).reduce((a, b) => a * b, 1);
  const vec = HW % 4 === 0 ? 4 : 1;
  const HWv = HW / vec;
  const dst = Tensor.empty(shape);
  const e = engine();
  const k = e.kernel(CHAN, { VEC4: vec === 4, BWD: bwd }, "main");
  const max = e.device.limits.maxComputeWorkgroupsPerDimension;
  const grid: [number, number] = [Math.min(Math.ceil(HWv / 256), 256), Math.min(N * C, max)];
  e.dispatch(k, new Params().u32(C, HWv, N * C), [src.buffer, consts.buffer, dst.buffer], grid);
  return dst;
}

/** Launcher: y = (x − mean[c]) / std[c] over [N, C, ...spatial]. */
export function normalizeChannelsForward(
  x: Tensor,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): Tensor {
  if (x.shape.length < 2 || x.shape[1] !== mean.length) {
    throw new Error(`normalizeChannels: input [${x.shape}] does not have ${mean.length} channels`);
  }
  return channelLaunch(false, x.shape, x, channelConsts(mean, std));
}

/**
 * Per-channel normalisation (x − mean_c)/std_c (differentiable in x); defaults to the
 * ImageNet constants.
 */
export function normalizeChannels(
  x: Tensor,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): Tensor {
  const y = normalizeChannelsForward(x, mean, std);
  return record("normalize_channels", [x], y, { consts: channelConsts(mean, std) });
}

/** Launcher: gx = gy / std[c]. */
export function normalizeChannelsBackward(gy: Tensor, consts: Tensor): Tensor {
  return channelLaunch(true, gy.shape, gy, consts);
}

/** Invocations per row of the L2 kernels: a power of two ≤ 64 giving each about 4 values. */
export function l2ThreadsPerRow(dv: number): number {
  return Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(dv / 4)))));
}

function l2Launch(bwd: boolean, rows: number, d: number, bufs: GPUBuffer[], eps: number): void {
  const vec = d % 4 === 0 ? 4 : 1;
  const e = engine();
  const TPR = l2ThreadsPerRow(d / vec);
  const k = e.kernel(L2, { VEC4: vec === 4, BWD: bwd, TPR }, "main");
  const blocks = Math.ceil(rows / (64 / TPR));
  const grid = Math.min(blocks, e.device.limits.maxComputeWorkgroupsPerDimension);
  e.dispatch(k, new Params().u32(rows, d / vec).f32(eps), bufs, [grid]);
}

function rowsOf(z: Tensor): [number, number] {
  if (z.shape.length !== 2) throw new Error(`l2Normalize: input must be [N, d], got [${z.shape}]`);
  return z.shape as [number, number];
}

/** Launcher: u = z / max(‖z‖, eps) per row, and the row norms ‖z‖ ([N]). */
export function l2NormalizeForward(z: Tensor, eps = L2_EPS): { u: Tensor; norm: Tensor } {
  const [N, d] = rowsOf(z);
  const u = Tensor.empty(z.shape);
  const norm = Tensor.empty([N]);
  l2Launch(false, N, d, [z.buffer, u.buffer, norm.buffer], eps);
  return { u, norm };
}

/** Launcher: gradient of l2NormalizeForward for z, given gu and the saved row norms. */
export function l2NormalizeBackward(gu: Tensor, z: Tensor, norm: Tensor, eps = L2_EPS): Tensor {
  const [N, d] = rowsOf(z);
  const gz = Tensor.empty(z.shape);
  l2Launch(true, N, d, [gu.buffer, z.buffer, norm.buffer, gz.buffer], eps);
  return gz;
}

/** Row-wise L2 normalisation of [N, d], as F.normalize(z, dim=1) (differentiable). */
export function l2Normalize(z: Tensor, eps = L2_EPS): Tensor {
  const { u, norm } = l2NormalizeForward(z, eps);
  return record("l2_normalize", [z], u, { norm, eps }, [norm]);
}

/** Backward rules of this family. */
export const normalizeRules: RuleTable<"normalize_channels" | "l2_normalize"> = {
  normalize_channels: (c, gy) => [normalizeChannelsBackward(gy, c.saved.consts)],
  l2_normalize: (c, gy) => [l2NormalizeBackward(gy, c.inputs[0], c.saved.norm, c.saved.eps)],
};
