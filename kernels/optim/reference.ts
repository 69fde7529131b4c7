/**
 * CPU (f64) reference of the SGD update (torch.optim.SGD, dampening 0, no Nesterov).
 * @module
 */

/** The state and hyper-parameters of one {@link sgdRef} step. */
export interface SgdRefOptions {
  /** Momentum buffer before the step (null: the parameter's first step). */
  buf: ArrayLike<number> | null;
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** One SGD step on f64 copies of parameter p and gradient g: the new parameter and buffer. */
export function sgdRef(
  p: ArrayLike<number>,
  g: ArrayLike<number>,
  o: SgdRefOptions,
): { p: Float64Array; buf: Float64Array | null } {
  const { buf, lr, momentum, weightDecay } = o;
  const np = Float64Array.from(p);
  const nb = momentum !== 0 ? new Float64Array(p.length) : null;
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + weightDecay * p[i];
    if (nb) {
      nb[i] = buf ? momentum * buf[i] + d : d;
      np[i] = p[i] - lr * nb[i];
    } else {
      np[i] = p[i] - lr * d;
    }
  }
  return { p: np, buf: nb };
}
