/**
 * The elementwise family as kernels/registry.ts sees it: ReLU, add, scale, reshape and row
 * slices (differentiable), gradient accumulation and the row gather (forward only).
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { elementwiseKernels } from "./check.ts";
import { elementwiseRules } from "./mod.ts";

/** The family object. */
export const elementwise: KernelFamily<keyof typeof elementwiseRules> = {
  name: "elementwise",
  description: "ReLU, add, scale, accumulate, reshape, row slices and gathers (grid-stride)",
  rules: elementwiseRules,
  kernels: elementwiseKernels,
  bench: [],
};
