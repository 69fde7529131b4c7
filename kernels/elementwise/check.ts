/**
 * `deno task kernels check` entries of the elementwise family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../types.ts";
import { Tensor } from "../../src/autodiff/tensor.ts";
import { errors, randn } from "../../src/testing/compare.ts";
import { add, relu, reluBackward, scale } from "./mod.ts";
import { addRef, reluBwdRef, reluRef, scaleRef } from "./reference.ts";

const WGSL = new URL("./elementwise.wgsl", import.meta.url);
const SIZES = [1, 1023, 65536 + 7];

async function rows(
  f: (a: Tensor, b: Tensor) => Tensor,
  ref: (a: Float32Array, b: Float32Array) => Float64Array,
): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const n of SIZES) {
    const a = randn(n, n), b = randn(n, n + 1);
    const ta = Tensor.from(a, [n]), tb = Tensor.from(b, [n]);
    const y = f(ta, tb);
    out.push({ shape: `[${n}]`, ...errors(await y.read(), ref(a, b)), tol: 1e-6 });
    for (const t of [ta, tb, y]) t.dispose();
  }
  return out;
}

/** Elementwise kernels. */
export const elementwiseKernels: KernelInfo[] = [
  {
    name: "relu_fwd",
    family: "elementwise",
    description: "y = max(x, 0)",
    wgsl: WGSL,
    entry: "relu_fwd",
    check: () => rows((a) => relu(a), (a) => reluRef(a)),
  },
  {
    name: "relu_bwd",
    family: "elementwise",
    description: "gx = gy · [y > 0]",
    wgsl: WGSL,
    entry: "relu_bwd",
    check: () => rows((g, y) => reluBackward(g, y), (g, y) => reluBwdRef(g, y)),
  },
  {
    name: "add_fwd",
    family: "elementwise",
    description: "y = a + b (residual add; backward is a copy of gy to both)",
    wgsl: WGSL,
    entry: "add_fwd",
    check: () => rows((a, b) => add(a, b), (a, b) => addRef(a, b)),
  },
  {
    name: "scale",
    family: "elementwise",
    description: "y = α·x (also its own backward)",
    wgsl: WGSL,
    entry: "scale",
    check: () => rows((a) => scale(a, -0.37), (a) => scaleRef(a, Math.fround(-0.37))),
  },
];
