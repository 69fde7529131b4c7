/**
 * Where the loader's images come from: an in-memory ImageSet (optionally restricted to split
 * indices), an ImageNet-style list of files decoded on demand, or any decode callback.
 * Each item has a stable id (its index in the original dataset) that keys its augmentation
 * draws, so a view does not depend on which subset or batch it appears in.
 * @module
 */
import { imageAt, type ImageSet } from "./readers/types.ts";
import type { RawImage } from "../../core/image.ts";
import type { ListImageSource } from "./readers/image_list.ts";

/** Items the loader batches: uint8 HWC images (1 or 3 channels, any size) with labels. */
export interface ImageSource {
  /** Number of items. */
  readonly length: number;
  /** Stable id of item i (its index in the original dataset), used to seed its views. */
  id(i: number): number;
  /** Class label of item i. */
  label(i: number): number;
  /** Item i's pixels; may be a promise (decoding). The loader does not keep it. */
  image(i: number): RawImage | Promise<RawImage>;
}

/**
 * An ImageSet as a source; with `indices` (a split: indices into the set) only those items,
 * in that order, with ids = the indices.
 */
export function imageSetSource(set: ImageSet, indices?: ArrayLike<number>): ImageSource {
  const idx = indices ?? null;
  if (idx) {
    for (let i = 0; i < idx.length; i++) {
      if (!(Number.isInteger(idx[i]) && idx[i] >= 0 && idx[i] < set.n)) {
        throw new RangeError(`imageSetSource: index ${idx[i]} outside the ${set.n} images`);
      }
    }
  }
  const at = (i: number) => {
    if (!(i >= 0 && i < (idx ? idx.length : set.n))) {
      throw new RangeError(`imageSetSource: item ${i} outside [0, ${idx ? idx.length : set.n})`);
    }
    return idx ? idx[i] : i;
  };
  return {
    length: idx ? idx.length : set.n,
    id: at,
    label: (i) => set.labels[at(i)],
    image: (i) => ({
      data: imageAt(set, at(i)),
      height: set.height,
      width: set.width,
      channels: set.channels,
    }),
  };
}

/**
 * A source whose images come from a callback, e.g. reading and decoding JPEG files
 * (`load` may be async). Ids are the item numbers.
 */
export function callbackSource(
  length: number,
  label: (i: number) => number,
  load: (i: number) => RawImage | Promise<RawImage>,
): ImageSource {
  return { length, id: (i) => i, label, image: load };
}

/**
 * An ImageNet-style list (readers' ListImageSource): each image read and decoded on demand,
 * with the list's own resize/crop options applied (none: the decoded size, the augmentation
 * crops it; a pre-resize keeps large batches under the storage binding limit).
 */
export function listSource(list: ListImageSource): ImageSource {
  return callbackSource(list.length, (i) => list.label(i), (i) => list.loadImage(i));
}
