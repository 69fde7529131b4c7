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
