/**
 * One entry point for the in-memory datasets: `loadDataset(name, split, dir?)` finds the
 * files under `dir` in any of the layouts the datasets ship in (the extracted archive folder,
 * its parent, torchvision's `FashionMNIST/raw`), picks the reader by format, and fails with a
 * message that says where to get the data. Nothing is downloaded: there is no network at run
 * time.
 * @module
 */
import { UserError } from "../../../core/errors.ts";
import { cifarHint, readCifarBinary } from "./cifar_binary.ts";
import { readCifarPickle } from "./cifar_pickle.ts";
import { exists } from "./file_util.ts";
import { FASHION_MNIST_DIR, FASHION_MNIST_HINT, readFashionMnist } from "./idx.ts";
import type { ImageSet } from "./types.ts";

/** Datasets `loadDataset` knows. */
export type DatasetName = "cifar10" | "cifar100" | "fashion-mnist";
/** The two splits of each dataset. */
export type DatasetSplit = "train" | "test";
/** Every DatasetName, for option `choices`. */
export const DATASET_NAMES: readonly DatasetName[] = ["fashion-mnist", "cifar10", "cifar100"];
/** Datasets read through list files (ImageNet-style), with their class counts. */
export const LIST_DATASETS: Record<string, number> = { imagenet100: 100, imagenet: 1000 };
/** Default data folder for CIFAR (torchvision's usual `root`), relative to the working folder. */
export const DEFAULT_CIFAR_DIR = "data";

/** Where a dataset was found and in which format. */
export interface DatasetLocation {
  dir: string;
  format: "cifar-binary" | "cifar-python" | "idx";
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Default data folder of a dataset when no `--data` is given. */
export function defaultDataDir(name: DatasetName): string {
  return name === "fashion-mnist" ? FASHION_MNIST_DIR : DEFAULT_CIFAR_DIR;
}

/**
 * Finds a dataset under `dir` (default: defaultDataDir). Throws a UserError listing the
 * folders searched and where to get the data when nothing matches.
 */
export function locateDataset(name: DatasetName, dir = defaultDataDir(name)): DatasetLocation {
  const d = dir.replace(/\/+$/, "") || "/";
  if (name === "fashion-mnist") {
    const cands = [d, `${d}/raw`, `${d}/FashionMNIST/raw`, `${d}/fashion-mnist`];
    for (const c of cands) {
      for (const f of ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"]) {
        if (isFile(`${c}/${f}.gz`) || isFile(`${c}/${f}`)) return { dir: c, format: "idx" };
      }
    }
    throw new UserError(
      `Fashion-MNIST not found: no train-images-idx3-ubyte(.gz) in ${
        cands.join(", ")
      }; ${FASHION_MNIST_HINT}`,
    );
  }
  const c10 = name === "cifar10";
  const cands = c10
    ? [d, `${d}/cifar-10-batches-bin`, `${d}/cifar-10-batches-py`]
    : [d, `${d}/cifar-100-binary`, `${d}/cifar-100-python`];
  for (const c of cands) {
    const bin = c10 ? ["data_batch_1.bin", "test_batch.bin"] : ["train.bin", "test.bin"];
    if (bin.some((f) => isFile(`${c}/${f}`))) return { dir: c, format: "cifar-binary" };
    const py = c10 ? ["data_batch_1", "test_batch"] : ["train", "test"];
    if (py.some((f) => isFile(`${c}/${f}`))) return { dir: c, format: "cifar-python" };
  }
  const where = exists(d)
    ? `no CIFAR-${c10 ? 10 : 100} batch files in ${cands.join(", ")}`
    : `${d} does not exist`;
  throw new UserError(`CIFAR-${c10 ? 10 : 100} not found: ${where}; ${cifarHint(c10 ? 10 : 100)}`);
}

/**
 * Loads a whole split of a dataset into memory, auto-detecting the format in `dir`
 * (CIFAR binary or python version, Fashion-MNIST IDX plain or gzipped).
 */
export function loadDataset(name: DatasetName, split: DatasetSplit, dir?: string): ImageSet {
  if (!DATASET_NAMES.includes(name)) {
    throw new UserError(`unknown dataset "${name}" (known: ${DATASET_NAMES.join(", ")})`);
  }
  const loc = locateDataset(name, dir);
  if (loc.format === "idx") return readFashionMnist(loc.dir, split);
  const classes = name === "cifar10" ? 10 : 100;
  return loc.format === "cifar-binary"
    ? readCifarBinary(loc.dir, classes, split)
    : readCifarPickle(loc.dir, classes, split);
}
