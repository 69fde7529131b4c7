/**
 * Batch norm family: BatchNorm2d over [N, C, H, W] and BatchNorm1d over [N, C] (one
 * implementation, H·W = 1), optionally fused with a ReLU, as a differentiable op with its
 * backward rule. PyTorch semantics: momentum 0.1, eps 1e-5, biased batch variance for
 * normalising, unbiased (n/(n−1)) for the running variance.
 * @module
 */
import { record, type RuleTable } from "../../core/tape.ts";
import { Tensor } from "../../core/tensor.ts";
import { reluBackward } from "../elementwise/mod.ts";
import { batchNormBackward, batchNormForward, type BnGeom, type BnTuning } from "./launch.ts";

export {
  batchNormBackward,
  batchNormForward,
  BN_TUNING,
  BN_TUNING_SOFTWARE,
  defaultBnTuning,
  planeWorkgroup,
} from "./launch.ts";
export type { BnGeom, BnNeeds, BnState, BnTuning } from "./launch.ts";

declare module "../../core/tape.ts" {
  interface SavedMap {
    batchnorm: {
      stats: Tensor;
      geom: BnGeom;
      training: boolean;
      relu: boolean;
      /** The forward added a residual (its fourth input) before the ReLU. */
      residual: boolean;
    };
  }
}

/**
 * The state of one BN layer: affine parameters (trainable) and running statistics (buffers,
 * updated in place by training-mode forwards, also under noGrad).
 */
export interface BatchNormParams {
  /** γ, [C]. */
  weight: Tensor;
  /** β, [C]. */
  bias: Tensor;
  /** [C] */
  runningMean: Tensor;
  /** [C] */
  runningVar: Tensor;
  /** Training-mode forwards so far (PyTorch's num_batches_tracked, an int64 there). */
  numBatchesTracked: number;
  /** 0.1 in PyTorch and in SDCLR. */
  momentum: number;
  /** 1e-5 in PyTorch and in SDCLR. */
  eps: number;
}

/**
 * A freshly initialised BN layer as PyTorch builds it: γ = 1 (requires grad), β = 0 (requires
 * grad), running mean 0, running var 1. `name` prefixes the state_dict keys.
 */
export function createBatchNorm(
  channels: number,
  opts: { name?: string; momentum?: number; eps?: number } = {},
): BatchNormParams {
  const pre = opts.name ? `${opts.name}.` : "";
  const mk = (v: number, key: string, grad: boolean) => {
    const t = Tensor.fill([channels], v).keep();
    t.requiresGrad = grad;
    t.name = `${pre}${key}`;
    return t;
  };
  return {
    weight: mk(1, "weight", true),
    bias: mk(0, "bias", true),
    runningMean: mk(0, "running_mean", false),
    runningVar: mk(1, "running_var", false),
    numBatchesTracked: 0,
    momentum: opts.momentum ?? 0.1,
    eps: opts.eps ?? 1e-5,
  };
}

/**
 * Batch norm (differentiable in x, weight and bias). `training`: normalise with the batch
 * statistics and update the running ones (in place, also under noGrad, as SDCLR's no-grad
 * pruned forward needs); otherwise normalise with the running statistics. `relu` fuses a
 * ReLU into the same pass (the backward masks through the output); `residual` (with `relu`)
 * adds a tensor of x's shape before it, y = max(BN(x) + residual, 0): a ResNet block's add and
 * ReLU without their own passes (differentiable in the residual too). `runningUpdates`
 * (training): the running statistics move that many times, as that many train-mode forwards
 * of the same batch would move them (default 1). `tuning` overrides the
 * reduction's chunking (tests exercise every path with it).
 */
export function batchNorm(
  x: Tensor,
  bn: BatchNormParams,
  training: boolean,
  opts: { relu?: boolean; residual?: Tensor; runningUpdates?: number; tuning?: BnTuning } = {},
): Tensor {
  const C = x.shape[1];
  for (const [k, t] of [["weight", bn.weight], ["bias", bn.bias]] as const) {
    if (t.size !== C) throw new Error(`batchNorm: ${k} has ${t.size} values for ${C} channels`);
  }
  if (bn.runningMean.size !== C || bn.runningVar.size !== C) {
    throw new Error(`batchNorm: running statistics do not have ${C} values`);
  }
  const M = x.size / Math.max(C, 1);
  if (training && M <= 1) {
    throw new Error(
      `batchNorm: expected more than 1 value per channel when training, got input [${x.shape}]`,
    );
  }
  const relu = opts.relu ?? false, residual = opts.residual;
  const { y, stats, geom } = batchNormForward(x, bn, {
    training,
    relu,
    residual,
    runningUpdates: opts.runningUpdates,
    tuning: opts.tuning,
  });
  if (training) bn.numBatchesTracked += opts.runningUpdates ?? 1;
  return record("batchnorm", {
    inputs: residual ? [x, bn.weight, bn.bias, residual] : [x, bn.weight, bn.bias],
    output: y,
    saved: { stats, geom, training, relu, residual: residual !== undefined },
    owned: [stats],
  });
}

/** Backward rules of this family. */
export const batchnormRules: RuleTable<"batchnorm"> = {
  batchnorm: (c, gy) => {
    const [x, weight] = c.inputs;
    const s = c.saved;
    const wantRes = s.residual && c.needsGrad[3];
    // The residual's gradient is gy through the ReLU: the gx pass writes it; without gx, the
    // elementwise ReLU backward gives it.
    const fused = wantRes && c.needsGrad[0];
    const [gx, gw, gb, gr] = batchNormBackward({
      gy,
      x,
      weight,
      stats: s.stats,
      y: c.output,
      // With a residual the ReLU's mask needs it too: read y instead.
      bias: s.relu && !s.residual ? c.inputs[2] : undefined,
      geom: s.geom,
      training: s.training,
      relu: s.relu,
      needs: {
        x: c.needsGrad[0],
        weight: c.needsGrad[1],
        bias: c.needsGrad[2],
        residual: fused,
      },
    });
    if (!s.residual) return [gx, gw, gb];
    return [gx, gw, gb, fused ? gr : wantRes ? reluBackward(gy, c.output) : null];
  },
};
