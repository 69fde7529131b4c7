/**
 * SDCLR on WebGPU: the library behind the `deno task` commands, for researchers who script
 * their own experiments. What is here is the supported surface; everything else (pools,
 * kernel plans, launch internals) may change between versions.
 *
 * - GPU tensors and autodiff: {@link initEngine}, {@link Tensor}, {@link tidy}, {@link noGrad},
 *   {@link backward}, {@link zeroGrad}, and the differentiable ops of the kernel families.
 * - Models and training: {@link ResNet} (dual BN, heads, pruning), the SDCLR and SimCLR steps,
 *   the learning-rate schedule, {@link pretrain} (the whole resumable loop).
 * - Data: datasets, the paper's and our splits, the augmenting loader.
 * - Checkpoints: `.npy`, PyTorch `.pt` (read without executing pickles; written so that
 *   `torch.load(weights_only=True)` accepts them), run checkpoints.
 * - Evaluation: linear probes, k-NN, the paper's metrics and analysis, the step profiler.
 * - Extending: {@link defineKernel} and the {@link KernelFamily} contract (README: "Adding a
 *   kernel family").
 *
 * @example One SDCLR step on random views (ResNet-10, width 8)
 * ```ts
 * import { buildArch, initEngine, initState, makeSgd, pruneModel, ResNet, Tensor, trainStep }
 *   from "./mod.ts";
 *
 * await initEngine();
 * const arch = { depth: 10, width: 8, stem: "cifar", dualBn: true, headLayers: 3, projDim: 128 } as const;
 * const model = new ResNet(arch, initState(buildArch(arch), 1));
 * const opt = makeSgd(model.namedParameters(), 0.9, 1e-4);
 * await pruneModel(model, 0.9); // SDCLR prunes at every epoch start
 * const x1 = Tensor.from(new Float32Array(8 * 3 * 32 * 32).fill(0.5), [8, 3, 32, 32]);
 * const x2 = Tensor.from(new Float32Array(8 * 3 * 32 * 32).fill(0.4), [8, 3, 32, 32]);
 * const loss = trainStep(model, opt, { method: "sdclr", x1, x2, lr: 0.1, temperature: 0.2 });
 * console.log(await loss.read()); // L1, the logged loss
 * ```
 *
 * @example Gradients of your own expression
 * ```ts
 * import { backward, initEngine, relu, scale, Tensor } from "./mod.ts";
 *
 * await initEngine();
 * const x = Tensor.from([1, -2, 3], [3], { requiresGrad: true });
 * backward(scale(relu(x), 2));
 * console.log(await x.grad!.read()); // [2, 0, 2]
 * ```
 * @module
 */

// GPU tensors and autodiff.
export { type Engine, engine, initEngine } from "./core/engine.ts";
export type { DeviceProfile } from "./core/device_profile.ts";
export { numel, Tensor, tidy, tidyAsync, zeroGrad } from "./core/tensor.ts";
export { isGradEnabled, noGrad } from "./core/tape.ts";
export { backward } from "./kernels/backward.ts";
export { UserError } from "./core/errors.ts";
export { Profiler } from "./core/profiler.ts";

// Differentiable ops (kernels/<family>/).
export { add, detach, relu, reshape, scale, sliceRows } from "./kernels/elementwise/mod.ts";
export { conv2d, type Conv2dOptions } from "./kernels/conv2d/mod.ts";
export { batchNorm, type BatchNormParams, createBatchNorm } from "./kernels/batchnorm/mod.ts";
export { globalAvgPool, maxPool2d } from "./kernels/pool/mod.ts";
export { l2Normalize, normalizeChannels } from "./kernels/normalize/mod.ts";
export { linear, matmul } from "./kernels/linear/mod.ts";
export { argmaxRows, crossEntropy, ntXent } from "./kernels/loss/mod.ts";
export { Sgd, type SgdOptions } from "./kernels/optim/mod.ts";

// Extending: kernel specs and families.
export { defineKernel, type KernelSpec } from "./core/kernel_spec.ts";
export type { BenchCase, CheckRow, KernelFamily, KernelInfo } from "./core/kernel.ts";
export { allKernels, benchCases, FAMILIES, rules } from "./kernels/registry.ts";

// Models and training.
export { type ArchConfig, buildArch, describeArch } from "./src/nn/arch.ts";
export { ResNet } from "./src/nn/resnet.ts";
export { initState } from "./src/nn/init.ts";
export { pruneModel } from "./src/nn/prune.ts";
export { embed, loadForInference } from "./src/nn/embed.ts";
export { makeSgd } from "./src/train/optim_ops.ts";
export { sdclrStep, simclrStep, type StepOptions, trainStep } from "./src/train/steps.ts";
export { lrAt } from "./src/train/schedule.ts";
export { pretrain, type PretrainConfig } from "./src/train/pretrain.ts";

// Data and splits.
export { type DatasetName, loadDataset } from "./src/data/readers/load_dataset.ts";
export { generateSplits } from "./src/data/splits.ts";
export { readSplit, readSplitIndices, resolveSplit } from "./src/data/split_read.ts";
export { splitProvenance } from "./src/data/authors_splits.ts";
export { evalLoader, Loader, pretrainLoader } from "./src/data/loader.ts";

// Files: arrays, PyTorch checkpoints, run checkpoints.
export { readNpy, writeNpy } from "./src/io/npy.ts";
export { loadTorch, saveTorch } from "./src/io/torch_file.ts";
export { loadCheckpoint, loadStateDict, saveCheckpoint } from "./src/io/checkpoint.ts";

// Evaluation and analysis.
export { trainLinearProbe } from "./src/eval/linear_probe.ts";
export { knnAccuracy } from "./src/eval/knn.ts";
export { readResults, type Results, writeResults } from "./src/eval/results.ts";
export { aggregateMetrics, runMetrics } from "./src/eval/metrics.ts";
export { analyse } from "./src/eval/analyse.ts";
export { profileStep } from "./src/bench/profile.ts";
