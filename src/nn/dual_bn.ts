/**
 * Dual batch norm (docs/method.md §5): one BN layer holding one or two independent parameter sets
 * (affine parameters AND running statistics). The dense branch uses set 0 (`bn_list.0`), the
 * pruned branch set 1 (`bn_list.1`); a single-BN layer serves both branches with its one set.
 * @module
 */
import { Tensor } from "../../core/tensor.ts";
import { batchNorm, type BatchNormParams } from "../../kernels/batchnorm/mod.ts";
import { BN_FIELDS, type BnDef, bnPrefix } from "./arch.ts";
import type { HostState } from "./init.ts";

/** Which network a forward runs: the dense one or the pruned self-competitor. */
export type Branch = "dense" | "pruned";

/** Index of the BN set a branch uses, given how many sets there are. */
export function bnSetIndex(branch: Branch, sets: number): number {
  return branch === "pruned" && sets > 1 ? 1 : 0;
}

function upload(host: HostState, key: string, grad: boolean): Tensor {
  const h = host.tensors.get(key);
  if (!h) throw new Error(`no initial value for '${key}'`);
  const t = Tensor.from(h.data, h.shape, { name: key }).keep();
  t.requiresGrad = grad;
  return t;
}

/** A BN layer with one set per branch. */
export class DualBatchNorm {
  /** The parameter sets; index 0 dense, 1 pruned (when dual). */
  readonly sets: BatchNormParams[];

  /** Creates the layer's tensors from host values keyed like the state dict. */
  constructor(readonly def: BnDef, readonly dual: boolean, host: HostState) {
    this.sets = [];
    for (let s = 0; s < (dual ? 2 : 1); s++) {
      const p = bnPrefix(def, dual, s);
      this.sets.push({
        weight: upload(host, `${p}.weight`, true),
        bias: upload(host, `${p}.bias`, true),
        runningMean: upload(host, `${p}.running_mean`, false),
        runningVar: upload(host, `${p}.running_var`, false),
        numBatchesTracked: host.counters.get(`${p}.${BN_FIELDS[4]}`) ?? 0,
        momentum: 0.1,
        eps: 1e-5,
      });
    }
  }

  /**
   * BN of `x` with the set of `branch` (train: batch statistics + running update), then
   * optionally `residual` added and a ReLU, in the same pass (`runningUpdates`: see
   * batchNorm).
   */
  forward(
    x: Tensor,
    branch: Branch,
    o: { training: boolean; relu?: boolean; residual?: Tensor; runningUpdates?: number },
  ): Tensor {
    const set = this.sets[bnSetIndex(branch, this.sets.length)];
    return batchNorm(x, set, o.training, {
      relu: o.relu,
      residual: o.residual,
      runningUpdates: o.runningUpdates,
    });
  }

  /** Every tensor of the layer with its state_dict key (parameters and running stats). */
  *tensors(): Generator<[string, Tensor]> {
    for (let s = 0; s < this.sets.length; s++) {
      const p = bnPrefix(this.def, this.dual, s);
      const set = this.sets[s];
      yield [`${p}.weight`, set.weight];
      yield [`${p}.bias`, set.bias];
      yield [`${p}.running_mean`, set.runningMean];
      yield [`${p}.running_var`, set.runningVar];
    }
  }

  /** The num_batches_tracked counters with their keys. */
  *counters(): Generator<[string, BatchNormParams]> {
    for (let s = 0; s < this.sets.length; s++) {
      yield [`${bnPrefix(this.def, this.dual, s)}.${BN_FIELDS[4]}`, this.sets[s]];
    }
  }
}
