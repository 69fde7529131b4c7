/**
 * BCL family (boosted contrastive learning, docs/method.md §10): the per-image loss memory
 * update after each step and the per-epoch boosting weights, both on the GPU, so a step reads
 * nothing back. See bcl_memory.wgsl and bcl_weights.wgsl for the formulas.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { defineKernel } from "../../core/kernel_spec.ts";
import type { Tensor } from "../../core/tensor.ts";

/** memory[item[i]] ← ℓ_i (first epoch) or β·memory + (1 − β)·ℓ_i (entry memory_update). */
export const BCL_MEMORY = defineKernel({
  name: "bcl_memory",
  file: new URL("./bcl_memory.wgsl", import.meta.url),
  params: { n: "u32", first: "u32", beta: "f32", one_minus_beta: "f32" },
  bindings: {
    samples: { access: "read", type: "f32" },
    item: { access: "read", type: "u32" },
    memory: { access: "read_write", type: "f32" },
  },
});

/** Weights from the whole memory: z-scores scaled into [0, 1] (entry boost_weights). */
export const BCL_WEIGHTS = defineKernel({
  name: "bcl_weights",
  file: new URL("./bcl_weights.wgsl", import.meta.url),
  params: { n: "u32" },
  bindings: {
    mem: { access: "read", type: "f32" },
    weights: { access: "read_write", type: "f32" },
  },
});

/** What one {@link bclMemoryUpdate} reads. */
export interface MemoryUpdate {
  /** Per-sample losses ℓ [B]. */
  samples: Tensor;
  /** The images' positions in the training set [B], u32. */
  items: Tensor;
  /** Momentum β of the memory. */
  beta: number;
  /** The run's first epoch: the memory takes ℓ as it is. */
  first: boolean;
}

/** Launcher: updates the memory [N] in place for one batch (no flush, no readback). */
export function bclMemoryUpdate(memory: Tensor, u: MemoryUpdate): void {
  const n = u.samples.size;
  if (u.items.size !== n || u.items.dtype !== "u32") {
    throw new Error(`bclMemoryUpdate: ${u.items.size} u32 items for ${n} losses`);
  }
  const e = engine();
  e.run(e.compile(BCL_MEMORY, {}, "memory_update"), {
    params: { n, first: u.first ? 1 : 0, beta: u.beta, one_minus_beta: 1 - u.beta },
    bindings: { samples: u.samples.buffer, item: u.items.buffer, memory: memory.buffer },
    groups: [Math.ceil(n / 64)],
  });
}

/** Launcher: the boosting weights [N] of a memory [N] into `weights` (one workgroup). */
export function bclWeights(memory: Tensor, weights: Tensor): void {
  if (weights.size !== memory.size) {
    throw new Error(`bclWeights: ${weights.size} weights for a memory of ${memory.size}`);
  }
  const e = engine();
  e.run(e.compile(BCL_WEIGHTS, {}, "boost_weights"), {
    params: { n: memory.size },
    bindings: { mem: memory.buffer, weights: weights.buffer },
    groups: [1],
  });
}
