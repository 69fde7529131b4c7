/**
 * Benchmarks of the linear family as GFLOP/s: the GEMM at 1024³, and the projection-head
 * shapes at batch 512 (Linear(512, 512) forward, its backward gx + gW + gb, Linear(512, 128)
 * forward). TF.js: tf.matMul with the same transposes (and tf.sum for the bias gradient).
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import type { TorchBenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
import { Tensor } from "../../core/tensor.ts";
import { randn } from "../../core/testing.ts";
import { colSum, gemm } from "./mod.ts";

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

const rand = (shape: number[], seed: number) =>
  Tensor.from(randn(shape.reduce((a, b) => a * b, 1), seed), shape);

function matmulCase(s: number): TorchBenchCase {
  return {
    kernel: "matmul_nn",
    shape: `${s}×${s}×${s}`,
    flops: 2 * s ** 3,
    torch: { op: "matmul", args: { M: s, N: s, K: s } },
    ours() {
      const a = rand([s, s], 1), b = rand([s, s], 2), c = Tensor.empty([s, s]);
      return {
        run: () => gemm({ a: a.buffer, b: b.buffer, c: c.buffer, m: s, n: s, k: s }),
        dispose: () => [a, b, c].forEach((t) => t.dispose()),
      };
    },
    tfjs(tf) {
      const a = tf.randomNormal([s, s]), b = tf.randomNormal([s, s]);
      return tfCase([a, b], () => [tf.matMul(a, b)], tf);
    },
  };
}

function forwardCase(n: number, i: number, o: number): BenchCase {
  return {
    kernel: "matmul_nt",
    shape: `linear fwd N${n} ${i}→${o}`,
    flops: 2 * n * i * o,
    ours() {
      const x = rand([n, i], 3), w = rand([o, i], 4), b = rand([o], 5), y = Tensor.empty([n, o]);
      return {
        run: () =>
          gemm({
            a: x.buffer,
            b: w.buffer,
            c: y.buffer,
            m: n,
            n: o,
            k: i,
            transB: true,
            bias: b.buffer,
          }),
        dispose: () => [x, w, b, y].forEach((t) => t.dispose()),
      };
    },
    tfjs(tf) {
      const x = tf.randomNormal([n, i]), w = tf.randomNormal([o, i]), b = tf.randomNormal([o]);
      return tfCase([x, w, b], () => [tf.add(tf.matMul(x, w, false, true), b)], tf);
    },
  };
}

function backwardCase(n: number, i: number, o: number): BenchCase {
  return {
    kernel: "matmul_nn+tn+col_sum",
    shape: `linear bwd N${n} ${i}→${o}`,
    flops: 4 * n * i * o,
    ours() {
      const x = rand([n, i], 6), w = rand([o, i], 7), gy = rand([n, o], 8);
      const gx = Tensor.empty([n, i]), gw = Tensor.empty([o, i]);
      return {
        run() {
          gemm({ a: gy.buffer, b: w.buffer, c: gx.buffer, m: n, n: i, k: o });
          gemm({ a: gy.buffer, b: x.buffer, c: gw.buffer, m: o, n: i, k: n, transA: true });
          colSum(gy).dispose();
        },
        dispose: () => [x, w, gy, gx, gw].forEach((t) => t.dispose()),
      };
    },
    tfjs(tf) {
      const x = tf.randomNormal([n, i]), w = tf.randomNormal([o, i]), gy = tf.randomNormal([n, o]);
      return tfCase(
        [x, w, gy],
        () => [tf.matMul(gy, w), tf.matMul(gy, x, true, false), tf.sum(gy, 0)],
        tf,
      );
    },
  };
}

/** Linear-family bench cases. */
export const linearBench: BenchCase[] = [
  matmulCase(1024),
  forwardCase(512, 512, 512),
  backwardCase(512, 512, 512),
  forwardCase(512, 512, 128),
];
