/**
 * Benchmarks of the pooling family, reported as GB/s of necessary traffic:
 * global average pool forward + backward at the end of ResNet-18 on CIFAR (batch 512), and
 * max pool 3×3 s2 p1 at the ImageNet stem (64 channels, 112×112, batch 8).
 * TF.js (NHWC): tf.mean over H, W with its backward written as a broadcast; tf.maxPool.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
import { Tensor } from "../../core/tensor.ts";
import { randn } from "../../core/testing.ts";
import {
  globalAvgPoolBackward,
  globalAvgPoolForward,
  maxPoolBackward,
  maxPoolForward,
} from "./mod.ts";

type TfModule = Parameters<NonNullable<BenchCase["tfjs"]>>[0];

function tfCase(make: () => TF.Tensor[], step: () => TF.Tensor[], tf: TfModule) {
  const inputs = make();
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

function avgCase(N: number, C: number, H: number, W: number): BenchCase {
  const shape = [N, C, H, W];
  const n = N * C * H * W;
  return {
    kernel: "avgpool_global_fwd_bwd",
    shape: `N${N} C${C} ${H}×${W}`,
    bytes: (2 * n + 2 * N * C) * 4,
    ours() {
      const x = Tensor.from(randn(n, 1), shape), gy = Tensor.from(randn(N * C, 2), [N, C]);
      return {
        run() {
          globalAvgPoolForward(x).dispose();
          globalAvgPoolBackward(gy, shape).dispose();
        },
        dispose() {
          x.dispose();
          gy.dispose();
        },
      };
    },
    tfjs(tf) {
      let x: TF.Tensor, gy: TF.Tensor;
      const make = () => [x = tf.randomNormal([N, H, W, C]), gy = tf.randomNormal([N, C])];
      const step = () => {
        const y = tf.mean(x, [1, 2]);
        const gx = tf.div(tf.broadcastTo(tf.reshape(gy, [N, 1, 1, C]), [N, H, W, C]), H * W);
        return [y, gx];
      };
      return tfCase(make, step, tf);
    },
  };
}

function maxCase(N: number, C: number, H: number, W: number, withBwd: boolean): BenchCase {
  const shape = [N, C, H, W];
  const n = N * C * H * W;
  const Ho = Math.floor((H - 1) / 2) + 1, Wo = Math.floor((W - 1) / 2) + 1;
  const m = N * C * Ho * Wo;
  return {
    kernel: withBwd ? "maxpool2d_fwd_bwd" : "maxpool2d_fwd",
    shape: `N${N} C${C} ${H}×${W} k3 s2 p1`,
    // fwd: read x, write y and argmax; bwd: read gy and argmax, write gx.
    bytes: (n + 2 * m + (withBwd ? 2 * m + n : 0)) * 4,
    ours() {
      const x = Tensor.from(randn(n, 3), shape), gy = Tensor.from(randn(m, 4), [N, C, Ho, Wo]);
      return {
        run() {
          const { y, indices, geom } = maxPoolForward(x);
          if (withBwd) maxPoolBackward(gy, { indices, geom, shape }).dispose();
          y.dispose();
          indices.dispose();
        },
        dispose() {
          x.dispose();
          gy.dispose();
        },
      };
    },
    tfjs: withBwd ? undefined : (tf) => {
      let x: TF.Tensor4D;
      const make = () => [x = tf.randomNormal([N, H, W, C]) as TF.Tensor4D];
      return tfCase(make, () => [tf.maxPool(x, 3, 2, 1)], tf);
    },
  };
}

/** Pooling bench cases. */
export const poolBench: BenchCase[] = [
  avgCase(512, 512, 4, 4),
  maxCase(8, 64, 112, 112, false),
  maxCase(8, 64, 112, 112, true),
];
