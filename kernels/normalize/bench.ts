/**
 * Benchmarks of the normalisation family, as GB/s of necessary traffic: the input
 * normalisation of a CIFAR batch (512×3×32×32, forward only, as in training) and of an
 * ImageNet batch (64×3×224×224), and the L2 row normalisation of the NT-Xent input
 * (1024×128, forward + backward). TF.js (NHWC): sub/div by broadcast constants; z / norm.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
import { Tensor } from "../../core/tensor.ts";
import { randn } from "../../core/testing.ts";
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  l2NormalizeBackward,
  l2NormalizeForward,
  normalizeChannelsForward,
} from "./mod.ts";

type TfModule = Parameters<NonNullable<BenchCase["tfjs"]>>[0];

function tfCase(inputs: TF.Tensor[], step: () => TF.Tensor[], tf: TfModule) {
  let last: TF.Tensor[] = [];
  return {
    run() {
      tf.dispose(last);
      last = tf.tidy(step);
      return last;
    },
    dispose() {
      tf.dispose([...last, ...inputs]);
      last = [];
    },
  };
}

function chanCase(N: number, H: number, W: number): BenchCase {
  const shape = [N, 3, H, W];
  const n = N * 3 * H * W;
  return {
    kernel: "normalize_channels_fwd",
    shape: `N${N} 3×${H}×${W}`,
    bytes: 2 * n * 4,
    ours() {
      const x = Tensor.from(randn(n, 1), shape);
      return {
        run: () => normalizeChannelsForward(x).dispose(),
        dispose: () => x.dispose(),
      };
    },
    tfjs(tf) {
      const x = tf.randomUniform([N, H, W, 3]);
      const m = tf.tensor1d([...IMAGENET_MEAN]), s = tf.tensor1d([...IMAGENET_STD]);
      return tfCase([x, m, s], () => [tf.div(tf.sub(x, m), s)], tf);
    },
  };
}

function l2Case(N: number, d: number): BenchCase {
  return {
    kernel: "l2_normalize_fwd_bwd",
    shape: `${N}×${d}`,
    // fwd: read z, write u; bwd: read gu and z, write gz.
    bytes: 5 * N * d * 4,
    ours() {
      const z = Tensor.from(randn(N * d, 1), [N, d]), gu = Tensor.from(randn(N * d, 2), [N, d]);
      return {
        run() {
          const { u, norm } = l2NormalizeForward(z);
          l2NormalizeBackward(gu, { z, norm }).dispose();
          u.dispose();
          norm.dispose();
        },
        dispose() {
          z.dispose();
          gu.dispose();
        },
      };
    },
    tfjs(tf) {
      const z = tf.randomNormal([N, d]), gu = tf.randomNormal([N, d]);
      const step = () => {
        const r = tf.maximum(tf.norm(z, 2, 1, true), 1e-12);
        const u = tf.div(z, r);
        const gz = tf.div(tf.sub(gu, tf.mul(u, tf.sum(tf.mul(u, gu), 1, true))), r);
        return [u, gz];
      };
      return tfCase([z, gu], step, tf);
    },
  };
}

/** Normalisation bench cases. */
export const normalizeBench: BenchCase[] = [
  chanCase(512, 32, 32),
  chanCase(64, 224, 224),
  l2Case(1024, 128),
];
