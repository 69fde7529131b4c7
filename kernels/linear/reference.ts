/**
 * CPU (f64) references of the linear family.
 * @module
 */

/** Shape and options of {@link matmulRef}: op(A) is [m, k], op(B) [k, n]. */
export interface MatmulRefOptions {
  m: number;
  n: number;
  k: number;
  /** a is stored [k, m]. */
  transA?: boolean;
  /** b is stored [n, k]. */
  transB?: boolean;
  alpha?: number;
  bias?: ArrayLike<number>;
}

/** alpha · op(A)·op(B) (+ bias[n]), dense operands, as the GEMM kernel. */
export function matmulRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: MatmulRefOptions,
): Float64Array {
  const { m, n, k } = opts;
  const out = new Float64Array(m * n);
  const alpha = opts.alpha ?? 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) {
        const av = opts.transA ? a[q * m + i] : a[i * k + q];
        const bv = opts.transB ? b[j * k + q] : b[q * n + j];
        s += av * bv;
      }
      out[i * n + j] = alpha * s + (opts.bias ? opts.bias[j] : 0);
    }
  }
  return out;
}

/** Sizes of a linear layer: x [n, inF], w [outF, inF]. */
export interface LinearDims {
  n: number;
  inF: number;
  outF: number;
}

/** y = x·Wᵀ + b (no bias when `o.bias` is absent or null). */
export function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  o: LinearDims & { bias?: ArrayLike<number> | null },
): Float64Array {
  const { n, inF, outF } = o;
  return matmulRef(x, w, { m: n, n: outF, k: inF, transB: true, bias: o.bias ?? undefined });
}

/** Gradients of linear for an output gradient gy [n, outF] at input x and weights w. */
export function linearBwdRef(
  gy: ArrayLike<number>,
  o: LinearDims & { x: ArrayLike<number>; w: ArrayLike<number> },
): { gx: Float64Array; gw: Float64Array; gb: Float64Array } {
  const { x, w, n, inF, outF } = o;
  const gx = matmulRef(gy, w, { m: n, n: inF, k: outF });
  const gw = matmulRef(gy, x, { m: outF, n: inF, k: n, transA: true });
  const gb = new Float64Array(outF);
  for (let i = 0; i < n; i++) for (let j = 0; j < outF; j++) gb[j] += gy[i * outF + j];
  return { gx, gw, gb };
}
