/**
 * Pretraining data: the image set (an `.npy` of uint8 [N, H, W, C] images, a named dataset
 * through the readers, optionally restricted to a split's indices, or an ImageNet-style list
 * of files decoded per batch), and the two views of each batch through the suite's loader.
 * @module
 */
import { UserError } from "../../core/errors.ts";
import { readNpy } from "../io/npy.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type DatasetName, LIST_DATASETS, loadDataset } from "../data/readers/load_dataset.ts";
import { type ImageSet, toRgb } from "../data/readers/types.ts";
import { readSplitIndices, resolveSplit } from "../data/split_read.ts";
import type { SplitSource } from "../data/authors_splits.ts";
import { recipe } from "../../kernels/augment/params.ts";
import {
  callbackSource,
  imageSetSource,
  type ImageSource,
  Loader,
  type LoaderBoost,
} from "../data/loader.ts";
import { ListImageSource } from "../data/readers/image_list.ts";
import { resizeShorter } from "../data/readers/resize.ts";

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

/** Where the pretraining images come from. */
export interface DataOptions {
  dataset?: string;
  data?: string;
  split?: string;
  /** Whose files a split name means (see resolveSplit); default by dataset. */
  splitSource?: SplitSource;
}

/** The training images, as the loader's source. */
export interface TrainImages {
  source: ImageSource;
  /** Number of images used. */
  n: number;
  /** Side of the (square) in-memory images; null for file lists, whose sizes vary. */
  height: number | null;
  /** Where the images come from, for the log. */
  origin: string;
  /** The split file the images were restricted to (resolved from a name), if any. */
  splitFile?: string;
}

/** Default view side for file lists (the ImageNet RandomResizedCrop(224)). */
export const LIST_VIEW_SIZE = 224;

/** Where a list's images are and how big the views drawn from them will be. */
export interface ListTrainOptions {
  /** A key of LIST_DATASETS (its class count and naming). */
  dataset: string;
  /** The folder the list's relative paths start from (--data). */
  root: string;
  /** Side of the training views (sets the pre-resize). */
  viewSize: number;
}

/**
 * An ImageNet-style list file (`relative/path.JPEG label` lines under `root`) as a source:
 * each batch's images are read and decoded when the batch is prepared, never all at once.
 * Images whose shorter side exceeds `viewSize`·256/224 are first resized to it (the spec's
 * Resize(256) for 224 views): RandomResizedCrop picks area and aspect fractions, so this
 * barely changes the views, and it keeps a batch's upload under the GPU's binding limit.
 */
export function listTrainImages(list: string, o: ListTrainOptions): TrainImages {
  const { dataset, root: data, viewSize } = o;
  const src = ListImageSource.open(list, data, {}, LIST_DATASETS[dataset]);
  const pre = Math.round(viewSize * 256 / 224);
  const source = callbackSource(src.length, (i) => src.label(i), async (i) => {
    const img = await src.loadRaw(i);
    return Math.min(img.height, img.width) > pre ? resizeShorter(img, pre, "bilinear") : img;
  });
  return { source, n: src.length, height: null, origin: data };
}

/**
 * Loads the training images (RGB) as the options say. `viewSize` (0: unknown yet) sets the
 * pre-resize of file lists; they use LIST_VIEW_SIZE when it is 0.
 */
export async function loadTrainImages(o: DataOptions, viewSize = 0): Promise<TrainImages> {
  let set: ImageSet;
  if (o.dataset !== undefined && o.dataset in LIST_DATASETS) {
    if (o.data === undefined || o.split === undefined) {
      throw new UserError(
        `--dataset ${o.dataset} needs --data ROOT (the folder the list paths start from) and ` +
          '--split LIST.txt (lines "relative/path.JPEG label")',
      );
    }
    const t = listTrainImages(o.split, {
      dataset: o.dataset,
      root: o.data,
      viewSize: viewSize || LIST_VIEW_SIZE,
    });
    if (t.n < 2) throw new UserError(`${o.split}: need at least 2 images, got ${t.n}`);
    return { ...t, splitFile: o.split };
  }
  if (o.data?.endsWith(".npy")) set = await imagesFromNpy(o.data);
  else if (o.dataset) set = loadDataset(o.dataset as DatasetName, "train", o.data);
  else {
    throw new UserError(
      "no training data: give --data IMAGES.npy (uint8 [N,H,W,C]) or --dataset NAME [--data DIR]",
    );
  }
  // With a dataset name, a split may be named (split1_D_i, train) as the other commands allow.
  const split = o.split && o.dataset
    ? resolveSplit(o.split, o.dataset as DatasetName, { source: o.splitSource })
    : o.split;
  const indices = split ? readSplitIndices(split, { poolSize: set.n }) : null;
  const n = indices ? indices.length : set.n;
  if (n < 2) throw new UserError(`${set.source}: need at least 2 images, got ${n}`);
  const rgb = toRgb(set);
  return {
    source: imageSetSource(rgb, indices ?? undefined),
    n,
    height: rgb.height,
    origin: set.source ?? o.data ?? String(o.dataset),
    splitFile: split,
  };
}

