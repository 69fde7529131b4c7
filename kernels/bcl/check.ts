/**
 * `deno task kernels check` entries of the BCL family: the memory update over three epochs of
 * shuffled batches (a partial last batch included) and the boosting weights, against the CPU
 * f64 references.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, seededRandom } from "../../core/testing.ts";
import { epochPermutation } from "../../core/prng.ts";
import { BCL_MEMORY, BCL_WEIGHTS, bclMemoryUpdate, bclWeights } from "./mod.ts";
import { boostWeightsRef, memoryUpdateRef } from "./reference.ts";

/** [images, batch size] */
const SHAPES: [number, number][] = [[10, 4], [300, 64], [5000, 512]];

/** Runs `epochs` epochs of memory updates with random losses on GPU and CPU. */
async function memoryCase(n: number, batch: number, epochs: number, beta = 0.95) {
  const r = seededRandom(n + batch);
  const memory = Tensor.zeros([n]);
  let ref: Float64Array = new Float64Array(n);
  for (let e = 0; e < epochs; e++) {
    const order = epochPermutation(n, 7, e);
    for (let s = 0; s < n; s += batch) {
      const items = order.slice(s, Math.min(s + batch, n));
      const samples = Float32Array.from(items, () => 2 + 4 * r.uniform());
      const ts = Tensor.from(samples, [items.length]), ti = Tensor.from(items, [items.length]);
      bclMemoryUpdate(memory, { samples: ts, items: ti, beta, first: e === 0 });
      ref = memoryUpdateRef(ref, { samples, items, beta, first: e === 0 });
      ts.dispose();
      ti.dispose();
    }
  }
  const got = await memory.read();
  memory.dispose();
  return { got, ref };
}

async function memoryRows(): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [n, b] of SHAPES) {
    const { got, ref } = await memoryCase(n, b, 3);
    out.push({ shape: `N${n} B${b} ×3 epochs`, ...errors(got, ref), tol: 1e-6 });
  }
  return out;
}

async function weightRows(): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [n] of SHAPES) {
    const r = seededRandom(3 * n);
    const m = Float32Array.from({ length: n }, () => 3 + r.uniform() * (r.uniform() < 0.1 ? 4 : 1));
    const tm = Tensor.from(m, [n]), tw = Tensor.zeros([n]);
    bclWeights(tm, tw);
    out.push({ shape: `N${n}`, ...errors(await tw.read(), boostWeightsRef(m)), tol: 1e-5 });
    // Without spread: every weight 0.
    const flat = Tensor.fill([n], 4.5);
    bclWeights(flat, tw);
    out.push({ shape: `N${n} flat`, ...errors(await tw.read(), new Float64Array(n)), tol: 0 });
    for (const t of [tm, tw, flat]) t.dispose();
  }
  return out;
}

/** BCL kernels. */
export const bclKernels: KernelInfo[] = [
  {
    name: "bcl_memory_update",
    family: "bcl",
    description: "per-image loss memory: ℓ_i in epoch 1, then β·m + (1 − β)·ℓ_i",
    spec: BCL_MEMORY,
    entry: "memory_update",
    check: memoryRows,
  },
  {
    name: "bcl_boost_weights",
    family: "bcl",
    description: "w = z/max|z|/2 + 1/2 of the memory's z-scores (std unbiased), one workgroup",
    spec: BCL_WEIGHTS,
    entry: "boost_weights",
    check: weightRows,
  },
];
