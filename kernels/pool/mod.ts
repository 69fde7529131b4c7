/**
 * Pooling family: global average pool ([N, C, H, W] → [N, C]) and 2d max pool (PyTorch
 * semantics; the ImageNet stem uses 3×3, stride 2, padding 1), with launchers, differentiable
 * ops and backward rules.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { gridFor } from "../elementwise/mod.ts";

/** Global average pool forward (x → y) and backward (BWD: gy → gx) over (n, c) planes. */
export const AVG_POOL = defineKernel({
  name: "avgpool",
  file: new URL("./avgpool.wgsl", import.meta.url),
  params: { planes: "u32", HWv: "u32", inv: "f32" },
  bindings: {
    x: { access: "read", type: "VT", when: (d) => !d.BWD },
    y: { access: "read_write", type: "f32", when: (d) => !d.BWD },
    gy: { access: "read", type: "f32", when: "BWD" },
    gx: { access: "read_write", type: "VT", when: "BWD" },
  },
});

/** Max pool forward (x → y, argmax idx) and backward (BWD: gy, idx → gx). */
export const MAX_POOL = defineKernel({
  name: "maxpool",
  file: new URL("./maxpool.wgsl", import.meta.url),
  params: {
    H: "u32",
    W: "u32",
    Ho: "u32",
    Wo: "u32",
    k: "u32",
    s: "u32",
    pad: "u32",
    planes: "u32",
    c0: "i32",
  },
  bindings: {
    x: { access: "read", type: "f32", when: (d) => !d.BWD },
    y: { access: "read_write", type: "f32", when: (d) => !d.BWD },
    gy: { access: "read", type: "f32", when: "BWD" },
    idx: (d) => ({ access: d.BWD ? "read" : "read_write", type: "u32" }),
    gx: { access: "read_write", type: "f32", when: "BWD" },
  },
});

/** Window of a max pool: kernel k, stride s, padding pad. */
export interface MaxPoolWindow {
  /** Kernel size (default 3). */
  k?: number;
  /** Stride (default 2). */
  s?: number;
  /** Padding (default 1). */
  pad?: number;
}

/** Geometry of a max pool call. */
export interface MaxPoolGeom {
  planes: number;
  H: number;
  W: number;
  Ho: number;
  Wo: number;
  k: number;
  s: number;
  pad: number;
}

declare module "../../core/tape.ts" {
  interface SavedMap {
    global_avg_pool: { shape: readonly number[] };
    maxpool2d: { indices: Tensor; geom: MaxPoolGeom; shape: readonly number[] };
  }
}

function nchw(op: string, x: Tensor): [number, number, number, number] {
  if (x.shape.length !== 4) throw new Error(`${op}: input must be [N, C, H, W], got [${x.shape}]`);
  return x.shape as [number, number, number, number];
}

function avgLaunch(bwd: boolean, shape: readonly number[], src: Tensor, dst: Tensor): void {
  const [N, C, H, W] = shape;
  const HW = H * W;
  const vec = HW % 4 === 0 ? 4 : 1;
  const e = engine();
  const bindings = bwd ? { gy: src.buffer, gx: dst.buffer } : { x: src.buffer, y: dst.buffer };
  e.run(e.compile(AVG_POOL, { VEC4: vec === 4, BWD: bwd }), {
    params: { planes: N * C, HWv: HW / vec, inv: 1 / HW },
    bindings,
    groups: gridFor(N * C),
  });
}

/** Launcher: y[n, c] = mean over H, W of x[n, c]. */
export function globalAvgPoolForward(x: Tensor): Tensor {
  const [N, C] = nchw("globalAvgPool", x);
  const y = Tensor.empty([N, C]);
  avgLaunch(false, x.shape, x, y);
  return y;
}

/** Launcher: gx[n, c, h, w] = gy[n, c] / (H·W), for an input of `shape`. */
export function globalAvgPoolBackward(gy: Tensor, shape: readonly number[]): Tensor {
  const gx = Tensor.empty(shape);
  avgLaunch(true, shape, gy, gx);
  return gx;
}

/** Global average pool [N, C, H, W] → [N, C] (differentiable). */
export function globalAvgPool(x: Tensor): Tensor {
  const y = globalAvgPoolForward(x);
  return record("global_avg_pool", { inputs: [x], output: y, saved: { shape: x.shape } });
}

