/**
 * Benchmarks of the batch norm family: training-mode forward + backward at the ResNet-18
 * CIFAR shapes, batch 64, reported as GB/s of necessary traffic (read x, write y; read gy and
 * x, write gx: 5 tensors of N·C·H·W floats; the kernels read some of them twice).
 * TF.js: tf.moments + tf.batchNorm (NHWC, its native layout) forward; the backward is the
 * same formula in TF.js ops, because tf.grads cannot run here: tfjs-core's bundles register no
 * gradients and its register_all_gradients module uses extensionless ESM imports that Deno
 * cannot resolve.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
import { Tensor } from "../../core/tensor.ts";
import { randn } from "../../core/testing.ts";
import { batchNormBackward, batchNormForward } from "./launch.ts";
import { createBatchNorm } from "./mod.ts";

const SHAPES: [number, number, number][] = [[64, 32, 32], [128, 16, 16], [256, 8, 8], [512, 4, 4]];
const N = 64;

function bnCase(C: number, H: number, W: number, relu: boolean): BenchCase {
  const shape = [N, C, H, W];
  const n = N * C * H * W;
  return {
    kernel: relu ? "batchnorm_relu_fwd_bwd" : "batchnorm_fwd_bwd",
    shape: `N${N} C${C} ${H}×${W} train${relu ? " +ReLU" : ""}`,
    bytes: 5 * n * 4,
    ours() {
      const x = Tensor.from(randn(n, 1), shape), gy = Tensor.from(randn(n, 2), shape);
      const bn = createBatchNorm(C);
      const needs = { x: true, weight: true, bias: true };
      return {
        run() {
          const { y, stats, geom } = batchNormForward(x, bn, { training: true, relu });
          const gs = batchNormBackward({
            gy,
            x,
            weight: bn.weight,
            stats,
            y,
            geom,
            training: true,
            relu,
            needs,
          });
          for (const t of [y, stats, ...gs]) t?.dispose();
        },
        dispose() {
          for (const t of [x, gy, bn.weight, bn.bias, bn.runningMean, bn.runningVar]) t.dispose();
        },
      };
    },
    tfjs: relu ? undefined : (tf: typeof TF) => {
      const x = tf.randomNormal([N, H, W, C]) as TF.Tensor4D;
      const dy = tf.randomNormal([N, H, W, C]) as TF.Tensor4D;
      const gamma = tf.ones([C]) as TF.Tensor1D, beta = tf.zeros([C]) as TF.Tensor1D;
      const axes = [0, 1, 2];
      const step = () => {
        const { mean, variance } = tf.moments(x, axes);
        const y = tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
        const invstd = tf.rsqrt(tf.add(variance, 1e-5));
        const xhat = tf.mul(tf.sub(x, mean), invstd);
        const gb = tf.sum(dy, axes);
        const gw = tf.sum(tf.mul(dy, xhat), axes);
        const M = N * H * W;
        const centred = tf.sub(tf.sub(dy, tf.div(gb, M)), tf.mul(xhat, tf.div(gw, M)));
        return [y, tf.mul(tf.mul(gamma, invstd), centred), gw, gb];
      };
      let last: TF.Tensor[] = [];
      return {
        run() {
          tf.dispose(last);
          last = tf.tidy(step);
          return last;
        },
        dispose() {
          tf.dispose([...last, x, dy, gamma, beta]);
          last = [];
        },
      };
    },
  };
}

/** Batch norm bench cases (ResNet-18 CIFAR shapes at batch 64, plus BN+ReLU at the first). */
export const batchnormBench: BenchCase[] = [
  ...SHAPES.map(([C, H, W]) => bnCase(C, H, W, false)),
  bnCase(64, 32, 32, true),
];
