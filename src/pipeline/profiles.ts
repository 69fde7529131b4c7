/**
 * The four experiment scripts of the authors (`cmds/shell_scrips/*.sh`), described as data:
 * which options each accepts, with the same names, short flags and defaults, and how each
 * builds its run name (`pretrain_name`). The options are declared here once and parsed by
 * `options.ts`; values are kept as the strings the user typed because the run name embeds
 * them verbatim (`--lr 0.50` and `--lr 0.5` name different runs, as in the originals).
 * @module
 */
import type { OptionSpec } from "../cli.ts";

/** The experiment scripts, by `deno task` name. */
export type ScriptName = "cifar10-lt" | "cifar100-lt" | "imagenet100-lt" | "imagenet-lt";

/** Every script name. */
export const SCRIPT_NAMES: readonly ScriptName[] = [
  "cifar10-lt",
  "cifar100-lt",
  "imagenet100-lt",
  "imagenet-lt",
];

/** Values the name builders read (the authors' variable names, as typed). */
export interface NameValues {
  epochs: string;
  split: string;
  lr: string;
  temp: string;
  batchSize: string;
  seed: string;
  prune: boolean;
  prunePercent: string;
  dualBn: boolean;
  randomPrunePercent: string;
}

/** One script's description. */
export interface ScriptProfile {
  name: ScriptName;
  /** The authors' file it replaces. */
  authorsScript: string;
  /** "cifar": in-memory data and .npy index splits; "imagenet": list files and a root. */
  family: "cifar" | "imagenet";
  /** Data sets `--dataset` may choose; the first is the default. */
  datasets: readonly string[];
  /** Our `--model` default (the authors' res18 / res50). */
  model: string;
  /** The authors' options, in their order (our extras are added by options.ts). */
  options: Record<string, OptionSpec>;
  /** Option names that only make sense on the authors' cluster (accepted, no effect here). */
  noEffect: readonly string[];
  /** The authors' option that holds the pretraining batch size. */
  batchOption: string;
  /** The authors' option that holds the pretraining learning rate (none: fixed 0.5). */
  lrOption?: string;
  /** The authors' option that holds the temperature (none: fixed 0.2). */
  tempOption?: string;
  /** Builds the authors' `pretrain_name` (the run folder name). */
  runName(v: NameValues): string;
  /** Few-shot split name of pretraining split k (CIFAR) or the fixed list (ImageNet). */
  fewShotSplit(k: number | null): string;
}

const NO_EFFECT_HELP = {
  port: "accepted for compatibility; no effect (one process, no torch.distributed rendezvous)",
  workers: "accepted for compatibility; no effect (no loader processes: images are read and " +
    "decoded in-process on the CPU, ImageNet JPEGs with jpeg-js, one batch ahead, and augmented " +
    "on the GPU)",
  gpus: "accepted for compatibility; no effect (the suite drives one WebGPU device)",
};

const bool = (def: string, help: string): OptionSpec => ({
  type: "string",
  default: def,
  help: `${help} (True/False)`,
});

function clusterOptions(workers: string): Record<string, OptionSpec> {
  return {
    port: { type: "string", short: "p", default: "4833", help: NO_EFFECT_HELP.port },
    workers: { type: "string", short: "w", default: workers, help: NO_EFFECT_HELP.workers },
    GPU_NUM: { type: "string", short: "g", default: "1", help: NO_EFFECT_HELP.gpus },
  };
}

function pruneSuffix(v: NameValues, random = false): string {
  if (!v.prune) return "";
  let s = `_pruneP${v.prunePercent}`;
  if (v.dualBn) s += "DualBN";
  if (random && v.randomPrunePercent !== "0") s += `RandomP${v.randomPrunePercent}`;
  return s;
}

const pruneOptions = (percent: string): Record<string, OptionSpec> => ({
  prune: bool("False", "SDCLR: train against a pruned copy of the network"),
  prune_percent: {
    type: "string",
    default: percent,
    help: "fraction of conv weights pruned in the SDCLR branch (docs/method.md §5)",
  },
  prune_dual_bn: bool("False", "SDCLR: separate BN sets for the dense and pruned branches"),
});

const cifarCommon = (split: string, fewLr: string, fewEpochs: string) =>
  ({
    epochs: { type: "string", short: "e", default: "2000", help: "pretraining epochs" },
    split: {
      type: "string",
      short: "s",
      default: split,
      help: "pretraining split (splitK_D_i long-tail, splitK_D_b balanced control)",
    },
    ...clusterOptions("5"),
    lr: { type: "string", default: "0.5", help: "pretraining learning rate (at batch 512)" },
    batch_size: { type: "string", default: "512", help: "pretraining batch size" },
    temp: { type: "string", default: "0.2", help: "NT-Xent temperature" },
    only_finetuning: bool("False", "skip pretraining; probe the existing checkpoint"),
    test_only: bool("False", "probes only recompute test results from their saved classifiers"),
    few_shot_only: bool("False", "run only the few-shot probe"),
    few_shot_lr: {
      type: "string",
      default: fewLr,
      help: "accepted but unused, as in the authors' script (the few-shot probe uses lr 30; " +
        "change it with deno task fewshot --lr)",
    },
    few_shot_epochs: {
      type: "string",
      default: fewEpochs,
      help: "accepted but unused, as in the authors' script (the few-shot probe trains 100 " +
        "epochs; change it with deno task fewshot --epochs)",
    },
  }) satisfies Record<string, OptionSpec>;

