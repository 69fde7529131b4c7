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

/** Runs the head of `arch` on pooled features [N, featDim]. */
export function headForward(
  arch: ArchDef,
  weights: Map<string, Tensor>,
  bns: Map<string, DualBatchNorm>,
  feat: Tensor,
  branch: Branch,
  training: boolean,
): Tensor {
  let z = feat;
  arch.head.forEach(({ fc, bn }, i) => {
    const b = fc.bias ? weights.get(`${fc.name}.bias`) : undefined;
    z = linearOp(z, weights.get(`${fc.name}.weight`)!, b);
    z = bns.get(bn.name)!.forward(z, branch, training, i < arch.head.length - 1);
  });
  return z;
}

/** The head's tensors with their keys, in state_dict order. */
export function headTensors(
  arch: ArchDef,
  weights: Map<string, Tensor>,
  bns: Map<string, DualBatchNorm>,
): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const { fc, bn } of arch.head) {
    out.push([`${fc.name}.weight`, weights.get(`${fc.name}.weight`)!]);
    if (fc.bias) out.push([`${fc.name}.bias`, weights.get(`${fc.name}.bias`)!]);
    out.push(...bns.get(bn.name)!.tensors());
  }
  return out;
}
