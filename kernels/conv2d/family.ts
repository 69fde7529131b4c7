/**
 * The conv2d family as kernels/registry.ts sees it: forward, input and weight gradients with
 * fused weight masks, each pass in numbered versions (versions.ts): `kernels` lists them as
 * conv2d_<pass>_v<n> (version 1 the naive oracle, then the register-tiled implicit GEMMs and
 * their texture, gather, transpose and split-K variants), then the relayout passes.
 * @module
 */
import type { KernelFamily } from "../../core/kernel.ts";
import { conv2dKernels } from "./check.ts";
import { convRules } from "./mod.ts";
import { conv2dBench } from "./bench.ts";

/** The family object. */
export const conv2d: KernelFamily<keyof typeof convRules> = {
  name: "conv2d",
  description: "convolutions with fused weight masks in numbered versions: naive oracle, " +
    "register-tiled implicit GEMMs (texture, gather, transpose, split-K): fwd, dx, dw",
  rules: convRules,
  kernels: conv2dKernels,
  bench: conv2dBench,
};
