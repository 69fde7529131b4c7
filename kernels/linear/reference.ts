/**
 * CPU (f64) references of the linear family.
 * @module
 */

/** alpha · op(A)·op(B) (+ bias[n]) with op(A) [m, k], op(B) [k, n], as the GEMM kernel. */
export function matmulRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  opts: { transA?: boolean; transB?: boolean; alpha?: number; bias?: ArrayLike<number> } = {},
): Float64Array {
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

/** y = x·Wᵀ + b: x [n, inF], w [outF, inF]. */
export function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  n: number,
  inF: number,
  outF: number,
): Float64Array {
  return matmulRef(x, w, n, outF, inF, { transB: true, bias: b ?? undefined });
}

/** Gradients of linear for an output gradient gy [n, outF]: gx, gW, gb. */
export function linearBwdRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  gy: ArrayLike<number>,
  n: number,
  inF: number,
  outF: number,
): { gx: Float64Array; gw: Float64Array; gb: Float64Array } {
  const gx = matmulRef(gy, w, n, inF, outF);
  const gw = matmulRef(gy, x, outF, inF, n, { transA: true });
  const gb = new Float64Array(outF);
  for (let i = 0; i < n; i++) for (let j = 0; j < outF; j++) gb[j] += gy[i * outF + j];
  return { gx, gw, gb };
}
