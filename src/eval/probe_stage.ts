/**
 * One probe stage end to end (`deno task linear` / `deno task fewshot`): inputs, frozen
 * backbone, validation (and, with --cached-features, training) feature banks, the probe's
 * training with per-epoch progress, the best classifier saved, its test accuracy overall and
 * per class, and `<run>/<stage>/results.json`. Files in the stage folder:
 * `results.json`, `epochs.csv`, `log.txt`, `best_classifier.pt` (PyTorch-loadable
 * {weight, bias}) and `train_state.json` (what --test-only needs to rebuild the results).
 * @module
 */
import { type SplitRecord, splitRecord } from "../data/authors_splits.ts";
import { getGpu } from "../../core/device.ts";
import { provenance, storedPath } from "../provenance.ts";
import { UserError } from "../../core/errors.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { OrderedDict, type PyKey } from "../io/torch_types.ts";
import type { PyWritable } from "../io/torch_pickle.ts";
import { loadTorch, saveTorch } from "../io/torch_file.ts";
import { findStateDict } from "../io/checkpoint.ts";
import { Tensor } from "../../core/tensor.ts";
import { initEngine } from "../../core/engine.ts";
import { loadForInference } from "../nn/embed.ts";
import {
  type EpochRecord,
  type Protocol,
  readResults,
  type Results,
  RESULTS_SCHEMA,
  resultsPath,
  type Stage,
  writeResults,
} from "./results.ts";
import { accuracyOf, type FeatureBank, predictBank } from "./probe_features.ts";
import {
  cachedBatches,
  type OnEpoch,
  type ProbeEpoch,
  type ProbeHyper,
  type TrainBatches,
  trainLinearProbe,
} from "./linear_probe.ts";
import {
  augmentedBatches,
  backboneExtractor,
  extractBank,
  type Extractor,
  type ProbeImages,
} from "./probe_data.ts";
import { cacheFile, type FeatureCache, readCachedBank, writeCachedBank } from "./feature_cache.ts";
import { sha256Hex } from "../io/sha256.ts";
import { loadProbeInputs, type ProbeInputs, type ProbeInputSpec } from "./probe_inputs.ts";

/** Everything a stage run needs. */
export interface ProbeStageOptions extends ProbeInputSpec {
  stage: Stage;
  checkpoint: string;
  /** Run folder; the stage writes into `<out>/<stage>/`. */
  out: string;
  hyper: ProbeHyper;
  method: string;
  label?: string;
  testOnly: boolean;
  cachedFeatures: boolean;
  force: boolean;
  quiet?: boolean;
  /** The command that started this stage (recorded in results.json). */
  invocation?: { task: string; args: string[]; cwd: string };
  /** The WebGPU adapter line of the run (set by runProbeStage). */
  adapter?: string;
  /** Un-augmented features shared with the run's other probe stage (set by runProbeStage). */
  featureCache?: FeatureCache;
}

/** What a stage run did. */
export interface ProbeStageResult {
  skipped: boolean;
  results: Results;
  path: string;
}

/** The per-epoch CSV columns. */
export const EPOCH_COLUMNS = ["epoch", "lr", "train_loss", "val_acc", "seconds", "img_per_s"];

/** Saved after training so that --test-only can rebuild results.json. */
interface TrainState {
  best_epoch: number;
  val_acc: number;
  epochs: EpochRecord[];
  protocol: Protocol;
  hyper: ProbeHyper;
  max_train: number | null;
  train_images: number;
}

class StageLog {
  constructor(readonly path: string, readonly quiet = false) {}
  async line(msg: string): Promise<void> {
    if (!this.quiet) console.log(msg);
    await Deno.writeTextFile(this.path, `${new Date().toISOString()} ${msg}\n`, { append: true });
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UserError(`${path}: unreadable (${(e as Error).message}); rerun without --test-only`);
  }
}

/** Existing results that satisfy this request (same protocol), or null. */
async function finished(o: ProbeStageOptions): Promise<Results | null> {
  try {
    const r = await readResults(resultsPath(o.out, o.stage));
    return r.protocol === protocolOf(o) ? r : null;
  } catch {
    return null;
  }
}

function protocolOf(o: ProbeStageOptions): Protocol {
  return o.cachedFeatures ? "cached-features" : "paper";
}

function csvRow(e: ProbeEpoch): string {
  return [
    e.epoch,
    e.lr,
    e.trainLoss.toPrecision(6),
    e.valAcc.toFixed(2),
    e.seconds.toFixed(2),
    e.imgPerSec.toFixed(1),
  ]
    .join(",");
}

