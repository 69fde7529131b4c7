/**
 * CIFAR-10 / CIFAR-100 "python version" reader (what torchvision downloads):
 * `cifar-10-batches-py/data_batch_1..5`, `test_batch`, `batches.meta` and
 * `cifar-100-python/train`, `test`, `meta`. Each batch is a pickled dict with a uint8 numpy
 * array `data` [N, 3072] (CHW per row) and a label list (`labels`, or `fine_labels` +
 * `coarse_labels`). Parsed by the safe unpickler: nothing in the file is ever executed.
 * @module
 */
import { UserError } from "../../../core/errors.ts";
import {
  chwToHwc,
  CIFAR10_CLASSES,
  CIFAR_PIXELS,
  cifarHint,
  joinCifarParts,
} from "./cifar_binary.ts";
import { checkLabels, exists, readBytes } from "./file_util.ts";
import { latin1, NdArray, ndToNumbers, PyBytes, PyDict, type PyValue } from "./pickle_values.ts";
import { safeUnpickle } from "./safe_unpickle.ts";
import type { ImageSet } from "./types.ts";

/** One parsed batch: HWC images and labels (CIFAR-100 also coarse labels). */
export interface CifarBatch {
  images: Uint8Array;
  labels: Int32Array;
  coarse?: Int32Array;
}

function entry(d: PyDict, key: string, path: string, what: string): PyValue {
  const v = d.get(key);
  if (v === undefined) {
    throw new UserError(
      `${path}: pickle has no "${key}" entry (keys: ${
        [...d.map.keys()].join(", ")
      }); not a ${what} file`,
    );
  }
  return v;
}

function intList(v: PyValue, path: string, key: string): number[] {
  if (v instanceof NdArray) {
    if (v.shape.length !== 1) throw new UserError(`${path}: "${key}" is not 1-D`);
    return ndToNumbers(v, path);
  }
  if (!Array.isArray(v)) throw new UserError(`${path}: "${key}" is not a list of integers`);
  return v.map((x, i) => {
    if (typeof x === "number" && Number.isInteger(x)) return x;
    if (typeof x === "bigint") return Number(x);
    throw new UserError(`${path}: "${key}"[${i}] is not an integer`);
  });
}

function stringList(v: PyValue | undefined): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.map((x) => typeof x === "string" ? x : x instanceof PyBytes ? latin1(x.bytes) : "");
  return out.every((s) => s.length > 0) ? out : undefined;
}

/** Unpickles a file and checks that it holds a dict. */
export function readPickleDict(path: string, hint: string): PyDict {
  const v = safeUnpickle(readBytes(path, hint), path);
  if (!(v instanceof PyDict)) throw new UserError(`${path}: pickle does not hold a dict`);
  return v;
}

/** Parses one CIFAR python batch (already unpickled) into HWC images and labels. */
export function cifarBatchFromDict(d: PyDict, classes: 10 | 100, path: string): CifarBatch {
  const what = `CIFAR-${classes} batch`;
  const data = entry(d, "data", path, what);
  if (!(data instanceof NdArray) || data.dtype.descr !== "u1") {
    throw new UserError(`${path}: "data" is not a uint8 numpy array; not a ${what} file`);
  }
  if (data.shape.length !== 2 || data.shape[1] !== CIFAR_PIXELS) {
    throw new UserError(
      `${path}: "data" has shape [${data.shape}], expected [N, ${CIFAR_PIXELS}]; not a ${what} file`,
    );
  }
  const n = data.shape[0];
  const key = classes === 10 ? "labels" : "fine_labels";
  const labels = intList(entry(d, key, path, what), path, key);
  if (labels.length !== n) {
    throw new UserError(`${path}: ${n} images but ${labels.length} labels; the file is corrupt`);
  }
  checkLabels(labels, classes, path);
  const images = new Uint8Array(n * CIFAR_PIXELS);
  for (let i = 0; i < n; i++) {
    const at = i * CIFAR_PIXELS;
    chwToHwc(data.raw.subarray(at), images.subarray(at));
  }
  const out: CifarBatch = { images, labels: Int32Array.from(labels) };
  if (classes === 100) {
    const coarse = intList(entry(d, "coarse_labels", path, what), path, "coarse_labels");
    if (coarse.length !== n) {
      throw new UserError(`${path}: ${n} images but ${coarse.length} coarse labels`);
    }
    checkLabels(coarse, 20, `${path} (coarse labels)`);
    out.coarse = Int32Array.from(coarse);
  }
  return out;
}

/** Reads one CIFAR python batch file. */
export function readCifarPickleBatch(path: string, classes: 10 | 100): CifarBatch {
  return cifarBatchFromDict(readPickleDict(path, cifarHint(classes)), classes, path);
}

/**
 * Reads the python version from `dir` (the extracted `cifar-10-batches-py` or
 * `cifar-100-python` folder). Class names come from `batches.meta` / `meta` when present.
 */
export function readCifarPickle(dir: string, classes: 10 | 100, split: "train" | "test"): ImageSet {
  const files = classes === 10
    ? (split === "train" ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}`) : ["test_batch"])
    : [split];
  const parts = files.map((f) => readCifarPickleBatch(`${dir}/${f}`, classes));
  const metaPath = `${dir}/${classes === 10 ? "batches.meta" : "meta"}`;
  let names = classes === 10 ? [...CIFAR10_CLASSES] : undefined;
  if (exists(metaPath)) {
    const meta = readPickleDict(metaPath, cifarHint(classes));
    names = stringList(meta.get(classes === 10 ? "label_names" : "fine_label_names")) ?? names;
  }
  return joinCifarParts(parts, {
    classes,
    source: `${dir} (CIFAR-${classes} python, ${split})`,
    names,
  });
}
