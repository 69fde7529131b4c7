/**
 * Benchmarks of the conv2d family at the ResNet-18 CIFAR shapes, batch 64: the 3×3 stride-1
 * convolutions of the four stages, the three 3×3 stride-2 convolutions that open stages 2–4
 * and their 1×1 stride-2 downsamples; forward, input gradient and weight gradient each, plus
 * the masked (SDCLR pruned-branch) variants at one shape. GFLOP/s count 2·N·O·Ho·Wo·C·KH·KW
 * per pass (the masked ones do the mask multiply on top).
 * TF.js (NHWC, its native layout): tf.conv2d, and the Conv2DBackpropInput /
 * Conv2DBackpropFilter kernels by name (what tf.grads of conv2d dispatches).
 * @module
 */
import type { Tf } from "../../core/kernel.ts";
import type { TorchBenchCase } from "../../core/kernel.ts";
import type * as TF from "@tensorflow/tfjs-core";
import { Tensor } from "../../core/tensor.ts";
import { randn, seededRandom } from "../../core/testing.ts";
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from "./mod.ts";

const N = 64;
type Pass = "fwd" | "dgrad" | "wgrad";

/** [C, O, H (=W), K, stride]: the ResNet-18 CIFAR convolutions. */
const SHAPES: [number, number, number, number, number][] = [
  [64, 64, 32, 3, 1],
  [128, 128, 16, 3, 1],
  [256, 256, 8, 3, 1],
  [512, 512, 4, 3, 1],
  [64, 128, 32, 3, 2],
  [128, 256, 16, 3, 2],
  [256, 512, 8, 3, 2],
  [64, 128, 32, 1, 2],
  [128, 256, 16, 1, 2],
  [256, 512, 8, 1, 2],
];

/** One bench row: shape [C, O, H, K, S] (as SHAPES), pass, masked or not. */
function convCase(
  shape: [number, number, number, number, number],
  o: { pass: Pass; masked: boolean },
): TorchBenchCase {
  const [C, O, H, K, S] = shape, { pass, masked } = o;
  const P = K === 3 ? 1 : 0;
  const Ho = Math.floor((H + 2 * P - K) / S) + 1;
  const xShape = [N, C, H, H], wShape = [O, C, K, K], yShape = [N, O, Ho, Ho];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    kernel: `conv2d_${pass}${masked ? "_masked" : ""}`,
    shape: `N${N} C${C}→${O} ${H}×${H} k${K} s${S}`,
    flops: 2 * N * O * Ho * Ho * C * K * K,
    torch: masked ? undefined : { op: `conv2d_${pass}`, args: { N, C, H, W: H, O, K, S, P } },
    ours() {
      const x = Tensor.from(randn(size(xShape), 1), xShape);
      const w = Tensor.from(randn(size(wShape), 2, 0.1), wShape);
      const gy = Tensor.from(randn(size(yShape), 3), yShape);
      const r = seededRandom(4);
      const mask = masked
        ? Tensor.from(
          Float32Array.from({ length: w.size }, () => (r.uniform() < 0.9 ? 0 : 1)),
          wShape,
        )
        : null;
      const opts = { stride: S, padding: P, mask };
      const step = {
        fwd: () => conv2dForward(x, w, opts),
        dgrad: () => conv2dBackwardInput(gy, w, xShape, opts),
        wgrad: () => conv2dBackwardWeight(gy, x, wShape, opts),
      }[pass];
      return {
        run: () => step().dispose(),
        dispose: () => [x, w, gy, mask].forEach((t) => t?.dispose()),
      };
    },
    tfjs(tf: Tf) {
      const x = tf.randomNormal([N, H, H, C]) as TF.Tensor4D;
      const w = tf.randomNormal([K, K, C, O], 0, 0.1) as TF.Tensor4D;
      const dy = tf.randomNormal([N, Ho, Ho, O]) as TF.Tensor4D;
      const conv = { strides: S, pad: P, dataFormat: "NHWC", dilations: 1 } as const;
      const step = {
        fwd: () => tf.conv2d(x, w, S, P),
        dgrad: () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, {
            ...conv,
            inputShape: x.shape,
          }) as TF.Tensor,
        wgrad: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
            ...conv,
            filterShape: w.shape,
          }) as TF.Tensor,
      }[pass];
      let last: TF.Tensor | null = null;
      return {
        run() {
          last?.dispose();
          last = step();
          return last;
        },
        dispose() {
          last?.dispose();
          last = null;
          tf.dispose([x, w, dy]);
        },
      };
    },
  };
}

/** Conv2d bench cases: every shape × pass, then the masked passes at 128 channels 16×16. */
export const conv2dBench: TorchBenchCase[] = [
  ...SHAPES.flatMap((shape) =>
    (["fwd", "dgrad", "wgrad"] as Pass[]).map((pass) => convCase(shape, { pass, masked: false }))
  ),
  ...(["fwd", "dgrad", "wgrad"] as Pass[]).map((pass) =>
    convCase([128, 128, 16, 3, 1], { pass, masked: true })
  ),
];
