/**
 * The augment family as kernels/registry.ts sees it: SimCLR view augmentation fused into one pass per batch (crop, flip, colour jitter, grey, blur), and BCL's RandAugment.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { augmentKernels } from "./check.ts";
import { randaugKernels } from "./randaug_check.ts";
import { augmentBenchCases } from "./bench.ts";

/** The family object. */
export const augment: KernelFamily = {
  name: "augment",
  description:
    "SimCLR views in one fused pass per batch (crop, flip, jitter, grey, blur); BCL's RandAugment",
  rules: {},
  kernels: [...augmentKernels, ...randaugKernels],
  bench: augmentBenchCases,
};
