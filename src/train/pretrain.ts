/**
 * The pretraining loop (`deno task pretrain`): data, model, optimizer, per-epoch pruning
 * (SDCLR), the per-iteration schedule, logging, checkpoints and exact resume.
 *
 * Options beyond the paper (docs/method.md §10): a temperature schedule (τ a function of the
 * epoch) and BCL (a per-image loss memory whose weights boost the augmentation of hard images).
 *
 * Resume is exact because every random choice is keyed rather than streamed: the batch order
 * by (seed, epoch), each view's augmentation by (seed, epoch, image, view); a checkpoint holds
 * the weights, both BN sets with their counters, the momentum buffers, the masks of the
 * current epoch, the global step and (BCL) the loss memory and weights, which together fix
 * everything that follows.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { engine, initEngine } from "../../core/engine.ts";
import { startTuning, type TuneMode } from "../tuning.ts";
import { readAll, type Tensor } from "../../core/tensor.ts";
import { getGpu } from "../../core/device.ts";
import {
  describeProvenance,
  type SplitProvenance,
  splitProvenance,
  type SplitSource,
} from "../data/authors_splits.ts";
import {
  type Checkpoint,
  loadCheckpoint,
  loadStateDict,
  saveCheckpoint,
} from "../io/checkpoint.ts";
import type { TorchTensor } from "../io/torch_types.ts";
import { type ArchConfig, buildArch, describeArch } from "../nn/arch.ts";
import { initState } from "../nn/init.ts";
import { maskSparsity, pruneModel, setMasks } from "../nn/prune.ts";
import { ResNet } from "../nn/resnet.ts";
import { hostToTorch, torchToHost } from "../nn/state_dict.ts";
import { type AugmentMode, LIST_VIEW_SIZE, loadTrainImages, ViewSource } from "./data.ts";
import { makeSgd, type TrainOptimizer } from "./optim_ops.ts";
import { formatDuration, progressLine, RunFiles } from "./run_files.ts";
import { fromStored, toStored } from "./run_config.ts";
import { provenance, provenanceLine } from "../provenance.ts";
import { seedWords } from "../../core/prng.ts";
import { lrAt } from "./schedule.ts";
import { LossLog, type Method, trainStep } from "./steps.ts";
import { describeTau, tauAt, type TauScheduleName } from "./tau.ts";
import { type BclConfig, BclState, describeWeights, type WeightDistribution } from "./bcl.ts";

/** Everything that defines a run (saved as config.json and inside every checkpoint). */
export interface PretrainConfig {
  method: Method;
  arch: ArchConfig;
  dataset: string | null;
  data: string | null;
  split: string | null;
  epochs: number;
  batchSize: number;
  lr: number;
  temperature: number;
  prunePercent: number;
  seed: number;
  augment: AugmentMode;
  imageSize: number;
  saveEvery: number;
  logEvery: number;
  warmupEpochs: number;
  minLr: number;
  momentum: number;
  weightDecay: number;
  init: string | null;
  /**
   * Drop each epoch's last partial batch (`--drop-last`). Default false, as the authors'
   * loader: ceil(N / B) iterations per epoch. Runs saved before the option existed dropped
   * it, so a saved config without the field resumes with true.
   */
  dropLast?: boolean;
  /** Whose files a split name means (absent in runs made before it existed: by dataset). */
  splitSource?: SplitSource;
  /** The split file used and where it came from (sha256, authors' or generated). */
  splitFile?: SplitProvenance | null;
  /** k-NN monitor: every this many epochs into knn.csv (null: off). */
  knnEvery?: number | null;
  /** k-NN monitor: at most this many train-list images (null: all). */
  knnMaxTrain?: number | null;
  /** The temperature schedule (absent in runs made before it existed: constant). */
  tauSchedule?: TauScheduleName;
  /** The cosine schedule's τ−, τ+ and half period T in epochs. */
  tauMin?: number;
  tauMax?: number;
  tauPeriod?: number;
  /** BCL's settings, or null (absent in older runs): off. */
  bcl?: BclConfig | null;
}

