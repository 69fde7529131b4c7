/**
 * The pool family as kernels/registry.ts sees it: global average pooling and 3×3/2 max pooling, forward and backward.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { poolKernels } from "./check.ts";
import { poolRules } from "./mod.ts";
import { poolBench } from "./bench.ts";

/** The family object. */
export const pool: KernelFamily<keyof typeof poolRules> = {
  name: "pool",
  description: "global average pooling and 3×3/2 max pooling, forward and backward",
  rules: poolRules,
  kernels: poolKernels,
  bench: poolBench,
};
