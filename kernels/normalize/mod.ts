/**
 * Normalisation family: per-channel input normalisation (x − mean_c)/std_c (the network's
 * first op, with the ImageNet constants for every dataset) and row-wise L2 normalisation
 * u = z / max(‖z‖, eps) (PyTorch's F.normalize), with launchers, differentiable ops and
 * backward rules.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";

/** (x − mean[c]) / std[c] over NCHW, and its backward gy / std[c] (BWD). */
export const NORMALIZE_CHANNELS = defineKernel({
  name: "normalize_channels",
  file: new URL("./normalize_channels.wgsl", import.meta.url),
  params: { C: "u32", HWv: "u32", planes: "u32" },
  bindings: {
    src: { access: "read", type: "VT" },
    consts: { access: "read", type: "f32" },
    dst: { access: "read_write", type: "VT" },
  },
});

/** Row L2 normalisation z → u, norm, and its backward gu, z, norm → gz (BWD). */
export const L2_NORMALIZE = defineKernel({
  name: "l2_normalize",
  file: new URL("./l2_normalize.wgsl", import.meta.url),
  params: { rows: "u32", dv: "u32", eps: "f32" },
  bindings: {
    gu: { access: "read", type: "VT", when: "BWD" },
    z: { access: "read", type: "VT" },
    u: { access: "read_write", type: "VT", when: (d) => !d.BWD },
    norm: (d) => ({ access: d.BWD ? "read" : "read_write", type: "f32" }),
    gz: { access: "read_write", type: "VT", when: "BWD" },
  },
});

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
  const max = e.device.limits.maxComputeWorkgroupsPerDimension;
  e.run(e.compile(NORMALIZE_CHANNELS, { VEC4: vec === 4, BWD: bwd }), {
    params: { C, HWv, planes: N * C },
    bindings: { src: src.buffer, consts: consts.buffer, dst: dst.buffer },
    groups: [Math.min(Math.ceil(HWv / 256), 256), Math.min(N * C, max)],
  });
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
  return record("normalize_channels", {
    inputs: [x],
    output: y,
    saved: { consts: channelConsts(mean, std) },
  });
}

/** Launcher: gx = gy / std[c]. */
export function normalizeChannelsBackward(gy: Tensor, consts: Tensor): Tensor {
  return channelLaunch(true, gy.shape, gy, consts);
}

/** Invocations per row of the L2 kernels: a power of two ≤ 64 giving each about 4 values. */
export function l2ThreadsPerRow(dv: number): number {
  return Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(dv / 4)))));
}

function l2Launch(
  bwd: boolean,
  shape: [number, number],
  bindings: Record<string, GPUBuffer>,
  eps: number,
): void {
  const [rows, d] = shape;
  const vec = d % 4 === 0 ? 4 : 1;
  const e = engine();
  const TPR = l2ThreadsPerRow(d / vec);
  const blocks = Math.ceil(rows / (64 / TPR));
  e.run(e.compile(L2_NORMALIZE, { VEC4: vec === 4, BWD: bwd, TPR }), {
    params: { rows, dv: d / vec, eps },
    bindings,
    groups: [Math.min(blocks, e.device.limits.maxComputeWorkgroupsPerDimension)],
  });
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
  l2Launch(false, [N, d], { z: z.buffer, u: u.buffer, norm: norm.buffer }, eps);
  return { u, norm };
}

/** Launcher: gradient of l2NormalizeForward for z, given gu and the saved row norms. */
export function l2NormalizeBackward(
  gu: Tensor,
  fwd: { z: Tensor; norm: Tensor; eps?: number },
): Tensor {
  const { z, norm } = fwd;
  const [N, d] = rowsOf(z);
  const gz = Tensor.empty(z.shape);
  const bindings = { gu: gu.buffer, z: z.buffer, norm: norm.buffer, gz: gz.buffer };
  l2Launch(true, [N, d], bindings, fwd.eps ?? L2_EPS);
  return gz;
}

/** Row-wise L2 normalisation of [N, d], as F.normalize(z, dim=1) (differentiable). */
export function l2Normalize(z: Tensor, eps = L2_EPS): Tensor {
  const { u, norm } = l2NormalizeForward(z, eps);
  return record("l2_normalize", { inputs: [z], output: u, saved: { norm, eps }, owned: [norm] });
}

/** Backward rules of this family. */
export const normalizeRules: RuleTable<"normalize_channels" | "l2_normalize"> = {
  normalize_channels: (c, gy) => [normalizeChannelsBackward(gy, c.saved.consts)],
  l2_normalize: (c, gy) => [l2NormalizeBackward(gy, { z: c.inputs[0], ...c.saved })],
};
