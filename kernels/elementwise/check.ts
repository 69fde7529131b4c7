/**
 * `deno task kernels check` entries of the elementwise family: GPU vs CPU f64 reference.
 * @module
 */
import type { CheckRow, KernelInfo } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { errors, randn, seededRandom } from "../../core/testing.ts";
import { add, ELEMENTWISE, GATHER_ROWS, gatherRowsInto, relu, reluBackward, scale } from "./mod.ts";
import { addRef, gatherRowsRef, reluBwdRef, reluRef, scaleRef } from "./reference.ts";

/** [source rows, dim, gathered rows, perm offset, rows per source chunk] */
const GATHER_SHAPES = [[10, 3, 7, 2, 4], [1000, 128, 257, 13, 300], [5000, 33, 4097, 0, 5000]];
// Odd sizes take the scalar variant, multiples of 4 the vec4 one.
const SIZES = [1, 1023, 4096, 65536 + 7];

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

/**
 * Gathers `rows` rows of a source held in chunks through a shuffled index list (with a few
 * indices past the end, which must leave their rows untouched), one launch per chunk.
 */
async function gatherCheckRows(): Promise<CheckRow[]> {
  const out: CheckRow[] = [];
  for (const [n, dim, rows, offset, chunk] of GATHER_SHAPES) {
    const src = randn(n * dim, n + dim);
    const r = seededRandom(rows);
    const perm = Uint32Array.from(
      { length: offset + rows },
      () => Math.floor(r.uniform() * (n + 3)),
    );
    const init = randn(rows * dim, rows);
    const ty = Tensor.from(init, [rows, dim]), tp = Tensor.from(perm, [perm.length]);
    let want: Float64Array = Float64Array.from(init);
    const chunks: Tensor[] = [];
    for (let s = 0; s < n; s += chunk) {
      const part = src.subarray(s * dim, Math.min(n, s + chunk) * dim);
      chunks.push(Tensor.from(part, [part.length / dim, dim]));
      gatherRowsInto(ty, chunks[chunks.length - 1], tp, { permOffset: offset, srcStart: s });
      want = gatherRowsRef(want, part, perm, { rows, dim, permOffset: offset, srcStart: s });
    }
    out.push({
      shape: `[${n},${dim}] → ${rows} rows, ${chunks.length} chunk(s)`,
      ...errors(await ty.read(), want),
      tol: 0,
    });
    for (const t of [ty, tp, ...chunks]) t.dispose();
  }
  return out;
}

/** Elementwise kernels. */
export const elementwiseKernels: KernelInfo[] = [
  {
    name: "relu_fwd",
    family: "elementwise",
    description: "y = max(x, 0)",
    spec: ELEMENTWISE,
    defines: { VEC4: true },
    entry: "relu_fwd",
    check: () => rows((a) => relu(a), (a) => reluRef(a)),
  },
  {
    name: "relu_bwd",
    family: "elementwise",
    description: "gx = gy · [y > 0]",
    spec: ELEMENTWISE,
    defines: { VEC4: true },
    entry: "relu_bwd",
    check: () => rows((g, y) => reluBackward(g, y), (g, y) => reluBwdRef(g, y)),
  },
  {
    name: "add_fwd",
    family: "elementwise",
    description: "y = a + b (residual add; backward is a copy of gy to both)",
    spec: ELEMENTWISE,
    defines: { VEC4: true },
    entry: "add_fwd",
    check: () => rows((a, b) => add(a, b), (a, b) => addRef(a, b)),
  },
  {
    name: "scale",
    family: "elementwise",
    description: "y = α·x (also its own backward)",
    spec: ELEMENTWISE,
    defines: { VEC4: true },
    entry: "scale",
    check: () => rows((a) => scale(a, -0.37), (a) => scaleRef(a, Math.fround(-0.37))),
  },
  {
    name: "gather_rows",
    family: "elementwise",
    description: "out[r] = src[perm[off + r] − start] for indices inside this source chunk",
    spec: GATHER_ROWS,
    entry: "gather_rows",
    check: gatherCheckRows,
  },
];
