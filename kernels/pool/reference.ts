/**
 * CPU (f64) references of the pooling kernels, with PyTorch semantics.
 * @module
 */

/** Global average pool of [planes, HW] data: one mean per plane. */
export function globalAvgPoolRef(x: ArrayLike<number>, planes: number, HW: number): Float64Array {
  const y = new Float64Array(planes);
  for (let p = 0; p < planes; p++) {
    let s = 0;
    for (let i = 0; i < HW; i++) s += x[p * HW + i];
    y[p] = s / HW;
  }
  return y;
}

/** Backward of globalAvgPoolRef: gy[p] / HW spread over the plane. */
export function globalAvgPoolBwdRef(gy: ArrayLike<number>, HW: number): Float64Array {
  return Float64Array.from({ length: gy.length * HW }, (_, i) => gy[Math.floor(i / HW)] / HW);
}

/** Max pool geometry for the reference. */
export interface MaxPoolRefGeom {
  planes: number;
  H: number;
  W: number;
  k: number;
  s: number;
  pad: number;
}

/** Output size of a max pool (floor mode). */
export function maxPoolOut(g: MaxPoolRefGeom): [number, number] {
  return [
    Math.floor((g.H + 2 * g.pad - g.k) / g.s) + 1,
    Math.floor((g.W + 2 * g.pad - g.k) / g.s) + 1,
  ];
}

/**
 * Max pool forward: values and argmax plane indices (h·W + w); the scan is row-major from
 * −∞ with `v > best || isNaN(v)`, so ties go to the first maximum, as in PyTorch.
 */
export function maxPoolRef(
  x: ArrayLike<number>,
  g: MaxPoolRefGeom,
): { y: Float64Array; indices: Uint32Array } {
  const [Ho, Wo] = maxPoolOut(g);
  const y = new Float64Array(g.planes * Ho * Wo);
  const indices = new Uint32Array(y.length);
  for (let p = 0; p < g.planes; p++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        const h0 = oh * g.s - g.pad, w0 = ow * g.s - g.pad;
        const hs = Math.max(h0, 0), ws = Math.max(w0, 0);
        const he = Math.min(h0 + g.k, g.H), we = Math.min(w0 + g.k, g.W);
        let best = -Infinity, arg = hs * g.W + ws;
        for (let h = hs; h < he; h++) {
          for (let w = ws; w < we; w++) {
            const v = x[p * g.H * g.W + h * g.W + w];
            if (v > best || Number.isNaN(v)) {
              best = v;
              arg = h * g.W + w;
            }
          }
        }
        const o = (p * Ho + oh) * Wo + ow;
        y[o] = best;
        indices[o] = arg;
      }
    }
  }
  return { y, indices };
}

/** Max pool backward: each gy goes to its window's argmax (summed where windows overlap). */
export function maxPoolBwdRef(
  gy: ArrayLike<number>,
  indices: ArrayLike<number>,
  g: MaxPoolRefGeom,
): Float64Array {
  const [Ho, Wo] = maxPoolOut(g);
  const HW = g.H * g.W;
  const gx = new Float64Array(g.planes * HW);
  for (let p = 0; p < g.planes; p++) {
    for (let o = 0; o < Ho * Wo; o++) gx[p * HW + indices[p * Ho * Wo + o]] += gy[p * Ho * Wo + o];
  }
  return gx;
}