/** Per-invocation options that are not part of the run's definition. */
export interface RunOptions {
  out: string;
  resume: boolean;
  /** Stop after this many global steps (checkpointing first). */
  maxSteps: number | null;
  quiet?: boolean;
  /** Choose the stem from the image size once the images are loaded. */
  autoStem?: boolean;
  /**
   * Called after each epoch's checkpoint (e.g. the k-NN monitor); must not change the model.
   * A returned string is logged.
   */
  onEpochEnd?: (model: ResNet, epoch: number, step: number, dir: string) => Promise<string | void>;
  /**
   * Checked after every step (see stop.ts): once requested, the run writes
   * checkpoint_last.pt at the step it finished and returns with `stoppedBy` set.
   */
  stop?: { readonly signal: Deno.Signal | null };
  /** The command that started this invocation (recorded in config.json and train.log). */
  invocation?: { task: string; args: string[]; cwd: string };
  /** `--config FILE`: the saved config this run replays and its split file's SHA-256. */
  replayOf?: { path: string; splitSha256?: string };
  /** Console lines when not on a terminal: every this many seconds (default 60). */
  progressEverySec?: number;
  /** `--tune` / `--retune` (src/tuning.ts; default auto). */
  tune?: { mode: TuneMode; retune: boolean };
}

/** What a finished invocation reports. */
export interface PretrainResult {
  step: number;
  epoch: number;
  losses: number[];
  dir: string;
  /** The signal that stopped the run before its end (checkpoint written), else null. */
  stoppedBy: Deno.Signal | null;
}

async function startState(cfg: PretrainConfig, files: RunFiles, resume: boolean) {
  if (resume) {
    if (!(await files.has("checkpoint_last.pt"))) {
      // Killed before its first epoch ended: the run exists (config.json) but has nothing to
      // resume from, so it starts again from step 0 with the settings it was started with.
      if (await files.has("config.json")) {
        const saved = fromStored(
          JSON.parse(await Deno.readTextFile(files.path("config.json"))),
          files.dir,
        );
        await files.truncateMetrics(0);
        await files.log(
          `--resume: ${files.dir} has no checkpoint yet (stopped before its first epoch ` +
            "ended); starting the run from the beginning with its saved config.json",
        );
        return { ck: null, cfg: savedConfig(saved) };
      }
      throw new UserError(
        `--resume: ${files.dir} holds no run (neither checkpoint_last.pt nor config.json); ` +
          "drop --resume to start one there",
      );
    }
    const ck = await loadCheckpoint(files.path("checkpoint_last.pt"));
    return { ck, cfg: savedConfig(fromStored(ck.config as PretrainConfig, files.dir)) };
  }
  if (await files.has("checkpoint_last.pt")) {
    throw new UserError(
      `${files.dir} already holds a run (checkpoint_last.pt); add --resume to continue it or ` +
        `choose another --out`,
    );
  }
  return { ck: null, cfg: { ...cfg, dropLast: cfg.dropLast ?? false } };
}

/** A config read back from a run folder (those written before `dropLast` existed dropped). */
function savedConfig(saved: PretrainConfig): PretrainConfig {
  return { ...saved, dropLast: saved.dropLast ?? true };
}

/**
 * Refuses a last batch of one image for SDCLR: each branch runs its own forward on the B
 * images of one view, so the head's BatchNorm1d would see one value per channel, where
 * PyTorch (the authors' code) raises "Expected more than 1 value per channel when training".
 * SimCLR forwards both views as one batch of 2B rows and is fine.
 */
function checkLastBatch(cfg: PretrainConfig, n: number): void {
  if (cfg.method !== "sdclr" || cfg.dropLast || n % cfg.batchSize !== 1) return;
  throw new UserError(
    `${n} images at --batch-size ${cfg.batchSize} leave a last batch of 1 image, which SDCLR's ` +
      "batch norm cannot train on (PyTorch raises for it too); choose another --batch-size " +
      "or add --drop-last",
  );
}

function hostFor(
  cfg: PretrainConfig,
  ck: Checkpoint | null,
  initSd: Map<string, TorchTensor> | null,
) {
  const arch = buildArch(cfg.arch);
  if (ck) return torchToHost(arch, ck.stateDict, { source: "checkpoint_last.pt" });
  if (initSd) return torchToHost(arch, initSd, { source: cfg.init ?? "--init" });
  return initState(arch, cfg.seed);
}

