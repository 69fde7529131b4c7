/**
 * CPU (f64) references of the conv2d family: forward, input gradient and weight gradient,
 * NCHW with weights [O, C, KH, KW], no bias, dilation 1, optional 0/1 mask on the weights.
 * Straight loops, written for clarity; the tests check them against finite differences.
 * @module
 */

/** Shapes and hyper-parameters of one convolution. */
export interface ConvShape {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  KH: number;
  KW: number;
  stride: number;
  padding: number;
}

/** Output rows and columns: ⌊(H + 2P − KH)/S⌋ + 1. */
export function outSize(s: ConvShape): { Ho: number; Wo: number } {
  return {
    Ho: Math.floor((s.H + 2 * s.padding - s.KH) / s.stride) + 1,
    Wo: Math.floor((s.W + 2 * s.padding - s.KW) / s.stride) + 1,
  };
}

function effective(w: ArrayLike<number>, mask?: ArrayLike<number> | null): Float64Array {
  return Float64Array.from(w, (v, i) => (mask ? v * mask[i] : v));
}

/** Visits every (output position, tap) pair whose input position lies inside the image. */
function forEachTap(
  s: ConvShape,
  fn: (xi: number, wi: number, yi: number) => void,
): void {
  const { Ho, Wo } = outSize(s);
  for (let n = 0; n < s.N; n++) {
    for (let o = 0; o < s.O; o++) {
      for (let a = 0; a < Ho; a++) {
        for (let b = 0; b < Wo; b++) {
          const yi = ((n * s.O + o) * Ho + a) * Wo + b;
          for (let c = 0; c < s.C; c++) {
            for (let kh = 0; kh < s.KH; kh++) {
              const ih = a * s.stride - s.padding + kh;
              if (ih < 0 || ih >= s.H) continue;
              for (let kw = 0; kw < s.KW; kw++) {
                const iw = b * s.stride - s.padding + kw;
                if (iw < 0 || iw >= s.W) continue;
                fn(
                  ((n * s.C + c) * s.H + ih) * s.W + iw,
                  ((o * s.C + c) * s.KH + kh) * s.KW + kw,
                  yi,
                );
              }
            }
          }
        }
      }
    }
  }
}

/** Optional parts of the conv2d references. */
export interface ConvRefOptions {
  /** 0/1 per weight (same shape as w): the pruned branch uses w ⊙ mask. None: plain w. */
  mask?: ArrayLike<number> | null;
}

/** y = conv2d(x, w ⊙ mask). */
export function conv2dRef(
  s: ConvShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  { mask }: ConvRefOptions = {},
): Float64Array {
  const { Ho, Wo } = outSize(s);
  const we = effective(w, mask);
  const y = new Float64Array(s.N * s.O * Ho * Wo);
  forEachTap(s, (xi, wi, yi) => (y[yi] += x[xi] * we[wi]));
  return y;
}

/** dL/dx given dL/dy (uses w ⊙ mask, like the forward). */
export function conv2dBackwardInputRef(
  s: ConvShape,
  gy: ArrayLike<number>,
  w: ArrayLike<number>,
  { mask }: ConvRefOptions = {},
): Float64Array {
  const we = effective(w, mask);
  const gx = new Float64Array(s.N * s.C * s.H * s.W);
  forEachTap(s, (xi, wi, yi) => (gx[xi] += gy[yi] * we[wi]));
  return gx;
}

/** dL/dw given dL/dy: mask ⊙ dL/d(w ⊙ mask) (spec §5: d(w⊙m)/dw = m). */
export function conv2dBackwardWeightRef(
  s: ConvShape,
  gy: ArrayLike<number>,
  x: ArrayLike<number>,
  { mask }: ConvRefOptions = {},
): Float64Array {
  const gw = new Float64Array(s.O * s.C * s.KH * s.KW);
  forEachTap(s, (xi, wi, yi) => (gw[wi] += gy[yi] * x[xi]));
  if (mask) { for (let i = 0; i < gw.length; i++) gw[i] *= mask[i]; }
  return gw;
}
