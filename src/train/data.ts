/**
 * Pretraining data: the image set (an `.npy` of uint8 [N, H, W, C] images, or a named
 * dataset through the readers), restricted to a split's indices, and the batch order: a
 * seeded permutation per epoch (keyed by seed and epoch only, so a resumed run sees the same
 * batches). `--augment none` views are the images themselves as floats in [0, 1] (NCHW).
 * @module
 */
import { UserError } from "../cli.ts";
import { readNpy } from "../io/npy.ts";
import { Tensor } from "../autodiff/tensor.ts";
import { type DatasetName, loadDataset } from "../data/readers/load_dataset.ts";
import { imageAt, type ImageSet, type RawImage, toRgb } from "../data/readers/types.ts";
import { readSplitIndices } from "../data/split_read.ts";
import { drawViewFor, epochPermutation, recipe } from "../data/augment_params.ts";
import { augment } from "../../kernels/augment/mod.ts";
import { engine } from "../gpu/engine.ts";

/** Reads uint8 images [N, H, W, C] (C 1 or 3) from a `.npy` file as an ImageSet. */
export async function imagesFromNpy(path: string): Promise<ImageSet> {
  const a = await readNpy(path);
  if (a.dtype !== "|u1" || a.shape.length !== 4 || (a.shape[3] !== 1 && a.shape[3] !== 3)) {
    throw new UserError(
      `${path}: expected uint8 images of shape [N, H, W, C] with C = 1 or 3, got ${a.dtype} ` +
        `[${a.shape}]; save them with np.save(path, images.astype(np.uint8))`,
    );
  }
  const [n, height, width, channels] = a.shape;
  return {
    images: a.data as Uint8Array,
    labels: new Int32Array(n),
    n,
    height,
    width,
    channels,
    classes: 1,
    source: path,
  };
}

/** Keeps the images at `indices` (in that order). */
export function subset(set: ImageSet, indices: ArrayLike<number>, source = "split"): ImageSet {
  const size = set.height * set.width * set.channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < set.n)) {
      throw new UserError(`${source}: index ${j} is outside the ${set.n} images of ${set.source}`);
    }
    images.set(set.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = set.labels[j];
  }
  return { ...set, images, labels, n: indices.length };
}

/** Where the pretraining images come from. */
export interface DataOptions {
  dataset?: string;
  data?: string;
  split?: string;
}

/** Loads the training images (RGB) as the options say. */
export async function loadTrainImages(o: DataOptions): Promise<ImageSet> {
  let set: ImageSet;
  if (o.data?.endsWith(".npy")) set = await imagesFromNpy(o.data);
  else if (o.dataset) set = loadDataset(o.dataset as DatasetName, "train", o.data);
  else {
    throw new UserError(
      "no training data: give --data IMAGES.npy (uint8 [N,H,W,C]) or --dataset NAME [--data DIR]",
    );
  }
  if (o.split) set = subset(set, readSplitIndices(o.split, { poolSize: set.n }), o.split);
  if (set.n < 2) throw new UserError(`${set.source}: need at least 2 images, got ${set.n}`);
  return toRgb(set);
}

/** Batches per epoch: partial last batches are kept unless they hold fewer than 2 images. */
export function itersPerEpoch(n: number, batch: number): number {
  const full = Math.floor(n / batch);
  return full + (n % batch >= 2 ? 1 : 0);
}

/** Dataset indices of batch `b` of `epoch` (seeded permutation, deterministic). */
export function batchIndices(
  n: number,
  batch: number,
  seed: number,
  epoch: number,
  b: number,
  cache?: { epoch: number; perm: Uint32Array },
): Uint32Array {
  let perm: Uint32Array;
  if (cache && cache.epoch === epoch) perm = cache.perm;
  else {
    perm = epochPermutation(n, seed, epoch);
    if (cache) Object.assign(cache, { epoch, perm });
  }
  return perm.subarray(b * batch, Math.min(n, (b + 1) * batch));
}

/** The un-augmented images at `indices` as a float tensor [B, 3, H, W] in [0, 1]. */
export function plainBatch(set: ImageSet, indices: ArrayLike<number>): Tensor {
  const { height: h, width: w } = set;
  const hw = h * w;
  const out = new Float32Array(indices.length * 3 * hw);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * hw * 3;
    for (let p = 0; p < hw; p++) {
      for (let c = 0; c < 3; c++) out[(i * 3 + c) * hw + p] = set.images[src + p * 3 + c] / 255;
    }
  }
  return Tensor.from(out, [indices.length, 3, h, w]);
}

/** How training views are made. */
export type AugmentMode = "simclr" | "none";

/**
 * The two views of the images at `indices` for `epoch`: `none` gives the images themselves
 * (both views equal); `simclr` the spec's §2 recipe (CIFAR or ImageNet flavour by output
 * size), each view's parameters drawn from its own generator keyed by (seed, epoch, dataset
 * index, view), so a batch is the same whatever ran before it.
 */
export function makeViews(
  set: ImageSet,
  indices: ArrayLike<number>,
  mode: AugmentMode,
  seed: number,
  epoch: number,
  size: number,
): [Tensor, Tensor] {
  if (mode === "none") {
    if (set.height !== size || set.width !== size) {
      throw new UserError(
        `--augment none feeds the images as they are, but they are ${set.height}×${set.width} ` +
          `and --image-size is ${size}; use --augment simclr or --image-size ${set.height}`,
      );
    }
    const x = plainBatch(set, indices);
    return [x, copyTensor(x)];
  }
  const r = recipe(size > 64 ? "imagenet" : "cifar", size);
  const images: RawImage[] = [];
  for (let i = 0; i < indices.length; i++) {
    const data = imageAt(set, indices[i]);
    images.push({ data, height: set.height, width: set.width, channels: set.channels });
  }
  const views = [];
  for (let v = 0; v < 2; v++) {
    for (let i = 0; i < indices.length; i++) {
      const key = { seed, epoch, index: indices[i], view: v };
      views.push({ image: i, view: drawViewFor(r, set.height, set.width, key) });
    }
  }
  const both = augment(images, views, size, size);
  const b = indices.length;
  const x1 = Tensor.empty([b, 3, size, size]);
  const x2 = Tensor.empty([b, 3, size, size]);
  engine().copy(both.buffer, x1.buffer, x1.bytes);
  engine().copy(both.buffer, x2.buffer, x2.bytes, x1.bytes, 0);
  both.dispose();
  return [x1, x2];
}

function copyTensor(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape);
  engine().copy(x.buffer, y.buffer, x.bytes);
  return y;
}
