/**
 * `deno task kernels check` entries of the linear family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn } from "../../core/testing.ts";
import { COL_SUM, colSum, gemmTile, MATMUL, matmul } from "./mod.ts";
import { gemmDefines } from "./codegen.ts";
import { matmulRef } from "./reference.ts";

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
    const ref = matmulRef(a, b, {
      m,
      n,
      k,
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

/** One GEMM entry: its transposes and bias; `kernels dump` shows the 1024² vec4 variant. */
function info(
  o: { name: string; description: string; transA: boolean; transB: boolean; bias: boolean },
): KernelInfo {
  const { transA, transB, bias } = o;
  return {
    name: o.name,
    family: "linear",
    description: o.description,
    spec: MATMUL,
    entry: "main",
    defines: gemmDefines({
      ...gemmTile(1024, 1024),
      transA,
      transB,
      vecA: true,
      vecB: true,
      vecC: true,
      bias,
      accumulate: false,
    }),
    check: () => matmulRows(transA, transB, bias),
  };
}

const NO = { transA: false, transB: false, bias: false };

/** Linear-family kernels. */
export const linearKernels: KernelInfo[] = [
  info({ ...NO, name: "matmul_nn", description: "C = α·A·B (gx = gy·W of linear)" }),
  info({
    ...NO,
    name: "matmul_nt",
    description: "C = α·A·Bᵀ + bias (linear forward x·Wᵀ + b)",
    transB: true,
    bias: true,
  }),
  info({
    ...NO,
    name: "matmul_tn",
    description: "C = α·Aᵀ·B (weight gradient gyᵀ·x)",
    transA: true,
  }),
  info({ ...NO, name: "matmul_tt", description: "C = α·Aᵀ·Bᵀ", transA: true, transB: true }),
  {
    name: "col_sum",
    family: "linear",
    description: "gb[j] = Σ_i gy[i, j] (bias gradient)",
    spec: COL_SUM,
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