/** Runs (or resumes) pretraining; returns the losses this invocation logged. */
export async function pretrain(cliCfg: PretrainConfig, o: RunOptions): Promise<PretrainResult> {
  const files = new RunFiles(o.out, o.quiet);
  const start = await startState(cliCfg, files, o.resume);
  const ck = start.ck;
  let cfg = start.cfg;
  // Everything the run reads is checked before its folder is made: a mistyped flag or a
  // missing file leaves nothing behind.
  const data = await loadTrainImages({
    dataset: cfg.dataset ?? undefined,
    data: cfg.data ?? undefined,
    split: cfg.split ?? undefined,
    splitSource: cfg.splitSource,
  }, cfg.imageSize);
  const initSd = !ck && cfg.init ? await loadStateDict(cfg.init) : null;
  if (!ck && cfg.imageSize === 0) {
    // File lists have no single size: their views take the ImageNet size.
    const imageSize = data.height ?? LIST_VIEW_SIZE;
    const stem = o.autoStem ? (imageSize > 64 ? "imagenet" : "cifar") : cfg.arch.stem;
    cfg = { ...cfg, imageSize, arch: { ...cfg.arch, stem } };
  }
  checkLastBatch(cfg, data.n);
  const e = await initEngine({ quiet: o.quiet });
  const bcl = cfg.bcl ? new BclState(data.n, cfg.bcl) : null;
  const views = new ViewSource(data, {
    mode: cfg.augment,
    seed: cfg.seed,
    size: cfg.imageSize,
    batchSize: cfg.batchSize,
    dropLast: cfg.dropLast,
    boost: bcl ? { k: bcl.cfg.k, strength: bcl.cfg.strength, weights: () => bcl.host } : undefined,
  });
  const ipe = views.itersPerEpoch;
  const total = cfg.epochs * ipe;
  await files.create();
  const tuneLine = await startTuning(o.tune?.mode ?? "auto", {
    retune: o.tune?.retune,
    warn: (l) => console.error(l),
  });
  if (tuneLine) await files.log(tuneLine, { fileOnly: true });
  const prov = await provenance({
    task: o.invocation?.task ?? "pretrain",
    args: o.invocation?.args ?? [],
    cwd: o.invocation?.cwd ?? Deno.cwd(),
    seed: cfg.seed,
    adapter: (await getGpu()).description,
  });
  await files.log(`command: ${prov.command} (in ${prov.cwd})`, { fileOnly: true });
  await files.log(provenanceLine(prov), { fileOnly: true });
  const model = new ResNet(cfg.arch, hostFor(cfg, ck, initSd));
  const opt: TrainOptimizer = makeSgd(model.namedParameters(), cfg.momentum, cfg.weightDecay);
  let step = 0;
  let elapsed = 0;
  if (ck) {
    opt.loadMomentum(ck.momentum);
    if (ck.masks.size) {
      setMasks(model, new Map([...ck.masks].map(([k, t]) => [k, t.data as Uint8Array])));
    }
    step = ck.step;
    elapsed = (ck.config as { elapsed?: number }).elapsed ?? 0;
    bcl?.load(ck.bcl, files.path("checkpoint_last.pt"));
    await files.truncateMetrics(step);
    await files.log(`resumed at step ${step} (epoch ${Math.floor(step / ipe) + 1})`);
  } else {
    cfg = { ...cfg, splitFile: data.splitFile ? await splitProvenance(data.splitFile) : null };
    await files.writeConfig({ ...toStored(cfg, files.dir), provenance: prov });
    if (cfg.splitFile) await files.log(`split ${describeProvenance(cfg.splitFile)}`);
    if (o.replayOf) {
      await files.log(`replaying ${o.replayOf.path}`);
      const want = o.replayOf.splitSha256;
      if (want && cfg.splitFile && want !== cfg.splitFile.sha256) {
        await files.log(
          `warning: the split file differs from the replayed run's (sha256 ` +
            `${cfg.splitFile.sha256.slice(0, 12)}… here, ${want.slice(0, 12)}… there)`,
        );
      }
    }
    if (cfg.warmupEpochs >= cfg.epochs) {
      await files.log(
        `note: the warm-up (${cfg.warmupEpochs} epochs) covers the whole run of ${cfg.epochs}: ` +
          `the learning rate only reaches ${
            lrAt(total - 1, { ...cfg, itersPerEpoch: ipe }).toPrecision(3)
          } instead of its peak ${cfg.lr}; shorten it with --warmup-epochs`,
      );
    }
    await files.log(
      `${cfg.method} pretraining: ${describeArch(cfg.arch)}; ${data.n} images from ` +
        `${data.origin}${
          cfg.split ? ` (split ${cfg.split})` : ""
        }; ${cfg.epochs} epochs × ${ipe} ` +
        `iterations of ${cfg.batchSize}${lastBatchNote(cfg, data.n)}; ${describeTau(cfg)}; ` +
        `weight decay ${cfg.weightDecay}${bclNote(cfg.bcl)}`,
    );
  }
  const stopAt = Math.min(total, o.maxSteps ?? total);
  const sched = { ...cfg, itersPerEpoch: ipe };
  const logEvery = Math.max(1, cfg.logEvery);
  const lossLog = new LossLog(logEvery);
  const losses: number[] = [];
  let sparsity = model.masks ? await currentSparsity(model) : 0;
  // The BCL weights the current epoch augments with (metrics.csv shows their distribution).
  let boost: WeightDistribution | null = bcl ? bcl.distribution() : null;
  // θ of the current masks (a checkpoint keeps it, so a mid-epoch resume logs it too).
  let threshold = (ck?.config as { pruneThreshold?: number } | undefined)?.pruneThreshold ?? NaN;
  const t0 = performance.now();
  let lastSaved = ck ? step : -1;
  let windowStart = performance.now();
  let windowSteps = 0;
  // Throughput for the log lines: since the last progress line, and over the current epoch.
  const progressEveryMs = 1000 * (o.progressEverySec ?? 60);
  let progressStart = performance.now();
  let progressSteps = 0;
  let epochStart = performance.now();
  let epochSteps = 0;
  const save = async (name: string) => {
    const host = await model.toHost();
    await saveCheckpoint(files.path(name), {
      stateDict: hostToTorch(model.arch, host),
      momentum: await opt.momentum(),
      masks: await masksForCheckpoint(model),
      epoch: Math.floor(step / ipe),
      step,
      rng: [...seedWords(cfg.seed), step],
      config: {
        ...toStored(cfg, files.dir),
        elapsed: elapsed + (performance.now() - t0) / 1000,
        ...(Number.isFinite(threshold) ? { pruneThreshold: threshold } : {}),
      },
      bcl: bcl ? await bcl.toCheckpoint() : undefined,
    });
  };
  const flushLog = async () => {
    const got = await lossLog.drain();
    if (!got.length) return;
    losses.push(...got);
    const mean = got.reduce((a, b) => a + b, 0) / got.length;
    const time = elapsed + (performance.now() - t0) / 1000;
    const epoch = Math.floor((step - 1) / ipe) + 1;
    const now = performance.now();
    const secPerStep = (now - windowStart) / 1000 / Math.max(windowSteps, 1);
    await files.metric({
      epoch,
      step,
      loss: mean,
      lr: lrAt(step - 1, sched),
      tau: tauAt(epoch, cfg),
      sparsity,
      prune_threshold: threshold,
      img_per_s: cfg.batchSize / secPerStep,
      time,
      bcl_w_mean: boost?.mean ?? NaN,
      bcl_w_max: boost?.max ?? NaN,
      bcl_w_above_half: boost?.above ?? NaN,
    });
    const line = {
      epoch,
      epochs: cfg.epochs,
      iter: step - (epoch - 1) * ipe,
      iters: ipe,
      loss: mean,
      imgPerSec: cfg.batchSize / secPerStep,
      etaSec: (stopAt - step) * secPerStep,
    };
    files.progress(progressLine(line));
    progressSteps += windowSteps;
    windowStart = now;
    windowSteps = 0;
    // For people not watching a terminal (train.log, Slurm output): the same numbers as the
    // bar, averaged since the previous such line, every progressEverySec seconds.
    if (now - progressStart >= progressEveryMs && step < stopAt && step % ipe !== 0) {
      const sps = (now - progressStart) / 1000 / progressSteps;
      await files.record(
        progressLine({ ...line, imgPerSec: cfg.batchSize / sps, etaSec: (stopAt - step) * sps }, {
          bar: false,
        }),
      );
      progressStart = now;
      progressSteps = 0;
    }
  };
  const stopSignal = () => o.stop?.signal ?? null;
  let stoppedBy: Deno.Signal | null = null;
  try {
    while (step < stopAt && !stopSignal()) {
      const epoch = Math.floor(step / ipe);
      const b = step % ipe;
      if (cfg.method === "sdclr" && (b === 0 || !model.masks)) {
        const r = await pruneModel(model, cfg.prunePercent);
        sparsity = r.sparsity;
        threshold = r.threshold;
        await files.log(
          `epoch ${epoch + 1}: pruned ${r.total - r.masks.reduce((a, m) => a + count(m), 0)} of ` +
            `${r.total} conv weights (θ = ${r.threshold.toExponential(4)}, sparsity ${
              (100 * sparsity).toFixed(2)
            }%)`,
        );
      }
      const { x1, x2, items } = await views.batch(epoch, b);
      const lr = lrAt(step, sched);
      const tau = tauAt(epoch + 1, cfg);
      const memorise = bcl && items
        ? (samples: Tensor) => bcl.update(samples, items, epoch + 1)
        : undefined;
      const loss = trainStep(model, opt, {
        method: cfg.method,
        x1,
        x2,
        lr,
        temperature: tau,
        onSamples: memorise,
      });
      lossLog.push(loss);
      for (const t of [loss, x1, x2, items]) t?.dispose();
      // Shapes this step met for the first time on this adapter: time them now (their
      // winners run from the next step on, and from the first in later runs).
      if (e.tuner?.pendingCount) {
        await files.log(`autotune: timing ${e.tuner.pendingCount} new conv shape(s)`);
        await e.tunePending((l) => files.log(l, { fileOnly: true }));
      }
      step++;
      windowSteps++;
      epochSteps++;
      const epochEnd = step % ipe === 0;
      const flush = lossLog.pending >= logEvery || epochEnd || step === stopAt || stopSignal();
      if (flush) await flushLog();
      if (epochEnd) {
        const done = step / ipe;
        const avg = lastEpochMean(losses, ipe);
        const now = performance.now();
        const sps = (now - epochStart) / 1000 / Math.max(epochSteps, 1);
        await files.log(
          `epoch ${done}/${cfg.epochs} done: mean loss ${avg.toFixed(4)}, ` +
            `${(cfg.batchSize / sps).toFixed(1)} img/s, ETA ${
              formatDuration((stopAt - step) * sps)
            }${cfg.tauSchedule === "cosine" ? `, τ ${tauAt(done, cfg).toPrecision(4)}` : ""}`,
        );
        if (bcl) {
          boost = await bcl.endEpoch();
          await files.log(
            `epoch ${done}: BCL weights for epoch ${done + 1}: ` + describeWeights(boost),
          );
        }
        if (done % cfg.saveEvery === 0 || done === cfg.epochs) {
          await save(`checkpoint_epoch${done}.pt`);
        }
        await save("checkpoint_last.pt");
        lastSaved = step;
        const note = await o.onEpochEnd?.(model, done, step, o.out);
        if (note) await files.log(note);
        epochStart = progressStart = performance.now();
        epochSteps = progressSteps = 0;
      }
    }
    // A signal during the last awaits: its step's loss still goes to metrics.csv.
    if (lossLog.pending) await flushLog();
    if (lastSaved !== step) await save("checkpoint_last.pt");
    files.clearProgress();
    stoppedBy = step < stopAt ? stopSignal() : null;
    if (step >= total) await files.log(`finished: ${step} steps (${engine().compiledSummary()})`);
    else if (stoppedBy) {
      const where = step === 0
        ? "before its first step"
        : step % ipe === 0
        ? `end of epoch ${step / ipe}`
        : `epoch ${Math.floor(step / ipe) + 1}, ${step % ipe} of ${ipe} iterations done`;
      await files.log(
        `stopped by ${stoppedBy} at step ${step} (${where}); checkpoint_last.pt holds that ` +
          "step; continue with --resume",
      );
    } else await files.log(`stopped at step ${step} (--max-steps)`);
  } finally {
    lossLog.dispose();
    model.dispose();
    opt.dispose();
    bcl?.dispose();
  }
  return { step, epoch: Math.floor(step / ipe), losses, dir: o.out, stoppedBy };
}

