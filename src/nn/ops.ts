/**
 * The kernel ops the networks use, behind one small adapter so the model code does not
 * depend on each family's option spelling.
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";
import { conv2d } from "../../kernels/conv2d/mod.ts";
import { linear } from "../../kernels/linear/mod.ts";
import { globalAvgPool, maxPool2d } from "../../kernels/pool/mod.ts";
import { IMAGENET_MEAN, IMAGENET_STD, normalizeChannels } from "../../kernels/normalize/mod.ts";

/** Geometry and mask of `conv2dOp`. */
export interface ConvOpOptions {
  stride: number;
  /** Zero padding on each side. */
  pad: number;
  /** 0/1, same shape as w: selects the pruned branch's weights. */
  mask?: Tensor;
}

/** Convolution without bias. */
export function conv2dOp(x: Tensor, w: Tensor, o: ConvOpOptions): Tensor {
  return conv2d(x, w, { stride: o.stride, padding: o.pad, mask: o.mask });
}

/** y = x·wᵀ (+ b). */
export function linearOp(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return linear(x, w, b);
}

/** Max-pool 3×3, stride 2, padding 1 (ImageNet stem). */
export function maxPoolOp(x: Tensor): Tensor {
  return maxPool2d(x, { k: 3, s: 2, pad: 1 });
}

/** Mean over H×W: [N, C, H, W] → [N, C]. */
export function globalAvgPoolOp(x: Tensor): Tensor {
  return globalAvgPool(x);
}

/** (x − mean_c) / std_c with the ImageNet constants (the model's first op). */
export function normalizeInputOp(x: Tensor): Tensor {
  return normalizeChannels(x, IMAGENET_MEAN, IMAGENET_STD);
}
