/**
 * `deno task pretrain`: SimCLR or SDCLR pretraining on the GPU engine.
 * @module
 */
import {
  callerCwd,
  type CommandSpec,
  num,
  optNum,
  parseCommand,
  runMain,
  takeConfigFlag,
  userPath,
} from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import type { ArchConfig, Depth } from "../src/nn/arch.ts";
import { pretrain, type PretrainConfig, type RunOptions } from "../src/train/pretrain.ts";
import { KnnMonitor } from "../src/eval/knn_monitor.ts";
import {
  DATASET_NAMES,
  type DatasetName,
  LIST_DATASETS,
} from "../src/data/readers/load_dataset.ts";
import { SPLIT_SOURCES, type SplitSource } from "../src/data/authors_splits.ts";
import { PREEMPTED_EXIT, StopRequest } from "../src/train/stop.ts";
import { isSplitPath } from "../src/data/split_read.ts";
import { configArgs, readStoredConfig } from "../src/train/run_config.ts";
import { TUNE_OPTIONS, tuneFlags } from "../src/tuning.ts";
import { TAU_SCHEDULES } from "../src/train/tau.ts";
import { bclSettingOptions, beyondSettings, TAU_SETTING_OPTIONS } from "../src/pipeline/methods.ts";

const PRETRAIN_DATASETS: readonly string[] = [...DATASET_NAMES, ...Object.keys(LIST_DATASETS)];

const spec: CommandSpec = {
  name: "pretrain",
  description:
    "Contrastive pretraining (SimCLR, or SDCLR with its pruned self-competitor and dual BN). " +
    "Writes a run folder: config.json, train.log, metrics.csv, checkpoint_last.pt and " +
    "checkpoint_epoch<N>.pt (PyTorch-loadable, the authors' key layout).",
  options: {
    dataset: {
      type: "string",
      help: "dataset name (cifar10, cifar100, fashion-mnist; imagenet100, imagenet: file lists)",
    },
    data: {
      type: "string",
      help: "images as .npy (uint8 [N,H,W,C]), or the dataset's folder (ImageNet: the root)",
    },
    split: {
      type: "string",
      help: "pretraining images: a split file (.npy indices), with --dataset a name " +
        "(split1_D_i); ImageNet: a list file (relative/path.JPEG label lines)",
    },
    "split-source": {
      type: "string",
      choices: SPLIT_SOURCES,
      help: "what a split NAME means for CIFAR: the authors' released files (the paper's " +
        "splits, shipped in splits/authors/) or ours from deno task splits [default: authors]",
    },
    method: { type: "string", default: "sdclr", choices: ["sdclr", "simclr"], help: "method" },
    model: {
      type: "string",
      default: "res18",
      choices: ["res10", "res18", "res34", "res50"],
      help: "backbone",
    },
    width: { type: "string", default: "64", help: "base width (64 in the paper; 8 or 16 to test)" },
    epochs: { type: "string", default: "2000", help: "epochs" },
    "batch-size": { type: "string", default: "512", help: "batch size" },
    "drop-last": {
      type: "boolean",
      help: "drop each epoch's last partial batch (default: keep it, as the authors' loader: " +
        "ceil(N / batch) iterations per epoch)",
    },
    lr: { type: "string", default: "0.5", help: "peak learning rate" },
    temperature: {
      type: "string",
      default: "0.2",
      help: "NT-Xent temperature (with --tau-schedule constant)",
    },
    "tau-schedule": {
      type: "string",
      default: "constant",
      choices: TAU_SCHEDULES,
      help: "temperature per epoch: constant (--temperature) or cosine, τ(e) = τ− + (τ+ − τ−)·" +
        "(1 + cos(π e / T))/2 for the 1-based epoch e (Kukleva et al. 2023; docs/method.md §10)",
    },
    ...TAU_SETTING_OPTIONS,
    bcl: {
      type: "boolean",
      help: "boosted contrastive learning (Zhou et al. 2022): a per-image loss memory whose " +
        "weights give hard images stronger RandAugment views (docs/method.md §10); BCL-I with " +
        "--method simclr, BCL-D with sdclr",
    },
    ...bclSettingOptions("BCL"),
    "weight-decay": {
      type: "string",
      help: "SGD weight decay [default: 1e-4, the SDCLR/SimCLR runs'; 5e-4 with --bcl, the " +
        "released BCL runs']",
    },
    "prune-percent": { type: "string", default: "0.9", help: "SDCLR prune fraction" },
    "dual-bn": { type: "boolean", help: "dual BN (default: on for sdclr, off for simclr)" },
    "head-layers": {
      type: "string",
      help: "projection head depth 2 or 3 (default: 3 with dual BN, else 2)",
    },
    seed: { type: "string", default: "1", help: "random seed" },
    out: { type: "string", help: "run folder [default: runs/<method>-<model>-<timestamp>]" },
    resume: {
      type: "boolean",
      help: "continue the run in --out from its checkpoint_last.pt (with its saved settings); " +
        "a run stopped before its first checkpoint starts again from step 0 with its config.json",
    },
    init: { type: "string", help: "initial weights (.pt of this suite or PyTorch)" },
    "max-steps": { type: "string", help: "stop after this many optimizer steps in total" },
    augment: {
      type: "string",
      default: "simclr",
      choices: ["simclr", "none"],
      help: "views: the SimCLR augmentation of docs/method.md §2, or the images as they are",
    },
    "save-every": {
      type: "string",
      default: "100",
      help: "keep checkpoint_epoch<N>.pt every N epochs",
    },
    "image-size": {
      type: "string",
      help: "view size [default: the images' size; 224 for ImageNet lists]",
    },
    stem: {
      type: "string",
      choices: ["cifar", "imagenet"],
      help: "stem [default: imagenet for views larger than 64, else cifar]",
    },
    "warmup-epochs": { type: "string", default: "10", help: "linear warm-up epochs" },
    "log-every": { type: "string", default: "10", help: "read the loss every N steps" },
    "knn-every": {
      type: "string",
      help: "k-NN accuracy of the dense backbone every N epochs into knn.csv (needs --dataset)",
    },
    "knn-max-train": { type: "string", help: "k-NN: use at most this many train-list images" },
    config: {
      type: "string",
      help: "replay a run from its saved config.json (into a new --out); flags given beside " +
        "it override the saved ones",
    },
    quiet: { type: "boolean", help: "no console output (the log files are still written)" },
    ...TUNE_OPTIONS,
  },
  epilog: "Relative paths are relative to the folder you type the command in.\n" +
    "Examples:\n  deno task pretrain --data imgs.npy --model res18 --width 16 --epochs 5 " +
    "--batch-size 64 --out runs/try\n" +
    "  deno task pretrain --config runs/try/config.json --epochs 10 --out runs/try10\n" +
    `SIGTERM, SIGUSR1 or Ctrl-C: the run finishes its current step, saves checkpoint_last.pt ` +
    `at that step and exits with status ${PREEMPTED_EXIT}; --resume continues it exactly.`,
};

