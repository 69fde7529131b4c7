/**
 * CIFAR-10 / CIFAR-100 "binary version" reader. A batch file is a run of fixed-size records:
 * CIFAR-10 = 1 label byte + 3072 pixel bytes; CIFAR-100 = coarse label byte + fine label byte
 * + 3072 pixel bytes. Pixels are stored CHW (1024 R, 1024 G, 1024 B, row-major 32×32); the
 * reader transposes to HWC.
 * @module
 */
import { UserError } from "../../../core/errors.ts";
import { checkLabels, readBytes } from "./file_util.ts";
import type { ImageSet } from "./types.ts";

/** Side of a CIFAR image. */
export const CIFAR_SIDE = 32;
/** Pixel bytes of one CIFAR image (3·32·32). */
export const CIFAR_PIXELS = 3 * CIFAR_SIDE * CIFAR_SIDE;

/** CIFAR-10 class names (label order), as in `batches.meta`. */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** Where to get CIFAR, appended to "file not found" errors. */
export function cifarHint(classes: 10 | 100): string {
  return `CIFAR-${classes}: download cifar-${classes}-binary.tar.gz or cifar-${classes}-python.tar.gz ` +
    `from https://www.cs.toronto.edu/~kriz/cifar.html, extract it, and pass --data DIR ` +
    `(the folder holding the extracted cifar-${classes}-batches-* / cifar-${classes}-* folder)`;
}

/**
 * Copies one CHW image (the first 3072 bytes of `src`) into the start of `dst` as HWC; pass
 * subarrays to read or write elsewhere.
 */
export function chwToHwc(src: Uint8Array, dst: Uint8Array): void {
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let p = 0; p < plane; p++) {
    const d = p * 3;
    dst[d] = src[p];
    dst[d + 1] = src[plane + p];
    dst[d + 2] = src[2 * plane + p];
  }
}

/**
 * Parses the bytes of one binary batch. `path` names the file in errors. A size that is not a
 * whole number of records means a truncated or foreign file.
 */
export function parseCifarBinary(
  bytes: Uint8Array,
  classes: 10 | 100,
  path: string,
): { images: Uint8Array; labels: Int32Array; coarse?: Int32Array } {
  const head = classes === 10 ? 1 : 2;
  const rec = head + CIFAR_PIXELS;
  if (bytes.length === 0) {
    throw new UserError(`${path}: empty file; download CIFAR-${classes} again`);
  }
  if (bytes.length % rec !== 0) {
    throw new UserError(
      `${path}: ${bytes.length} bytes is not a whole number of ${rec}-byte CIFAR-${classes} ` +
        `records (truncated, or not the CIFAR-${classes} binary version); download it again`,
    );
  }
  const n = bytes.length / rec;
  const images = new Uint8Array(n * CIFAR_PIXELS);
  const labels = new Int32Array(n);
  const coarse = classes === 100 ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const o = i * rec;
    if (coarse) coarse[i] = bytes[o];
    labels[i] = bytes[o + head - 1];
    chwToHwc(bytes.subarray(o + head), images.subarray(i * CIFAR_PIXELS));
  }
  checkLabels(labels, classes, path);
  if (coarse) checkLabels(coarse, 20, `${path} (coarse labels)`);
  return { images, labels, coarse };
}

/** Reads the non-empty lines of a label-names text file, or undefined when it is absent. */
function namesFile(path: string): string[] | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  return text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Reads CIFAR binary batches from `dir` (the extracted `cifar-10-batches-bin` or
 * `cifar-100-binary` folder): CIFAR-10 train = data_batch_1..5.bin, test = test_batch.bin;
 * CIFAR-100 train = train.bin, test = test.bin. Class names come from batches.meta.txt /
 * fine_label_names.txt when present.
 */
export function readCifarBinary(dir: string, classes: 10 | 100, split: "train" | "test"): ImageSet {
  const files = classes === 10
    ? (split === "train" ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ["test_batch.bin"])
    : [`${split}.bin`];
  const parts = files.map((f) =>
    parseCifarBinary(readBytes(`${dir}/${f}`, cifarHint(classes)), classes, `${dir}/${f}`)
  );
  const names = classes === 10
    ? namesFile(`${dir}/batches.meta.txt`) ?? [...CIFAR10_CLASSES]
    : namesFile(`${dir}/fine_label_names.txt`);
  return joinCifarParts(parts, {
    classes,
    source: `${dir} (CIFAR-${classes} binary, ${split})`,
    names,
  });
}

/** One parsed CIFAR batch: HWC images, fine labels and, for CIFAR-100, coarse labels. */
export interface CifarPart {
  images: Uint8Array;
  labels: Int32Array;
  coarse?: Int32Array;
}

/** What `joinCifarParts` records about the joined set. */
export interface JoinCifarOptions {
  /** CIFAR-10 or CIFAR-100. */
  classes: 10 | 100;
  /** Where the images came from (the ImageSet's `source`). */
  source: string;
  /** Class names, kept only when there is one per class. */
  names?: string[];
}

/** Concatenates a split's batches into one ImageSet (both CIFAR formats). */
export function joinCifarParts(parts: CifarPart[], o: JoinCifarOptions): ImageSet {
  const { classes, source, names } = o;
  const n = parts.reduce((a, p) => a + p.labels.length, 0);
  const images = new Uint8Array(n * CIFAR_PIXELS);
  const labels = new Int32Array(n);
  const coarse = classes === 100 ? new Int32Array(n) : undefined;
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * CIFAR_PIXELS);
    labels.set(p.labels, at);
    if (coarse && p.coarse) coarse.set(p.coarse, at);
    at += p.labels.length;
  }
  const set: ImageSet = {
    images,
    labels,
    n,
    height: CIFAR_SIDE,
    width: CIFAR_SIDE,
    channels: 3,
    classes,
    source,
  };
  if (names && names.length === classes) set.classNames = names;
  if (coarse) set.coarseLabels = coarse;
  return set;
}
