/**
 * One optimisation step of each method, exactly as docs/method.md §5 orders it.
 *
 * SDCLR on views x1, x2:
 *   1. no grad: f2 = pruned(x2) (train-mode BN: updates the pruned set's running statistics);
 *   2. f1 = dense(x1); L1 = NT-Xent(f1, stop_grad(f2)); backward;
 *   3. f2' = pruned(x2); L2 = NT-Xent(stop_grad(f1), f2'); backward (grads add up; the mask
 *      passes gradient only to kept conv weights);
 *   4. one SGD step. The returned (logged) loss is L1.
 * SimCLR: f = model([x1; x2]) as one batch of 2B, one NT-Xent over the pairs, backward, step.
 *
 * Steps 1 and 3 are the same computation: train-mode BN normalises with the batch's own
 * statistics, and no weight changes before step 4, so f2 and f2' are equal. The step
 * therefore runs the pruned forward once, recorded for step 3's backward, with every BN layer
 * of the pruned set moving its running statistics twice (exactly what the two forwards do),
 * and uses a detached copy of it as step 1's f2. Same numbers, one forward fewer; the cost is
 * that both branches' activations are alive during step 2 (as in one SimCLR step of 2B).
 *
 * Each step runs inside `tidy`; nothing is read back (the loss stays on the GPU, see LossLog).
 * With `onSamples` (BCL's loss memory) the step also hands over the per-sample losses of the
 * logged loss (SDCLR: the dense branch's L1) while they are alive, from the same forward.
 * @module
 */
import { Tensor, tidy } from "../../core/tensor.ts";
import { backward } from "../../kernels/backward.ts";
import { zeroGrad } from "../../core/tensor.ts";
import { detach, sliceRows } from "../../kernels/elementwise/mod.ts";
import { ntXent, ntXentWithSamples } from "../../kernels/loss/mod.ts";
import { engine } from "../../core/engine.ts";
import type { ResNet } from "../nn/resnet.ts";

/** What the steps need from an optimizer: apply the accumulated gradients at a rate. */
export interface Optimizer {
  step(lr: number): void;
}

/** The pretraining methods. */
export type Method = "sdclr" | "simclr";

/** Receives a step's per-sample losses [B] (valid until the step returns). */
export type SamplesHook = (samples: Tensor) => void;

/** NT-Xent, handing its per-sample losses to `hook` when there is one. */
function lossOf(z1: Tensor, z2: Tensor, t: number, hook?: SamplesHook): Tensor {
  if (!hook) return ntXent(z1, z2, t);
  const { loss, samples } = ntXentWithSamples(z1, z2, t);
  hook(samples);
  return loss;
}

/** One step's inputs and rates. */
export interface StepOptions {
  /** First augmented views [B, 3, H, W]. */
  x1: Tensor;
  /** Second augmented views of the same images, in the same order. */
  x2: Tensor;
  /** Learning rate of this step. */
  lr: number;
  /** NT-Xent temperature. */
  temperature: number;
  /** BCL: receives the per-sample losses (SDCLR: of the dense branch's L1). */
  onSamples?: SamplesHook;
}

/** `trainStep`'s options: a step's inputs and the method that takes it. */
export interface TrainStepOptions extends StepOptions {
  method: Method;
}

/** One SDCLR step; returns L1 as a [1] tensor the caller owns. */
export function sdclrStep(model: ResNet, opt: Optimizer, o: StepOptions): Tensor {
  const { x1, x2, lr, temperature, onSamples } = o;
  return tidy(() => {
    zeroGrad(model.parameters());
    // Steps 1 and 3 in one forward (see above).
    const f2p = model.forward(x2, { branch: "pruned", training: true, runningUpdates: 2 });
    const f2 = detach(f2p);
    const f1 = model.forward(x1, { branch: "dense", training: true });
    const f1d = detach(f1); // backward releases f1; the pruned half needs its values
    const l1 = lossOf(f1, f2, temperature, onSamples);
    backward(l1);
    const l2 = ntXent(f1d, f2p, temperature);
    backward(l2);
    engine().inPhase("optimizer", () => opt.step(lr));
    return l1;
  });
}

/** Stacks two [B, ...] tensors into one [2B, ...] (input data; not recorded). */
export function concatBatch(a: Tensor, b: Tensor): Tensor {
  const out = Tensor.empty([a.shape[0] + b.shape[0], ...a.shape.slice(1)]);
  engine().copy(a.buffer, out.buffer, a.bytes);
  engine().copy(b.buffer, out.buffer, b.bytes, 0, a.bytes);
  return out;
}

/** Rows [0, b) and [b, 2b) of f [2b, d], differentiably (two row slices). */
export function splitRows(f: Tensor, b: number): [Tensor, Tensor] {
  const [r] = f.shape;
  if (r !== 2 * b) throw new Error(`splitRows: expected ${2 * b} rows, got [${f.shape}]`);
  return [sliceRows(f, 0, b), sliceRows(f, b, b)];
}

/** One SimCLR step on the concatenated batch; returns the loss as a [1] tensor. */
export function simclrStep(model: ResNet, opt: Optimizer, o: StepOptions): Tensor {
  const { x1, x2, lr, temperature, onSamples } = o;
  return tidy(() => {
    zeroGrad(model.parameters());
    const f = model.forward(concatBatch(x1, x2), { branch: "dense", training: true });
    const [z1, z2] = splitRows(f, x1.shape[0]);
    const loss = lossOf(z1, z2, temperature, onSamples);
    backward(loss);
    engine().inPhase("optimizer", () => opt.step(lr));
    return loss;
  });
}

/** Runs the step of `o.method`. */
export function trainStep(model: ResNet, opt: Optimizer, o: TrainStepOptions): Tensor {
  return (o.method === "sdclr" ? sdclrStep : simclrStep)(model, opt, o);
}

/**
 * Collects per-step losses on the GPU (a buffer copy per step, no readback) and reads them
 * all at once when asked, so logging every N steps costs one map instead of N.
 */
export class LossLog {
  #buf: Tensor;
  #n = 0;

  constructor(readonly capacity: number) {
    this.#buf = Tensor.zeros([capacity]).keep();
  }

  /** Number of losses waiting to be read. */
  get pending(): number {
    return this.#n;
  }

  /** Records a scalar loss tensor (copied; the caller may dispose it right after). */
  push(loss: Tensor): void {
    if (this.#n >= this.capacity) throw new Error("LossLog full: drain() first");
    engine().copy(loss.buffer, this.#buf.buffer, 4, 0, this.#n * 4);
    this.#n++;
  }

  /** Reads and clears the pending losses. */
  async drain(): Promise<number[]> {
    if (this.#n === 0) return [];
    const all = await this.#buf.read();
    const out = Array.from(all.subarray(0, this.#n));
    this.#n = 0;
    return out;
  }

  /** Frees the buffer. */
  dispose(): void {
    this.#buf.dispose();
  }
}
