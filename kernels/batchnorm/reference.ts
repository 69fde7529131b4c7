/**
 * CPU (f64) reference of batch norm, forward and backward, with PyTorch semantics.
 * x is [N, C, ...spatial] flattened row-major; HW = product of the spatial dims (1 for 1d).
 * @module
 */

/** Shape split of a BN input. */
export interface BnRefShape {
  N: number;
  C: number;
  HW: number;
}

/** Result of the reference forward. */
export interface BnRefForward {
  y: Float64Array;
  /** Mean used for normalising (batch or running). */
  mean: Float64Array;
  /** 1/sqrt(var + eps) used for normalising. */
  invstd: Float64Array;
  /** Running statistics after the call (unchanged in eval). */
  runningMean: Float64Array;
  runningVar: Float64Array;
}

function at(s: BnRefShape, n: number, c: number, i: number): number {
  return (n * s.C + c) * s.HW + i;
}

/** Parameters, running statistics and mode of the reference forward. */
export interface BnRefOptions {
  /** γ, per channel. */
  weight: ArrayLike<number>;
  /** β, per channel. */
  bias: ArrayLike<number>;
  /** Running statistics before the call (copied, never changed in place). */
  runningMean: ArrayLike<number>;
  runningVar: ArrayLike<number>;
  /** Batch statistics and a running update (true), or the running statistics (false). */
  training: boolean;
  /** Running-average momentum (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Fused ReLU after the affine transform. */
  relu?: boolean;
}

/** Forward; training uses the biased batch variance and updates the running statistics. */
export function batchNormRef(
  x: ArrayLike<number>,
  s: BnRefShape,
  o: BnRefOptions,
): BnRefForward {
  const { weight, bias, runningMean, runningVar } = o;
  const m = o.momentum ?? 0.1, eps = o.eps ?? 1e-5;
  const M = s.N * s.HW;
  const mean = new Float64Array(s.C), invstd = new Float64Array(s.C);
  const rm = Float64Array.from(runningMean), rv = Float64Array.from(runningVar);
  const y = new Float64Array(x.length);
  for (let c = 0; c < s.C; c++) {
    let mu = rm[c], v = rv[c];
    if (o.training) {
      let sum = 0;
      for (let n = 0; n < s.N; n++) for (let i = 0; i < s.HW; i++) sum += x[at(s, n, c, i)];
      mu = sum / M;
      let ss = 0;
      for (let n = 0; n < s.N; n++) {
        for (let i = 0; i < s.HW; i++) ss += (x[at(s, n, c, i)] - mu) ** 2;
      }
      v = ss / M;
      rm[c] = (1 - m) * rm[c] + m * mu;
      rv[c] = (1 - m) * rv[c] + m * ss / (M - 1);
    }
    mean[c] = mu;
    invstd[c] = 1 / Math.sqrt(v + eps);
    for (let n = 0; n < s.N; n++) {
      for (let i = 0; i < s.HW; i++) {
        const k = at(s, n, c, i);
        const z = (x[k] - mu) * invstd[c] * weight[c] + bias[c];
        y[k] = o.relu ? Math.max(z, 0) : z;
      }
    }
  }
  return { y, mean, invstd, runningMean: rm, runningVar: rv };
}

/** What the reference backward needs besides gy and x. */
export interface BnBwdRefOptions {
  /** γ, per channel. */
  weight: ArrayLike<number>;
  /** The reference forward's result for the same x. */
  fwd: BnRefForward;
  /** The forward's mode. */
  training: boolean;
  /** Whether the forward fused a ReLU. */
  relu?: boolean;
}

/**
 * Backward given the forward's result: gx, gγ, gβ. Training: the statistics depend on x;
 * eval: they are constants. With relu the gradient is masked by [y > 0].
 */
export function batchNormBwdRef(
  gy: ArrayLike<number>,
  x: ArrayLike<number>,
  s: BnRefShape,
  o: BnBwdRefOptions,
): { gx: Float64Array; gw: Float64Array; gb: Float64Array } {
  const { weight, fwd } = o;
  const M = s.N * s.HW;
  const gx = new Float64Array(x.length);
  const gw = new Float64Array(s.C), gb = new Float64Array(s.C);
  const g = Float64Array.from(gy, (v, k) => (o.relu && !(fwd.y[k] > 0) ? 0 : v));
  for (let c = 0; c < s.C; c++) {
    const mu = fwd.mean[c], is = fwd.invstd[c];
    for (let n = 0; n < s.N; n++) {
      for (let i = 0; i < s.HW; i++) {
        const k = at(s, n, c, i);
        gb[c] += g[k];
        gw[c] += g[k] * (x[k] - mu) * is;
      }
    }
    for (let n = 0; n < s.N; n++) {
      for (let i = 0; i < s.HW; i++) {
        const k = at(s, n, c, i);
        const xh = (x[k] - mu) * is;
        gx[k] = o.training
          ? weight[c] * is * (g[k] - gb[c] / M - xh * gw[c] / M)
          : weight[c] * is * g[k];
      }
    }
  }
  return { gx, gw, gb };
}