const CIFAR10: ScriptProfile = {
  name: "cifar10-lt",
  authorsScript: "cifar-10-LT.sh",
  family: "cifar",
  datasets: ["cifar10", "fashion-mnist"],
  model: "res18",
  options: {
    ...cifarCommon("split1_D_i", "0.01", "200"),
    ...pruneOptions("0.7"),
    pretrain_batch_size: {
      type: "string",
      help: "accepted but unused, as in the authors' script (use --batch_size)",
    },
  },
  noEffect: ["port", "workers", "GPU_NUM", "few_shot_lr", "few_shot_epochs", "pretrain_batch_size"],
  batchOption: "batch_size",
  lrOption: "lr",
  tempOption: "temp",
  runName: (v) =>
    `res18_scheduling_sgd_temp${v.temp}_wd1e-4_lr${v.lr}_b${v.batchSize}_twolayerProj_epoch` +
    `${v.epochs}_${v.split}_newNT_s${v.seed}` + pruneSuffix(v),
  fewShotSplit: (k) => `split${k}_S_b`,
};

const CIFAR100: ScriptProfile = {
  name: "cifar100-lt",
  authorsScript: "cifar-100-LT.sh",
  family: "cifar",
  datasets: ["cifar100"],
  model: "res18",
  options: {
    ...cifarCommon("cifar100_split1_D_i", "0.02", "300"),
    ...pruneOptions("0.7"),
    random_prune_percent: {
      type: "string",
      default: "0",
      help: "random pruning on top of magnitude pruning; only 0 is supported here",
    },
  },
  noEffect: ["port", "workers", "GPU_NUM", "few_shot_lr", "few_shot_epochs"],
  batchOption: "batch_size",
  lrOption: "lr",
  tempOption: "temp",
  runName: (v) =>
    `res18_cifar100_scheduling_sgd_temp${v.temp}_wd1e-4_lr${v.lr}_b${v.batchSize}_o128_` +
    `twolayerProj_epoch${v.epochs}_${v.split}_newNT_s${v.seed}` + pruneSuffix(v, true),
  fewShotSplit: (k) => `cifar100_split${k}_S_b`,
};

const IMAGENET100: ScriptProfile = {
  name: "imagenet100-lt",
  authorsScript: "imagenet-100-res50-LT.sh",
  family: "imagenet",
  datasets: ["imagenet100"],
  model: "res50",
  options: {
    epochs: { type: "string", short: "e", default: "500", help: "pretraining epochs" },
    split: {
      type: "string",
      short: "s",
      default: "imageNet_100_LT_train",
      help: "pretraining list (a .txt name in the split folder, without .txt)",
    },
    ...clusterOptions("10"),
    data: { type: "string", help: "ImageNet root folder (holding train/ and val/); required" },
    seed: { type: "string", default: "1", help: "pretraining seed" },
    temp: { type: "string", default: "0.2", help: "NT-Xent temperature" },
    pretrain_lr: { type: "string", default: "0.5", help: "pretraining learning rate" },
    ...pruneOptions("0.3"),
    pretrain_batch_size: { type: "string", default: "256", help: "pretraining batch size" },
    only_pretraining: bool("False", "run only the pretraining"),
    only_finetuning: bool("False", "skip pretraining; probe the existing checkpoint"),
    test_only: bool("False", "probes only recompute test results from their saved classifiers"),
    only_few_shot: bool("False", "run only the few-shot probe"),
    few_shot_split: {
      type: "string",
      default: "imageNet_100_sub_balance_train_0.01",
      help: "few-shot training list (a .txt name in the split folder)",
    },
    linear_eval_seed: { type: "string", default: "1", help: "seed of the probes" },
  },
  noEffect: ["port", "workers", "GPU_NUM"],
  batchOption: "pretrain_batch_size",
  lrOption: "pretrain_lr",
  tempOption: "temp",
  runName: (v) =>
    `${v.split}_res50_scheduling_sgd_lr${v.lr}_temp${v.temp}_epoch${v.epochs}_batch` +
    `${v.batchSize}` + pruneSuffix(v),
  fewShotSplit: () => "imageNet_100_sub_balance_train_0.01",
};

const IMAGENET_LT: ScriptProfile = {
  name: "imagenet-lt",
  authorsScript: "imagenet-res50-LT.sh",
  family: "imagenet",
  datasets: ["imagenet"],
  model: "res50",
  options: {
    epochs: { type: "string", short: "e", default: "500", help: "pretraining epochs" },
    split: {
      type: "string",
      short: "s",
      default: "imageNet_LT_exp_train",
      help: "pretraining list (a .txt name in the split folder, without .txt)",
    },
    ...clusterOptions("10"),
    data: { type: "string", help: "ImageNet root folder (holding train/ and val/); required" },
    pretrain_batch_size: { type: "string", default: "256", help: "pretraining batch size" },
    only_finetuning: bool("False", "skip pretraining; probe the existing checkpoint"),
    test_only: bool("False", "probes only recompute test results from their saved classifiers"),
    // Not in the authors' imagenet-res50-LT.sh (it only trains SimCLR); added so SDCLR runs
    // on ImageNet-LT name themselves like the other scripts' runs.
    ...pruneOptions("0.7"),
  },
  noEffect: ["port", "workers", "GPU_NUM"],
  batchOption: "pretrain_batch_size",
  runName: (v) =>
    `${v.split}_res50_scheduling_sgd_lr${v.lr}_temp${v.temp}_epoch${v.epochs}_batch` +
    `${v.batchSize}` + pruneSuffix(v),
  fewShotSplit: () => "imageNet_sub_balance_train_0.01",
};

/** Profiles by script name. */
export const PROFILES: Record<ScriptName, ScriptProfile> = {
  "cifar10-lt": CIFAR10,
  "cifar100-lt": CIFAR100,
  "imagenet100-lt": IMAGENET100,
  "imagenet-lt": IMAGENET_LT,
};
