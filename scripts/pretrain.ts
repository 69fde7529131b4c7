/**
 * `deno task pretrain`: SimCLR or SDCLR pretraining on the GPU engine.
 * @module
 */
import { type CommandSpec, num, parseCommand, runMain } from "../src/cli.ts";
import { UserError } from "../core/errors.ts";
import { initEngine } from "../core/engine.ts";
import type { ArchConfig, Depth } from "../src/nn/arch.ts";
import { pretrain, type PretrainConfig, type RunOptions } from "../src/train/pretrain.ts";
import { KnnMonitor } from "../src/eval/knn_monitor.ts";
import type { DatasetName } from "../src/data/readers/load_dataset.ts";
import { SPLIT_SOURCES, type SplitSource } from "../src/data/authors_splits.ts";
import { PREEMPTED_EXIT, StopRequest } from "../src/train/stop.ts";

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
    temperature: { type: "string", default: "0.2", help: "NT-Xent temperature" },
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
      help: "views: the spec's SimCLR augmentation, or the images as they are",
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
    quiet: { type: "boolean", help: "no console output (the log files are still written)" },
  },
  epilog: "Example: deno task pretrain --data imgs.npy --model res18 --width 16 --epochs 5 " +
    "--batch-size 64 --out runs/try\n" +
    `SIGTERM, SIGUSR1 or Ctrl-C: the run finishes its current step, saves checkpoint_last.pt ` +
    `at that step and exits with status ${PREEMPTED_EXIT}; --resume continues it exactly.`,
};

async function main() {
  const p = parseCommand(spec);
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
    : num(p, "head-layers", { int: true });
  if (headLayers !== 2 && headLayers !== 3) throw new UserError("--head-layers must be 2 or 3");
  const prune = num(p, "prune-percent");
  if (prune < 0 || prune >= 1) {
    throw new UserError(`--prune-percent must be in [0, 1), got ${prune}`);
  }
  const imageSize = p["image-size"] === undefined ? 0 : num(p, "image-size", { int: true, min: 8 });
  const arch: ArchConfig = {
    depth: Number(String(p.model).slice(3)) as Depth,
    width: num(p, "width", { int: true, min: 1 }),
    stem: (p.stem as "cifar" | "imagenet" | undefined) ?? (imageSize > 64 ? "imagenet" : "cifar"),
    dualBn,
    headLayers,
    projDim: 128,
  };
  const cfg: PretrainConfig = {
    method,
    arch,
    dataset: (p.dataset as string | undefined) ?? null,
    data: (p.data as string | undefined) ?? null,
    split: (p.split as string | undefined) ?? null,
    splitSource: p["split-source"] as SplitSource | undefined,
    epochs: num(p, "epochs", { int: true, min: 1 }),
    batchSize: num(p, "batch-size", { int: true, min: 2 }),
    lr: num(p, "lr", { min: 0 }),
    temperature: num(p, "temperature"),
    prunePercent: prune,
    seed: num(p, "seed", { int: true, min: 0 }),
    augment: p.augment as "simclr" | "none",
    imageSize,
    saveEvery: num(p, "save-every", { int: true, min: 1 }),
    logEvery: num(p, "log-every", { int: true, min: 1 }),
    warmupEpochs: num(p, "warmup-epochs", { min: 0 }),
    minLr: 1e-6,
    momentum: 0.9,
    weightDecay: 1e-4,
    init: (p.init as string | undefined) ?? null,
    dropLast: p["drop-last"] === true,
  };
  if (!(cfg.temperature > 0)) throw new UserError("--temperature must be > 0");
  const out = (p.out as string | undefined) ??
    `runs/${method}-${p.model}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`;
  if (p.resume && p.out === undefined) throw new UserError("--resume needs --out RUN_FOLDER");
  await initEngine({ quiet: Boolean(p.quiet) });
  let onEpochEnd: RunOptions["onEpochEnd"];
  if (p["knn-every"] !== undefined) {
    if (!cfg.dataset) throw new UserError("--knn-every needs --dataset (its train/val lists)");
    const monitor = KnnMonitor.fromDataset({
      dataset: cfg.dataset as DatasetName,
      data: cfg.data && !cfg.data.endsWith(".npy") ? cfg.data : undefined,
      every: num(p, "knn-every", { int: true, min: 1 }),
      maxTrain: p["knn-max-train"] === undefined
        ? undefined
        : num(p, "knn-max-train", { int: true, min: 1 }),
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
    maxSteps: p["max-steps"] === undefined ? null : num(p, "max-steps", { int: true, min: 1 }),
    quiet: Boolean(p.quiet),
    autoStem: p.stem === undefined && imageSize === 0,
    onEpochEnd,
    stop,
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

if (import.meta.main) await runMain(main);
