/**
 * The batchnorm family as kernels/registry.ts sees it: BatchNorm1d/2d with fused ReLU, training and inference, forward and backward.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { batchnormKernels } from "./check.ts";
import { batchnormRules } from "./mod.ts";
import { batchnormBench } from "./bench.ts";

/** The family object. */
export const batchnorm: KernelFamily<keyof typeof batchnormRules> = {
  name: "batchnorm",
  description: "BatchNorm1d/2d with fused ReLU, training and inference, forward and backward",
  rules: batchnormRules,
  kernels: batchnormKernels,
  bench: batchnormBench,
};
