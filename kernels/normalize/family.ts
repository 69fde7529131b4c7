/**
 * The normalize family as kernels/registry.ts sees it: per-channel input normalisation and row L2 normalisation.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { normalizeKernels } from "./check.ts";
import { normalizeRules } from "./mod.ts";
import { normalizeBench } from "./bench.ts";

/** The family object. */
export const normalize: KernelFamily<keyof typeof normalizeRules> = {
  name: "normalize",
  description: "per-channel input normalisation and row L2 normalisation",
  rules: normalizeRules,
  kernels: normalizeKernels,
  bench: normalizeBench,
};
