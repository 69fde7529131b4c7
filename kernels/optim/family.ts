/**
 * The optim family as kernels/registry.ts sees it: SGD with momentum and weight decay, all parameters in one dispatch.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { optimKernels } from "./check.ts";
import { optimBench } from "./bench.ts";

/** The family object. */
export const optim: KernelFamily = {
  name: "optim",
  description: "SGD with momentum and weight decay, all parameters in one dispatch",
  rules: {},
  kernels: optimKernels,
  bench: optimBench,
};
