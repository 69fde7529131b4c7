/**
 * The augment family as kernels/registry.ts sees it: SimCLR view augmentation fused into one pass per batch (crop, flip, colour jitter, grey, blur, normalise).
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { augmentKernels } from "./check.ts";
import { augmentBenchCases } from "./bench.ts";

/** The family object. */
export const augment: KernelFamily = {
  name: "augment",
  description:
    "SimCLR view augmentation fused into one pass per batch (crop, flip, colour jitter, grey, blur, normalise)",
  rules: {},
  kernels: augmentKernels,
  bench: augmentBenchCases,
};
