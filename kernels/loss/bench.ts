/**
 * Benchmarks of the loss family: NT-Xent forward + backward (both views) at batch 512, d = 128
 * (as GFLOP/s of its GEMMs: S = U·Uᵀ and four half-size products in the backward), and
 * cross-entropy forward + backward for the linear-evaluation head (as GB/s). TF.js: the same
 * losses composed from tf ops, forward and backward. The backward is written out as tf ops
 * (the analytic gradient tf.grads would build), as the batch norm bench does, because
 * tf.grads cannot run on tfjs-core alone: its bundles register no gradients and its
 * register_all_gradients module uses extensionless ESM imports that Deno cannot resolve (only
 * the umbrella @tensorflow/tfjs package registers them, and the suite does not depend on it).
 * @module
 */
import type { BenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
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

/** The positives as one-hot rows and the −1e9 diagonal that excludes self-similarity. */
export function tfNtXentConstants(tf: TfModule, b: number): { onehot: TF.Tensor; diag: TF.Tensor } {
  const r = 2 * b;
  return tf.tidy(() => ({
    onehot: tf.oneHot(tf.concat([tf.range(b, r, 1, "int32"), tf.range(0, b, 1, "int32")]), r),
    diag: tf.mul(tf.eye(r), -1e9),
  }));
}

/** The temperature and the precomputed constants of `tfNtXent`. */
export interface TfNtXentOptions {
  /** NT-Xent temperature. */
  temperature: number;
  /** From `tfNtXentConstants` for the same batch size. */
  constants: { onehot: TF.Tensor; diag: TF.Tensor };
}

/**
 * NT-Xent of (z1, z2) in TF.js ops and its gradients for both views, [loss, dz1, dz2], with
 * dL = 1: G = (softmax(S) − onehot)/2B, dU = (G + Gᵀ)·U / t, dZ = (dU − U·rowsum(U ⊙ dU)) / ‖z‖.
 */
export function tfNtXent(
  tf: TfModule,
  z1: TF.Tensor,
  z2: TF.Tensor,
  o: TfNtXentOptions,
): TF.Tensor[] {
  const { temperature: t, constants: c } = o;
  const z = tf.concat([z1, z2]);
  const norms = tf.maximum(tf.norm(z, 2, 1, true), 1e-12);
  const u = tf.div(z, norms);
  const s = tf.add(tf.div(tf.matMul(u, u, false, true), t), c.diag);
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(c.onehot, tf.logSoftmax(s)), 1)));
  const g = tf.div(tf.sub(tf.softmax(s), c.onehot), z.shape[0]);
  const du = tf.div(tf.matMul(tf.add(g, tf.transpose(g)), u), t);
  const dz = tf.div(tf.sub(du, tf.mul(u, tf.sum(tf.mul(u, du), 1, true))), norms);
  return [loss, ...tf.split(dz, 2)];
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
          const saved = { b, d, u: f.u, norms: f.norms, g: f.g! };
          const g1 = ntXentViewGrad(one, saved, 0), g2 = ntXentViewGrad(one, saved, 1);
          return [f.loss, f.u, f.norms, f.s, f.g!, f.rows, g1, g2];
        }),
        dispose: () => [z1, z2, one].forEach((x) => x.dispose()),
      };
    },
    tfjs(tf) {
      const z1 = tf.randomNormal([b, d]), z2 = tf.randomNormal([b, d]);
      const c = tfNtXentConstants(tf, b);
      return tfCase(
        [z1, z2, c.onehot, c.diag],
        () => tfNtXent(tf, z1, z2, { temperature: t, constants: c }),
        tf,
      );
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
      // Loss = mean of −Σ y·log softmax(x); its gradient (softmax(x) − y) / N.
      const step = () => [
        tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(x)), 1))),
        tf.div(tf.sub(tf.softmax(x), y), n),
      ];
      return tfCase([x, y], step, tf);
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