/** `--config FILE`: its saved flags first, then the ones typed beside it (which override). */
async function withConfig(args: string[]) {
  const { file, rest } = takeConfigFlag(args);
  if (file === undefined) return { args, replay: undefined };
  if (rest.includes("--resume")) {
    throw new UserError(
      "--config replays a run into a new folder; to continue a run use --resume --out RUN_FOLDER",
    );
  }
  const saved = await readStoredConfig(file);
  return {
    args: [...configArgs(saved), ...rest],
    replay: { path: file, splitSha256: saved.splitFile?.sha256 },
  };
}

async function main() {
  const typed = [...Deno.args];
  const { args, replay } = await withConfig(typed);
  const p = parseCommand(spec, args);
  const given = new Set(p.given);
  // Listen first: a stop signal during start-up (loading data, compiling kernels) then stops
  // the run after its first step instead of killing it.
  const stop = StopRequest.listen({
    quiet: Boolean(p.quiet),
    what: "finishing the current step, then saving checkpoint_last.pt and stopping",
  });
  const method = p.method as "sdclr" | "simclr";
  const dualBn = typeof p["dual-bn"] === "boolean" ? p["dual-bn"] : method === "sdclr";
  const headLayers = p["head-layers"] === undefined
    ? (dualBn ? 3 : 2)
    : num(p, "head-layers", { int: true, min: 2, max: 3 }) as 2 | 3;
  const prune = num(p, "prune-percent", { min: 0, below: 1 });
  const imageSize = optNum(p, "image-size", { int: true, min: 8 }) ?? 0;
  if (method === "simclr" && !replay) {
    // SimCLR has no pruned branch: these settings would be recorded but change nothing.
    const idle = ["prune-percent", "dual-bn"].filter((k) => given.has(k) && p[k] !== false);
    if (idle.length) {
      console.error(
        `note: ${idle.map((k) => `--${k}`).join(", ")} ha${
          idle.length > 1 ? "ve" : "s"
        } no effect with --method simclr (no pruned branch)`,
      );
    }
  }
  if (given.has("knn-max-train") && !given.has("knn-every")) {
    throw new UserError("--knn-max-train needs --knn-every N (the k-NN monitor is off without it)");
  }
  if (p.resume && p.out === undefined) throw new UserError("--resume needs --out RUN_FOLDER");
  const arch: ArchConfig = {
    depth: Number(String(p.model).slice(3)) as Depth,
    width: num(p, "width", { int: true, min: 1 }),
    stem: (p.stem as "cifar" | "imagenet" | undefined) ?? (imageSize > 64 ? "imagenet" : "cifar"),
    dualBn,
    headLayers,
    projDim: 128,
  };
  const data = userPath(p.data as string | undefined);
  const split = p.split as string | undefined;
  const epochs = num(p, "epochs", { int: true, min: 1 });
  // (A replayed config may carry settings of a schedule or BCL that a later flag turned off.)
  const beyond = beyondSettings(p, p.bcl === true, Boolean(replay));
  const cosine = beyond.tau.schedule === "cosine";
  const tau = cosine
    ? { tauMin: beyond.tau.min, tauMax: beyond.tau.max, tauPeriod: beyond.tau.period }
    : {};
  if (!p.bcl && !replay) {
    const idle = ["bcl-beta", "bcl-k", "bcl-strength"].filter((k) => given.has(k));
    if (idle.length) {
      throw new UserError(`${idle.map((k) => `--${k}`).join(", ")} set BCL: add --bcl`);
    }
  }
  const bcl = beyond.bcl;
  const cfg: PretrainConfig = {
    method,
    arch,
    dataset: (p.dataset as string | undefined) ?? null,
    data: data ?? null,
    // A split name (split1_D_i) stays a name; a path is relative to where the user typed.
    split: split === undefined ? null : isSplitPath(split) ? userPath(split) : split,
    splitSource: p["split-source"] as SplitSource | undefined,
    epochs,
    batchSize: num(p, "batch-size", { int: true, min: 2 }),
    lr: num(p, "lr", { min: 0 }),
    temperature: num(p, "temperature", { above: 0 }),
    tauSchedule: beyond.tau.schedule,
    ...tau,
    bcl,
    prunePercent: prune,
    seed: num(p, "seed", { int: true, min: 0 }),
    augment: p.augment as "simclr" | "none",
    imageSize,
    saveEvery: num(p, "save-every", { int: true, min: 1 }),
    logEvery: num(p, "log-every", { int: true, min: 1 }),
    warmupEpochs: num(p, "warmup-epochs", { min: 0 }),
    minLr: 1e-6,
    momentum: 0.9,
    weightDecay: optNum(p, "weight-decay", { min: 0 }) ?? (bcl ? 5e-4 : 1e-4),
    init: userPath(p.init as string | undefined) ?? null,
    dropLast: p["drop-last"] === true,
    knnEvery: optNum(p, "knn-every", { int: true, min: 1 }) ?? null,
    knnMaxTrain: optNum(p, "knn-max-train", { int: true, min: 1 }) ?? null,
  };
  // A resumed run takes its data and settings from its own config.json.
  if (!p.resume && cfg.dataset === null && data === undefined) {
    throw new UserError(
      "no training data: give --dataset NAME [--data DIR] or --data IMAGES.npy " +
        "(see: deno task pretrain --help)",
    );
  }
  if (cfg.dataset !== null && !PRETRAIN_DATASETS.includes(cfg.dataset)) {
    throw new UserError(
      `--dataset must be one of ${PRETRAIN_DATASETS.join(", ")}, got "${cfg.dataset}"`,
    );
  }
  if (cfg.init !== null) mustExist(cfg.init, "--init", "a .pt checkpoint");
  const out = userPath(
    (p.out as string | undefined) ??
      `runs/${method}-${p.model}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`,
  );
  let onEpochEnd: RunOptions["onEpochEnd"];
  const knnEvery = cfg.knnEvery;
  if (knnEvery != null) {
    if (!cfg.dataset || cfg.dataset in LIST_DATASETS) {
      throw new UserError(
        "--knn-every needs --dataset fashion-mnist, cifar10 or cifar100 (its train/val lists)",
      );
    }
    const monitor = KnnMonitor.fromDataset({
      dataset: cfg.dataset as DatasetName,
      data: cfg.data && !cfg.data.endsWith(".npy") ? cfg.data : undefined,
      every: knnEvery,
      maxTrain: cfg.knnMaxTrain ?? undefined,
      seed: cfg.seed,
      splitSource: cfg.splitSource,
    });
    onEpochEnd = async (model, epoch, step, dir) => {
      if (!monitor.due(epoch, cfg.epochs)) return;
      const acc = await monitor.record(model, dir, epoch, step);
      return `epoch ${epoch}: k-NN accuracy ${acc.toFixed(2)}%`;
    };
  }
  const r = await pretrain(cfg, {
    out,
    resume: Boolean(p.resume),
    maxSteps: optNum(p, "max-steps", { int: true, min: 1 }) ?? null,
    quiet: Boolean(p.quiet),
    autoStem: p.stem === undefined && imageSize === 0,
    onEpochEnd,
    stop,
    invocation: { task: "pretrain", args: typed, cwd: callerCwd() },
    replayOf: replay,
    tune: tuneFlags(p),
  });
  stop.dispose();
  if (!p.quiet) console.log(`run folder: ${r.dir}`);
  if (r.stoppedBy) {
    console.error(
      `stopped by ${r.stoppedBy} at step ${r.step}; checkpoint_last.pt saved; continue with: ` +
        `deno task pretrain --out ${out} --resume`,
    );
    Deno.exit(PREEMPTED_EXIT);
  }
}

function mustExist(path: string, flag: string, what: string): void {
  try {
    if (Deno.statSync(path).isFile) return;
  } catch { /* reported below */ }
  throw new UserError(`${flag} ${path}: no such file (expected ${what})`);
}

if (import.meta.main) await runMain(main);
