/**
 * `deno task kernels check` entries of the linear family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn } from "../../core/testing.ts";
import { colSum, gemmTile, matmul } from "./mod.ts";
import { gemmDefines } from "./matmul.ts";
import { matmulRef } from "./reference.ts";

const MATMUL = new URL("./matmul.wgsl", import.meta.url);
const LINEAR = new URL("./linear.wgsl", import.meta.url);

/** [m, n, k]: odd sizes (scalar loads, clamped tiles), head shapes, a square one. */
const SHAPES: [number, number, number][] = [[7, 5, 13], [37, 29, 45], [130, 10, 512], [
  256,
  128,
  192,
]];

async function matmulRows(transA: boolean, transB: boolean, bias: boolean): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [m, n, k] of SHAPES) {
    const a = randn(m * k, m + k), b = randn(k * n, n + 3 * k), bv = randn(n, n);
    const ta = Tensor.from(a, transA ? [k, m] : [m, k]);
    const tb = Tensor.from(b, transB ? [n, k] : [k, n]);
    const tbias = bias ? Tensor.from(bv, [n]) : undefined;
    const y = matmul(ta, tb, { transA, transB, bias: tbias, alpha: 0.75 });
    const ref = matmulRef(a, b, m, n, k, {
      transA,
      transB,
      alpha: Math.fround(0.75),
      bias: bias ? bv : undefined,
    });
    out.push({ shape: `${m}×${k}·${k}×${n}`, ...errors(await y.read(), ref), tol: 1e-5 });
    for (const t of [ta, tb, tbias, y]) t?.dispose();
  }
  return out;
}

function info(
  name: string,
  description: string,
  transA: boolean,
  transB: boolean,
  bias: boolean,
): KernelInfo {
  return {
    name,
    family: "linear",
    description,
    wgsl: MATMUL,
    entry: "main",
    defines: gemmDefines(
      gemmTile(1024, 1024),
      { transA, transB, vecA: true, vecB: true, vecC: true },
      bias,
      false,
    ),
    check: () => matmulRows(transA, transB, bias),
  };
}

/** Linear-family kernels. */
export const linearKernels: KernelInfo[] = [
  info("matmul_nn", "C = α·A·B (gx = gy·W of linear)", false, false, false),
  info("matmul_nt", "C = α·A·Bᵀ + bias (linear forward x·Wᵀ + b)", false, true, true),
  info("matmul_tn", "C = α·Aᵀ·B (weight gradient gyᵀ·x)", true, false, false),
  info("matmul_tt", "C = α·Aᵀ·Bᵀ", true, true, false),
  {
    name: "col_sum",
    family: "linear",
    description: "gb[j] = Σ_i gy[i, j] (bias gradient)",
    wgsl: LINEAR,
    entry: "col_sum",
    defines: { VEC: true },
    check: async () => {
      const out: CheckRow[] = [];
      for (const [rows, cols] of [[7, 5], [512, 512], [129, 10]]) {
        const g = randn(rows * cols, rows);
        const t = Tensor.from(g, [rows, cols]);
        const s = colSum(t);
        const ref = new Float64Array(cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) ref[j] += g[i * cols + j];
        out.push({ shape: `[${rows},${cols}]`, ...errors(await s.read(), ref), tol: 1e-5 });
        t.dispose();
        s.dispose();
      }
      return out;
    },
  },
];
