/**
 * Loss-side helpers of the training steps: NT-Xent, and a differentiable split of the
 * SimCLR batch's projections [2B, d] into the two views' rows.
 * @module
 */
import type { Tensor } from "../autodiff/tensor.ts";
import { sliceRows } from "../../kernels/elementwise/mod.ts";
import { ntXent } from "../../kernels/loss/mod.ts";

/** NT-Xent of raw projections (normalised inside); see kernels/loss. */
export function ntXentOp(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  return ntXent(z1, z2, temperature);
}

/** Rows [0, b) and [b, 2b) of f [2b, d], differentiably (two row slices). */
export function splitRows(f: Tensor, b: number): [Tensor, Tensor] {
  const [r] = f.shape;
  if (r !== 2 * b) throw new Error(`splitRows: expected ${2 * b} rows, got [${f.shape}]`);
  return [sliceRows(f, 0, b), sliceRows(f, b, b)];
}
