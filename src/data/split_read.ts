/**
 * Reading split files as they come: the authors' `.npy` index arrays, their ImageNet `.txt`
 * lists, and our generated `.npy` files; plus the resolver that turns `--split split1_D_i`
 * into the shipped file of a dataset. Every problem is a one-line UserError naming the file
 * and the first bad entry.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { parseNpy } from "../io/npy.ts";
import { maybeGunzip, readBytes } from "./readers/file_util.ts";
import { type ListEntry, readImageList } from "./readers/image_list.ts";
import type { DatasetName } from "./readers/load_dataset.ts";
import { SPLIT_PROFILES } from "./split_profiles.ts";
import {
  AUTHORS_SPLITS_DIR,
  authorsSplitFile,
  checkAuthorsSplitNumber,
  SHIPPED_SPLITS_DIR,
  type SplitKind,
  type SplitSource,
} from "./authors_splits.ts";

export { SHIPPED_SPLITS_DIR } from "./authors_splits.ts";

/** A split file's content: indices (from `.npy`) or list entries (from `.txt`). */
export type SplitData =
  | { kind: "indices"; path: string; indices: Int32Array }
  | { kind: "list"; path: string; entries: ListEntry[] };

/** Checks readSplit applies. */
export interface ReadSplitOptions {
  /** Indices must lie in [0, poolSize) (e.g. 50000 for CIFAR's training set). */
  poolSize?: number;
  /** Every index must be one of these (e.g. the train list). */
  trainList?: ArrayLike<number>;
  /** No index may be one of these (e.g. the validation list). */
  exclude?: ArrayLike<number>;
  /** For `.txt` lists: labels must be below this. */
  classes?: number;
}

/**
 * Validates raw indices: integers, non-negative, below `poolSize`, no repeats, inside
 * `trainList` and outside `exclude` when given. `path` names the file in errors.
 */