async function saveClassifier(path: string, w: Float32Array, b: Float32Array, classes: number) {
  const dim = w.length / classes;
  const sd = new OrderedDict<PyKey, PyWritable>([
    ["weight", { dtype: "float32", shape: [classes, dim], data: w }],
    ["bias", { dtype: "float32", shape: [classes], data: b }],
  ]);
  await saveTorch(path, sd);
}

async function loadClassifier(path: string): Promise<{ weight: Float32Array; bias: Float32Array }> {
  const sd = findStateDict(await loadTorch(path), path);
  const w = sd.get("weight"), b = sd.get("bias");
  if (!w || !b || w.dtype !== "float32" || b.dtype !== "float32") {
    throw new UserError(`${path}: expected float32 'weight' and 'bias'; rerun without --test-only`);
  }
  return { weight: w.data as Float32Array, bias: b.data as Float32Array };
}

async function bank(
  extract: Extractor,
  images: ProbeImages,
  what: "val" | "train" | "test",
  ctx: { log: StageLog; cache?: FeatureCache },
) {
  const { log, cache } = ctx;
  const t0 = performance.now();
  const file = cache ? await cacheFile(cache, images, what) : null;
  const cached = file && !cache!.refresh ? await readCachedBank(file, images) : null;
  const b = cached ?? await extractBank(extract, images);
  if (file && !cached) await writeCachedBank(file, b);
  const s = (performance.now() - t0) / 1000;
  await log.line(
    `${what} features: ${images.n} images → ${b.dim}-d features (${s.toFixed(1)} s${
      cached ? `, read from ${file}` : ""
    })`,
  );
  return b;
}

/** Runs one probe stage (see module doc); skips when complete results already exist. */
export async function runProbeStage(o: ProbeStageOptions): Promise<ProbeStageResult> {
  const path = resultsPath(o.out, o.stage);
  if (!o.force && !o.testOnly) {
    const done = await finished(o);
    if (done) return { skipped: true, results: done, path };
  }
  try {
    await Deno.stat(o.checkpoint);
  } catch {
    throw new UserError(
      `--checkpoint ${o.checkpoint}: file not found; pretrain first or fix the path`,
    );
  }
  const inputs = loadProbeInputs(o);
  await initEngine({ quiet: o.quiet });
  const adapter = (await getGpu()).description;
  const loaded = await loadForInference(o.checkpoint);
  const featureCache: FeatureCache = {
    dir: `${o.out}/feature_cache`,
    checkpointSha256: await sha256Hex(await Deno.readFile(o.checkpoint)),
    refresh: o.force,
  };
  try {
    return await runProbeWith(
      { ...o, adapter, featureCache },
      inputs,
      backboneExtractor(loaded.model),
    );
  } finally {
    loaded.model.dispose();
  }
}

/**
 * The stage on given inputs and feature extractor (tests use synthetic ones): banks,
 * training (or the saved classifier with --test-only), test evaluation, output files.
 */
