/**
 * Benchmark of the SGD update as GB/s (per element: read p, g, buf; write p, buf) over
 * ResNet-18-sized parameters (11.2 M values in a few tensors). TF.js: tf.train.momentum
 * (same update without weight decay) on variables of the same sizes.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import { Tensor } from "../../core/tensor.ts";
import { randn } from "../../core/testing.ts";
import { Sgd } from "./mod.ts";

/** Conv-weight-like sizes summing to ResNet-18's 11.2 M parameters. */
const SIZES = [2359296, 2359296, 2359296, 2359296, 1179648, 589824];

function sgdCase(): BenchCase {
  const total = SIZES.reduce((a, b) => a + b, 0);
  return {
    kernel: "sgd_momentum",
    shape: `${SIZES.length} tensors, ${(total / 1e6).toFixed(1)} M values`,
    bytes: 5 * total * 4,
    ours() {
      const params = SIZES.map((n, i) => {
        const p = Tensor.from(randn(n, i), [n], { requiresGrad: true });
        p.grad = Tensor.from(randn(n, 100 + i), [n]).keep();
        return p;
      });
      const sgd = new Sgd(params, { momentum: 0.9, weightDecay: 1e-4 });
      sgd.step(0.1); // buffers exist from here on, as in training
      let lr = 0.1;
      return {
        run: () => sgd.step(lr *= 0.999),
        dispose() {
          sgd.dispose();
          for (const p of params) p.dispose();
        },
      };
    },
    tfjs(tf) {
      const vars = SIZES.map((n, i) => tf.variable(tf.randomNormal([n]), true, `sgd_bench_${i}`));
      const grads = SIZES.map((n) => tf.randomNormal([n]));
      const opt = tf.train.momentum(0.1, 0.9);
      const named = vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
      return {
        run: () => opt.applyGradients(named),
        dispose() {
          opt.dispose();
          tf.dispose([...vars, ...grads]);
        },
      };
    },
  };
}

/** Optim-family bench cases. */
export const optimBench: BenchCase[] = [sgdCase()];
