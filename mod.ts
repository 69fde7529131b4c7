/**
 * SDCLR on WebGPU: the public API of the suite.
 *
 * - GPU and autodiff: `initEngine`, `Tensor`, `tidy`, `noGrad`, `backward`, and the ops of the
 *   kernel families (conv2d with fused masks, batch norm, pooling, normalisation, linear,
 *   NT-Xent, cross-entropy, SGD).
 * - Models and training: ResNets with dual BN, heads, pruning, the SDCLR/SimCLR steps.
 * - Data, checkpoints (.npy, PyTorch .pt), evaluation and analysis.
 * @module
 */
export * from "./src/cli.ts";
export * from "./src/io/npy.ts";
export { Engine, engine, initEngine } from "./core/engine.ts";
export { getGpu, type GpuContext } from "./core/device.ts";
export { BufferPool } from "./core/pool.ts";
export { numel, Tensor, tidy, tidyAsync } from "./core/tensor.ts";
export {
  isGradEnabled,
  noGrad,
  record,
  type RecordOptions,
  type Rule,
  type SavedMap,
} from "./core/tape.ts";
export { backward } from "./kernels/backward.ts";
export { zeroGrad } from "./core/tensor.ts";
export { rules } from "./kernels/registry.ts";
export { allKernels } from "./kernels/registry.ts";
export {
  accumulate,
  add,
  detach,
  gatherRowsInto,
  relu,
  reshape,
  scale,
} from "./kernels/elementwise/mod.ts";
export { conv2d } from "./kernels/conv2d/mod.ts";
export { batchNorm, type BatchNormParams, createBatchNorm } from "./kernels/batchnorm/mod.ts";
export { globalAvgPool, maxPool2d } from "./kernels/pool/mod.ts";
export { l2Normalize, normalizeChannels } from "./kernels/normalize/mod.ts";
export { linear, matmul } from "./kernels/linear/mod.ts";
export { argmaxRows, crossEntropy, ntXent } from "./kernels/loss/mod.ts";
export { KNN_MAX_K, knnVote } from "./kernels/knn/mod.ts";
export { Sgd } from "./kernels/optim/mod.ts";
export * from "./src/nn/mod.ts";
export { lrAt } from "./src/train/schedule.ts";
export { sdclrStep, simclrStep, type StepOptions } from "./src/train/steps.ts";
export { pretrain } from "./src/train/pretrain.ts";
export * from "./src/data/mod.ts";
export { evalLoader, Loader, pretrainLoader } from "./src/data/loader.ts";
export { loadTorch, saveTorch } from "./src/io/torch_file.ts";
export {
  expectKeys,
  type ExpectKeysOptions,
  loadCheckpoint,
  loadStateDict,
  saveCheckpoint,
} from "./src/io/checkpoint.ts";
export { readResults, type Results, writeResults } from "./src/eval/results.ts";
export { aggregateMetrics, runMetrics } from "./src/eval/metrics.ts";
export { analyse } from "./src/eval/analyse.ts";
export { knnAccuracy } from "./src/eval/knn.ts";
export { type LinearProbeOptions, trainLinearProbe } from "./src/eval/linear_probe.ts";
