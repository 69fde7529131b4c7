/**
 * `deno task kernels check` entries of the batch norm family: GPU vs CPU f64 reference, for
 * 1d and 2d shapes, odd sizes, the fused single-workgroup path and the split (two-stage) path.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn } from "../../core/testing.ts";
import { batchNormBackward, batchNormForward, BN_BACKWARD, BN_FORWARD } from "./launch.ts";
import { batchNormBwdRef, batchNormRef } from "./reference.ts";

/** [3,5,7,7] odd; [6,11] 1d; [8,16,16,16] one workgroup per channel; [80,2,32,32] split. */
const SHAPES = [[3, 5, 7, 7], [6, 11], [8, 16, 16, 16], [80, 2, 32, 32]];
const TOL = 1e-4;

type Part = "y" | "running" | "gx" | "gw" | "gb";

async function rows(training: boolean, relu: boolean, parts: Part[]): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const shape of SHAPES) {
    const [N, C] = shape;
    const HW = shape.slice(2).reduce((a, b) => a * b, 1);
    const n = N * C * HW;
    const xd = randn(n, n, 1.5).map((v) => v + 0.5);
    const gyd = randn(n, n + 1);
    const wd = randn(C, 3).map((v) => 1 + 0.3 * v), bd = randn(C, 4, 0.2);
    const rmd = randn(C, 5, 0.1), rvd = randn(C, 6).map((v) => 0.5 + Math.abs(v));
    const x = Tensor.from(xd, shape), gy = Tensor.from(gyd, shape);
    const bn = {
      weight: Tensor.from(wd, [C]),
      bias: Tensor.from(bd, [C]),
      runningMean: Tensor.from(rmd, [C]),
      runningVar: Tensor.from(rvd, [C]),
      momentum: 0.1,
      eps: 1e-5,
    };
    const s = { N, C, HW };
    const o = { training, relu };
    const ref = batchNormRef(xd, s, {
      weight: wd,
      bias: bd,
      runningMean: rmd,
      runningVar: rvd,
      ...o,
    });
    const gref = batchNormBwdRef(gyd, xd, s, { weight: wd, fwd: ref, ...o });
    const { y, stats, geom } = batchNormForward(x, bn, { training, relu });
    const needs = { x: true, weight: true, bias: true };
    const [gx, gw, gb] = batchNormBackward({
      gy,
      x,
      weight: bn.weight,
      stats,
      y,
      geom,
      training,
      relu,
      needs,
    });
    const label = `[${shape}]${geom.S > 1 ? ` S=${geom.S}` : ""}`;
    for (const p of parts) {
      if (p === "running") {
        const e1 = errors(await bn.runningMean.read(), ref.runningMean);
        const e2 = errors(await bn.runningVar.read(), ref.runningVar);
        out.push({ shape: `${label} running mean`, ...e1, tol: TOL });
        out.push({ shape: `${label} running var`, ...e2, tol: TOL });
        continue;
      }
      const [t, r] = {
        y: [y, ref.y],
        gx: [gx!, gref.gx],
        gw: [gw!, gref.gw],
        gb: [gb!, gref.gb],
      }[p] as [Tensor, Float64Array];
      out.push({ shape: `${label} ${p}`, ...errors(await t.read(), r), tol: TOL });
    }
    for (const t of [x, gy, y, stats, gx!, gw!, gb!, ...Object.values(bn)]) {
      if (t instanceof Tensor) t.dispose();
    }
  }
  return out;
}

const fwdDefs = {
  VEC4: true,
  WG: 256,
  PARTIAL: false,
  SPLIT_TRAIN: false,
  FUSED: true,
  RELU: false,
  TEX: false,
  RES: false,
};
const bwdDefs = {
  WG: 256,
  VEC4: true,
  RELU: false,
  TRAIN: true,
  PARTIAL: false,
  FINALIZE: false,
  FUSED: true,
  SUMS: false,
  NEEDS_X: true,
  GRAD: true,
  REDUCE: true,
  HAS_X: true,
  TEX: false,
  RES_GRAD: false,
};

/** Batch norm kernels. */
export const batchnormKernels: KernelInfo[] = [
  {
    name: "batchnorm_fwd_train",
    family: "batchnorm",
    description: "y = γ·(x − μ_B)/√(σ²_B + ε) + β; running stats updated (momentum 0.1)",
    spec: BN_FORWARD,
    entry: "main",
    defines: { ...fwdDefs, TRAIN: true },
    check: () => rows(true, false, ["y", "running"]),
  },
  {
    name: "batchnorm_fwd_eval",
    family: "batchnorm",
    description: "y = γ·(x − running_mean)/√(running_var + ε) + β",
    spec: BN_FORWARD,
    entry: "main",
    defines: { ...fwdDefs, FUSED: false, TRAIN: false },
    check: () => rows(false, false, ["y"]),
  },
  {
    name: "batchnorm_relu_fwd_train",
    family: "batchnorm",
    description: "y = max(BN(x), 0) in one pass (training statistics)",
    spec: BN_FORWARD,
    entry: "main",
    defines: { ...fwdDefs, TRAIN: true, RELU: true },
    check: () => rows(true, true, ["y", "running"]),
  },
  {
    name: "batchnorm_bwd_train",
    family: "batchnorm",
    description: "gx = γ/σ·(g − mean g − x̂·mean(g·x̂)); gγ = Σ g·x̂; gβ = Σ g",
    spec: BN_BACKWARD,
    entry: "main",
    defines: bwdDefs,
    check: () => rows(true, false, ["gx", "gw", "gb"]),
  },
  {
    name: "batchnorm_bwd_eval",
    family: "batchnorm",
    description: "gx = γ·g/√(running_var + ε); gγ = Σ g·x̂; gβ = Σ g",
    spec: BN_BACKWARD,
    entry: "main",
    defines: { ...bwdDefs, TRAIN: false },
    check: () => rows(false, false, ["gx", "gw", "gb"]),
  },
  {
    name: "batchnorm_relu_bwd_train",
    family: "batchnorm",
    description: "BN backward with g = gy·[y > 0] (fused ReLU)",
    spec: BN_BACKWARD,
    entry: "main",
    defines: { ...bwdDefs, RELU: true },
    check: () => rows(true, true, ["gx", "gw", "gb"]),
  },
];
