/**
 * SGD with momentum and weight decay (torch.optim.SGD semantics), updating parameters in
 * place on the GPU. The learning-rate schedule lives elsewhere: `step(lr)` takes this
 * iteration's value and writes it into a one-element storage buffer (never a uniform: those
 * are cached by content).
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import { Tensor } from "../../core/tensor.ts";
import { zeroGrad } from "../../core/tensor.ts";

/**
 * The update kernels (entries sgd_momentum, sgd_plain; the plain one has no `buf`). VecF
 * (kernels/shared/vec_lanes.wgsl) is vec4<f32> where the define VEC holds, else f32.
 */
export const SGD = defineKernel({
  name: "sgd",
  file: new URL("./sgd.wgsl", import.meta.url),
  params: { n: "u32", momentum: "f32", wd: "f32", first: "u32" },
  bindings: {
    lr: { access: "read", type: "f32" },
    grad: { access: "read", type: "VecF" },
    param: { access: "read_write", type: "VecF" },
    buf: { access: "read_write", type: "VecF" },
  },
});

/** Hyper-parameters of one Sgd (one parameter group). */
export interface SgdOptions {
  /** Momentum factor (default 0.9, as the spec). 0 disables the buffers. */
  momentum?: number;
  /** L2 weight decay added to the gradient (default 0). */
  weightDecay?: number;
}

/** What one {@link sgdUpdate} of a parameter uses besides the parameter. */
export interface SgdUpdateOptions {
  /** The parameter's gradient (same size). */
  grad: Tensor;
  /** One-element learning-rate buffer (this iteration's value). */
  lr: Tensor;
  /** Momentum buffer, or null for plain SGD (momentum 0). */
  buf: Tensor | null;
  momentum: number;
  weightDecay: number;
  /** The buffer's first step: buf = d instead of momentum·buf + d. */
  first: boolean;
}

/** Launcher: one in-place SGD update of a parameter (see sgd.wgsl). */
export function sgdUpdate(param: Tensor, opts: SgdUpdateOptions): void {
  const { grad, lr, buf } = opts;
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
  const bindings: Record<string, GPUBuffer> = {
    lr: lr.buffer,
    grad: grad.buffer,
    param: param.buffer,
  };
  if (buf) bindings.buf = buf.buffer;
  e.run(e.compile(SGD, { VEC: vec }, entry), {
    params: { n, momentum: opts.momentum, wd: opts.weightDecay, first: opts.first ? 1 : 0 },
    bindings,
    groups: [Math.max(1, Math.min(Math.ceil(lanes / 256), 1024))],
    // Reads grad, param (and buf), writes param (and buf).
    cost: { bytes: (buf ? 5 : 3) * 4 * n },
  });
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
      sgdUpdate(p, {
        grad: p.grad,
        lr: this.#lr,
        buf: this.momentum !== 0 ? buf : null,
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
