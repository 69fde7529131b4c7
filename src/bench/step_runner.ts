/**
 * One training step of a chosen configuration, ready to run repeatedly: the model (random
 * init), the optimizer, and the step's inputs — either the suite's loader on synthetic
 * CIFAR-like images (gather, draw, pack, upload, augment: what pretraining does) or fixed
 * random views uploaded once (the step alone). Used by `deno task profile` and
 * `deno task bench --step`.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import { syntheticImages } from "../../kernels/augment/bench.ts";
import { recipe } from "../../kernels/augment/params.ts";
import { type ArchConfig, buildArch, type Depth } from "../nn/arch.ts";
import { initState } from "../nn/init.ts";
import { pruneModel } from "../nn/prune.ts";
import { ResNet } from "../nn/resnet.ts";
import { imageSetSource, Loader } from "../data/loader.ts";
import { makeSgd, type TrainOptimizer } from "../train/optim_ops.ts";
import { type Method, trainStep } from "../train/steps.ts";

/** What to run. */
export interface StepConfig {
  method: Method;
  depth: Depth;
  width: number;
  batchSize: number;
  imageSize: number;
  /** Views from the loader (per step: prepare + upload + augment) or fixed random views. */
  loader: boolean;
  seed?: number;
}

/** A ready step. */
export interface StepRunner {
  readonly config: StepConfig;
  readonly model: ResNet;
  /** Records one step (and, with the loader, its batch); no readback, no wait. */
  step(): Promise<void>;
  dispose(): void;
}

/** The spec's architecture for a method at a width (CIFAR stem below 64 px). */
export function archFor(c: StepConfig): ArchConfig {
  const dual = c.method === "sdclr";
  return {
    depth: c.depth,
    width: c.width,
    stem: c.imageSize > 64 ? "imagenet" : "cifar",
    dualBn: dual,
    headLayers: dual ? 3 : 2,
    projDim: 128,
  };
}

/** Builds the model, optimizer and inputs of `c` (pruned once, as at an epoch start). */
export async function makeStepRunner(c: StepConfig): Promise<StepRunner> {
  const arch = archFor(c);
  const model = new ResNet(arch, initState(buildArch(arch), c.seed ?? 1));
  const opt: TrainOptimizer = makeSgd(model.namedParameters(), 0.9, 1e-4);
  if (c.method === "sdclr") await pruneModel(model, 0.9);
  const side = c.imageSize, b = c.batchSize;
  let next: () => Promise<[Tensor, Tensor, () => void]>;
  let loader: Loader | null = null;
  if (c.loader) {
    // Enough images for several batches; the order is reshuffled every "epoch".
    const n = 4 * b;
    const images = syntheticImages(n, side);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const set = { images, labels, n, height: side, width: side, channels: 3, classes: 10 };
    loader = new Loader(imageSetSource(set), {
      recipe: recipe(side > 64 ? "imagenet" : "cifar", side),
      batchSize: b,
      seed: 0,
    });
    let i = 0;
    next = async () => {
      const batch = await loader!.batch(Math.floor(i / 4), i % 4);
      i++;
      return [batch.views[0], batch.views[1], () => batch.dispose()];
    };
  } else {
    // Random pixels scaled to [0, 1], like the loader's output.
    const x = (seed: number) =>
      Tensor.from(Float32Array.from(syntheticImages(b, side, seed), (v) => v / 255), [
        b,
        3,
        side,
        side,
      ]).keep();
    const v1 = x(11), v2 = x(12);
    next = () => Promise.resolve([v1, v2, () => {}]);
    const dispose = () => [v1, v2].forEach((t) => t.dispose());
    return runner(c, model, opt, next, dispose);
  }
  return runner(c, model, opt, next, () => {});
}

function runner(
  config: StepConfig,
  model: ResNet,
  opt: TrainOptimizer,
  next: () => Promise<[Tensor, Tensor, () => void]>,
  disposeInputs: () => void,
): StepRunner {
  return {
    config,
    model,
    async step() {
      const [x1, x2, done] = await next();
      const loss = trainStep(model, opt, {
        method: config.method,
        x1,
        x2,
        lr: 0.1,
        temperature: 0.2,
      });
      loss.dispose();
      done();
      engine().flush();
    },
    dispose() {
      disposeInputs();
      opt.dispose();
      model.dispose();
    },
  };
}
