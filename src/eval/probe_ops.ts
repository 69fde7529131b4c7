/**
 * The differentiable ops and the optimizer the probe trains with, behind one small adapter
 * (as src/nn/ops.ts does for the networks) so the probe does not depend on each kernel
 * family's option spelling.
 * @module
 */
import type { Tensor } from "../autodiff/tensor.ts";
import { linear } from "../../kernels/linear/mod.ts";
import { crossEntropy } from "../../kernels/loss/mod.ts";
import { Sgd } from "../../kernels/optim/mod.ts";

/** logits = x·Wᵀ + b (recorded on the tape). */
export function linearOp(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return linear(x, w, b);
}

/** Mean cross-entropy of logits [N, C] against u32 labels [N] (recorded). */
export function crossEntropyOp(logits: Tensor, labels: Tensor): Tensor {
  return crossEntropy(logits, labels);
}

/** What the probe needs from an optimizer. */
export interface ProbeOptimizer {
  /** Applies the accumulated gradients at learning rate `lr`. */
  step(lr: number): void;
  /** Frees the momentum buffers. */
  dispose(): void;
}

/** SGD with momentum and no weight decay over the classifier's parameters. */
export function makeProbeSgd(params: Tensor[], momentum: number): ProbeOptimizer {
  const sgd = new Sgd(params, { momentum, weightDecay: 0 });
  return { step: (lr) => sgd.step(lr), dispose: () => sgd.dispose() };
}
