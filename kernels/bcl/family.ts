/**
 * The BCL family as kernels/registry.ts sees it: boosted contrastive learning's loss memory
 * and per-epoch boosting weights (forward only: not recorded, no rules).
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { bclKernels } from "./check.ts";

/** The family object. */
export const bcl: KernelFamily = {
  name: "bcl",
  description: "BCL's per-image loss memory (momentum β) and per-epoch boosting weights",
  rules: {},
  kernels: bclKernels,
  bench: [],
};
