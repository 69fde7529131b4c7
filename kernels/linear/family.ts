/**
 * The linear family as kernels/registry.ts sees it: tiled GEMM (any transposes, bias, accumulate) and the linear layer.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { linearKernels } from "./check.ts";
import { linearRules } from "./mod.ts";
import { linearBench } from "./bench.ts";

/** The family object. */
export const linear: KernelFamily<keyof typeof linearRules> = {
  name: "linear",
  description: "tiled GEMM (any transposes, bias, accumulate) and the linear layer",
  rules: linearRules,
  kernels: linearKernels,
  bench: linearBench,
};
