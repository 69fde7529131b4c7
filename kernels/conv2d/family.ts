/**
 * The conv2d family as kernels/registry.ts sees it: implicit-GEMM convolutions with register tiles and fused weight masks: forward, input and weight gradients.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { conv2dKernels } from "./check.ts";
import { convRules } from "./mod.ts";
import { conv2dBench } from "./bench.ts";

/** The family object. */
export const conv2d: KernelFamily<keyof typeof convRules> = {
  name: "conv2d",
  description:
    "implicit-GEMM convolutions with register tiles and fused weight masks: forward, input and weight gradients",
  rules: convRules,
  kernels: conv2dKernels,
  bench: conv2dBench,
};