/** How training views are made. */
export type AugmentMode = "simclr" | "none";

/** How ViewSource batches and augments. */
export interface ViewOptions {
  mode: AugmentMode;
  seed: number;
  /** View side. */
  size: number;
  batchSize: number;
  /**
   * Drop the last partial batch (`--drop-last`). Default false: every image every epoch, the
   * last batch smaller when the batch size does not divide N, as the authors' pretraining
   * loader (a DataLoader without drop_last), so an epoch has ceil(N / B) iterations.
   */
  dropLast?: boolean;
  /** BCL's RandAugment on every view by its image's current weight (see LoaderBoost). */
  boost?: LoaderBoost;
}

/** One training batch on the GPU: its two views and (with boost) its items' positions. */
export interface TrainBatch {
  x1: Tensor;
  x2: Tensor;
  /** u32 [B] positions of the batch's images in the training set (with boost), else null. */
  items: Tensor | null;
}

/**
 * The two views of every batch, from the suite's loader: `simclr` is the recipe of docs/method.md §2
 * (CIFAR or ImageNet flavour by output size); `none` the deterministic test transform (the
 * images as they are, resized only when their size differs), so both views are equal. Batch
 * order and every view's draws are keyed by (seed, epoch[, image, view]), so batch b of
 * epoch e is the same whatever ran before it; the next batch (the first of the next epoch
 * after an epoch's last, partial or not) is prepared on the CPU while the caller's step runs.
 */
export class ViewSource {
  readonly loader: Loader;
  #next: { epoch: number; b: number; p: ReturnType<Loader["prepare"]> } | null = null;

  constructor(data: TrainImages, o: ViewOptions) {
    const r = o.mode === "none"
      ? recipe("test", o.size)
      : recipe(o.size > 64 ? "imagenet" : "cifar", o.size);
    this.loader = new Loader(data.source, {
      recipe: r,
      batchSize: o.batchSize,
      seed: o.seed,
      views: 2,
      dropLast: o.dropLast ?? false,
      boost: o.boost,
    });
    if (this.loader.batchesPerEpoch === 0) {
      throw new UserError(
        `--batch-size ${o.batchSize} is larger than the ${data.n} training images and ` +
          "--drop-last drops every batch; use a smaller batch or drop --drop-last",
      );
    }
  }

  /** Iterations per epoch: ceil(N / B), or floor(N / B) with dropLast. */
  get itersPerEpoch(): number {
    return this.loader.batchesPerEpoch;
  }

  /** Images in batch `b` of an epoch (the last one may be smaller). */
  batchLength(b: number): number {
    const n = this.loader.source.length, size = this.loader.options.batchSize;
    return Math.min(size, n - b * size);
  }

  /** Views [B, 3, S, S] ×2 of batch `b` of `epoch` (the caller disposes them). */
  async views(epoch: number, b: number): Promise<[Tensor, Tensor]> {
    const t = await this.batch(epoch, b);
    t.items?.dispose();
    return [t.x1, t.x2];
  }

  /** Batch `b` of `epoch`: views and (with boost) item positions; the caller disposes them. */
  async batch(epoch: number, b: number): Promise<TrainBatch> {
    const n = this.#next;
    const prepared = n && n.epoch === epoch && n.b === b ? n.p : this.loader.prepare(epoch, b);
    const ready = await prepared;
    const [ne, nb] = b + 1 < this.itersPerEpoch ? [epoch, b + 1] : [epoch + 1, 0];
    const p = new Promise<Awaited<typeof prepared>>((res, rej) =>
      setTimeout(() => this.loader.prepare(ne, nb).then(res, rej), 0)
    );
    p.catch(() => {}); // observed when awaited; an unused prefetch must not crash the run
    this.#next = { epoch: ne, b: nb, p };
    const batch = this.loader.launch(ready);
    return { x1: batch.views[0], x2: batch.views[1], items: batch.itemsOnGpu };
  }
}