/** Geometry of a max pool of window `w` (defaults: 3, 2, 1) over x's shape. */
export function maxPoolGeom(shape: readonly number[], w: MaxPoolWindow = {}): MaxPoolGeom {
  const k = w.k ?? 3, s = w.s ?? 2, pad = w.pad ?? 1;
  const [N, C, H, W] = shape;
  if (!(k >= 1 && s >= 1 && pad >= 0 && pad <= k / 2)) {
    throw new Error(`maxPool2d: need kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel/2`);
  }
  const Ho = Math.floor((H + 2 * pad - k) / s) + 1, Wo = Math.floor((W + 2 * pad - k) / s) + 1;
  if (Ho < 1 || Wo < 1) throw new Error(`maxPool2d: input ${H}×${W} is smaller than ${k}×${k}`);
  return { planes: N * C, H, W, Ho, Wo, k, s, pad };
}

/**
 * For the input tile t (stride-sized), candidate outputs are t + c0 … t + c0 + KT − 1:
 * o·s − pad ≤ t·s + s − 1 and o·s − pad + k − 1 ≥ t·s give c0 = ⌈(pad + 1 − k)/s⌉ and
 * c1 = ⌊(s − 1 + pad)/s⌋ (last), so KT = c1 − c0 + 1.
 */
function tileOffsets(g: MaxPoolGeom): [number, number] {
  const c0 = Math.ceil((g.pad + 1 - g.k) / g.s);
  const c1 = Math.floor((g.s - 1 + g.pad) / g.s);
  return [c0, c1 - c0 + 1];
}

// [row chunks of 64, rows, planes]; the kernel loops where a dimension is capped.
function maxGrid(width: number, rows: number, g: MaxPoolGeom): [number, number, number] {
  const max = engine().device.limits.maxComputeWorkgroupsPerDimension;
  if (rows > max) throw new Error(`maxPool2d: ${rows} rows exceed ${max} workgroups per dim`);
  return [Math.min(Math.ceil(width / 64), 64), rows, Math.min(g.planes, max)];
}

function maxParams(g: MaxPoolGeom) {
  const { H, W, Ho, Wo, k, s, pad, planes } = g;
  return { H, W, Ho, Wo, k, s, pad, planes, c0: tileOffsets(g)[0] };
}

/** Launcher: y = maxpool(x) and the argmax of each output as a plane index h·W + w (u32). */
export function maxPoolForward(
  x: Tensor,
  w: MaxPoolWindow = {},
): { y: Tensor; indices: Tensor; geom: MaxPoolGeom } {
  const [N, C] = nchw("maxPool2d", x);
  const g = maxPoolGeom(x.shape, w);
  const y = Tensor.empty([N, C, g.Ho, g.Wo]);
  const indices = Tensor.empty([N, C, g.Ho, g.Wo], "u32");
  const e = engine();
  e.run(e.compile(MAX_POOL, { BWD: false, S: g.s, KT: 1 }), {
    params: maxParams(g),
    bindings: { x: x.buffer, y: y.buffer, idx: indices.buffer },
    groups: maxGrid(g.Wo, g.Ho, g),
  });
  return { y, indices, geom: g };
}

/** Launcher: gx = the sum of gy over the outputs whose argmax is each input. */
export function maxPoolBackward(
  gy: Tensor,
  fwd: { indices: Tensor; geom: MaxPoolGeom; shape: readonly number[] },
): Tensor {
  const { geom } = fwd;
  const gx = Tensor.empty(fwd.shape);
  const e = engine();
  e.run(e.compile(MAX_POOL, { BWD: true, S: geom.s, KT: tileOffsets(geom)[1] }), {
    params: maxParams(geom),
    bindings: { gy: gy.buffer, idx: fwd.indices.buffer, gx: gx.buffer },
    groups: maxGrid(Math.ceil(geom.W / geom.s), Math.ceil(geom.H / geom.s), geom),
  });
  return gx;
}

/**
 * Max pool 2d, kernel k, stride s, padding pad (defaults: the ImageNet stem's 3, 2, 1);
 * differentiable: the gradient goes to the first maximum of each window in row-major order.
 */
export function maxPool2d(x: Tensor, w: MaxPoolWindow = {}): Tensor {
  const { y, indices, geom } = maxPoolForward(x, w);
  return record("maxpool2d", {
    inputs: [x],
    output: y,
    saved: { indices, geom, shape: x.shape },
    owned: [indices],
  });
}

/** Backward rules of this family. */
export const poolRules: RuleTable<"global_avg_pool" | "maxpool2d"> = {
  global_avg_pool: (c, gy) => [globalAvgPoolBackward(gy, c.saved.shape)],
  maxpool2d: (c, gy) => [maxPoolBackward(gy, c.saved)],
};
