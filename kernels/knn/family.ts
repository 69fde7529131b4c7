/**
 * The knn family as kernels/registry.ts sees it: k-NN vote over a similarity matrix (radix top-k, exp(s/t) weights).
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { knnKernels } from "./check.ts";

/** The family object. */
export const knn: KernelFamily = {
  name: "knn",
  description: "k-NN vote over a similarity matrix (radix top-k, exp(s/t) weights)",
  rules: {},
  kernels: knnKernels,
  bench: [],
};
