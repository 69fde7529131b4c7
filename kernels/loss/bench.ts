/**
 * Benchmarks of the loss family: NT-Xent forward + backward (both views) at batch 512, d = 128
 * (as GFLOP/s of its GEMMs: S = U·Uᵀ and four half-size products in the backward), and
 * cross-entropy forward + backward for the linear-evaluation head (as GB/s). TF.js: the same
 * losses composed from tf ops, differentiated with tf.grads.
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
// tfjs-core registers no gradients (its ESM gradient files are not loadable here); the union
// package's bundle registers them into the same tfjs-core instance, which tf.grads needs.
import "@tensorflow/tfjs";
import { Tensor } from "../../core/tensor.ts";
import { randn, seededRandom } from "../../core/testing.ts";
import { crossEntropy, crossEntropyBackward } from "./cross_entropy.ts";
import { ntXentForward, ntXentViewGrad } from "./ntxent.ts";

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

/** One run = forward, then the backward launchers (what the rule runs), results dropped. */
function gradRun(step: () => Tensor[]) {
  return () => step().forEach((t) => t.dispose());
}

function ntXentCase(b: number, d: number, t: number): BenchCase {
  const r = 2 * b;
  return {
    kernel: "ntxent_fwd_bwd",
    shape: `B${b} d${d} t${t}`,
    flops: 2 * r * r * d + 4 * (2 * b * r * d),
    ours() {
      const z1 = Tensor.from(randn(b * d, 1), [b, d]);
      const z2 = Tensor.from(randn(b * d, 2), [b, d]);
      const one = Tensor.fill([1], 1);
      return {
        run: gradRun(() => {
          const f = ntXentForward(z1, z2, { temperature: t, grad: true });
          const saved = { b, d, temperature: t, u: f.u, norms: f.norms, g: f.g! };
          const g1 = ntXentViewGrad(one, saved, 0), g2 = ntXentViewGrad(one, saved, 1);
          return [f.loss, f.u, f.norms, f.s, f.g!, f.rows, g1, g2];
        }),
        dispose: () => [z1, z2, one].forEach((x) => x.dispose()),
      };
    },
    tfjs(tf) {
      const z1 = tf.randomNormal([b, d]), z2 = tf.randomNormal([b, d]);
      const pos = tf.concat([tf.range(b, r, 1, "int32"), tf.range(0, b, 1, "int32")]);
      const onehot = tf.oneHot(pos, r);
      // A large negative on the diagonal excludes each row's self-similarity.
      const diag = tf.mul(tf.eye(r), -1e9);
      const loss = (a: TF.Tensor, c: TF.Tensor) => {
        const z = tf.concat([a, c]);
        const u = tf.div(z, tf.maximum(tf.norm(z, 2, 1, true), 1e-12));
        const s = tf.add(tf.div(tf.matMul(u, u, false, true), t), diag);
        return tf.losses.softmaxCrossEntropy(onehot, s) as TF.Scalar;
      };
      const g = tf.grads(loss);
      return tfCase([z1, z2, pos, onehot, diag], () => g([z1, z2]), tf);
    },
  };
}

function crossEntropyCase(n: number, c: number): BenchCase {
  return {
    kernel: "ce_fwd_bwd",
    shape: `N${n} C${c}`,
    // forward reads the logits; backward reads them and writes the gradient.
    bytes: 3 * n * c * 4,
    ours() {
      const x = Tensor.from(randn(n * c, 3), [n, c]);
      const one = Tensor.fill([1], 1);
      const r = seededRandom(4);
      const y = Tensor.from(Uint32Array.from({ length: n }, () => Math.floor(r.uniform() * c)), [
        n,
      ]);
      return {
        run: gradRun(() => [crossEntropy(x, y), crossEntropyBackward(one, x, y)]),
        dispose: () => [x, y, one].forEach((v) => v.dispose()),
      };
    },
    tfjs(tf) {
      const x = tf.randomNormal([n, c]);
      const y = tf.oneHot(tf.randomUniform([n], 0, c, "int32") as TF.Tensor1D, c);
      const g = tf.grad((v: TF.Tensor) => tf.losses.softmaxCrossEntropy(y, v) as TF.Scalar);
      return tfCase([x, y], () => [g(x)], tf);
    },
  };
}

/** Loss-family bench cases. */
export const lossBench: BenchCase[] = [
  ntXentCase(512, 128, 0.2),
  ntXentCase(256, 128, 0.3),
  crossEntropyCase(128, 10),
  crossEntropyCase(512, 100),
];
