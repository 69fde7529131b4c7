/**
 * Projection heads (docs/method.md §3), as the authors' code builds them under `fc.`:
 * SimCLR, 2 layers: fc1 (Linear with bias) → bn1 → ReLU → fc2 (no bias) → bn2;
 * SDCLR, 3 layers: fc1 (bias) → bn1 → ReLU → fc2 (no bias) → bn2 → ReLU → fc3 (no bias) → bn3,
 * every BN dual in the SDCLR model. Hidden width = backbone feature size, output projDim.
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";
import type { ArchDef } from "./arch.ts";
import type { Branch, DualBatchNorm } from "./dual_bn.ts";
import { linearOp } from "./ops.ts";

/** What the head code reads from a model (a ResNet has all three). */
export interface HeadParts {
  arch: ArchDef;
  /** Linear weights and biases by state_dict key. */
  weights: Map<string, Tensor>;
  /** BN layers by module name. */
  bns: Map<string, DualBatchNorm>;
}

/** Which branch and BN mode a head forward runs in. */
export interface HeadForwardOptions {
  branch: Branch;
  /** Train-mode BN (batch statistics, running update) or eval-mode BN. */
  training: boolean;
  /** Train mode: running-statistics updates per BN layer (default 1; see batchNorm). */
  runningUpdates?: number;
}

/** Runs the head of `model` on pooled features [N, featDim]. */
export function headForward(model: HeadParts, feat: Tensor, o: HeadForwardOptions): Tensor {
  const { arch, weights, bns } = model;
  const { branch, training, runningUpdates } = o;
  let z = feat;
  arch.head.forEach(({ fc, bn }, i) => {
    const b = fc.bias ? weights.get(`${fc.name}.bias`) : undefined;
    z = linearOp(z, weights.get(`${fc.name}.weight`)!, b);
    z = bns.get(bn.name)!.forward(z, branch, {
      training,
      relu: i < arch.head.length - 1,
      runningUpdates,
    });
  });
  return z;
}

/** The head's tensors with their keys, in state_dict order. */
export function headTensors(model: HeadParts): [string, Tensor][] {
  const { arch, weights, bns } = model;
  const out: [string, Tensor][] = [];
  for (const { fc, bn } of arch.head) {
    out.push([`${fc.name}.weight`, weights.get(`${fc.name}.weight`)!]);
    if (fc.bias) out.push([`${fc.name}.bias`, weights.get(`${fc.name}.bias`)!]);
    out.push(...bns.get(bn.name)!.tensors());
  }
  return out;
}
