/**
 * Images for the probes and what the frozen backbone makes of them: labelled image sources
 * (an in-memory set restricted to a split, or an ImageNet-style list read lazily), batches
 * prepared on the GPU by the augmentation kernel (the eval recipe RandomCrop(pad 4) + flip
 * for training, the test recipe otherwise), features of the dense branch with inference-mode
 * BN, feature banks, and the paper-protocol training batches (fresh augmentations through the
 * backbone every epoch).
 * @module
 */
import { Tensor, tidy } from "../../core/tensor.ts";
import { engine } from "../../core/engine.ts";
import { noGrad } from "../../core/tape.ts";
import { type AugmentRecipe, recipe } from "../../kernels/augment/params.ts";
import type { ImageSet } from "../data/readers/types.ts";
import { callbackSource, imageSetSource, type ImageSource, Loader } from "../data/loader.ts";
import type { ListImageSource } from "../data/readers/image_list.ts";
import type { ResNet } from "../nn/resnet.ts";
import { FeatureBank } from "./probe_features.ts";
import type { TrainBatches } from "./linear_probe.ts";

/** A labelled image collection the probe reads, with what the network input needs. */
export interface ProbeImages {
  /** The loader's view of the images (stable ids key the augmentation draws). */
  readonly source: ImageSource;
  readonly n: number;
  readonly labels: Int32Array;
  readonly classes: number;
  readonly classNames?: string[];
  /** Where the images come from (logs). */
  readonly name: string;
  /** Side of the square network input. */
  readonly size: number;
  /** "cifar": small images at their own size; "imagenet": decoded JPEGs cropped to 224. */
  readonly kind: "cifar" | "imagenet";
}

/** The images of `set` at `indices` (all when omitted), in that order. */
export function imagesFromSet(
  set: ImageSet,
  indices?: ArrayLike<number>,
  name?: string,
): ProbeImages {
  const source = imageSetSource(set, indices);
  return {
    source,
    n: source.length,
    labels: Int32Array.from({ length: source.length }, (_, i) => source.label(i)),
    classes: set.classes,
    classNames: set.classNames,
    name: name ?? set.source ?? "images",
    size: set.height,
    kind: "cifar",
  };
}

/** The images of a list file (decoded on demand), fed at size×size (224 in the paper). */
export function imagesFromList(list: ListImageSource, classes: number, size = 224): ProbeImages {
  return {
    source: callbackSource(list.length, (i) => list.label(i), (i) => list.loadRaw(i)),
    n: list.length,
    labels: list.labels(),
    classes,
    name: list.listPath,
    size,
    kind: "imagenet",
  };
}

/** Only the images at positions `keep` (e.g. a --max-train subset); ids stay the originals. */
export function restrictImages(images: ProbeImages, keep: ArrayLike<number>): ProbeImages {
  const src = images.source;
  const k = Array.from(keep);
  return {
    ...images,
    n: k.length,
    labels: Int32Array.from(k, (p) => images.labels[p]),
    source: {
      length: k.length,
      id: (i) => src.id(k[i]),
      label: (i) => src.label(k[i]),
      image: (i) => src.image(k[i]),
    },
  };
}

/**
 * Training recipe of the probe: docs/method.md §7's RandomCrop(size, padding 4) + flip for CIFAR-size
 * images; for ImageNet (not specified by docs/method.md) RandomResizedCrop(224) + flip, the usual
 * linear-evaluation recipe, with no colour changes.
 */
export function trainRecipe(images: ProbeImages): AugmentRecipe {
  if (images.kind === "cifar") return recipe("eval", images.size);
  return {
    ...recipe("eval", images.size),
    crop: { kind: "random-resized", scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
  };
}

/** Evaluation recipe: none for CIFAR-size images, Resize(256) + CenterCrop(224) for ImageNet. */
export function testRecipe(images: ProbeImages): AugmentRecipe {
  return recipe("test", images.size);
}

/** Maps a batch of images to features [B, dim]. */
export type Extractor = (x: Tensor) => Tensor;

/** Backbone features of `model`: dense branch, inference-mode BN, projection head dropped. */
export function backboneExtractor(model: ResNet): Extractor {
  return (x) => model.forward(x, { branch: "dense", training: false, output: "backbone" });
}

function features(extract: Extractor, x: Tensor): Tensor {
  return tidy(() => noGrad(() => extract(x)));
}

/** How `extractBank` batches its work and reports progress. */
export interface ExtractBankOptions {
  /** Images per forward (default 256). */
  batch?: number;
  /** Receives the number of images done after each batch. */
  onProgress?: (done: number) => void;
}

/** Features of every image (test recipe, source order) in a new bank, `batch` at a time. */
export async function extractBank(
  extract: Extractor,
  images: ProbeImages,
  o: ExtractBankOptions = {},
): Promise<FeatureBank> {
  const { batch = 256, onProgress } = o;
  const loader = new Loader(images.source, {
    recipe: testRecipe(images),
    batchSize: batch,
    seed: 0,
    views: 1,
    shuffle: false,
    dropLast: false,
    labels: false,
  });
  let bank: FeatureBank | null = null;
  let done = 0;
  for await (const b of loader.epoch(0)) {
    const x = padBatch(b.views[0], batch);
    const f = features(extract, x);
    if (x !== b.views[0]) x.dispose();
    b.dispose();
    bank ??= new FeatureBank(images.n, f.shape[1], images.labels);
    bank.write(f, b.index * batch, b.items.length);
    f.dispose();
    done += b.items.length;
    onProgress?.(done);
  }
  if (!bank) throw new Error(`extractBank: ${images.name} has no images`);
  return bank;
}

/**
 * A short last batch zero-padded to the full batch size: inference rows are independent
 * (BN uses running statistics), and one batch shape means one set of compiled conv kernels
 * per process instead of a second set (~5 s on lavapipe) for the last batch alone.
 */
function padBatch(x: Tensor, batch: number): Tensor {
  const m = x.shape[0];
  if (m >= batch) return x;
  const padded = Tensor.zeros([batch, ...x.shape.slice(1)]);
  engine().copy(x.buffer, padded.buffer, x.bytes);
  return padded;
}

/**
 * The paper's training batches: every epoch a seeded shuffle, each image freshly augmented
 * (train recipe, keyed by seed, epoch and image id) and passed through the frozen backbone;
 * the last batch may be smaller.
 */
export function augmentedBatches(
  extract: Extractor,
  images: ProbeImages,
  seed: number,
): TrainBatches {
  const loaders = new Map<number, Loader>();
  return {
    size: images.n,
    async *epoch(epoch: number, batchSize: number) {
      let loader = loaders.get(batchSize);
      if (!loader) {
        loader = new Loader(images.source, {
          recipe: trainRecipe(images),
          batchSize,
          seed,
          views: 1,
          shuffle: true,
          dropLast: false,
          labels: true,
        });
        loaders.set(batchSize, loader);
      }
      for await (const b of loader.epoch(epoch)) {
        const x = features(extract, b.views[0]);
        b.views[0].dispose();
        yield { x, y: b.labels!, n: b.items.length };
      }
    },
  };
}
