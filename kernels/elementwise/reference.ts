/**
 * CPU (f64) references of the elementwise kernels.
 * @module
 */

/** max(x, 0) */
export function reluRef(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => Math.max(v, 0));
}

/** gy · [y > 0] */
export function reluBwdRef(gy: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  return Float64Array.from(gy, (g, i) => (y[i] > 0 ? g : 0));
}

/** a + b */
export function addRef(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]);
}

/** alpha · a */
export function scaleRef(a: ArrayLike<number>, alpha: number): Float64Array {
  return Float64Array.from(a, (v) => alpha * v);
}

/** Sizes and offsets of `gatherRowsRef` (as `gatherRowsInto` takes them). */
export interface GatherRowsRefOptions {
  /** Rows of `out`. */
  rows: number;
  /** Values per row. */
  dim: number;
  /** Where in `perm` row 0's index is (default 0). */
  permOffset?: number;
  /** Global index of src's first row (default 0). */
  srcStart?: number;
}

/**
 * Rows perm[permOffset + r] − srcStart of src ([srcRows, dim]) into a copy of `out`
 * ([rows, dim]); rows whose index is outside src stay as they were in `out`.
 */
export function gatherRowsRef(
  out: ArrayLike<number>,
  src: ArrayLike<number>,
  perm: ArrayLike<number>,
  o: GatherRowsRefOptions,
): Float64Array {
  const { rows, dim, permOffset = 0, srcStart = 0 } = o;
  const y = Float64Array.from(out);
  const srcRows = src.length / dim;
  for (let r = 0; r < rows; r++) {
    const g = perm[permOffset + r] - srcStart;
    if (g < 0 || g >= srcRows) continue;
    for (let f = 0; f < dim; f++) y[r * dim + f] = src[g * dim + f];
  }
  return y;
}
