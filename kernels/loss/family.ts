/**
 * The loss family as kernels/registry.ts sees it: NT-Xent, cross-entropy, argmax and accuracy counts.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { lossKernels } from "./check.ts";
import { lossRules } from "./mod.ts";
import { lossBench } from "./bench.ts";

/** The family object. */
export const loss: KernelFamily<keyof typeof lossRules> = {
  name: "loss",
  description: "NT-Xent, cross-entropy, argmax and accuracy counts",
  rules: lossRules,
  kernels: lossKernels,
  bench: lossBench,
};
