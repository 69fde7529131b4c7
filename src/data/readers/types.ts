/**
 * The in-memory shapes every dataset reader returns, and the grayscale→RGB expansion the
 * network needs (it always takes 3 channels).
 * @module
 */

/** A whole labelled image set in memory: uint8 pixels, HWC per image, images back to back. */
export interface ImageSet {
  /** N·H·W·C bytes, image-major, then row, column, channel (HWC). */
  images: Uint8Array;
  /** One class index per image, each in [0, classes). */
  labels: Int32Array;
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: number;
  /** Number of classes (the label range), not the number present. */
  classes: number;
  /** Human-readable class names, index = label, when the format carries them. */
  classNames?: string[];
  /** Secondary labels where the format has them (CIFAR-100's 20 coarse superclasses). */
  coarseLabels?: Int32Array;
  /** Where the set was read from (shown in logs and errors). */
  source?: string;
}

/** Bytes of image `i` (a view, no copy). */
export function imageAt(set: ImageSet, i: number): Uint8Array {
  const size = set.height * set.width * set.channels;
  return set.images.subarray(i * size, (i + 1) * size);
}

/**
 * Returns `set` with 3 channels: grayscale pixels are repeated into R, G and B (what
 * torchvision's `Grayscale→RGB` conversion does); an RGB set is returned unchanged.
 */
export function toRgb(set: ImageSet): ImageSet {
  if (set.channels === 3) return set;
  if (set.channels !== 1) {
    throw new Error(`toRgb: expected 1 or 3 channels, got ${set.channels}`);
  }
  const px = set.images.length;
  const out = new Uint8Array(px * 3);
  for (let i = 0, j = 0; i < px; i++, j += 3) {
    const v = set.images[i];
    out[j] = v;
    out[j + 1] = v;
    out[j + 2] = v;
  }
  return { ...set, images: out, channels: 3 };
}

/** Counts images per class; labels outside [0, classes) are the caller's bug and throw. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(l >= 0 && l < classes)) throw new Error(`classCounts: label ${l} at ${i} out of range`);
    counts[l]++;
  }
  return counts;
}
