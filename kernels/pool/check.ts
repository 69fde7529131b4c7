/**
 * `deno task kernels check` entries of the pooling family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn } from "../../core/testing.ts";
import {
  AVG_POOL,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  MAX_POOL,
  maxPoolBackward,
  maxPoolForward,
} from "./mod.ts";
import { globalAvgPoolBwdRef, globalAvgPoolRef, maxPoolBwdRef, maxPoolRef } from "./reference.ts";

const AVG_SHAPES = [[3, 5, 7, 7], [64, 512, 4, 4], [2, 3, 1, 1]];
const MAX_SHAPES = [[2, 3, 9, 9], [2, 3, 8, 8], [4, 16, 32, 32]];

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function avgRows(bwd: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const shape of AVG_SHAPES) {
    const [N, C, H, W] = shape;
    let row;
    if (bwd) {
      const gyd = randn(N * C, N * C);
      const gy = Tensor.from(gyd, [N, C]);
      const gx = globalAvgPoolBackward(gy, shape);
      row = errors(await gx.read(), globalAvgPoolBwdRef(gyd, H * W));
      gy.dispose();
      gx.dispose();
    } else {
      const xd = randn(size(shape), size(shape));
      const x = Tensor.from(xd, shape);
      const y = globalAvgPoolForward(x);
      row = errors(await y.read(), globalAvgPoolRef(xd, N * C, H * W));
      x.dispose();
      y.dispose();
    }
    out.push({ shape: `[${shape}]`, ...row, tol: 1e-4 });
  }
  return out;
}

async function maxRows(bwd: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const shape of MAX_SHAPES) {
    const [N, C, H, W] = shape;
    const xd = randn(size(shape), size(shape) + 1);
    const x = Tensor.from(xd, shape);
    const { y, indices, geom } = maxPoolForward(x);
    const ref = maxPoolRef(xd, { planes: N * C, H, W, k: 3, s: 2, pad: 1 });
    let row;
    if (bwd) {
      const gyd = randn(y.size, 7);
      const gy = Tensor.from(gyd, y.shape);
      const gx = maxPoolBackward(gy, { indices, geom, shape });
      const g = { planes: N * C, H, W, k: 3, s: 2, pad: 1 };
      row = errors(await gx.read(), maxPoolBwdRef(gyd, ref.indices, g));
      gy.dispose();
      gx.dispose();
    } else {
      row = errors(await y.read(), ref.y);
      const idx = await indices.readU32();
      const wrong = ref.indices.filter((v, i) => v !== idx[i]).length;
      // An argmax mismatch fails the row outright.
      if (wrong) row = { maxAbs: Infinity, maxRel: Infinity };
    }
    out.push({ shape: `[${shape}] k3 s2 p1`, ...row, tol: 1e-4 });
    for (const t of [x, y, indices]) t.dispose();
  }
  return out;
}

/** Pooling kernels. */
export const poolKernels: KernelInfo[] = [
  {
    name: "avgpool_global_fwd",
    family: "pool",
    description: "y[n, c] = mean over H×W of x[n, c]",
    spec: AVG_POOL,
    entry: "main",
    defines: { VEC4: true, BWD: false },
    check: () => avgRows(false),
  },
  {
    name: "avgpool_global_bwd",
    family: "pool",
    description: "gx[n, c, h, w] = gy[n, c] / (H·W)",
    spec: AVG_POOL,
    entry: "main",
    defines: { VEC4: true, BWD: true },
    check: () => avgRows(true),
  },
  {
    name: "maxpool2d_fwd",
    family: "pool",
    description: "y = max over each k×k window (stride s, pad p); argmax (first max) as u32",
    spec: MAX_POOL,
    entry: "main",
    defines: { BWD: false, S: 2, KT: 1 },
    check: () => maxRows(false),
  },
  {
    name: "maxpool2d_bwd",
    family: "pool",
    description: "gx[i] = Σ gy over the outputs whose argmax is i (gather, no atomics)",
    spec: MAX_POOL,
    entry: "main",
    defines: { BWD: true, S: 2, KT: 2 },
    check: () => maxRows(true),
  },
];
