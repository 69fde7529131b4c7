/**
 * The k-NN monitor as the pretraining loop uses it (`--knn-every N`): every N epochs (and
 * after the last), backbone features of the train list and the val list (dense branch,
 * inference-mode BN, no augmentation) are computed, L2-normalised, and the weighted k-NN
 * accuracy of the val list against the train list (knn.ts) is returned and appended to
 * `knn.csv` in the run folder (epoch, step, knn_acc, seconds).
 * @module
 */
import { writeFileAtomic } from "../../core/fs.ts";
import type { ResNet } from "../nn/resnet.ts";
import { toRgb } from "../data/readers/types.ts";
import { type DatasetName, loadDataset } from "../data/readers/load_dataset.ts";
import { readSplitIndices, resolveSplit } from "../data/split_read.ts";
import type { SplitSource } from "../data/authors_splits.ts";
import { epochPermutation } from "../../core/prng.ts";
import { KNN_DEFAULTS, knnAccuracy, normalizeBank } from "./knn.ts";
import {
  backboneExtractor,
  extractBank,
  imagesFromSet,
  type ProbeImages,
  restrictImages,
} from "./probe_data.ts";

/** Options of the monitor. */
export interface KnnMonitorOptions {
  /** Run every this many epochs (and after the last epoch). */
  every: number;
  k?: number;
  temperature?: number;
  /** Feature extraction batch size (default 256). */
  batch?: number;
}

/** Column name of the monitor's accuracy (percent) in CSV files. */
export const KNN_COLUMN = "knn_acc";

/** The monitor: fixed train / val images, evaluated on demand. */
export class KnnMonitor {
  constructor(
    readonly train: ProbeImages,
    readonly val: ProbeImages,
    readonly options: KnnMonitorOptions,
  ) {
    if (!(Number.isInteger(options.every) && options.every >= 1)) {
      throw new RangeError(`KnnMonitor: every must be a positive integer, got ${options.every}`);
    }
  }

  /**
   * A monitor on a dataset's train and val lists (split names or files, resolved as
   * `deno task linear` does); `maxTrain` keeps a seeded subset of the train list.
   */
  static fromDataset(
    o: {
      dataset: DatasetName;
      data?: string;
      trainSplit?: string;
      valSplit?: string;
      maxTrain?: number;
      seed?: number;
      splitSource?: SplitSource;
    } & KnnMonitorOptions,
  ): KnnMonitor {
    const set = toRgb(loadDataset(o.dataset, "train", o.data));
    const r = (spec: string) => resolveSplit(spec, o.dataset, { source: o.splitSource });
    const val = readSplitIndices(r(o.valSplit ?? "val"), { poolSize: set.n });
    const tr = readSplitIndices(r(o.trainSplit ?? "train"), {
      poolSize: set.n,
      exclude: val,
    });
    let train = imagesFromSet(set, tr, o.trainSplit ?? "train");
    if (o.maxTrain !== undefined && o.maxTrain < train.n) {
      const perm = epochPermutation(train.n, o.seed ?? 0, 0x7ffe);
      train = restrictImages(train, Array.from(perm.subarray(0, o.maxTrain)).sort((a, b) => a - b));
    }
    return new KnnMonitor(train, imagesFromSet(set, val, o.valSplit ?? "val"), o);
  }

  /** Whether the monitor runs after (1-based) `epoch` of `epochs`. */
  due(epoch: number, epochs: number): boolean {
    return epoch % this.options.every === 0 || epoch === epochs;
  }

  /** k-NN accuracy (percent) of the model's current dense-branch features. */
  async evaluate(model: ResNet): Promise<number> {
    const extract = backboneExtractor(model);
    const batch = this.options.batch ?? 256;
    const train = await extractBank(extract, this.train, { batch });
    try {
      const val = await extractBank(extract, this.val, { batch });
      try {
        normalizeBank(train);
        normalizeBank(val);
        const acc = await knnAccuracy(train, val, {
          k: this.options.k ?? KNN_DEFAULTS.k,
          temperature: this.options.temperature ?? KNN_DEFAULTS.temperature,
          classes: Math.max(this.train.classes, this.val.classes),
        });
        return acc.overall;
      } finally {
        val.dispose();
      }
    } finally {
      train.dispose();
    }
  }

  /**
   * Evaluates and appends a row to `<runDir>/knn.csv` (header first); returns the accuracy.
   * A resumed run rewrites rows at or past `step` so none appears twice.
   */
  async record(model: ResNet, runDir: string, epoch: number, step: number): Promise<number> {
    const t0 = performance.now();
    const acc = await this.evaluate(model);
    const seconds = (performance.now() - t0) / 1000;
    const path = `${runDir}/knn.csv`;
    let lines: string[] = [];
    try {
      lines = (await Deno.readTextFile(path)).split("\n").filter((l) => l.length);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const header = `epoch,step,${KNN_COLUMN},seconds`;
    const rows = lines.slice(1).filter((l) => Number(l.split(",")[1]) < step);
    rows.push(`${epoch},${step},${acc.toFixed(2)},${seconds.toFixed(1)}`);
    await writeFileAtomic(path, [header, ...rows].join("\n") + "\n");
    return acc;
  }
}
