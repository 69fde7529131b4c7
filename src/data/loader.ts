/**
 * The data loader: seeded per-epoch shuffling, batching, prefetching, and augmentation on the
 * GPU.
 *
 * Per batch the CPU gathers the uint8 images (any size, 1 or 3 channels; decoded through the
 * source's callback for file lists), draws every view's parameters (keyed by seed, epoch,
 * dataset id and view: see augment_params.ts) and packs images + parameters (+ labels) into
 * one array; the GPU gets it with ONE `writeBuffer` and the fused augmentation kernel writes
 * float32 NCHW views in [0, 1] (labels are copied out of the same upload on the GPU).
 *
 * Prefetching: when batch i is handed out, the CPU work of batch i+1 is scheduled as a
 * macrotask, so it runs while the consumer awaits the GPU (e.g. reading the loss of its step
 * on batch i) instead of after it.
 * @module
 */
import { engine } from "../../core/engine.ts";
import { Tensor } from "../../core/tensor.ts";
import {
  augmentDispatch,
  type AugmentEntry,
  type BoostPass,
  checkUploadSize,
  fillBoost,
  packAugment,
  type PackedBatch,
} from "../../kernels/augment/mod.ts";
import {
  type AugmentRecipe,
  drawBoostedViewFor,
  drawViewFor,
  recipe,
} from "../../kernels/augment/params.ts";
import { type BoostDraws, resolveBoost } from "../../kernels/augment/randaug.ts";
import { epochPermutation } from "../../core/prng.ts";
import type { RawImage } from "../../core/image.ts";
import type { ImageSource } from "./loader_sources.ts";

export * from "./loader_sources.ts";

/** How a Loader batches and augments. */
export interface LoaderOptions {
  /** The augmentation pipeline (its `size` is the output size). */
  recipe: AugmentRecipe;
  batchSize: number;
  seed: number;
  /** 2 (pretraining: two independent views per image) or 1 (evaluation). Default 2. */
  views?: 1 | 2;
  /** Seeded per-epoch permutation (default true); false keeps the source order. */
  shuffle?: boolean;
  /**
   * Drop the last partial batch (default false: every item every epoch and a smaller last
   * batch, as PyTorch's DataLoader without drop_last, which the authors' pretraining and
   * probes use).
   */
  dropLast?: boolean;
  /** Also produce labels as a u32 tensor (default: true with 1 view). */
  labels?: boolean;
  /**
   * With 2 views: "pair" gives two [B, 3, H, W] tensors; "interleaved" one [2B, 3, H, W]
   * tensor whose rows 2i and 2i+1 are the two views of image i (the authors' layout).
   */
  layout?: "pair" | "interleaved";
  /** BCL: every view also gets RandAugment by its image's weight (see LoaderBoost). */
  boost?: LoaderBoost;
}

/**
 * BCL's RandAugment in the loader (docs/method.md §10): each view draws k ops (keyed with the
 * view, whatever the weights) when its batch is prepared; when the batch is launched the
 * current weights decide which ops apply and at what strength, and the kernel applies them.
 * Batches then also carry their items' positions on the GPU (for the loss memory).
 */
export interface LoaderBoost {
  /** Ops drawn per view (1..4). */
  k: number;
  /** Maximum strength S (0..30). */
  strength: number;
  /** The weight of each item (by position in the source) in effect now. */
  weights(): ArrayLike<number>;
  /** Where the ops run (default: the augment family's choice). */
  pass?: BoostPass;
}

/** One batch on the GPU. The caller owns its tensors: call dispose() when done. */
export interface Batch {
  epoch: number;
  /** Batch number within the epoch. */
  index: number;
  /** Item numbers in the source. */
  items: Uint32Array;
  /** Their stable ids (dataset indices). */
  ids: Uint32Array;
  /** Host copy of the labels. */
  hostLabels: Int32Array;
  /** The views: 2 tensors ("pair"), 1 tensor [2B, …] ("interleaved"), or 1 (one view). */
  views: Tensor[];
  /** u32 labels [B], when asked for. */
  labels: Tensor | null;
  /** u32 item positions [B] (with boost), for the loss memory. */
  itemsOnGpu: Tensor | null;
  /** Releases the batch's tensors. */
  dispose(): void;
}

