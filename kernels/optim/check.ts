/**
 * `deno task kernels check` entries of the optim family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn } from "../../core/testing.ts";
import { SGD, Sgd } from "./mod.ts";
import { sgdRef } from "./reference.ts";

const LRS = [0.5, 0.37, 0.01];

/** Three consecutive steps (buffer init, then momentum) on parameters of several sizes. */
async function rows(momentum: number, weightDecay: number): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const n of [10, 4096, 65536 + 3]) {
    let p: Float64Array<ArrayBufferLike> = Float64Array.from(randn(n, n));
    let buf: Float64Array<ArrayBufferLike> | null = null;
    const param = Tensor.from(Float32Array.from(p), [n]);
    const sgd = new Sgd([param], { momentum, weightDecay });
    for (const [s, lr] of LRS.entries()) {
      const g = randn(n, n + 100 * s);
      param.grad?.dispose();
      param.grad = Tensor.from(g, [n]).keep();
      sgd.step(lr);
      ({ p, buf } = sgdRef(p, g, {
        buf,
        lr: Math.fround(lr),
        momentum: Math.fround(momentum),
        weightDecay: Math.fround(weightDecay),
      }));
    }
    out.push({ shape: `[${n}] 3 steps`, ...errors(await param.read(), p), tol: 1e-5 });
    if (buf) {
      const mb = sgd.momentumBuffers()[0]!;
      out.push({ shape: `[${n}] momentum buffer`, ...errors(await mb.read(), buf), tol: 1e-5 });
    }
    sgd.dispose();
    param.dispose();
  }
  return out;
}

/** Optim-family kernels. */
export const optimKernels: KernelInfo[] = [
  {
    name: "sgd_momentum",
    family: "optim",
    description: "d = g + wd·p; buf = m·buf + d (first: d); p −= lr·buf (lr from a buffer)",
    spec: SGD,
    entry: "sgd_momentum",
    defines: { VEC: true },
    check: () => rows(0.9, 1e-4),
  },
  {
    name: "sgd_plain",
    family: "optim",
    description: "p −= lr·(g + wd·p) (momentum 0)",
    spec: SGD,
    entry: "sgd_plain",
    defines: { VEC: true },
    check: () => rows(0, 5e-4),
  },
];
