/**
 * Pretraining: the SDCLR and SimCLR steps, the learning-rate schedule, the training data
 * views, the optimizer adapter, the run folder and the resumable loop.
 * @module
 */
export * from "./data.ts";
export * from "./optim_ops.ts";
export * from "./pretrain.ts";
export * from "./run_files.ts";
export * from "./schedule.ts";
export * from "./steps.ts";
