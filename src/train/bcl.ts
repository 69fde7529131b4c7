/**
 * BCL in a pretraining run (docs/method.md §10): the loss memory and the boosting weights of
 * every training image on the GPU (kernels/bcl), updated after each step from the step's
 * per-sample losses and at the end of each epoch; a host copy of the weights (read once per
 * epoch, N floats) from which the loader decides each view's RandAugment ops and their
 * values exactly as PIL would compute them, and the log's weight distribution. Both arrays
 * go into every checkpoint, so a resumed run continues exactly.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { UserError } from "../../core/errors.ts";
import { bclMemoryUpdate, bclWeights } from "../../kernels/bcl/mod.ts";
import { weightStats } from "../../kernels/bcl/reference.ts";
import type { TorchTensor } from "../io/torch_types.ts";

/** BCL's settings (saved in config.json). */
export interface BclConfig {
  /** Momentum β of the loss memory (0.95 in the released runs). */
  beta: number;
  /** RandAugment ops drawn per view (1). */
  k: number;
  /** Maximum strength S (30). */
  strength: number;
}

/** The released BCL defaults. */
export const BCL_DEFAULTS: BclConfig = { beta: 0.95, k: 1, strength: 30 };

/** The weight distribution of an epoch: mean, max and the fraction above 1/2. */
export interface WeightDistribution {
  mean: number;
  max: number;
  above: number;
}

/** A run's BCL state. */
export class BclState {
  readonly memory: Tensor;
  readonly weights: Tensor;
  /** The weights in effect (all 0 until the first epoch ends). */
  host: Float32Array;

  constructor(readonly n: number, readonly cfg: BclConfig) {
    this.memory = Tensor.zeros([n]).keep();
    this.weights = Tensor.zeros([n]).keep();
    this.host = new Float32Array(n);
  }

  /** Records the memory update of one batch (1-based `epoch`: the first stores ℓ as is). */
  update(samples: Tensor, items: Tensor, epoch: number): void {
    bclMemoryUpdate(this.memory, { samples, items, beta: this.cfg.beta, first: epoch === 1 });
  }

  /** End of an epoch: the next epoch's weights, on the GPU and (read back) on the host. */
  async endEpoch(): Promise<WeightDistribution> {
    bclWeights(this.memory, this.weights);
    this.host = await this.weights.read();
    return this.distribution();
  }

  /** The distribution of the weights in effect. */
  distribution(): WeightDistribution {
    return weightStats(this.host);
  }

  /** The checkpoint's `bcl` entry. */
  async toCheckpoint(): Promise<Map<string, TorchTensor>> {
    const t = (data: Float32Array): TorchTensor => ({ dtype: "float32", shape: [this.n], data });
    return new Map([["memory", t(await this.memory.read())], ["weights", t(this.host)]]);
  }

  /** Restores the state saved by toCheckpoint. */
  load(saved: Map<string, TorchTensor> | undefined, source: string): void {
    const get = (k: string) => {
      const v = saved?.get(k);
      if (!v || v.data.length !== this.n) {
        throw new UserError(
          `${source}: no BCL ${k} for ${this.n} images (a checkpoint of another run?)`,
        );
      }
      return v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as Float64Array);
    };
    engine().write(this.memory.buffer, get("memory"));
    this.host = get("weights").slice();
    engine().write(this.weights.buffer, this.host);
  }

  /** Frees the GPU arrays. */
  dispose(): void {
    this.memory.dispose();
    this.weights.dispose();
  }
}

/** "mean 0.48, max 1.00, 41.2% > 0.5". */
export function describeWeights(d: WeightDistribution): string {
  return `mean ${d.mean.toFixed(3)}, max ${d.max.toFixed(3)}, ${(100 * d.above).toFixed(1)}% > 0.5`;
}
