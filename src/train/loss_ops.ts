/**
 * Loss-side helpers of the training steps: NT-Xent, and a differentiable split of the
 * SimCLR batch's projections [2B, d] into the two views' rows.
 * @module
 */
import { Tensor } from "../autodiff/tensor.ts";
import { reshape } from "../../kernels/elementwise/mod.ts";
import { conv2d } from "../../kernels/conv2d/mod.ts";
import { ntXent } from "../../kernels/loss/mod.ts";

/** NT-Xent of raw projections (normalised inside); see kernels/loss. */
export function ntXentOp(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  return ntXent(z1, z2, temperature);
}

const selectors = new Map<string, Tensor>();

/** [B, 2B, 1, 1] 0/1 weights picking rows [half·B, half·B + B) (cached, kept). */
function selector(b: number, half: 0 | 1): Tensor {
  const key = `${b}:${half}`;
  let s = selectors.get(key);
  if (!s) {
    const w = new Float32Array(b * 2 * b);
    for (let i = 0; i < b; i++) w[i * 2 * b + half * b + i] = 1;
    s = Tensor.from(w, [b, 2 * b, 1, 1]).keep();
    selectors.set(key, s);
  }
  return s;
}

/**
 * Rows [0, b) and [b, 2b) of f [2b, d], differentiably. There is no slice primitive, so the
 * split is a 1×1 convolution of f viewed as one image with 2b channels by a constant 0/1
 * selector: exact (products by 1 and sums with 0), and the gradient flows back to f.
 */
export function splitRows(f: Tensor, b: number): [Tensor, Tensor] {
  const [r, d] = f.shape;
  if (r !== 2 * b) throw new Error(`splitRows: expected ${2 * b} rows, got [${f.shape}]`);
  const img = reshape(f, [1, 2 * b, d, 1]);
  const half = (h: 0 | 1) => reshape(conv2d(img, selector(b, h)), [b, d]);
  return [half(0), half(1)];
}
