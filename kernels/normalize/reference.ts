/**
 * CPU (f64) references of the normalisation kernels, with PyTorch semantics.
 * @module
 */

/** Layout and constants of the per-channel normalisation reference. */
export interface NormalizeChannelsRefOptions {
  /** Channels. */
  C: number;
  /** Values per channel plane (H·W). */
  HW: number;
  /** Per-channel mean. */
  mean: readonly number[];
  /** Per-channel standard deviation. */
  std: readonly number[];
}

/** (x − mean[c]) / std[c] over [N, C, HW] data. */
export function normalizeChannelsRef(
  x: ArrayLike<number>,
  o: NormalizeChannelsRefOptions,
): Float64Array {
  const { C, HW, mean, std } = o;
  return Float64Array.from(x, (v, i) => {
    const c = Math.floor(i / HW) % C;
    return (v - mean[c]) / std[c];
  });
}

/** gy / std[c] over [N, C, HW] data (the mean does not matter). */
export function normalizeChannelsBwdRef(
  gy: ArrayLike<number>,
  o: Omit<NormalizeChannelsRefOptions, "mean">,
): Float64Array {
  const { C, HW, std } = o;
  return Float64Array.from(gy, (g, i) => g / std[Math.floor(i / HW) % C]);
}

/** Shape and ε of the L2-normalisation references. */
export interface L2NormalizeRefOptions {
  /** Rows. */
  N: number;
  /** Values per row. */
  d: number;
  /** Floor of the norm (default 1e-12, as F.normalize). */
  eps?: number;
}

/** F.normalize(z, p=2, dim=1, eps): z / max(‖z‖, eps) per row of [N, d]. */
export function l2NormalizeRef(
  z: ArrayLike<number>,
  o: L2NormalizeRefOptions,
): { u: Float64Array; norm: Float64Array } {
  const { N, d, eps = 1e-12 } = o;
  const u = new Float64Array(N * d), norm = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += z[n * d + j] ** 2;
    norm[n] = Math.sqrt(s);
    const D = Math.max(norm[n], eps);
    for (let j = 0; j < d; j++) u[n * d + j] = z[n * d + j] / D;
  }
  return { u, norm };
}

/**
 * Backward of l2NormalizeRef: gz = gu/D − [r ≥ eps]·z·(gu·z)/(D²·r), D = max(r, eps)
 * (autograd through clamp_min, whose mask is r ≥ eps).
 */
export function l2NormalizeBwdRef(
  gu: ArrayLike<number>,
  z: ArrayLike<number>,
  o: L2NormalizeRefOptions,
): Float64Array {
  const { N, d, eps = 1e-12 } = o;
  const gz = new Float64Array(N * d);
  for (let n = 0; n < N; n++) {
    let s = 0, dot = 0;
    for (let j = 0; j < d; j++) {
      s += z[n * d + j] ** 2;
      dot += gu[n * d + j] * z[n * d + j];
    }
    const r = Math.sqrt(s), D = Math.max(r, eps);
    const k = r >= eps ? dot / (D * D * r) : 0;
    for (let j = 0; j < d; j++) gz[n * d + j] = gu[n * d + j] / D - z[n * d + j] * k;
  }
  return gz;
}