export function validateIndices(
  values: ArrayLike<number | bigint>,
  path: string,
  opts: ReadSplitOptions = {},
): Int32Array {
  const out = new Int32Array(values.length);
  const first = new Map<number, number>();
  const allowed = opts.trainList ? new Set(Array.from(opts.trainList, Number)) : undefined;
  const banned = opts.exclude ? new Set(Array.from(opts.exclude, Number)) : undefined;
  const limit = opts.poolSize ?? 2 ** 31 - 1;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      const range = opts.poolSize !== undefined
        ? `[0, ${opts.poolSize})`
        : "the non-negative int32 range";
      throw new UserError(
        `${path}: index ${
          values[i]
        } at position ${i} is outside ${range}; the file is for another dataset or corrupt`,
      );
    }
    const prev = first.get(v);
    if (prev !== undefined) {
      throw new UserError(
        `${path}: index ${v} appears twice (positions ${prev} and ${i}); a split must not repeat images`,
      );
    }
    first.set(v, i);
    if (allowed && !allowed.has(v)) {
      throw new UserError(`${path}: index ${v} at position ${i} is not in the train list`);
    }
    if (banned && banned.has(v)) {
      throw new UserError(`${path}: index ${v} at position ${i} is in the validation list`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Reads a split: `.npy` (1-D int64 or int32 indices, validated by validateIndices) or `.txt`
 * (`relative/path label` lines, see parseImageList), either one optionally gzipped (`.gz`,
 * as the authors' files ship in splits/authors/).
 */
export function readSplit(path: string, opts: ReadSplitOptions = {}): SplitData {
  const plain = path.replace(/\.gz$/, "");
  if (plain.endsWith(".txt")) {
    return { kind: "list", path, entries: readImageList(path, opts.classes) };
  }
  if (!plain.endsWith(".npy")) {
    throw new UserError(
      `${path}: a split file must be .npy (indices) or .txt (image list), optionally .gz`,
    );
  }
  const bytes = readBytes(
    path,
    "pass an existing split file, or generate splits with `deno task splits`",
  );
  const arr = parseNpy(maybeGunzip(bytes, path), path);
  if (arr.dtype !== "<i8" && arr.dtype !== "<i4") {
    throw new UserError(
      `${path}: dtype ${arr.dtype}, expected int64 (or int32) indices; save with np.int64`,
    );
  }
  if (arr.shape.length !== 1) {
    throw new UserError(`${path}: shape [${arr.shape}], expected a 1-D index array`);
  }
  const data = arr.data as BigInt64Array | Int32Array;
  return { kind: "indices", path, indices: validateIndices(data, path, opts) };
}

/** Reads a `.npy` split and returns its indices (a `.txt` list is a UserError here). */
export function readSplitIndices(path: string, opts: ReadSplitOptions = {}): Int32Array {
  const s = readSplit(path, opts);
  if (s.kind !== "indices") {
    throw new UserError(`${path}: expected a .npy index file here, got an image list`);
  }
  return s.indices;
}

/** File name of a generated split set: kind "train" | "val" | "D_i" | "D_b" | "S_b". */
export function splitFileName(dataset: DatasetName, kind: SplitKind, k = 1): string {
  const p = SPLIT_PROFILES[dataset].prefix;
  return kind === "train" || kind === "val"
    ? `${p}_${kind}_idx.npy`
    : `${p}_lt_split${k}_${kind}.npy`;
}

/** Options of resolveSplit. */
export interface ResolveSplitOptions {
  /**
   * Whose files a split NAME means: the authors' released CIFAR files (the default for
   * CIFAR-10/100, as the paper's numbers are defined on them) or our generator's (the only
   * kind for Fashion-MNIST).
   */
  source?: SplitSource;
  /** Root of our generated splits (default: the repository's splits/), `<dir>/<dataset>/`. */
  dir?: string;
}

/** The split source a dataset's names mean by default. */
export function defaultSplitSource(dataset: string): SplitSource {
  return dataset === "cifar10" || dataset === "cifar100" ? "authors" : "generated";
}

/** A path (anything with "/" or a split file extension) rather than a split name. */
export function isSplitPath(spec: string): boolean {
  return spec.includes("/") || /\.(npy|txt)(\.gz)?$/.test(spec);
}

/**
 * Resolves a `--split` value: a path is returned as is; `splitK_D_i|D_b|S_b` (also the
 * authors' `cifar100_splitK_…` spelling), `train` or `val` name a shipped file: the
 * authors' (splits/authors/, gzipped) or our generated one (`<dir>/<dataset>/`), see
 * ResolveSplitOptions. A named file that is missing is a UserError saying how to get it.
 */
export function resolveSplit(
  spec: string,
  dataset: DatasetName,
  opts: ResolveSplitOptions = {},
): string {
  if (isSplitPath(spec)) return spec;
  const source = opts.source ?? defaultSplitSource(dataset);
  let kind: SplitKind, k = 1;
  const m = /^(?:cifar100_)?split([1-9]\d*)_(D_i|D_b|S_b)$/.exec(spec);
  if (m) [k, kind] = [Number(m[1]), m[2] as SplitKind];
  else if (/^(train|val)(_idx)?$/.test(spec)) kind = spec.startsWith("train") ? "train" : "val";
  else {
    throw new UserError(
      `--split "${spec}": expected a file path, splitK_D_i / splitK_D_b / splitK_S_b (K = 1..5), train or val`,
    );
  }
  if (source === "authors") {
    if (dataset !== "cifar10" && dataset !== "cifar100") {
      throw new UserError(
        `--split ${spec}: the authors released no ${dataset} splits; use --split-source generated`,
      );
    }
    if (kind !== "train" && kind !== "val") checkAuthorsSplitNumber(k, `--split ${spec}`);
    return `${AUTHORS_SPLITS_DIR}/${authorsSplitFile(dataset, kind, k)}.gz`;
  }
  const path = `${opts.dir ?? SHIPPED_SPLITS_DIR}/${dataset}/${splitFileName(dataset, kind, k)}`;
  try {
    Deno.statSync(path);
  } catch {
    throw new UserError(
      `--split ${spec}: ${path} does not exist; generate it with: deno task splits --dataset ${dataset} --data DIR`,
    );
  }
  return path;
}