export async function runProbeWith(
  o: ProbeStageOptions,
  inputs: ProbeInputs,
  extract: Extractor,
): Promise<ProbeStageResult> {
  const dir = `${o.out.replace(/\/+$/, "")}/${o.stage}`;
  const path = resultsPath(o.out, o.stage);
  await Deno.mkdir(dir, { recursive: true });
  const log = new StageLog(`${dir}/log.txt`, o.quiet);
  const protocol = protocolOf(o);
  const { classes } = inputs;
  await log.line(
    `${o.stage} probe of ${o.checkpoint}: ${inputs.train.n} train (${inputs.train.name}), ` +
      `${inputs.val.n} val, ${inputs.test.n} test images, ${classes} classes` +
      (o.maxTrain !== undefined ? ` [--max-train ${o.maxTrain}]` : ""),
  );
  if (protocol === "cached-features") {
    await log.line(
      "NOTE: --cached-features: features computed once WITHOUT augmentation; this is NOT the " +
        "paper's protocol (results.json records protocol: cached-features)",
    );
  }
  const banks: FeatureBank[] = [];
  try {
    const val = await bank(extract, inputs.val, "val", { log, cache: o.featureCache });
    banks.push(val);
    const dim = val.dim;
    let state: TrainState;
    let weight: Float32Array, bias: Float32Array;
    if (o.testOnly) {
      const saved = await readJson<TrainState>(`${dir}/train_state.json`);
      if (!saved) {
        throw new UserError(
          `--test-only: ${dir}/train_state.json not found; train the probe first`,
        );
      }
      state = saved;
      ({ weight, bias } = await loadClassifier(`${dir}/best_classifier.pt`));
      if (weight.length !== classes * dim) {
        throw new UserError(`${dir}/best_classifier.pt: weight is not [${classes}, ${dim}]`);
      }
    } else {
      let train: TrainBatches;
      if (protocol === "cached-features") {
        const tb = await bank(extract, inputs.train, "train", { log, cache: o.featureCache });
        banks.push(tb);
        train = cachedBatches(tb, o.seed);
      } else train = augmentedBatches(extract, inputs.train, o.seed);
      const h = o.hyper;
      await log.line(
        `training Linear(${dim}, ${classes}): ${h.epochs} epochs, batch ${h.batchSize}, SGD lr ` +
          `${h.lr} (×0.1 after epochs ${
            h.milestones.join(", ") || "none"
          }), momentum ${h.momentum}, wd 0`,
      );
      const csv: string[] = [EPOCH_COLUMNS.join(",")];
      const onEpoch: OnEpoch = async (e, isBest) => {
        csv.push(csvRow(e));
        await writeFileAtomic(`${dir}/epochs.csv`, csv.join("\n") + "\n");
        await log.line(
          `epoch ${e.epoch}/${h.epochs}  lr ${e.lr.toPrecision(3)}  loss ${
            e.trainLoss.toFixed(4)
          }  ` +
            `val ${e.valAcc.toFixed(2)}%${isBest ? " *" : ""}  ${e.imgPerSec.toFixed(0)} img/s`,
        );
      };
      const outcome = await trainLinearProbe(h, { classes, dim, train, val, onEpoch });
      weight = outcome.weight;
      bias = outcome.bias;
      state = {
        best_epoch: outcome.bestEpoch,
        val_acc: outcome.bestValAcc,
        epochs: outcome.epochs.map((e) => ({
          epoch: e.epoch,
          val_acc: e.valAcc,
          train_loss: e.trainLoss,
        })),
        protocol,
        hyper: h,
        max_train: o.maxTrain ?? null,
        train_images: inputs.train.n,
      };
      await saveClassifier(`${dir}/best_classifier.pt`, weight, bias, classes);
      await writeFileAtomic(`${dir}/train_state.json`, JSON.stringify(state, null, 2) + "\n");
    }
    const test = await bank(extract, inputs.test, "test", { log, cache: o.featureCache });
    banks.push(test);
    const W = Tensor.from(weight, [classes, dim]);
    const b = Tensor.from(bias, [classes]);
    const acc = accuracyOf(await predictBank(test, W, b), test.labels, classes);
    W.dispose();
    b.dispose();
    const empty = acc.counts.flatMap((n, c) => (n === 0 ? [c] : []));
    if (empty.length) {
      const shown = empty.slice(0, 10).join(", ") +
        (empty.length > 10 ? ` … (${empty.length} classes)` : "");
      await log.line(`warning: classes without test images (accuracy 0 reported): ${shown}`);
    }
    // Paths inside the run folder are stored relative to the stage folder (src/provenance.ts).
    const rel = (p: string) => storedPath(p, dir, o.out);
    const files = Object.fromEntries(Object.entries(inputs.files).map(([k, v]) => [k, rel(v)]));
    const record = await splitRecord(inputs.files);
    const splits: SplitRecord = {
      ...record,
      files: Object.fromEntries(
        Object.entries(record.files).map(([k, f]) => [k, { ...f, path: rel(f.path) }]),
      ),
    };
    const results: Results & Record<string, unknown> = {
      schema: RESULTS_SCHEMA,
      stage: o.stage,
      method: o.method,
      ...(o.label ? { label: o.label } : {}),
      dataset: o.dataset,
      split: inputs.splitName,
      classes,
      ...(inputs.classNames?.length === classes ? { class_names: inputs.classNames } : {}),
      train_counts: inputs.trainCounts,
      grouping: inputs.grouping,
      best_epoch: state.best_epoch,
      val_acc: state.val_acc,
      test_acc: acc.overall,
      per_class_acc: acc.perClass,
      epochs: state.epochs,
      checkpoint: rel(o.checkpoint),
      protocol: state.protocol,
      created: new Date().toISOString(),
      hyper: state.hyper,
      seed: o.seed,
      max_train: state.max_train,
      images: { train: state.train_images, val: inputs.val.n, test: inputs.test.n },
      data: o.data ?? null,
      image_size: o.imageSize ?? null,
      split_files: files,
      splits,
      provenance: await provenance({
        task: o.invocation?.task ?? o.stage,
        args: o.invocation?.args ?? [],
        cwd: o.invocation?.cwd ?? Deno.cwd(),
        seed: o.seed,
        adapter: o.adapter ?? "none (features from the caller)",
      }),
    };
    await writeResults(path, results);
    await log.line(
      `best epoch ${state.best_epoch} (val ${state.val_acc.toFixed(2)}%): test ${
        acc.overall.toFixed(2)
      }% → ${path}`,
    );
    return { skipped: false, results, path };
  } finally {
    for (const bk of banks) bk.dispose();
  }
}
