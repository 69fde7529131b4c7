/**
 * Global magnitude pruning exactly as the authors' Mask.magnitudePruning does it (docs/method.md §5),
 * on read-back weights: all conv |w| form one vector of N values; with k = min(ceil(p·N), N−1)
 * the threshold θ is the k-th smallest |w| (0-based, i.e. sorted[k]); a weight is kept when
 * |w| ≥ θ, so ties at θ stay. Selection instead of a full sort: O(N) per epoch.
 * @module
 */

/** Result of one pruning pass. */
export interface PruneResult {
  /** One 0/1 mask per weight array, same order and length. */
  masks: Uint8Array[];
  /** θ (a float32 value: |w| of one of the weights). */
  threshold: number;
  /** Index k into the ascending |w| vector. */
  k: number;
  /** Total number of weights N. */
  total: number;
  /** Fraction of weights masked out. */
  sparsity: number;
}

/** k-th smallest value (0-based) of `a` by in-place selection (Hoare partition, median of 3). */
export function selectKth(a: Float32Array, k: number): number {
  if (k < 0 || k >= a.length) throw new Error(`selectKth: k=${k} outside [0, ${a.length})`);
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot keeps sorted or constant inputs linear.
    let x = a[lo], y = a[mid], z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Index k of the threshold for N weights at prune fraction p. */
export function thresholdIndex(p: number, n: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`prune fraction must be in [0, 1], got ${p}`);
  return Math.min(Math.ceil(p * n), n - 1);
}

/** Computes θ and the masks for `weights` (conv weight arrays) at prune fraction `p`. */
export function magnitudeMasks(weights: readonly Float32Array[], p: number): PruneResult {
  let n = 0;
  for (const w of weights) n += w.length;
  if (n === 0) throw new Error("magnitudeMasks: no weights to prune");
  const abs = new Float32Array(n);
  let o = 0;
  for (const w of weights) {
    for (let i = 0; i < w.length; i++) abs[o + i] = Math.abs(w[i]);
    o += w.length;
  }
  const k = thresholdIndex(p, n);
  const threshold = selectKth(abs, k);
  let pruned = 0;
  const masks = weights.map((w) => {
    const m = new Uint8Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const keep = Math.abs(w[i]) >= threshold ? 1 : 0;
      m[i] = keep;
      pruned += 1 - keep;
    }
    return m;
  });
  return { masks, threshold, k, total: n, sparsity: pruned / n };
}
