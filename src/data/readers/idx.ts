/**
 * IDX reader (the MNIST / Fashion-MNIST format), plain or gzipped (detected by content, not
 * by name). Header: two zero bytes, a type byte (0x08 = unsigned byte, the only type these
 * datasets use), the number of dimensions, then each dimension as a big-endian uint32.
 * @module
 */
import { UserError } from "../../../core/errors.ts";
import { checkLabels, exists, maybeGunzip, readBytes } from "./file_util.ts";
import type { ImageSet } from "./types.ts";

/** Debian's dataset-fashion-mnist location, the default for Fashion-MNIST. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** Fashion-MNIST class names (label order), from the dataset's README. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** Where to get Fashion-MNIST, appended to "file not found" errors. */
export const FASHION_MNIST_HINT =
  "Fashion-MNIST: apt-get install dataset-fashion-mnist (puts it in /usr/share/datasets/fashion-mnist) " +
  "or download the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist and pass --data DIR";

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses IDX bytes (already gunzipped); `path` names the file in errors. */
export function parseIdx(bytes: Uint8Array, path: string): IdxArray {
  if (bytes.length < 4) {
    throw new UserError(`${path}: ${bytes.length}-byte file is too short for IDX`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
    throw new UserError(
      `${path}: bad IDX magic 0x${magic} (expected 0x000008NN); not an IDX file or not gunzipped`,
    );
  }
  if (bytes[2] !== 0x08) {
    throw new UserError(
      `${path}: IDX element type 0x${
        bytes[2].toString(16)
      } is not supported (only 0x08, unsigned byte)`,
    );
  }
  const nd = bytes[3];
  if (nd < 1 || nd > 4) throw new UserError(`${path}: IDX with ${nd} dimensions is not supported`);
  const head = 4 + 4 * nd;
  if (bytes.length < head) throw new UserError(`${path}: truncated IDX header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => v.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - head !== n) {
    throw new UserError(
      `${path}: IDX header says [${dims.join("×")}] = ${n} bytes of data, file has ${
        bytes.length - head
      } (${bytes.length - head < n ? "truncated" : "trailing garbage"}); download it again`,
    );
  }
  return { dims, data: bytes.subarray(head) };
}

/** Reads an IDX file, gunzipping when it is gzip data. */
export function readIdx(path: string, hint = ""): IdxArray {
  return parseIdx(maybeGunzip(readBytes(path, hint), path), path);
}

/** Picks `name.gz` or `name` in `dir` (first that exists), or the `.gz` path for the error. */
export function idxPath(dir: string, name: string): string {
  const plain = `${dir}/${name}`;
  if (exists(`${plain}.gz`)) return `${plain}.gz`;
  if (exists(plain)) return plain;
  return `${plain}.gz`;
}

/** What `readIdxPair` checks the labels against and says when a file is missing. */
export interface IdxPairOptions {
  /** Every label must be below this. */
  classes: number;
  /** Appended to "file not found" errors (where to get the data). Default none. */
  hint?: string;
}

/**
 * Reads an image IDX file and its label IDX file into an ImageSet (grayscale, channels 1),
 * checking that the counts agree and every label is below `classes`.
 */
export function readIdxPair(imagesPath: string, labelsPath: string, o: IdxPairOptions): ImageSet {
  const { classes, hint = "" } = o;
  const img = readIdx(imagesPath, hint);
  if (img.dims.length !== 3) {
    throw new UserError(
      `${imagesPath}: expected a 3-D IDX image file [N, H, W], got [${img.dims.join("×")}]`,
    );
  }
  const lab = readIdx(labelsPath, hint);
  if (lab.dims.length !== 1) {
    throw new UserError(
      `${labelsPath}: expected a 1-D IDX label file, got [${lab.dims.join("×")}]`,
    );
  }
  const [n, h, w] = img.dims;
  if (lab.dims[0] !== n) {
    throw new UserError(
      `${imagesPath} has ${n} images but ${labelsPath} has ${
        lab.dims[0]
      } labels; they are not a pair`,
    );
  }
  const labels = Int32Array.from(lab.data);
  checkLabels(labels, classes, labelsPath);
  return {
    images: img.data.slice(),
    labels,
    n,
    height: h,
    width: w,
    channels: 1,
    classes,
    source: imagesPath,
  };
}

/**
 * Reads Fashion-MNIST from `dir` (default: Debian's /usr/share/datasets/fashion-mnist):
 * `train-*-ubyte(.gz)` for "train", `t10k-*-ubyte(.gz)` for "test".
 */
export function readFashionMnist(dir = FASHION_MNIST_DIR, split: "train" | "test"): ImageSet {
  const stem = split === "train" ? "train" : "t10k";
  const set = readIdxPair(
    idxPath(dir, `${stem}-images-idx3-ubyte`),
    idxPath(dir, `${stem}-labels-idx1-ubyte`),
    { classes: 10, hint: FASHION_MNIST_HINT },
  );
  return {
    ...set,
    classNames: [...FASHION_MNIST_CLASSES],
    source: `${dir} (Fashion-MNIST, ${split})`,
  };
}