function bclNote(b: BclConfig | null | undefined): string {
  return b ? `; BCL (β ${b.beta}, k ${b.k}, strength ${b.strength})` : "";
}

function lastBatchNote(cfg: PretrainConfig, n: number): string {
  const rest = n % cfg.batchSize;
  if (rest === 0) return "";
  return cfg.dropLast
    ? ` (--drop-last: the last ${rest} images of each epoch's order are not used)`
    : ` (the last of ${rest})`;
}

function count(m: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i];
  return s;
}

function lastEpochMean(losses: number[], ipe: number): number {
  const tail = losses.slice(-ipe);
  return tail.reduce((a, b) => a + b, 0) / Math.max(tail.length, 1);
}

async function masksForCheckpoint(model: ResNet): Promise<Map<string, TorchTensor>> {
  const out = new Map<string, TorchTensor>();
  if (!model.masks) return out;
  const entries = [...model.masks];
  const data = await readAll(entries.map(([, t]) => t));
  for (const [i, [key, t]] of entries.entries()) {
    const v = data[i];
    out.set(key.replace(/\.weight$/, ""), {
      dtype: "bool",
      shape: [...t.shape],
      data: Uint8Array.from(v, (x) => (x ? 1 : 0)),
    });
  }
  return out;
}

async function currentSparsity(model: ResNet): Promise<number> {
  const data = await readAll([...model.masks!.values()]);
  const ms = data.map((v) => Uint8Array.from(v, (x) => (x ? 1 : 0)));
  return maskSparsity(ms);
}
