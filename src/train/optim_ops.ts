/**
 * The pretraining optimizer: the SGD kernel family's `Sgd` over the model's named
 * parameters, with its momentum buffers exchanged by parameter key for checkpoints.
 * @module
 */
import { Sgd } from "../../kernels/optim/mod.ts";
import { readAll, type Tensor } from "../../core/tensor.ts";
import type { TorchTensor } from "../io/torch_types.ts";
import { UserError } from "../../core/errors.ts";
import type { Optimizer } from "./steps.ts";

/** An optimizer whose state can be saved and restored by parameter key. */
export interface TrainOptimizer extends Optimizer {
  /** Momentum buffers by parameter key (read back from the GPU). */
  momentum(): Promise<Map<string, TorchTensor>>;
  /** Restores momentum buffers saved by `momentum()`; absent keys start fresh. */
  loadMomentum(m: Map<string, TorchTensor>): void;
  dispose(): void;
}

/** SGD (torch semantics) with momentum and weight decay on every parameter. */
export function makeSgd(
  named: [string, Tensor][],
  momentum: number,
  weightDecay: number,
): TrainOptimizer {
  const sgd = new Sgd(named.map(([, t]) => t), { momentum, weightDecay });
  return {
    step: (lr) => sgd.step(lr),
    async momentum() {
      const out = new Map<string, TorchTensor>();
      const bufs = sgd.momentumBuffers();
      const have = named.flatMap(([n], i) => bufs[i] ? [[n, bufs[i]!] as const] : []);
      const data = await readAll(have.map(([, b]) => b));
      have.forEach(([n, b], i) => {
        out.set(n, { dtype: "float32", shape: [...b.shape], data: data[i] });
      });
      return out;
    },
    loadMomentum(m) {
      for (const k of m.keys()) {
        if (!named.some(([n]) => n === k)) {
          throw new UserError(`checkpoint momentum for '${k}', which the model does not have`);
        }
      }
      sgd.loadMomentum(named.map(([k]) => {
        const t = m.get(k);
        return t
          ? (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array))
          : null;
      }));
    },
    dispose: () => sgd.dispose(),
  };
}
