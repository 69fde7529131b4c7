/**
 * CPU (f64) references of the loss family: NT-Xent (value and analytic gradient to both
 * views) and softmax cross-entropy. Checked against finite differences in the tests.
 * @module
 */

function normalizeRows(z: ArrayLike<number>, o: { rows: number; d: number; eps: number }) {
  const { rows, d, eps } = o;
  const u = new Float64Array(rows * d);
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += z[i * d + j] ** 2;
    norms[i] = Math.sqrt(ss);
    const den = Math.max(norms[i], eps);
    for (let j = 0; j < d; j++) u[i * d + j] = z[i * d + j] / den;
  }
  return { u, norms };
}

/** Shape and constants of {@link ntXentRef}. */
export interface NtXentRefOptions {
  /** Batch B: z1, z2 are [B, d]. */
  b: number;
  d: number;
  /** Temperature. */
  t: number;
  /** Norm clamp of F.normalize (default 1e-12). */
  eps?: number;
}

/**
 * NT-Xent of z1, z2 [b, d] at temperature t (spec §4, u = z/max(‖z‖, eps)): the mean loss
 * over the 2b rows, ∂loss/∂z1, ∂loss/∂z2, and the per-sample losses (image i's two rows
 * averaged, BCL's ℓ_i). With one view under stop_grad the other view's gradient is the same
 * partial derivative, so the one-sided forms use g1 or g2.
 */
export function ntXentRef(
  z1: ArrayLike<number>,
  z2: ArrayLike<number>,
  o: NtXentRefOptions,
): { loss: number; g1: Float64Array; g2: Float64Array; samples: Float64Array } {
  const { b, d, t, eps = 1e-12 } = o;
  const r = 2 * b;
  const z = new Float64Array(r * d);
  for (let i = 0; i < b * d; i++) {
    z[i] = z1[i];
    z[b * d + i] = z2[i];
  }
  const { u, norms } = normalizeRows(z, { rows: r, d, eps });
  const s = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < r; k++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += u[i * d + j] * u[k * d + j];
      s[i * r + k] = dot / t;
    }
  }
  // G = ∂loss/∂S
  const g = new Float64Array(r * r);
  const rows = new Float64Array(r);
  let loss = 0;
  for (let i = 0; i < r; i++) {
    const pos = (i + b) % r;
    let mx = -Infinity;
    for (let k = 0; k < r; k++) if (k !== i) mx = Math.max(mx, s[i * r + k]);
    let se = 0;
    for (let k = 0; k < r; k++) if (k !== i) se += Math.exp(s[i * r + k] - mx);
    const lse = mx + Math.log(se);
    rows[i] = lse - s[i * r + pos];
    loss += rows[i];
    for (let k = 0; k < r; k++) {
      if (k === i) continue;
      g[i * r + k] = (Math.exp(s[i * r + k] - lse) - (k === pos ? 1 : 0)) / r;
    }
  }
  loss /= r;
  // ∂loss/∂U = (G + Gᵀ)·U / t, then through the normalisation.
  const gz = new Float64Array(r * d);
  for (let i = 0; i < r; i++) {
    const du = new Float64Array(d);
    for (let k = 0; k < r; k++) {
      const h = (g[i * r + k] + g[k * r + i]) / t;
      if (h === 0) continue;
      for (let j = 0; j < d; j++) du[j] += h * u[k * d + j];
    }
    if (norms[i] >= eps) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += u[i * d + j] * du[j];
      for (let j = 0; j < d; j++) gz[i * d + j] = (du[j] - u[i * d + j] * dot) / norms[i];
    } else {
      for (let j = 0; j < d; j++) gz[i * d + j] = du[j] / eps;
    }
  }
  const samples = Float64Array.from({ length: b }, (_, i) => (rows[i] + rows[i + b]) / 2);
  return { loss, g1: gz.slice(0, b * d), g2: gz.slice(b * d), samples };
}

/** Mean softmax cross-entropy of logits [n, c] and its gradient (as F.cross_entropy). */
export function crossEntropyRef(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  o: { n: number; c: number },
): { loss: number; grad: Float64Array } {
  const { n, c } = o;
  const grad = new Float64Array(n * c);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, logits[i * c + j]);
    let se = 0;
    for (let j = 0; j < c; j++) se += Math.exp(logits[i * c + j] - mx);
    const lse = mx + Math.log(se);
    loss += lse - logits[i * c + labels[i]];
    for (let j = 0; j < c; j++) {
      grad[i * c + j] = (Math.exp(logits[i * c + j] - lse) - (j === labels[i] ? 1 : 0)) / n;
    }
  }
  return { loss: loss / n, grad };
}

/** Argmax-correct counts per class (first maximum wins, as torch.argmax). */
export function accuracyRef(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  o: { n: number; c: number },
): { perClassCorrect: number[]; perClassTotal: number[] } {
  const { n, c } = o;
  const perClassCorrect = new Array(c).fill(0), perClassTotal = new Array(c).fill(0);
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let j = 1; j < c; j++) if (logits[i * c + j] > logits[i * c + arg]) arg = j;
    perClassTotal[labels[i]]++;
    if (arg === labels[i]) perClassCorrect[labels[i]]++;
  }
  return { perClassCorrect, perClassTotal };
}

/** Row-wise argmax of [n, c] (first maximum, as torch.argmax; NaN never wins over a number). */
export function argmaxRowsRef(x: ArrayLike<number>, n: number, c: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let j = 1; j < c; j++) {
      const v = x[i * c + j], best = x[i * c + arg];
      if (v > best || (Number.isNaN(best) && !Number.isNaN(v))) arg = j;
    }
    out[i] = arg;
  }
  return out;
}
