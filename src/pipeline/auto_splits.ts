/**
 * Our CIFAR splits cannot ship with the repository (they are drawn from the training labels,
 * which come with the data), so with `--split-source generated` the CIFAR pipelines make them
 * on first use: when no `--split-dir` is given and `splits/<dataset>/manifest.json` is
 * missing, the generator of `deno task splits` runs with its default seed on the labels of
 * `--data` and writes there. (By default the pipelines use the authors' shipped files.)
 * @module
 */
import type { DatasetName } from "../data/readers/load_dataset.ts";
import { loadDataset } from "../data/readers/load_dataset.ts";
import { DEFAULT_SPLIT_SEED, SPLIT_PROFILES } from "../data/split_profiles.ts";
import { SHIPPED_SPLITS_DIR } from "../data/split_read.ts";
import { generateSplits } from "../data/splits.ts";
import { writeSplits } from "../data/split_write.ts";
import type { PipelineConfig } from "./options.ts";

/** Where the labels come from (tests pass a fake). */
export type LabelSource = (dataset: DatasetName, dir?: string) => {
  labels: Int32Array;
  source?: string;
};

const fromData: LabelSource = (dataset, dir) => loadDataset(dataset, "train", dir);

/**
 * Generates `<root>/<dataset>/` from the data's training labels when a CIFAR pipeline needs
 * our splits and they are not there; returns a note saying so, or null when nothing was done.
 * A missing data set surfaces as the reader's one-line error (where to get it).
 */
export async function ensureGeneratedSplits(
  c: PipelineConfig,
  labelsOf: LabelSource = fromData,
  root = SHIPPED_SPLITS_DIR,
): Promise<string | null> {
  if (c.profile.family !== "cifar" || c.splitDir !== undefined || c.splitSource !== "generated") {
    return null;
  }
  const dataset = c.dataset as DatasetName;
  const dir = `${root}/${dataset}`;
  try {
    await Deno.stat(`${dir}/manifest.json`);
    return null;
  } catch {
    // Not generated yet: fall through.
  }
  const train = labelsOf(dataset, c.data);
  const gen = generateSplits(train.labels, SPLIT_PROFILES[dataset], DEFAULT_SPLIT_SEED);
  const manifest = await writeSplits(gen, dir, { labels: train.labels, source: train.source });
  return `generated our ${dataset} splits (seed ${DEFAULT_SPLIT_SEED}, as deno task splits) ` +
    `from the training labels in ${train.source ?? "the data"}: ${manifest.files.length} files ` +
    `in ${dir}/`;
}
