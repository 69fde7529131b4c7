/**
 * Linear family: the differentiable `linear` op (y = x·Wᵀ + b, PyTorch's layout) and its
 * backward rule, built on the tiled GEMM of matmul.ts, plus the bias-gradient column sum.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { gemm } from "./matmul.ts";

export {
  gemm,
  type GemmArgs,
  type GemmConfig,
  type GemmTile,
  gemmTile,
  type GemmTileOptions,
  MATMUL,
  matmul,
  type MatmulOptions,
} from "./matmul.ts";

/** The bias-gradient column sum (linear.wgsl); VecF is vec4<f32> under VEC. */
export const COL_SUM = defineKernel({
  name: "col_sum",
  file: new URL("./linear.wgsl", import.meta.url),
  params: { rows: "u32", cols: "u32" },
  bindings: {
    gy: { access: "read", type: "VecF" },
    out: { access: "read_write", type: "VecF" },
  },
});

declare module "../../core/tape.ts" {
  interface SavedMap {
    linear: { hasBias: boolean };
  }
}

/** Launcher: the column sums of a 2-D tensor [rows, cols] → [cols] (the bias gradient). */
export function colSum(x: Tensor): Tensor {
  if (x.shape.length !== 2) throw new Error(`colSum: expected a 2-D tensor, got [${x.shape}]`);
  const [rows, cols] = x.shape;
  const out = Tensor.empty([cols]);
  const vec = cols % 4 === 0;
  const e = engine();
  const lanes = vec ? cols / 4 : cols;
  e.run(e.compile(COL_SUM, { VEC: vec }, "col_sum"), {
    params: { rows, cols },
    bindings: { gy: x.buffer, out: out.buffer },
    groups: [Math.ceil(lanes / 64)],
  });
  return out;
}

/**
 * y = x·Wᵀ + b (differentiable), x [N, in], w [out, in] (PyTorch's nn.Linear layout),
 * b [out] or none. Gradients: gx = gy·W, gW = gyᵀ·x, gb = Σ_rows gy, each one GEMM (or column
 * sum) reading the operands in place.
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
    throw new Error(
      `linear: expected x [N, in] and w [out, in] with the same in, got x [${x.shape}], ` +
        `w [${w.shape}]`,
    );
  }
  const [n, inF] = x.shape, outF = w.shape[0];
  if (b && (b.shape.length !== 1 || b.shape[0] !== outF)) {
    throw new Error(`linear: bias must be [${outF}], got [${b.shape}]`);
  }
  const y = Tensor.empty([n, outF]);
  gemm({
    a: x.buffer,
    b: w.buffer,
    c: y.buffer,
    m: n,
    n: outF,
    k: inF,
    transB: true,
    bias: b?.buffer,
  });
  return record("linear", { inputs: b ? [x, w, b] : [x, w], output: y, saved: { hasBias: !!b } });
}

/** Backward rules of this family. */
export const linearRules: RuleTable<"linear"> = {
  linear: (c, gy) => {
    const [x, w] = c.inputs;
    const [n, inF] = x.shape, outF = w.shape[0];
    let gx: Tensor | null = null, gw: Tensor | null = null, gb: Tensor | null = null;
    if (c.needsGrad[0]) {
      // gx [N, in] = gy [N, out] · W [out, in]
      gx = Tensor.empty(x.shape);
      gemm({ a: gy.buffer, b: w.buffer, c: gx.buffer, m: n, n: inF, k: outF });
    }
    if (c.needsGrad[1]) {
      // gW [out, in] = gyᵀ · x: gy is stored [N, out] = [K, M], read transposed in place.
      gw = Tensor.empty(w.shape);
      gemm({ a: gy.buffer, b: x.buffer, c: gw.buffer, m: outF, n: inF, k: n, transA: true });
    }
    if (c.saved.hasBias && c.needsGrad[2]) gb = colSum(gy);
    return c.saved.hasBias ? [gx, gw, gb] : [gx, gw];
  },
};
