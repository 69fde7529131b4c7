/**
 * The image type every layer shares: one decoded image as uint8 HWC (the readers produce it,
 * the augmentation kernel consumes it).
 * @module
 */

/** An image's size in pixels. */
export interface ImageSize {
  height: number;
  width: number;
}

/** One decoded image: uint8 HWC. */
export interface RawImage extends ImageSize {
  data: Uint8Array;
  channels: number;
}
