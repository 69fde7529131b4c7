/**
 * What a probe stage reads: the train / validation / test images (CIFAR-format sets
 * restricted to split files, or ImageNet-style lists), the per-class counts of the
 * pretraining split that rank classes into groups, and the split's display name.
 * @module
 */
import { basename, dirname } from "node:path";
import { UserError } from "../../core/errors.ts";
import { classCounts, toRgb } from "../data/readers/types.ts";
import {
  DATASET_NAMES,
  type DatasetName,
  LIST_DATASETS,
  loadDataset,
} from "../data/readers/load_dataset.ts";
import { ListImageSource } from "../data/readers/image_list.ts";
import { readSplit, readSplitIndices, resolveSplit } from "../data/split_read.ts";
import type { SplitSource } from "../data/authors_splits.ts";
import { epochPermutation } from "../../core/prng.ts";
import type { Grouping } from "./results.ts";
import { imagesFromList, imagesFromSet, type ProbeImages, restrictImages } from "./probe_data.ts";

/** Every dataset name a probe accepts. */
export const PROBE_DATASETS: readonly string[] = [...DATASET_NAMES, ...Object.keys(LIST_DATASETS)];

/** Where a stage's inputs come from (paths or split names as given on the command line). */
export interface ProbeInputSpec {
  dataset: string;
  data?: string;
  trainSplit: string;
  valSplit: string;
  testSplit?: string;
  pretrainSplit: string;
  /** Keep at most this many training images (a seeded random subset). */
  maxTrain?: number;
  /** Input side for list datasets (ImageNet; default 224); CIFAR-like sets use their own. */
  imageSize?: number;
  seed: number;
  /** Whose files split NAMES mean (default: the authors' for CIFAR). */
  splitSource?: SplitSource;
}

/** The loaded inputs. */
export interface ProbeInputs {
  train: ProbeImages;
  val: ProbeImages;
  test: ProbeImages;
  classes: number;
  classNames?: string[];
  /** Per-class image counts of the pretraining split. */
  trainCounts: number[];
  grouping: Grouping;
  /** Split name for results.json, e.g. "split1". */
  splitName: string;
  /** Resolved paths, for the record. */
  files: { train: string; val: string; test: string; pretrain: string };
}

/** "split3" from a split file such as `split3_D_i.npy` or `cifar10_lt_split3_D_i.npy`. */
export function splitNameOf(path: string): string {
  const b = basename(path).replace(/\.(npy|txt)(\.gz)?$/, "");
  const m = /split(\d+)/.exec(b);
  return m ? `split${m[1]}` : b;
}

/** The S_b file next to a D_i / D_b file (our naming and the authors'), if the name fits. */
export function fewShotSplitFor(pretrainSplit: string): string | null {
  const b = basename(pretrainSplit);
  if (!/split\d+_D_[ib](\.npy(\.gz)?)?$/.test(b)) return null;
  const s = b.replace(/_D_[ib]((\.npy(\.gz)?)?)$/, "_S_b$1");
  return pretrainSplit.includes("/") ? `${dirname(pretrainSplit)}/${s}` : s;
}

function subsetPositions(n: number, max: number | undefined, seed: number): number[] | null {
  if (max === undefined || max >= n) return null;
  const perm = epochPermutation(n, seed, 0x7fff);
  return Array.from(perm.subarray(0, max)).sort((a, b) => a - b);
}

function restrict(images: ProbeImages, keep: number[] | null): ProbeImages {
  return keep ? restrictImages(images, keep) : images;
}

function loadCifarLike(s: ProbeInputSpec): ProbeInputs {
  if (s.imageSize !== undefined) {
    throw new UserError(
      `--image-size applies to the ImageNet list datasets only; ${s.dataset} images keep their size`,
    );
  }
  const ds = s.dataset as DatasetName;
  const trainSet = toRgb(loadDataset(ds, "train", s.data));
  const testSet = toRgb(loadDataset(ds, "test", s.data));
  const r = (spec: string) => resolveSplit(spec, ds, { source: s.splitSource });
  const files = {
    train: r(s.trainSplit),
    val: r(s.valSplit),
    test: testSet.source ?? `${ds} test set`,
    pretrain: r(s.pretrainSplit),
  };
  const poolSize = trainSet.n;
  const valIdx = readSplitIndices(files.val, { poolSize });
  const trainIdx = readSplitIndices(files.train, { poolSize, exclude: valIdx });
  const preIdx = readSplitIndices(files.pretrain, { poolSize });
  const preLabels = Int32Array.from(preIdx, (i) => trainSet.labels[i]);
  const train = imagesFromSet(trainSet, trainIdx, files.train);
  return {
    train: restrict(train, subsetPositions(train.n, s.maxTrain, s.seed)),
    val: imagesFromSet(trainSet, valIdx, files.val),
    test: imagesFromSet(testSet, undefined, files.test),
    classes: trainSet.classes,
    classNames: trainSet.classNames,
    trainCounts: classCounts(preLabels, trainSet.classes),
    grouping: "cifar-thirds",
    splitName: splitNameOf(files.pretrain),
    files,
  };
}

function loadList(s: ProbeInputSpec): ProbeInputs {
  const classes = LIST_DATASETS[s.dataset];
  if (s.data === undefined) {
    throw new UserError(
      `--data is required for ${s.dataset}: the folder the list paths start from`,
    );
  }
  if (s.testSplit === undefined) {
    throw new UserError(`--test-split is required for ${s.dataset} (e.g. ImageNet_100_test.txt)`);
  }
  const open = (p: string) => ListImageSource.open(p, s.data!, {}, classes);
  const pre = readSplit(s.pretrainSplit, { classes });
  const preLabels = pre.kind === "list" ? pre.entries.map((e) => e.label) : [];
  if (pre.kind !== "list") {
    throw new UserError(`${s.pretrainSplit}: expected a .txt image list for ${s.dataset}`);
  }
  const size = s.imageSize ?? 224;
  const train = imagesFromList(open(s.trainSplit), classes, size);
  return {
    train: restrict(train, subsetPositions(train.n, s.maxTrain, s.seed)),
    val: imagesFromList(open(s.valSplit), classes, size),
    test: imagesFromList(open(s.testSplit), classes, size),
    classes,
    trainCounts: classCounts(preLabels, classes),
    grouping: "imagenet-thresholds",
    splitName: splitNameOf(s.pretrainSplit),
    files: { train: s.trainSplit, val: s.valSplit, test: s.testSplit, pretrain: s.pretrainSplit },
  };
}

/** Loads a stage's inputs (UserError on unknown datasets and bad split files). */
export function loadProbeInputs(s: ProbeInputSpec): ProbeInputs {
  if (s.dataset in LIST_DATASETS) return loadList(s);
  if ((DATASET_NAMES as readonly string[]).includes(s.dataset)) return loadCifarLike(s);
  throw new UserError(`unknown --dataset "${s.dataset}" (known: ${PROBE_DATASETS.join(", ")})`);
}