/** A batch gathered, drawn and packed on the CPU, ready for `launch`. */
export interface PreparedBatch {
  epoch: number;
  index: number;
  items: Uint32Array;
  ids: Uint32Array;
  hostLabels: Int32Array;
  packed: PackedBatch;
  /** BCL draws per entry (with boost). */
  draws: BoostDraws[] | null;
}

/** Runs `fn` in a later macrotask (after the current synchronous work and microtasks). */
function later<T>(fn: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setTimeout(() => {
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    }, 0);
  });
}

/** Shuffled, batched, prefetching, GPU-augmenting loader over an ImageSource. */
export class Loader {
  readonly views: 1 | 2;
  readonly dropLast: boolean;
  readonly withLabels: boolean;
  readonly layout: "pair" | "interleaved";
  /** Uploads (writeBuffer calls) made so far: one per batch. */
  uploads = 0;
  #scratch: [Uint32Array, Uint32Array] = [new Uint32Array(0), new Uint32Array(0)];
  #perm: { epoch: number; order: Uint32Array } | null = null;

  constructor(readonly source: ImageSource, readonly options: LoaderOptions) {
    const b = options.batchSize;
    if (!(Number.isInteger(b) && b >= 1)) throw new RangeError(`batch size ${b} is not ≥ 1`);
    this.views = options.views ?? 2;
    this.dropLast = options.dropLast ?? false;
    this.withLabels = options.labels ?? this.views === 1;
    this.layout = options.layout ?? "pair";
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.source.length, b = this.options.batchSize;
    return this.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** The item order of an epoch (a seeded permutation, or 0..n-1 without shuffling). */
  order(epoch: number): Uint32Array {
    if (this.#perm?.epoch !== epoch) {
      const n = this.source.length;
      const order = this.options.shuffle === false
        ? Uint32Array.from({ length: n }, (_, i) => i)
        : epochPermutation(n, this.options.seed, epoch);
      this.#perm = { epoch, order };
    }
    return this.#perm.order;
  }

  /**
   * The CPU part of batch `index`: gather, draw, pack (no GPU calls). `reuse` (0 or 1) packs
   * into one of two recycled arrays; only the epoch iterator uses it, since a recycled array
   * is overwritten two batches later.
   */
  async prepare(epoch: number, index: number, reuse?: 0 | 1): Promise<PreparedBatch> {
    const b = this.options.batchSize;
    const items = this.order(epoch).slice(index * b, Math.min((index + 1) * b, this.source.length));
    if (items.length === 0) throw new RangeError(`epoch ${epoch} has no batch ${index}`);
    const src = this.source;
    const pending: (RawImage | Promise<RawImage>)[] = [];
    for (const i of items) pending.push(src.image(i));
    const images = await Promise.all(pending);
    const ids = items.map((i) => src.id(i));
    const hostLabels = Int32Array.from(items, (i) => src.label(i));
    const r = this.options.recipe;
    const boost = this.options.boost;
    const n = items.length;
    const entries: AugmentEntry[] = [];
    const draws: BoostDraws[] | null = boost ? [] : null;
    for (let v = 0; v < this.views; v++) {
      for (let k = 0; k < n; k++) {
        const im = images[k];
        const key = { seed: this.options.seed, epoch, index: ids[k], view: v };
        let view;
        if (draws) {
          const d = drawBoostedViewFor(r, im, { key, k: boost!.k });
          view = d.view;
          draws.push(d.boost);
        } else view = drawViewFor(r, im, key);
        const slot = this.views === 2 && this.layout === "interleaved" ? 2 * k + v : k;
        entries.push({ image: k, view, slot });
      }
    }
    const scratch = reuse === undefined ? undefined : this.#scratch[reuse];
    // Extra words: the labels (when asked for), then the item positions (with boost).
    const extra = [...(this.withLabels ? hostLabels : []), ...(boost ? items : [])];
    const packed = packAugment(images, entries, { extra, into: scratch, boost: Boolean(boost) });
    if (reuse !== undefined && packed.words.buffer !== scratch!.buffer) {
      this.#scratch[reuse] = packed.words;
    }
    return { epoch, index, items, ids, hostLabels, packed, draws };
  }

  /** The GPU part: one upload, the augmentation dispatch(es), the labels copy; then submit. */
  launch(p: PreparedBatch): Batch {
    const e = engine();
    const [h, w] = this.options.recipe.size;
    const n = p.items.length;
    const boost = this.options.boost;
    if (boost && p.draws) {
      // The weights in effect now decide each view's ops (entry i is item i mod n).
      const weights = boost.weights();
      const draws = p.draws;
      fillBoost(p.packed, (i) =>
        resolveBoost(draws[i], {
          weight: weights[p.items[i % n]],
          strength: boost.strength,
          width: w,
          height: h,
        }));
    }
    checkUploadSize(p.packed);
    const buf = e.pool.acquire(p.packed.words.byteLength);
    e.write(buf, p.packed.words);
    this.uploads++;
    const views: Tensor[] = [];
    const launch = { data: buf, packed: p.packed, outH: h, outW: w, boostPass: boost?.pass };
    e.inPhase("loader", () => {
      if (this.views === 2 && this.layout === "interleaved") {
        views.push(Tensor.empty([2 * n, 3, h, w]));
        augmentDispatch({ ...launch, first: 0, count: 2 * n, out: views[0] });
      } else {
        for (let v = 0; v < this.views; v++) {
          const t = Tensor.empty([n, 3, h, w]);
          augmentDispatch({ ...launch, first: v * n, count: n, out: t });
          views.push(t);
        }
      }
    });
    let labels: Tensor | null = null;
    if (this.withLabels) {
      labels = Tensor.empty([n], "u32");
      e.copy(buf, labels.buffer, n * 4, p.packed.extraBase * 4, 0);
    }
    let itemsOnGpu: Tensor | null = null;
    if (boost) {
      itemsOnGpu = Tensor.empty([n], "u32");
      const at = p.packed.extraBase + (this.withLabels ? n : 0);
      e.copy(buf, itemsOnGpu.buffer, n * 4, at * 4, 0);
    }
    // Later users of the upload buffer run after these commands (submission order).
    e.pool.release(buf);
    e.flush();
    return {
      epoch: p.epoch,
      index: p.index,
      items: p.items,
      ids: p.ids,
      hostLabels: p.hostLabels,
      views,
      labels,
      itemsOnGpu,
      dispose() {
        for (const t of views) t.dispose();
        labels?.dispose();
        itemsOnGpu?.dispose();
      },
    };
  }

  /** One batch, without prefetching. */
  async batch(epoch: number, index: number): Promise<Batch> {
    return this.launch(await this.prepare(epoch, index));
  }

  /**
   * The batches of an epoch. While the consumer works on batch i (and awaits the GPU), batch
   * i+1 is gathered, drawn and packed. Iterate one epoch at a time (they share the recycled
   * packing arrays).
   */
  async *epoch(epoch: number): AsyncGenerator<Batch, void, undefined> {
    const nb = this.batchesPerEpoch;
    let next: Promise<PreparedBatch> | null = nb > 0 ? this.prepare(epoch, 0, 0) : null;
    for (let i = 0; i < nb; i++) {
      const ready = await next!;
      const parity = ((i + 1) % 2) as 0 | 1;
      next = i + 1 < nb ? later(() => this.prepare(epoch, i + 1, parity)) : null;
      // If the consumer stops early its error would go unobserved; awaiting still throws.
      next?.catch(() => {});
      yield this.launch(ready);
    }
  }
}

/** Options of the ready-made loaders. */
export interface SimpleLoaderOptions {
  batchSize: number;
  seed: number;
  /** Output side (default 32). */
  size?: number;
}

/**
 * Pretraining loader: the recipe of docs/method.md §2 (cifar, or imagenet when size > 64),
 * two views, the last partial batch kept.
 */
export function pretrainLoader(source: ImageSource, o: SimpleLoaderOptions): Loader {
  const size = o.size ?? 32;
  return new Loader(source, {
    recipe: recipe(size > 64 ? "imagenet" : "cifar", size),
    batchSize: o.batchSize,
    seed: o.seed,
    views: 2,
  });
}

/**
 * Evaluation loaders: `train` = RandomCrop(padding 4) + flip, shuffled, last batch kept;
 * `test` = the deterministic test transform in source order. Both with labels.
 */
export function evalLoader(
  source: ImageSource,
  o: SimpleLoaderOptions & { train: boolean },
): Loader {
  const size = o.size ?? 32;
  return new Loader(source, {
    recipe: recipe(o.train ? "eval" : "test", size),
    batchSize: o.batchSize,
    seed: o.seed,
    views: 1,
    shuffle: o.train,
    dropLast: false,
    labels: true,
  });
}
