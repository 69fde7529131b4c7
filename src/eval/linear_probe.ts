/**
 * The linear probe (docs/method.md §7): a new Linear(dim, classes) on frozen features, weights
 * N(0, 0.01²) and bias 0, trained with SGD (momentum 0.9, no weight decay) and a step
 * schedule (× 0.1 at each milestone epoch); after every epoch the validation accuracy is
 * measured and the best epoch's weights are kept. The features come from a `TrainBatches`
 * source: augmented images through the backbone (the paper's protocol, probe_data.ts) or a
 * cached bank (`cachedBatches`, fast, no augmentation). Test evaluation of the kept weights
 * is the caller's (probe_stage.ts), so the test set is touched once.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { Tensor, tidy } from "../../core/tensor.ts";
import { noGrad } from "../../core/tape.ts";
import { backward } from "../../kernels/backward.ts";
import { zeroGrad } from "../../core/tensor.ts";
import { accumulate, scale } from "../../kernels/elementwise/mod.ts";
import { engine } from "../../core/engine.ts";
import { Prng } from "../../core/prng.ts";
import { epochPermutation } from "../../core/prng.ts";
import { accuracyOf, type FeatureBank, gatherRows, predictBank } from "./probe_features.ts";
import { linear } from "../../kernels/linear/mod.ts";
import { crossEntropy } from "../../kernels/loss/mod.ts";
import { Sgd } from "../../kernels/optim/mod.ts";

/** One training batch: features [n, dim] and u32 labels [n] (the probe disposes both). */
export interface TrainBatch {
  x: Tensor;
  y: Tensor;
  n: number;
}

/** Where training features come from, one epoch at a time. */
export interface TrainBatches {
  /** Images (rows) per epoch. */
  readonly size: number;
  /** The batches of a 1-based epoch, in order. */
  epoch(epoch: number, batchSize: number): AsyncIterable<TrainBatch>;
}

/** Hyper-parameters of the probe. */
export interface ProbeHyper {
  epochs: number;
  lr: number;
  /** Epochs (1-based, as the authors' --decreasing_lr) after which lr is multiplied by 0.1. */
  milestones: number[];
  batchSize: number;
  momentum: number;
  seed: number;
}

/** The paper's full-shot probe (docs/method.md §7). */
export const FULL_SHOT: Omit<ProbeHyper, "seed"> = {
  epochs: 30,
  lr: 30,
  milestones: [10, 20],
  batchSize: 128,
  momentum: 0.9,
};

/** The paper's few-shot probe (docs/method.md §7): the same on S_b, longer. */
export const FEW_SHOT: Omit<ProbeHyper, "seed"> = {
  epochs: 100,
  lr: 30,
  milestones: [40, 60],
  batchSize: 128,
  momentum: 0.9,
};

/** One epoch's record. */
export interface ProbeEpoch {
  epoch: number;
  lr: number;
  /** Mean cross-entropy over the epoch's images. */
  trainLoss: number;
  /** Validation accuracy, percent. */
  valAcc: number;
  /** Seconds the epoch took (training + validation). */
  seconds: number;
  /** Training images per second. */
  imgPerSec: number;
}

/** A trained probe: the best epoch's classifier and the history. */
export interface ProbeOutcome {
  /** Best classifier weight [classes, dim], row-major. */
  weight: Float32Array;
  bias: Float32Array;
  bestEpoch: number;
  bestValAcc: number;
  epochs: ProbeEpoch[];
}

/**
 * Learning rate of a 1-based epoch under MultiStepLR(milestones, 0.1) stepped once per
 * epoch: epochs 1..m₁ use lr, m₁+1..m₂ use lr/10, and so on.
 */
export function probeLr(base: number, milestones: readonly number[], epoch: number): number {
  return base * 0.1 ** milestones.filter((m) => epoch > m).length;
}

/** Initial classifier: weight ~ N(0, 0.01²) from a seeded generator, bias 0. */
export function initClassifier(
  classes: number,
  dim: number,
  seed: number,
): { weight: Float32Array; bias: Float32Array } {
  const rng = Prng.named(seed, "linear-probe-init");
  const weight = new Float32Array(classes * dim);
  for (let i = 0; i < weight.length; i++) weight[i] = 0.01 * rng.normal();
  return { weight, bias: new Float32Array(classes) };
}

/**
 * Training batches from a cached bank: each epoch a seeded permutation of its rows (keyed by
 * seed and epoch), gathered on the GPU; the last batch may be smaller (as PyTorch's
 * DataLoader without drop_last).
 */
