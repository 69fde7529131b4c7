/**
 * CPU (f64) references of the BCL family: the loss-memory update and the boosting weights,
 * exactly as docs/method.md §10 writes them (std unbiased, as torch.std).
 * @module
 */

/** The memory after one batch: items[i] ← ℓ_i (first epoch) or β·m + (1 − β)·ℓ_i. */
export function memoryUpdateRef(
  memory: ArrayLike<number>,
  o: { samples: ArrayLike<number>; items: ArrayLike<number>; beta: number; first: boolean },
): Float64Array {
  const m = Float64Array.from(memory);
  for (let i = 0; i < o.samples.length; i++) {
    const k = o.items[i];
    m[k] = o.first ? o.samples[i] : o.beta * m[k] + (1 - o.beta) * o.samples[i];
  }
  return m;
}

/** w_i = z_i / max|z| / 2 + 1/2 with z the memory's z-scores; all 0 without spread. */
export function boostWeightsRef(memory: ArrayLike<number>): Float64Array {
  const n = memory.length;
  const out = new Float64Array(n);
  if (n < 2) return out;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += memory[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (memory[i] - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  if (!(sd > 0)) return out;
  let zmax = 0;
  for (let i = 0; i < n; i++) zmax = Math.max(zmax, Math.abs((memory[i] - mean) / sd));
  for (let i = 0; i < n; i++) out[i] = (memory[i] - mean) / sd / zmax / 2 + 0.5;
  return out;
}

/** The weight distribution the logs show: mean, max and the fraction above 1/2. */
export function weightStats(w: ArrayLike<number>): { mean: number; max: number; above: number } {
  let sum = 0, max = 0, above = 0;
  for (let i = 0; i < w.length; i++) {
    sum += w[i];
    max = Math.max(max, w[i]);
    if (w[i] > 0.5) above++;
  }
  const n = Math.max(w.length, 1);
  return { mean: sum / n, max, above: above / n };
}
