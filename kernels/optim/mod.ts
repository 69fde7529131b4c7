/**
 * SGD with momentum and weight decay (torch.optim.SGD semantics), updating parameters in
 * place on the GPU. The learning-rate schedule lives elsewhere: `step(lr)` takes this
 * iteration's value and writes it into a one-element storage buffer (never a uniform: those
 * are cached by content).
 * @module
 */
import { engine, Params } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { zeroGrad } from "../../core/tensor.ts";

const WGSL = new URL("./sgd.wgsl", import.meta.url);

/** Hyper-parameters of one Sgd (one parameter group). */
export interface SgdOptions {
  /** Momentum factor (default 0.9, as the spec). 0 disables the buffers. */
  momentum?: number;
  /** L2 weight decay added to the gradient (default 0). */
  weightDecay?: number;
}

/** Launcher: one in-place SGD update of a parameter (see sgd.wgsl). */
export function sgdUpdate(
  param: Tensor,
  grad: Tensor,
  lr: Tensor,
  buf: Tensor | null,
  opts: { momentum: number; weightDecay: number; first: boolean },
): void {
  if (grad.size !== param.size) {
    throw new Error(
      `sgdUpdate: gradient [${grad.shape}] does not match parameter [${param.shape}]`,
    );
  }
  const n = param.size;
  const vec = n % 4 === 0;
  const lanes = vec ? n / 4 : n;
  const e = engine();
  const entry = buf ? "sgd_momentum" : "sgd_plain";
  const k = e.kernel(WGSL, { VEC: vec }, entry);
  const params = new Params().u32(n).f32(opts.momentum, opts.weightDecay).u32(opts.first ? 1 : 0);
  const bufs = [lr.buffer, grad.buffer, param.buffer];
  if (buf) bufs.push(buf.buffer);
  e.dispatch(k, params, bufs, [Math.max(1, Math.min(Math.ceil(lanes / 256), 1024))]);
}

/**
 * SGD over a list of parameters: for each p with a gradient,
 * `d = g + wd·p; buf = momentum·buf + d` (buf = d on its first step); `p −= lr·buf`.
 * Parameters without a gradient are skipped (their buffer is untouched), as in PyTorch.
 */
export class Sgd {
  readonly params: readonly Tensor[];
  readonly momentum: number;
  readonly weightDecay: number;
  #bufs: (Tensor | null)[];
  #lr: Tensor;

  constructor(params: Tensor[], opts: SgdOptions = {}) {
    this.params = [...params];
    this.momentum = opts.momentum ?? 0.9;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.momentum >= 0) || !(this.weightDecay >= 0)) {
      throw new Error(
        `Sgd: momentum and weightDecay must be ≥ 0, got ${this.momentum}, ${this.weightDecay}`,
      );
    }
    this.#bufs = this.params.map(() => null);
    this.#lr = Tensor.zeros([1]).keep();
  }

  /** Records one update of every parameter that has a gradient, with learning rate lr. */
  step(lr: number): void {
    if (!Number.isFinite(lr)) throw new Error(`Sgd.step: learning rate must be finite, got ${lr}`);
    engine().write(this.#lr.buffer, Float32Array.of(lr));
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      let buf = this.#bufs[i];
      const first = this.momentum !== 0 && buf === null;
      if (first) buf = this.#bufs[i] = Tensor.empty(p.shape).keep();
      sgdUpdate(p, p.grad, this.#lr, this.momentum !== 0 ? buf : null, {
        momentum: this.momentum,
        weightDecay: this.weightDecay,
        first,
      });
    });
  }

  /** The momentum buffers in parameter order (null: not created yet); for checkpoints. */
  momentumBuffers(): (Tensor | null)[] {
    return [...this.#bufs];
  }

  /**
   * Restores momentum buffers (from a checkpoint), in parameter order: host arrays or tensors
   * are copied; null leaves that parameter without a buffer (its next step initialises it).
   */
  loadMomentum(bufs: readonly (Float32Array | Tensor | null)[]): void {
    if (bufs.length !== this.params.length) {
      throw new Error(
        `Sgd.loadMomentum: ${bufs.length} buffers for ${this.params.length} parameters`,
      );
    }
    bufs.forEach((src, i) => {
      const p = this.params[i];
      this.#bufs[i]?.dispose();
      this.#bufs[i] = null;
      if (src === null) return;
      const n = src instanceof Tensor ? src.size : src.length;
      if (n !== p.size) {
        throw new Error(
          `Sgd.loadMomentum: buffer ${i} has ${n} values, parameter ${p.name ?? i} has ${p.size}`,
        );
      }
      const t = Tensor.empty(p.shape).keep();
      if (src instanceof Tensor) engine().copy(src.buffer, t.buffer, p.bytes);
      else engine().write(t.buffer, src);
      this.#bufs[i] = t;
    });
  }

  /** Drops the parameters' gradients (the next backward starts from zero). */
  zeroGrad(): void {
    zeroGrad(this.params);
  }

  /** Releases the momentum buffers and the learning-rate buffer. */
  dispose(): void {
    for (const b of this.#bufs) b?.dispose();
    this.#bufs = this.params.map(() => null);
    this.#lr.dispose();
  }
}