export function cachedBatches(bank: FeatureBank, seed: number): TrainBatches {
  return {
    size: bank.n,
    async *epoch(epoch: number, batchSize: number) {
      const perm = epochPermutation(bank.n, seed, epoch);
      const labels = new Uint32Array(bank.n);
      for (let i = 0; i < bank.n; i++) labels[i] = bank.labels[perm[i]];
      const permT = Tensor.from(perm, [bank.n]);
      const labT = Tensor.from(labels, [bank.n]);
      try {
        for (let s = 0; s < bank.n; s += batchSize) {
          const n = Math.min(batchSize, bank.n - s);
          const x = gatherRows(bank, permT, { offset: s, rows: n });
          const y = Tensor.empty([n], "u32");
          engine().copy(labT.buffer, y.buffer, n * 4, s * 4, 0);
          yield { x, y, n };
        }
      } finally {
        permT.dispose();
        labT.dispose();
      }
    },
  };
}

/** Progress callback: called after every epoch with its record. */
export type OnEpoch = (e: ProbeEpoch, isBest: boolean) => void | Promise<void>;

/** The classifier's size, its data and what to do after each epoch. */
export interface LinearProbeOptions {
  /** Number of classes (rows of the classifier). */
  classes: number;
  /** Feature size (columns of the classifier). */
  dim: number;
  /** Training features and labels, one epoch at a time. */
  train: TrainBatches;
  /** Validation features and labels (accuracy after every epoch picks the kept epoch). */
  val: FeatureBank;
  /** Called after every epoch with its record. */
  onEpoch?: OnEpoch;
  /** Start from these weights instead of the seeded N(0, 0.01²) (tests feed PyTorch's). */
  init?: { weight: Float32Array; bias: Float32Array };
}

/**
 * Trains the probe: `hyper.epochs` epochs over `train`, validation accuracy on `val` after
 * each; returns the best epoch's classifier (first best on ties).
 */
export async function trainLinearProbe(
  hyper: ProbeHyper,
  o: LinearProbeOptions,
): Promise<ProbeOutcome> {
  const { classes, dim, train, val, onEpoch } = o;
  const init = o.init ?? initClassifier(classes, dim, hyper.seed);
  const W = Tensor.from(init.weight, [classes, dim], { requiresGrad: true, name: "fc.weight" })
    .keep();
  const b = Tensor.from(init.bias, [classes], { requiresGrad: true, name: "fc.bias" }).keep();
  const opt = new Sgd([W, b], { momentum: hyper.momentum, weightDecay: 0 });
  const lossSum = Tensor.zeros([1]).keep();
  const epochs: ProbeEpoch[] = [];
  let best: ProbeOutcome | null = null;
  try {
    for (let epoch = 1; epoch <= hyper.epochs; epoch++) {
      const t0 = performance.now();
      const lr = probeLr(hyper.lr, hyper.milestones, epoch);
      engine().write(lossSum.buffer, new Float32Array([0]));
      let seen = 0;
      for await (const batch of train.epoch(epoch, hyper.batchSize)) {
        tidy(() => {
          zeroGrad([W, b]);
          const loss = crossEntropy(linear(batch.x, W, b), batch.y);
          backward(loss);
          opt.step(lr);
          noGrad(() => accumulate(lossSum, scale(loss, batch.n)));
        });
        batch.x.dispose();
        batch.y.dispose();
        seen += batch.n;
      }
      const tTrain = performance.now();
      const trainLoss = (await lossSum.read())[0] / Math.max(seen, 1);
      if (!Number.isFinite(trainLoss)) {
        // Nothing after this epoch would mean anything (weights are NaN or infinite).
        throw new UserError(
          `the linear classifier diverged in epoch ${epoch} (training loss ${trainLoss} at lr ` +
            `${lr}): the frozen features are too large for this lr, as happens when a backbone's ` +
            `BN running statistics are barely trained; pretrain longer or lower --lr`,
        );
      }
      const pred = await predictBank(val, W, b);
      const valAcc = accuracyOf(pred, val.labels, classes).overall;
      const seconds = (performance.now() - t0) / 1000;
      const rec: ProbeEpoch = {
        epoch,
        lr,
        trainLoss,
        valAcc,
        seconds,
        imgPerSec: seen / Math.max((tTrain - t0) / 1000, 1e-9),
      };
      epochs.push(rec);
      const isBest = best === null || valAcc > best.bestValAcc;
      if (isBest) {
        best = {
          weight: await W.read(),
          bias: await b.read(),
          bestEpoch: epoch,
          bestValAcc: valAcc,
          epochs,
        };
      }
      await onEpoch?.(rec, isBest);
    }
  } finally {
    zeroGrad([W, b]);
    W.dispose();
    b.dispose();
    lossSum.dispose();
    opt.dispose();
  }
  if (!best) throw new Error("trainLinearProbe: no epochs");
  return { ...best, epochs };
}
